/**
 * `npm run migrate`: applies pending migrations (from migrations/) to DATABASE_URL, or to the
 * embedded PostgreSQL in DATA_DIR, and sets the application roles' password. Idempotent.
 */
import { EnvError, configureLogging, createLogger } from '@redthread/kit';
import { loadToolingEnv } from './env';
import { openPlatformDatabase, redact } from './lib/database';

try {
  const env = loadToolingEnv();
  configureLogging('info');
  const log = createLogger('migrate');
  const database = await openPlatformDatabase(env, log);
  log.info({ database: redact(database.adminUrl) }, 'migrations applied');
  await database.stop();
} catch (error) {
  process.stderr.write(`${error instanceof EnvError ? error.message : String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
}
