import { consumerLagEvents, consumerLagSeconds } from './metrics';
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { escapeLike, type Db, type Tx } from './db';
import { createLogger, type Logger } from './logger';

/** The NOTIFY channel that wakes event readers. Its payload means nothing: readers re-query. */
export const EVENTS_CHANNEL = 'redthread_events';

/** What a service appends: the change it just made, and who may see it. */
export interface NewEvent {
  /** Dotted name, `<aggregate>.<change>`: `product.created`, `link.accepted`, `order.approved`. */
  topic: string;
  entityType: string;
  entityId: string;
  /** Partner ids allowed to see the event (subscriptions filter on it). Never empty. */
  audience: readonly string[];
  payload?: Record<string, unknown>;
}

/** An event as read back from the log. */
export interface LoggedEvent {
  id: number;
  /** The writing transaction's id (xid8) as a decimal string. */
  txid: string;
  topic: string;
  entityType: string;
  entityId: string;
  audience: string[];
  payload: Record<string, unknown>;
  createdAt: Date;
  /** Opaque position of this event: pass it as `after` to resume right behind it. */
  cursor: string;
}

/** A position in the log: (transaction id, event id). The start of the log is ('0', 0). */
export interface EventPosition {
  txid: string;
  id: number;
}

/** The position before the first event. */
export const LOG_START: EventPosition = { txid: '0', id: 0 };

/**
 * Appends an event inside the caller's transaction — the transactional outbox. The event
 * becomes visible exactly when (and if) the change it describes commits. One statement; a
 * trigger sends the NOTIFY that wakes readers at commit.
 */
export async function appendEvent(tx: Tx, event: NewEvent): Promise<void> {
  if (event.audience.length === 0) throw new Error(`event ${event.topic} has an empty audience`);
  const audience = sql.join(
    event.audience.map((partnerId) => sql`${partnerId}::uuid`),
    sql`, `,
  );
  await tx.execute(sql`
    insert into events.event_log (topic, entity_type, entity_id, audience, payload)
    values (${event.topic}, ${event.entityType}, ${event.entityId}, array[${audience}], ${JSON.stringify(event.payload ?? {})}::jsonb)`);
}

/** Compares two log positions: negative when `a` comes first. */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  const ta = BigInt(a.txid);
  const tb = BigInt(b.txid);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id - b.id;
}

/**
 * The position of the newest event every reader can already see (below the snapshot's xmin):
 * where a live reader starts so that it misses nothing that commits later.
 */
export async function currentLogPosition(executor: Tx | Db): Promise<EventPosition> {
  const rows = await executor.execute<{ txid: string; id: string | number }>(sql`
    select e.txid::text as txid, e.id from events.event_log e
    where e.txid < pg_snapshot_xmin(pg_current_snapshot())
    order by e.txid desc, e.id desc limit 1`);
  const row = [...rows][0];
  return row ? { txid: row.txid, id: Number(row.id) } : LOG_START;
}

/** Encodes a position as the opaque cursor clients see. */
export function encodeEventCursor(position: EventPosition): string {
  return Buffer.from(`ev:${position.txid}:${position.id}`).toString('base64url');
}

/** Decodes a cursor from {@link encodeEventCursor}; undefined when it is not one. */
export function decodeEventCursor(cursor: string): EventPosition | undefined {
  const match = /^ev:(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match?.[1] || !match[2]) return undefined;
  return { txid: match[1], id: Number(match[2]) };
}

/** Filters for {@link readEventsAfter}. */
export interface ReadOptions {
  /** At most this many events. Default 500. */
  limit?: number;
  /** Only these topics; a trailing `*` matches a prefix (`order.*`). */
  topics?: readonly string[];
  /** Only events whose audience includes this partner (for worker connections, which see all). */
  audience?: string;
}

interface EventRow extends Record<string, unknown> {
  id: string | number;
  txid: string;
  topic: string;
  entity_type: string;
  entity_id: string;
  audience: string[] | string;
  payload: Record<string, unknown>;
  created_at: string | Date;
}

/**
 * Reads the events after `position`, gap-free: only those whose transaction id is below the
 * current snapshot's xmin (every transaction that could still add an earlier event has ended),
 * ordered by (transaction id, id). An event whose transaction commits late is therefore read on
 * a later call, never skipped. Row-level security applies: an application connection sees only
 * events whose audience includes its partner; a worker connection sees all.
 */
