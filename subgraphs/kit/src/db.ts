import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PostgresJsSession, PostgresJsTransaction } from 'drizzle-orm/postgres-js/session';
import { sql } from 'drizzle-orm';
import type { Identity } from './identity';
import { poolInUse, poolSize, poolWaiting } from './metrics';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { SpanKind, inSpan, tracer } from './tracing';

/** The drizzle database handle every service uses. Tables come from `@redthread/schema`. */
export type Db = PostgresJsDatabase;
/** A drizzle transaction: the only handle services receive for a request's SQL. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A pool of connections plus the drizzle handle over it. */
export interface Database {
  readonly db: Db;
  /** The raw postgres.js client, for LISTEN/NOTIFY and tooling. */
  readonly client: postgres.Sql;
  close(): Promise<void>;
}

/** Options for {@link connectDatabase}. */
export interface ConnectOptions {
  /** Pool size. Default 10. */
  max?: number;
  /** Shown in `pg_stat_activity`. */
  applicationName?: string;
  /** Called for every statement sent; tests use it to count statements per request. */
  onQuery?: (query: string) => void;
}

/**
 * Opens a postgres.js pool for `url` and wraps it in drizzle. Connections are opened lazily,
 * so creating a pool never fails; the first query reports an unreachable database.
 */
