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
  /**
   * Called for every statement sent but the COMMIT a read-only request transaction leaves to the
   * pool (it belongs to no request; see {@link RequestPool}); tests use it to count statements per request.
   */
  onQuery?: (query: string) => void;
  /**
   * How long the COMMIT of a read-only request transaction waits for the pool's next request
   * transaction to carry it (see {@link PipelinedTransaction}). Default {@link READ_ONLY_COMMIT_WAIT_MS}.
   */
  readOnlyCommitWaitMs?: number;
}

/** The COMMIT of a read-only request transaction, sent after its request (see {@link RequestPool}). */
const CARRIED_COMMIT = 'commit /* of a read-only request transaction, sent after its answer */';

/** Default of {@link ConnectOptions.readOnlyCommitWaitMs}. */
export const READ_ONLY_COMMIT_WAIT_MS = 5;
/**
 * A connection that has carried request transactions this long since it was taken from the pool
 * goes back to it instead of carrying another, so that the pool's other users (a health check,
 * a consumer) never wait longer than this behind a busy stream of queries.
 */
const MAX_CARRY_MS = 1000;

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
    ...(options.onQuery ? { debug: (_connection: number, query: string) => query !== CARRIED_COMMIT && options.onQuery?.(query) } : {}),
  });
  keepStatementsPrepared(client as unknown as SqlFunctions);
  const db = drizzle({ client });
  const pool = new RequestPool(client, options.applicationName ?? 'redthread', options.readOnlyCommitWaitMs ?? READ_ONLY_COMMIT_WAIT_MS);
  countPoolUse(db, pool, options.max ?? 10);
  pools.set(db, pool);
  return {
    db,
    client,
    close: async () => {
      await pool.commitAll();
      await client.end({ timeout: 5 });
    },
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
function countPoolUse(db: Db, requests: RequestPool, size: number): void {
  const pool = requests.name;
  poolSize.set({ pool }, size);
  const begin = db.transaction.bind(db);
  db.transaction = ((work, config) => {
    poolWaiting.inc({ pool });
    // Request transactions hand their connections back while this one waits for one.
    requests.othersWaiting(+1);
    let started = false;
    const run = () =>
      begin(async (tx) => {
        started = true;
        poolWaiting.dec({ pool });
        requests.othersWaiting(-1);
        poolInUse.inc({ pool });
        try {
          return await work(tx);
        } finally {
          poolInUse.dec({ pool });
        }
      }, config).finally(() => {
        if (started) return;
        poolWaiting.dec({ pool });
        requests.othersWaiting(-1);
      });
    // A span per transaction of a traced request, under the request's span. Consumers' and the
    // hub's polling transactions are not traced: they would be a stream of lone root spans.
    return trace.getActiveSpan() ? inSpan('sql transaction', { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'redthread.pool': pool } }, run) : run();
  }) as Db['transaction'];
}

/** postgres.js's own connection object, as a query's `onexecute` option receives it. */
interface PgConnection {
  /** Set by `reserve()` for the reservation; cleared when the connection closes or is released. */
  reserved: unknown;
}

/** A connection taken from postgres.js for request transactions, from its reserve to its release. */
class Held {
  #connection: PgConnection | undefined;
  #reservation: unknown;

  constructor(
    readonly connection: postgres.ReservedSql,
    /** When it was taken from the pool ({@link MAX_CARRY_MS}). */
    readonly reservedAt: number,
  ) {}

  /** `onexecute` of its first statement: postgres.js's connection behind it (and `true`: go on pipelining). */
  readonly seen = (connection: PgConnection): boolean => {
    this.#connection = connection;
    this.#reservation = connection.reserved;
    return true;
  };

  /**
   * PostgreSQL or the network closed it: postgres.js has put it among its closed connections
   * (and may have reconnected it for someone else). Nothing may be sent on it or handed back.
   */
  get closed(): boolean {
    return this.#connection !== undefined && this.#connection.reserved !== this.#reservation;
  }
}

