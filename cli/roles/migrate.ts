import { configureLogging, createLogger, parseEnv } from '@redthread/kit';
import { connectionProblem, migrateDatabase } from '@redthread/kit/devdb';
import { migrateRoleEnvSchema } from '../env';
import { exitOnStartFailure } from '../lifecycle';

/**
 * `redthread migrate`: applies the pending migrations as the database owner, sets each service
 * role's password, and exits 0. Safe to run again, and concurrently (an advisory lock serialises).
 */
export async function runMigrate(): Promise<void> {
  try {
    const env = parseEnv(migrateRoleEnvSchema);
    configureLogging(env.LOG_LEVEL);
    const log = createLogger('migrate');
    const started = Date.now();
    try {
      await migrateDatabase(env.DATABASE_URL, { app: env.APP_DB_PASSWORD, worker: env.WORKER_DB_PASSWORD, auth: env.AUTH_DB_PASSWORD });
    } catch (error) {
      throw connectionProblem(error, env.DATABASE_URL) ?? error;
    }
    log.info({ ms: Date.now() - started }, 'migrations applied; role passwords set');
    process.exit(0);
  } catch (error) {
    exitOnStartFailure('migrate', error);
  }
}