export function connectDatabase(url: string, options: ConnectOptions = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'redthread' },
    ...(options.onQuery ? { debug: (_connection: number, query: string) => options.onQuery?.(query) } : {}),
  });
  keepStatementsPrepared(client as unknown as SqlFunctions);
  const db = drizzle({ client });
  countPoolUse(db, options.applicationName ?? 'redthread', options.max ?? 10);
  pools.set(db, { client, pool: options.applicationName ?? 'redthread' });
  return {
    db,
    client,
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * A query with more parameters than this stays an unnamed statement: a long `in (…)` list of a
 * batch has a new text for each length, and a connection keeps every named statement it made.
 */
export const MAX_PREPARED_PARAMETERS = 32;

/** The parts of a postgres.js `Sql` (the pool, a transaction, a savepoint) {@link keepStatementsPrepared} wraps. */
interface SqlFunctions {
  unsafe: (query: string, parameters?: unknown[], options?: { prepare?: boolean }) => unknown;
  begin?: (...args: unknown[]) => unknown;
  savepoint?: (...args: unknown[]) => unknown;
}

/**
 * drizzle asks postgres.js for an unnamed statement (`prepare: false`) for every query not
 * `.prepare()`d by name, and postgres.js must learn an unnamed statement's parameter types before
 * it can bind its values: each query with parameters cost two round trips (Parse and Describe,
 * then Bind and Execute). A named statement is described once per connection and then bound and
 * run in one. So queries with up to {@link MAX_PREPARED_PARAMETERS} parameters are kept as named
 * statements, in transactions and savepoints too (postgres.js gives each its own `Sql`).
 * PostgreSQL plans them as before (custom plans first; row-level security is evaluated at run
 * time either way). A migration that changes the type of a column a kept statement returns makes
 * that statement fail once per connection ("cached plan must not change result type"): postgres.js
 * then forgets it and prepares it anew, but inside a transaction the failed try has aborted it, so
 * that one request fails (drizzle names its columns, so added columns change nothing).
 */
function keepStatementsPrepared(sql: SqlFunctions): void {
  const unsafe = sql.unsafe;
  sql.unsafe = (query, parameters, options) =>
    unsafe(query, parameters, options?.prepare === false && (parameters?.length ?? 0) <= MAX_PREPARED_PARAMETERS ? { ...options, prepare: true } : options);
  for (const key of ['begin', 'savepoint'] as const) {
    const scoped = sql[key];
    if (!scoped) continue;
    sql[key] = (...args: unknown[]) => {
      const work = args.at(-1);
      // A tagged-template call (`sql.savepoint` used as a template tag) passes through as it is.
      if (typeof work !== 'function') return scoped(...args);
      return scoped(...args.slice(0, -1), (inner: SqlFunctions) => {
        keepStatementsPrepared(inner);
        return (work as (inner: SqlFunctions) => unknown)(inner);
      });
    };
  }
}

/**
 * Counts the pool's transactions in the metrics: waiting for a connection until the transaction's
 * work starts (postgres.js has begun it on a connection of its own), in use until it ends. Every
 * request, consumer batch and hub read runs in such a transaction.
 */
function countPoolUse(db: Db, pool: string, size: number): void {
  poolSize.set({ pool }, size);
  const begin = db.transaction.bind(db);
  db.transaction = ((work, config) => {
    poolWaiting.inc({ pool });
    let started = false;
    const run = () =>
      begin(async (tx) => {
        started = true;
        poolWaiting.dec({ pool });
        poolInUse.inc({ pool });
        try {
          return await work(tx);
        } finally {
          poolInUse.dec({ pool });
        }
      }, config).finally(() => {
        if (!started) poolWaiting.dec({ pool });
      });
    // A span per transaction of a traced request, under the request's span. Consumers' and the
    // hub's polling transactions are not traced: they would be a stream of lone root spans.
    return trace.getActiveSpan() ? inSpan('sql transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'redthread.pool': pool } }, run) : run();
  }) as Db['transaction'];
}

/** The pool behind a {@link Db} made by {@link connectDatabase}, for {@link PipelinedTransaction}. */
const pools = new WeakMap<Db, { client: postgres.Sql; pool: string }>();

/**
 * A transaction on a connection reserved from the pool, whose BEGIN is sent without waiting for
 * its answer. postgres.js writes what is issued in one turn in one write, so BEGIN, the tenant's
 * `set_config` and the first query reach PostgreSQL together: one round trip where
 * `db.transaction` (postgres.js awaits its BEGIN before running any statement) took two. A
 * request that reads once is two round trips in all, that one and COMMIT.
 *
 * drizzle's transaction is built over the reserved connection from drizzle's own postgres.js
 * session classes; savepoints (`tx.transaction`) are `savepoint` / `release` / `rollback to` on
 * it. Should a statement fail while the caller carries on, PostgreSQL has aborted the
 * transaction, answers COMMIT with ROLLBACK, and {@link finish} throws: nothing is reported saved
 * that was not.
 */
class PipelinedTransaction {
  #savepoints = 0;

  private constructor(
    readonly tx: Tx,
    private readonly connection: postgres.ReservedSql,
    private readonly began: Promise<unknown>,
    private readonly done: () => void,
  ) {}

  /** Reserves a connection of `db` (made by connectDatabase) and begins, unanswered yet. */
  static async open(db: Db): Promise<PipelinedTransaction> {
    const pool = pools.get(db);
    if (!pool) throw new Error('A request transaction needs a database opened with connectDatabase (it reserves a connection of its pool).');
    poolWaiting.inc({ pool: pool.pool });
    let connection: postgres.ReservedSql;
    try {
      connection = await pool.client.reserve();
    } finally {
      poolWaiting.dec({ pool: pool.pool });
    }
    poolInUse.inc({ pool: pool.pool });
    keepStatementsPrepared(connection as unknown as SqlFunctions);
    // Rejections surface through the statements queued behind it (and in finish).
    const began = connection.unsafe('begin').execute().then(() => undefined);
    began.catch(() => {});
    const internals = db as unknown as { dialect: ConstructorParameters<typeof PostgresJsSession>[1]; session: { options: ConstructorParameters<typeof PostgresJsSession>[3] } };
    const session = new PostgresJsSession(connection, internals.dialect, undefined, internals.session.options);
    // drizzle types the session of a transaction over postgres.js's TransactionSql; the reserved
    // connection does what it needs (unsafe, and the savepoint given below).
    const tx = new PostgresJsTransaction(internals.dialect, session as never, undefined) as unknown as Tx;
    const transaction = new PipelinedTransaction(tx, connection, began, () => {
      connection.release();
      poolInUse.dec({ pool: pool.pool });
    });
    (connection as unknown as { savepoint: (work: (inner: postgres.Sql) => Promise<unknown>) => Promise<unknown> }).savepoint = (work) => transaction.#savepoint(work);
    return transaction;
  }

  /** Commits (`commit = true`) or rolls back, then hands the connection back. */
  async finish(commit: boolean): Promise<void> {
    try {
      if (!commit) {
        await this.connection.unsafe('rollback').catch(() => {});
        return;
      }
      await this.began;
      const answer = await this.connection.unsafe('commit');
      if (answer.command !== 'COMMIT') {
        throw new Error(`PostgreSQL answered COMMIT with ${answer.command}: a statement of this transaction failed and its error was not passed on; nothing was saved.`);
      }
    } finally {
      this.done();
    }
  }

  async #savepoint(work: (inner: postgres.Sql) => Promise<unknown>): Promise<unknown> {
    this.#savepoints += 1;
    const name = `s${this.#savepoints}`;
    await this.connection.unsafe(`savepoint ${name}`);
    try {
      const result = await work(this.connection);
      await this.connection.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await this.connection.unsafe(`rollback to savepoint ${name}`).catch(() => {});
      throw error;
    }
  }
}

/**
 * Sets the tenant of the current transaction: `app.partner_id`, `app.roles` and `app.subject`,
 * transaction-local (`set_config(..., true)`), so row-level security sees the caller and the
 * settings vanish at commit. Must be the first statement of every request transaction.
 */
export async function setTenant(tx: Tx, identity: Identity): Promise<void> {
  await tx.execute(sql`select
    set_config('app.partner_id', ${identity.partnerId}, true),
    set_config('app.roles', ${identity.roles.join(',')}, true),
    set_config('app.subject', ${identity.subject}, true)`);
}

/** Runs `work` in one transaction scoped to `identity` (see {@link setTenant}). */
export async function inTenantTransaction<T>(db: Db, identity: Identity, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await setTenant(tx, identity);
    return work(tx);
  });
}