/** A held connection whose read-only transaction awaits its COMMIT. */
interface Carried {
  held: Held;
  /** When its transaction finished. */
  since: number;
  /** Its COMMIT is sent (the wait ran out); it goes back to postgres.js once answered, unless taken. */
  committing?: Promise<void>;
  /** A request transaction took it on. */
  taken?: boolean;
}

/** The error of a statement sent on a connection that has closed. */
function connectionLost(): Error {
  return Object.assign(new Error('The database connection of this transaction closed (PostgreSQL restarted or ended it, or the network failed); nothing more was sent on it.'), {
    code: 'CONNECTION_CLOSED',
  });
}

/**
 * The request transactions' side of a pool made by connectDatabase: connections reserved from
 * postgres.js, and those whose read-only transaction still awaits its COMMIT.
 *
 * A request that only reads (a GraphQL query) needs nothing from its COMMIT: it wrote nothing,
 * so nothing can fail to be saved, and its answer is known before COMMIT is sent. So its
 * connection is not handed back at once; it waits up to `commitWaitMs` for the pool's next request
 * transaction, which sends that COMMIT with its own BEGIN, tenant and first query, in one write.
 * A stream of queries then costs PostgreSQL one write and one wake-up per query instead of two.
 * When the wait runs out, COMMIT is sent alone; the connection can still be taken on until it is
 * answered (the next BEGIN queues behind it), so that a request arriving then does not make
 * postgres.js open another connection.
 *
 * Such a transaction is idle for those few ms only: READ ONLY, no transaction id, no snapshot
 * held between statements (READ COMMITTED), its row locks none; only its tables' ACCESS SHARE
 * locks outlive it that long. Nothing waits on it: while a transaction of the pool waits for a
 * connection, finished ones are handed straight back (postgres.js gives them to the waiting), and
 * a connection goes back after {@link MAX_CARRY_MS} of carrying.
 *
 * A reserved connection that closes (PostgreSQL restarted, an administrator ended the backend)
 * goes back to postgres.js's closed ones by itself; a statement sent on it after that would throw
 * inside postgres.js's write timer, and handing it back would put a dead connection among the
 * open ones. So the first statement on each reserved connection learns postgres.js's connection
 * behind it ({@link Held}); a closed one is dropped from the carried, refuses statements, and is
 * never handed back.
 */