export async function readEventsAfter(
  executor: Tx | Db,
  position: EventPosition,
  options: ReadOptions = {},
): Promise<LoggedEvent[]> {
  const limit = options.limit ?? 500;
  const result = await executor.execute<EventRow>(sql`
    select e.id, e.txid::text as txid, e.topic, e.entity_type, e.entity_id, e.audience::text[] as audience, e.payload, e.created_at
    from events.event_log e
    where (e.txid, e.id) > (${position.txid}::xid8, ${position.id}::bigint)
      and e.txid < pg_snapshot_xmin(pg_current_snapshot())
      ${topicCondition(options.topics)}
      ${options.audience ? sql`and ${options.audience}::uuid = any(e.audience)` : sql``}
    -- Qualified: the output column "txid" is text, and text order would put 1145 before 887.
    order by e.txid, e.id
    limit ${limit}`);
  return [...result].map(toLoggedEvent);
}

/** `and e.topic like any(…)` for topics (`order.*` matches by prefix); nothing for none. */
function topicCondition(topics: readonly string[] | undefined) {
  const patterns = (topics ?? []).map((topic) => (topic.endsWith('*') ? `${escapeLike(topic.slice(0, -1))}%` : escapeLike(topic)));
  return patterns.length
    ? sql`and e.topic like any(array[${sql.join(
        patterns.map((pattern) => sql`${pattern}`),
        sql`, `,
      )}]::text[])`
    : sql``;
}

/** Lag is counted up to this many events: beyond, "at least this many" is all an operator needs. */
const LAG_COUNT_LIMIT = 100_000;

/**
 * How far a consumer is behind the log: committed events of its topics after its cursor (counted
 * up to 100,000), and the age in seconds of the oldest of them (0 when caught up).
 */
export async function consumerLag(db: Db, consumer: string, topics?: readonly string[]): Promise<{ events: number; seconds: number }> {
  const [row] = await db.execute<{ events: number; seconds: number | null }>(sql`
    with cursor as (
      select coalesce((select txid from events.consumer_cursors where consumer = ${consumer}), '0'::xid8) as txid,
             coalesce((select event_id from events.consumer_cursors where consumer = ${consumer}), 0) as event_id
    ), behind as (
      select e.created_at from events.event_log e, cursor c
      where (e.txid, e.id) > (c.txid, c.event_id) ${topicCondition(topics)}
      order by e.txid, e.id
      limit ${LAG_COUNT_LIMIT}
    )
    select count(*)::int as events, extract(epoch from now() - min(created_at))::float8 as seconds from behind`);
  return { events: row?.events ?? 0, seconds: Math.max(0, row?.seconds ?? 0) };
}

function toLoggedEvent(row: EventRow): LoggedEvent {
  const position = { txid: row.txid, id: Number(row.id) };
  return {
    id: position.id,
    txid: position.txid,
    topic: row.topic,
    entityType: row.entity_type,
    entityId: row.entity_id,
    audience: Array.isArray(row.audience) ? row.audience : parsePgArray(row.audience),
    payload: row.payload,
    createdAt: new Date(row.created_at),
    cursor: encodeEventCursor(position),
  };
}

function parsePgArray(value: string): string[] {
  const inner = value.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',') : [];
}

/** Delays (ms) of the quick re-checks after a wake-up, before falling back to the poll interval. */
const QUICK_RECHECK_MS = [5, 10, 20, 40, 80, 160, 320];

/** Handles one batch of events inside the consumer's transaction (see {@link EventConsumer}). */
export type EventBatchHandler = (tx: Tx, events: readonly LoggedEvent[]) => Promise<void>;

/** Options for {@link EventConsumer}. */
export interface EventConsumerOptions {
  /** Durable name; the cursor is stored under it. Two processes with one name share the work. */
  name: string;
  /** A worker-role database (reads the whole log, keeps cursors). */
  db: Db;
  /** A worker-role postgres.js client for LISTEN. */
  listenClient: postgres.Sql;
  handle: EventBatchHandler;
  topics?: readonly string[];
  /** Events per transaction. Default 200. */
  batchSize?: number;
  /** Poll even without a NOTIFY this often (ms), for events that were not yet below xmin. Default 1000. */
  pollIntervalMs?: number;
  logger?: Logger;
}