/**
 * The one transaction of a GraphQL request. It is opened on first use (a request that needs no
 * SQL opens none), every resolver of the request shares it, and {@link RequestTransaction.end}
 * commits or rolls it back once the response is known.
 */
export class RequestTransaction {
  /**
   * Subjects (`user:<id>`, `apikey:<id>`) whose access this transaction changes (roles, membership,
   * revocation). Once it has committed, the response tells the gateway in
   * `extensions.accessChanged`, so that the gateway forgets their cached access and rechecks their
   * live connections before the caller can send another request.
   */
  readonly accessChangedFor = new Set<string>();
  #opened: Promise<{ tx: Tx; finish(commit: boolean): Promise<void> }> | undefined;
  #ended = false;

  constructor(
    private readonly db: Db,
    private readonly identity: Identity,
  ) {}

  /** The request's transaction, opened (with the tenant set) on first call. */
  get(): Promise<Tx> {
    this.#opened ??= this.#open();
    return this.#opened.then((opened) => opened.tx);
  }

  /** Whether any resolver has opened the transaction. */
  get started(): boolean {
    return this.#opened !== undefined;
  }

  /** Commits (`commit = true`) or rolls back. Safe to call when never opened, and only once. */
  async end(commit: boolean): Promise<void> {
    if (!this.#opened || this.#ended) return;
    this.#ended = true;
    const opened = await this.#opened;
    await opened.finish(commit);
  }

  async #open(): Promise<{ tx: Tx; finish(commit: boolean): Promise<void> }> {
    // A span per transaction of a traced request, from its start to its commit or rollback.
    const span = trace.getActiveSpan() ? tracer.startSpan('sql transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql' } }) : undefined;
    const failed = (error: unknown) => {
      span?.recordException(error as Error);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    };
    let opened: { tx: Tx; finish(commit: boolean): Promise<void> };
    try {
      opened = await PipelinedTransaction.open(this.db);
      // Not awaited before the resolvers get the transaction: it goes out with BEGIN and the
      // first resolver's query, and the connection runs them in that order. Should set_config
      // fail, that query fails too (the transaction is aborted), and so does COMMIT.
      setTenant(opened.tx, this.identity).catch(() => {});
    } catch (error) {
      failed(error);
      span?.end();
      throw error;
    }
    return {
      tx: opened.tx,
      finish: async (commit) => {
        try {
          await opened.finish(commit);
        } catch (error) {
          failed(error);
          throw error;
        } finally {
          span?.end();
        }
      },
    };
  }
}

/** PostgreSQL error fields postgres.js exposes; used to map constraint violations. */
export interface PgError {
  code: string;
  constraint_name?: string;
}

/** Whether `error` is a PostgreSQL error with SQLSTATE `code` (e.g. 23505 unique violation). */
export function isPgError(error: unknown, code: string): error is PgError {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  return typeof cause === 'object' && cause !== null && (cause as PgError).code === code;
}

/** The constraint named by a PostgreSQL error, looking through drizzle's wrapping. */
export function pgConstraint(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  return (cause as PgError | null)?.constraint_name;
}

/** `text` with LIKE's wildcards (`%`, `_`) and its escape character quoted, so it matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[%_\\]/g, '\\$&');
}