class RequestPool {
  /** Transactions waiting for postgres.js to hand them a connection (request ones and others). */
  waiting = 0;
  /** Latest last. */
  readonly #carried: Carried[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly client: postgres.Sql,
    readonly name: string,
    private readonly commitWaitMs: number,
  ) {}

  /**
   * A connection to begin on, and whether the COMMIT of the read-only transaction it carries is
   * still to be sent (not when it is in flight already, nor on a connection just reserved).
   */
  async take(): Promise<{ held: Held; uncommitted: boolean }> {
    const now = Date.now();
    // The latest first: its transaction ended last, the others may go back on the timer.
    for (let carried = this.#carried.pop(); carried; carried = this.#carried.pop()) {
      if (carried.held.closed) continue;
      if (now - carried.held.reservedAt < MAX_CARRY_MS) {
        carried.taken = true;
        return { held: carried.held, uncommitted: !carried.committing };
      }
      this.#giveBack(carried);
    }
    this.waiting += 1;
    poolWaiting.inc({ pool: this.name });
    let connection: postgres.ReservedSql;
    try {
      connection = await this.client.reserve();
    } finally {
      this.waiting -= 1;
      poolWaiting.dec({ pool: this.name });
    }
    const held = new Held(connection, Date.now());
    // Once per reserve: a carried connection keeps these.
    keepStatementsPrepared(connection as unknown as SqlFunctions);
    const unsafe = connection.unsafe.bind(connection);
    let first = true;
    connection.unsafe = ((query: string, parameters?: unknown[], options?: Record<string, unknown>) => {
      if (held.closed) throw connectionLost();
      if (!first) return unsafe(query, parameters as never, options);
      first = false;
      return unsafe(query, parameters as never, { ...options, onexecute: held.seen } as never);
    }) as typeof connection.unsafe;
    return { held, uncommitted: false };
  }

  /** Hands a held connection back to postgres.js, unless it closed (postgres.js has it then). */
  release(held: Held): void {
    if (!held.closed) held.connection.release();
  }

  /** Hands back a connection whose read-only transaction is done but not committed. */
  leaveUncommitted(held: Held): void {
    if (held.closed) return;
    const carried: Carried = { held, since: Date.now() };
    if (this.waiting > 0 || this.commitWaitMs <= 0) {
      this.#giveBack(carried);
      return;
    }
    this.#carried.push(carried);
    this.#timer ??= setTimeout(() => this.#sweep(), this.commitWaitMs);
    this.#timer.unref?.();
  }

  /**
   * Counts a transaction of the pool's other users (`db.transaction`: consumers, tools) that waits
   * for postgres.js to hand it a connection (+1), or has one or gave up (-1). While one waits,
   * carried connections go back to postgres.js, the earliest at once.
   */
  othersWaiting(change: 1 | -1): void {
    this.waiting += change;
    const earliest = change > 0 ? this.#carried.shift() : undefined;
    if (earliest) this.#giveBack(earliest);
  }

  /** Commits every transaction still carried and hands their connections back. */
  async commitAll(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#carried.splice(0).map((carried) => this.#giveBack(carried)));
  }

  #sweep(): void {
    this.#timer = undefined;
    const due = Date.now() - this.commitWaitMs;
    for (const carried of this.#carried) {
      if (carried.since > due || carried.committing) continue;
      carried.committing = this.#commit(carried.held).then(() => {
        if (carried.taken) return;
        const at = this.#carried.indexOf(carried);
        if (at >= 0) this.#carried.splice(at, 1);
        this.release(carried.held);
      });
    }
    if (this.#carried.some((carried) => !carried.committing)) this.#timer = setTimeout(() => this.#sweep(), this.commitWaitMs).unref();
  }

  /** Out of the carried list already: commits (unless its COMMIT is sent) and releases. */
  #giveBack(carried: Carried): Promise<void> {
    // A connection whose COMMIT is in flight releases itself when answered (it is not taken).
    if (carried.committing) return carried.committing;
    return this.#commit(carried.held).then(() => this.release(carried.held));
  }

  #commit(held: Held): Promise<void> {
    // Read-only: whatever COMMIT answers, nothing was to be saved. A closed connection is
    // postgres.js's to replace.
    if (held.closed) return Promise.resolve();
    return held.connection.unsafe(CARRIED_COMMIT).then(
      () => undefined,
      () => undefined,
    );
  }
}

/** The request side of each pool made by {@link connectDatabase}, for {@link PipelinedTransaction}. */
const pools = new WeakMap<Db, RequestPool>();