/**
 * A durable, gap-free event log consumer. Each batch runs in one transaction that locks the
 * consumer's cursor row, reads the next events ({@link readEventsAfter}), runs the handler and
 * advances the cursor — so the handler's writes and the cursor commit together, and after a
 * crash or restart nothing is delivered twice and nothing is lost. Wakes on LISTEN/NOTIFY, with a
 * poll as the safety net. A failing handler is retried with back-off; the consumer never skips.
 */
export class EventConsumer {
  readonly #options: Required<Omit<EventConsumerOptions, 'topics' | 'logger'>> & Pick<EventConsumerOptions, 'topics'>;
  readonly #log: Logger;
  #running = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #stopMetrics: (() => void) | undefined;

  constructor(options: EventConsumerOptions) {
    this.#options = { batchSize: 200, pollIntervalMs: 1000, ...options };
    this.#log = (options.logger ?? createLogger('events')).child({ consumer: options.name });
  }

  /** Starts listening and consuming. Resolves once LISTEN is in place. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const { unlisten } = await this.#options.listenClient.listen(EVENTS_CHANNEL, () => this.#wake?.());
    this.#unlisten = unlisten;
    this.#loop = this.#run();
    const { db, name, topics } = this.#options;
    // Both gauges of one scrape share one query.
    let last: { at: number; lag: Promise<{ events: number; seconds: number }> } | undefined;
    const lag = () => {
      if (!last || Date.now() - last.at > 1_000) last = { at: Date.now(), lag: consumerLag(db, name, topics) };
      return last.lag;
    };
    const events = consumerLagEvents.add({ read: async () => [{ labels: { consumer: name }, value: (await lag()).events }] });
    const seconds = consumerLagSeconds.add({ read: async () => [{ labels: { consumer: name }, value: (await lag()).seconds }] });
    this.#stopMetrics = () => {
      events();
      seconds();
    };
  }

  /** Stops after the batch in progress (if any) commits. */
  async stop(): Promise<void> {
    this.#stopMetrics?.();
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#unlisten?.().catch(() => {});
  }

  /**
   * Processes at most one batch now and returns how many events it handled. Used by the loop,
   * and by tests and scripts that want to drain deterministically.
   */
  async drainOnce(): Promise<number> {
    const { db, name, batchSize, topics, handle } = this.#options;
    return db.transaction(async (tx) => {
      await tx.execute(sql`insert into events.consumer_cursors (consumer) values (${name}) on conflict do nothing`);
      const [cursor] = await tx.execute<{ txid: string; event_id: string | number }>(
        sql`select txid::text as txid, event_id from events.consumer_cursors where consumer = ${name} for update`,
      );
      const position = cursor ? { txid: cursor.txid, id: Number(cursor.event_id) } : LOG_START;
      const events = await readEventsAfter(tx, position, { limit: batchSize, ...(topics ? { topics } : {}) });
      if (events.length === 0) return 0;
      await handle(tx, events);
      const last = events[events.length - 1]!;
      await tx.execute(sql`update events.consumer_cursors
        set txid = ${last.txid}::xid8, event_id = ${last.id}, updated_at = now() where consumer = ${name}`);
      return events.length;
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    let quick = QUICK_RECHECK_MS.length;
    while (this.#running) {
      let handled = 0;
      try {
        handled = await this.drainOnce();
        failures = 0;
      } catch (error) {
        failures += 1;
        // Once stopping, a batch cut off by the database going away is expected: it is retried from
        // the same cursor at the next start.
        if (!this.#running) break;
        this.#log.error({ err: error, failures }, 'event batch failed; will retry from the same cursor');
      }
      if (!this.#running) break;
      if (handled === this.#options.batchSize) continue;
      if (handled > 0) quick = 0;
      const delay =
        failures > 0
          ? Math.min(30_000, 100 * 2 ** failures)
          : (QUICK_RECHECK_MS[quick++] ?? this.#options.pollIntervalMs);
      // A NOTIFY arrives at commit, possibly while an older transaction still holds xmin back:
      // after one, re-check a few times quickly instead of waiting a whole poll interval.
      if (await this.#sleep(delay)) quick = 0;
    }
  }

  #sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(true);
      };
    });
  }
}