/**
 * A transaction on a connection reserved from the pool, whose BEGIN is sent without waiting for
 * its answer. postgres.js writes what is issued in one turn in one write, so BEGIN, the tenant's
 * `set_config` and the first query reach PostgreSQL together: one round trip where
 * `db.transaction` (postgres.js awaits its BEGIN before running any statement) took two. A
 * request that reads once is two round trips in all, that one and COMMIT; a read-only one
 * (`begin read only`) is one, its COMMIT left to the next request's write ({@link RequestPool}).
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
    private readonly held: Held,
    private readonly began: Promise<unknown>,
    private readonly readOnly: boolean,
    private readonly pool: RequestPool,
  ) {}

  private get connection(): postgres.ReservedSql {
    return this.held.connection;
  }

  /** Reserves a connection of `db` (made by connectDatabase) and begins, unanswered yet. */
  static async open(db: Db, readOnly: boolean): Promise<PipelinedTransaction> {
    const pool = pools.get(db);
    if (!pool) throw new Error('A request transaction needs a database opened with connectDatabase (it reserves a connection of its pool).');
    const { held, uncommitted } = await pool.take();
    const { connection } = held;
    poolInUse.inc({ pool: pool.name });
    // The previous transaction's COMMIT goes out first, in the same write. It only read.
    if (uncommitted) connection.unsafe(CARRIED_COMMIT).execute().catch(() => {});
    // Rejections surface through the statements queued behind it (and in finish).
    const began = connection.unsafe(readOnly ? 'begin read only' : 'begin').execute().then(() => undefined);
    began.catch(() => {});
    const internals = db as unknown as { dialect: ConstructorParameters<typeof PostgresJsSession>[1]; session: { options: ConstructorParameters<typeof PostgresJsSession>[3] } };
    const session = new PostgresJsSession(connection, internals.dialect, undefined, internals.session.options);
    // drizzle types the session of a transaction over postgres.js's TransactionSql; the reserved
    // connection does what it needs (unsafe, and the savepoint given below).
    const tx = new PostgresJsTransaction(internals.dialect, session as never, undefined) as unknown as Tx;
    const transaction = new PipelinedTransaction(tx, held, began, readOnly, pool);
    (connection as unknown as { savepoint: (work: (inner: postgres.Sql) => Promise<unknown>) => Promise<unknown> }).savepoint = (work) => transaction.#savepoint(work);
    return transaction;
  }

  /**
   * Commits (`commit = true`) or rolls back, then hands the connection back. A read-only
   * transaction returns at once: its COMMIT goes out with the pool's next request transaction.
   * On a connection that closed, a commit throws (nothing is reported saved) and nothing is sent.
   */
  async finish(commit: boolean): Promise<void> {
    poolInUse.dec({ pool: this.pool.name });
    if (this.readOnly && commit) {
      this.pool.leaveUncommitted(this.held);
      return;
    }
    try {
      if (!commit) {
        if (!this.held.closed) await this.connection.unsafe('rollback').catch(() => {});
        return;
      }
      if (this.held.closed) throw connectionLost();
      await this.began;
      const answer = await this.connection.unsafe('commit');
      if (answer.command !== 'COMMIT') {
        throw new Error(`PostgreSQL answered COMMIT with ${answer.command}: a statement of this transaction failed and its error was not passed on; nothing was saved.`);
      }
    } finally {
      this.pool.release(this.held);
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
      if (!this.held.closed) await this.connection.unsafe(`rollback to savepoint ${name}`).catch(() => {});
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
  #readOnly = false;
  #refusedBy: string[] = [];

  constructor(
    private readonly db: Db,
    private readonly identity: Identity,
  ) {}

  /** The request's transaction, opened (with the tenant set) on first call. */
  get(): Promise<Tx> {
    this.#opened ??= this.#open();
    return this.#opened.then((opened) => opened.tx);
  }

  /**
   * Makes the transaction READ ONLY (a GraphQL query): PostgreSQL refuses any write in it, and
   * its COMMIT need not be waited for (see {@link PipelinedTransaction}). Only before it opens.
   */
  markReadOnly(): void {
    if (this.#opened) throw new Error('markReadOnly: the request transaction is open already.');
    this.#readOnly = true;
  }

  /**
   * Notes that mutation `field` answered a typed failure (bad input, a wrong state): a request of
   * that one mutation is rolled back, whatever its service wrote before refusing (see the
   * subgraph runtime's transaction plugin).
   */
  refuse(field: string): void {
    this.#refusedBy.push(field);
  }

  /** The mutation fields that answered a typed failure, in the order they ran. */
  get refusedBy(): readonly string[] {
    return this.#refusedBy;
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
      opened = await PipelinedTransaction.open(this.db, this.#readOnly);
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
