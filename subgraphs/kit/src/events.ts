import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { consumerLagEvents, consumerLagSeconds, parkedEventsGauge } from './metrics';
import { sql, type SQL } from 'drizzle-orm';
import type postgres from 'postgres';
import { escapeLike, type Db, type Tx } from './db';
import type { Connection, PageArgs } from './connection';
import { keysetPage } from './pagination';
import { createLogger, type Logger } from './logger';
import { Alarm, WakeUps } from './wakeups';
import { EVENTS, EventPayloadError, type EntityTypeOf, type PayloadOf, type Topic } from './event-catalogue';

/** The NOTIFY channel that wakes event readers. Its payload means nothing: readers re-query. */
export const EVENTS_CHANNEL = 'redthread_events';

/**
 * The NOTIFY channel on which the instances of a consumer announce that they joined, left or gave
 * up partitions (payload: the consumer's name), so that the others rebalance at once instead of at
 * their next heartbeat.
 */
export const CONSUMERS_CHANNEL = 'redthread_consumers';

/**
 * What a service appends: the change it just made, and who may see it. Typed by the event
 * catalogue: the topic is one of {@link EVENTS}, the entity type and payload are that topic's.
 */
export interface NewEvent<T extends Topic = Topic> {
  /** Dotted name, `<aggregate>.<change>`: `product.created`, `link.accepted`, `order.approved`. */
  topic: T;
  entityType: EntityTypeOf<T>;
  entityId: string;
  /** Partner ids allowed to see the event (subscriptions filter on it). Never empty. */
  audience: readonly string[];
  payload: PayloadOf<T>;
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
 * trigger sends the NOTIFY that wakes readers at commit. Generic over the topic, so that a payload
 * that does not match the topic's schema in the event catalogue fails the type check (payloads are
 * validated again here, and when consumers read them, see `eventHandlers`).
 */
export async function appendEvent<T extends Topic>(tx: Tx, event: NewEvent<T>): Promise<void> {
  checkPayload(event.topic, event.payload);
  await appendUncataloguedEvent(tx, event);
}

/** One new event of any topic of the catalogue, its entity type and payload those of its topic. */
export type AnyNewEvent = { [T in Topic]: NewEvent<T> }[Topic];

/**
 * {@link appendEvent} for many events in one statement, in the order given (their ids ascend in
 * it). Every payload is validated first: one that does not match fails the call before anything
 * is written. Nothing to append costs nothing.
 */
export async function appendEvents<T extends Topic>(tx: Tx, events: readonly NewEvent<T>[]): Promise<void> {
  if (events.length === 0) return;
  for (const event of events) checkPayload(event.topic, event.payload);
  await tx.execute(sql`
    insert into events.event_log (topic, entity_type, entity_id, audience, payload)
    values ${sql.join(events.map(eventRow), sql`, `)}`);
}

/**
 * {@link appendEvent} without the catalogue's types: any topic, entity type and payload. For tests
 * and tools that write events no consumer of the catalogue reads; services use {@link appendEvent}.
 */
export async function appendUncataloguedEvent(tx: Tx, event: UncataloguedEvent): Promise<void> {
  await tx.execute(sql`
    insert into events.event_log (topic, entity_type, entity_id, audience, payload)
    values ${eventRow(event)}`);
}

type UncataloguedEvent = { topic: string; entityType: string; entityId: string; audience: readonly string[]; payload?: Record<string, unknown> };

/**
 * Checks a payload against its topic's schema in the catalogue, as consumers will read it back
 * from JSON: the types cover what a producer writes, the schema also what types cannot (a uuid's
 * form, a count's range). Throws {@link EventPayloadError}.
 */
function checkPayload(topic: Topic, payload: unknown): void {
  const written: unknown = JSON.parse(JSON.stringify(payload ?? {}));
  const checked = EVENTS[topic].payload.safeParse(written);
  if (!checked.success) throw new EventPayloadError(topic, null, checked.error.issues);
}

/** The `values` tuple of one event_log row. */
function eventRow(event: UncataloguedEvent): SQL {
  if (event.audience.length === 0) throw new Error(`event ${event.topic} has an empty audience`);
  const audience = sql.join(
    event.audience.map((partnerId) => sql`${partnerId}::uuid`),
    sql`, `,
  );
  return sql`(${event.topic}, ${event.entityType}, ${event.entityId}, array[${audience}], ${JSON.stringify(event.payload ?? {})}::jsonb)`;
}

/** Compares two log positions: negative when `a` comes first. */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  const ta = BigInt(a.txid);
  const tb = BigInt(b.txid);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id - b.id;
}

/**
 * The position of the newest event every reader can already see (below the log horizon, see
 * {@link readEventsAfter}): where a live reader starts so that it misses nothing that commits later.
 */
export async function currentLogPosition(executor: Tx | Db): Promise<EventPosition> {
  const rows = await executor.execute<{ txid: string; id: string | number }>(sql`
    select e.txid::text as txid, e.id from events.event_log e
    where e.txid < (select events.log_horizon())
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
  /**
   * Only the events of partition `index` of `count`: those with
   * `abs(hashtext(entity_id)) % count = index` (see {@link EventConsumer}). Exact, but the planner
   * cannot estimate the filter: far behind the log's end, it may scan and sort the whole rest of
   * the log. {@link EventConsumer} reads its partitions in bounded windows instead.
   */
  partition?: { index: number; count: number };
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
 * Reads the events after `position`, gap-free: only those whose transaction id is below the log
 * horizon, `events.log_horizon()` (every transaction of this database that could still add an
 * earlier event has ended: the current snapshot's oldest running transaction, those of other
 * databases left out; migrations/0034_log_horizon.sql; a scalar subquery, computed once per
 * statement), ordered by (transaction id, id). An event whose transaction commits late is
 * therefore read on a later call, never skipped. Row-level security applies: an application connection sees only
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
      and e.txid < (select events.log_horizon())
      ${topicCondition(options.topics)}
      ${options.audience ? sql`and ${options.audience}::uuid = any(e.audience)` : sql``}
      ${options.partition ? sql`and ${partitionOf(options.partition.count)} = ${options.partition.index}` : sql``}
    -- Qualified: the output column "txid" is text, and text order would put 1145 before 887.
    order by e.txid, e.id
    limit ${limit}`);
  return [...result].map(toLoggedEvent);
}

/**
 * The partition of event `e` among `count`: `abs(hashtext(e.entity_id)) % count`, so that one
 * aggregate's events share a partition. Via bigint: abs() of hashtext's minimum int4 would overflow.
 * `count` is inlined (a validated integer) so that plans see a constant.
 */
function partitionOf(count: number): SQL {
  if (!Number.isInteger(count) || count < 1) throw new Error(`invalid partition count ${count}`);
  return sql`(abs(hashtext(e.entity_id)::bigint) % ${sql.raw(String(count))})`;
}

/**
 * Reads like {@link readEventsAfter} (gap-free, in log order), but through the definer function
 * `events.live_events_after`, which sees the whole log whatever the role: so the live hub works on
 * an application-role connection. `audience` narrows to one partner's events; without it, every
 * event (the hub filters by audience in memory). At most 10,000 events per call.
 */
export async function readLiveEventsAfter(
  executor: Tx | Db,
  position: EventPosition,
  options: Omit<ReadOptions, 'partition'> = {},
): Promise<LoggedEvent[]> {
  const topics = options.topics?.length
    ? sql`array[${sql.join(
        options.topics.map((topic) => sql`${topic}`),
        sql`, `,
      )}]::text[]`
    : sql`null::text[]`;
  const result = await executor.execute<EventRow>(sql`
    select e.id, e.txid::text as txid, e.topic, e.entity_type, e.entity_id, e.audience::text[] as audience, e.payload, e.created_at
    from events.live_events_after(${position.txid}::xid8, ${position.id}::bigint, ${topics}, ${options.audience ?? null}::uuid, ${options.limit ?? 500}::int) e
    order by e.txid, e.id`);
  return [...result].map(toLoggedEvent);
}

/**
 * {@link currentLogPosition} through the definer function `events.live_log_position`, for
 * application-role connections (which would otherwise see only their tenant's events).
 */
export async function liveLogPosition(executor: Tx | Db): Promise<EventPosition> {
  const rows = await executor.execute<{ txid: string; id: string | number }>(sql`select txid::text as txid, id from events.live_log_position()`);
  const row = [...rows][0];
  return row ? { txid: row.txid, id: Number(row.id) } : LOG_START;
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
 * How far a consumer is behind the log: committed events of its topics after its cursors (each
 * partition's events after that partition's cursor; counted up to 100,000 in all), and the age in
 * seconds of the oldest of them (0 when caught up). Before the consumer's partitions exist, its
 * old single cursor counts (or the log start): that is where the partitions will start.
 */
export async function consumerLag(db: Db, consumer: string, topics?: readonly string[]): Promise<{ events: number; seconds: number }> {
  const [partitions] = await db.execute<{ count: number; txid: string | null; event_id: string | number | null }>(sql`
    select count(*)::int as count,
           (array_agg(txid::text order by txid, event_id))[1] as txid, (array_agg(event_id order by txid, event_id))[1] as event_id
    from events.consumer_partitions where consumer = ${consumer}`);
  if (partitions && partitions.count > 0 && partitions.txid !== null) {
    // One scan of the log from the oldest cursor (a constant, so the plan fits how far behind it
    // is), each event checked against its own partition's cursor.
    const [row] = await db.execute<{ events: number; seconds: number | null }>(sql`
      select count(*)::int as events, extract(epoch from now() - min(behind.created_at))::float8 as seconds
      from (
        select e.created_at from events.event_log e
        join events.consumer_partitions c on c.consumer = ${consumer} and c.partition = ${partitionOf(partitions.count)}
        where (e.txid, e.id) > (${partitions.txid}::xid8, ${Number(partitions.event_id)}::bigint)
          and (e.txid, e.id) > (c.txid, c.event_id) ${topicCondition(topics)}
        order by e.txid, e.id
        limit ${LAG_COUNT_LIMIT}
      ) behind`);
    return { events: row?.events ?? 0, seconds: Math.max(0, row?.seconds ?? 0) };
  }
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


/** A deadlock (40P01) or serialisation failure (40001), reported by PostgreSQL or wrapped by drizzle. */
function isTransientConflict(error: unknown): boolean {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === '40P01' || code === '40001') return true;
  }
  return false;
}

/**
 * A failure of the database or the connection rather than of the event being handled: a transient
 * conflict, a lost connection (08…, postgres.js `CONNECTION_…`), the server shutting down or out of
 * resources (57P…, 53…), an internal error (XX…), or a transaction already aborted (25P02). Such a
 * failure fails the whole batch (retried from the same cursor) and never counts against an event.
 */
function isInfrastructureFailure(error: unknown): boolean {
  if (isTransientConflict(error)) return true;
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^(08|57P|53|XX)/.test(code) || code === '25P02' || code.startsWith('CONNECTION_')) return true;
  }
  return false;
}

/** What a handler threw, as an admin reads it (see {@link ParkedEvent}). */
export interface ParkedEventError {
  /** The PostgreSQL message (with its detail) when the database refused, else the error's message. */
  message: string;
  /** The PostgreSQL SQLSTATE (`22P02`), else the error's class (`TypeError`). */
  code: string | null;
  /** The stack of what the handler threw (for a refused query: drizzle's, naming the query). */
  stack: string | null;
}

/** Longest stored message and stack: enough to read, bounded whatever a handler throws. */
const MAX_ERROR_MESSAGE = 2_000;
const MAX_ERROR_STACK = 8_000;

/**
 * Describes a handler's failure readably: drizzle wraps a refused query in "Failed query: …
 * params: …", so the PostgreSQL error it carries as its cause says what went wrong, followed by
 * the start of the query (never its parameters, which carry tenant data).
 */
function describeFailure(error: unknown): ParkedEventError {
  let database: { message: string; code: string; detail?: unknown } | undefined;
  let query: string | undefined;
  for (let cause = error; cause && !database; cause = (cause as { cause?: unknown }).cause) {
    const { code, message, query: text } = cause as { code?: unknown; message?: unknown; query?: unknown };
    if (typeof text === 'string') query ??= text;
    if (typeof code === 'string' && typeof message === 'string') database = cause as { message: string; code: string; detail?: unknown };
  }
  const thrown = error instanceof Error ? error : undefined;
  const inQuery = query ? ` in query: ${query.replace(/\s+/g, ' ').trim().slice(0, 200)}` : '';
  const message = database
    ? `${database.message}${typeof database.detail === 'string' && database.detail ? ` (${database.detail})` : ''}${inQuery}`
    : (thrown?.message ?? String(error));
  return {
    message: (message || 'the handler failed without a message').slice(0, MAX_ERROR_MESSAGE),
    code: database?.code ?? thrown?.name ?? null,
    stack: thrown?.stack?.slice(0, MAX_ERROR_STACK) ?? null,
  };
}

/** Back-off (ms) after `failures` failed attempts in a row: 200 ms doubling, at most 30 s. */
function backOffMs(failures: number): number {
  return Math.min(30_000, 100 * 2 ** failures);
}

/** Scan windows a batch may skip through (events of other partitions and topics) in one transaction. */
const MAX_SKIP_WINDOWS = 10;

/**
 * Handles events inside the consumer's transaction (see {@link EventConsumer}), `tx` being a
 * savepoint of the batch's transaction. The consumer passes the batch's events in log order,
 * several per call where it can, so that a handler may do the work of many in a few set-based
 * statements; when a call of several fails, the consumer rolls it back and passes the same events
 * one per call, so that the failure is attributed to its event. A handler must therefore not
 * depend on which events share a call: handling a list must have the effects of handling its
 * events one after another, in order.
 */
export type EventBatchHandler = (tx: Tx, events: readonly LoggedEvent[]) => Promise<void>;

/** Partitions of a consumer unless configured otherwise. */
export const DEFAULT_CONSUMER_PARTITIONS = 8;

/** Lease length (ms) of a consumer instance on its partitions unless configured otherwise. */
export const DEFAULT_CONSUMER_LEASE_MS = 5_000;

/** Attempts a consumer gives an event's handler before it parks the event, unless configured otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Delay (ms) before the second attempt at a failing event (doubling after each failure) unless configured otherwise. */
export const DEFAULT_RETRY_DELAY_MS = 200;

/** Longest delay (ms) between two attempts at a failing event unless configured otherwise. */
export const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;

/** Options for {@link EventConsumer}. */
export interface EventConsumerOptions {
  /** Durable name; the cursors are stored under it. Processes with one name share the work. */
  name: string;
  /** A worker-role database (reads the whole log, keeps cursors and leases). */
  db: Db;
  /** A worker-role postgres.js client for LISTEN. */
  listenClient: postgres.Sql;
  handle: EventBatchHandler;
  topics?: readonly string[];
  /** Events per transaction (of all the partitions a batch takes). Default 200. */
  batchSize?: number;
  /** Poll even without a NOTIFY this often (ms), for events that were not yet below the log horizon. Default 1000. */
  pollIntervalMs?: number;
  /**
   * Partitions of the consumer's work. Default 8. A constant of the consumer: every instance must
   * use the same, and it cannot change once the partitions exist (the consumer refuses to run, as
   * events would move between partitions and so be skipped or delivered twice).
   */
  partitions?: number;
  /**
   * How long (ms) an instance holds its partitions without renewing: a crashed instance's
   * partitions pass to the others about this long after its last heartbeat. Heartbeats run every
   * fifth of it, at most every second. Default 5000.
   */
  leaseMs?: number;
  /**
   * Attempts at an event whose handler fails before it is parked (see {@link EventConsumer}).
   * Default 5. Failures of the database or the connection do not count: they fail the batch,
   * which is retried as it is.
   */
  maxAttempts?: number;
  /**
   * Delay (ms) before the second attempt at a failing event; it doubles after each failed attempt,
   * up to `maxRetryDelayMs`. Meanwhile the event's partition waits (its other aggregates too, for
   * that long only); the other partitions go on. Default 200 (so 200, 400, 800, 1600 ms: the
   * fifth attempt about 3 s after the first).
   */
  retryDelayMs?: number;
  /** Longest delay (ms) between two attempts at a failing event. Default 10,000. */
  maxRetryDelayMs?: number;
  /**
   * Batches that run at the same time in this instance, over disjoint sets of the partitions it
   * holds, each on its own connection of `db`'s pool. Default 2: while one batch waits on the
   * database, another works. Events of one aggregate stay in one partition, so their order holds.
   */
  concurrency?: number;
  logger?: Logger;
}

/** Batches an instance runs at the same time unless configured otherwise (see `concurrency`). */
export const DEFAULT_CONSUMER_CONCURRENCY = 2;

/** An event a consumer parked, as {@link listParkedEvents} reads it. */
export interface ParkedEvent {
  consumer: string;
  eventId: number;
  topic: string;
  entityType: string;
  entityId: string;
  /** The consumer's partition it belongs to. */
  partition: number;
  /** Failed handler attempts (0 for an event that only waits behind another). */
  attempts: number;
  /** What the handler threw on its last attempt; null for an event that waits behind another. */
  error: ParkedEventError | null;
  parkedAt: Date;
  /** The parked event of the same aggregate this one waits behind; null: it heads its aggregate's queue. */
  behind: number | null;
  /** How many parked events wait behind this one (0 for one that waits itself). */
  waiting: number;
}

interface ParkedEventRow extends Record<string, unknown> {
  consumer: string;
  event_id: string | number;
  topic: string;
  entity_type: string;
  entity_id: string;
  partition: number;
  attempts: number;
  error_message: string | null;
  error_code: string | null;
  error_stack: string | null;
  parked_at: string | Date;
  behind: string | number | null;
  waiting: number;
}

/**
 * The parked events, of one consumer or of all, in log order per consumer (at most `limit`,
 * default 1000). On a worker-role connection: nobody else sees them.
 */
export async function listParkedEvents(executor: Tx | Db, options: { consumer?: string; limit?: number } = {}): Promise<ParkedEvent[]> {
  const rows = await executor.execute<ParkedEventRow>(sql`
    select p.consumer, p.event_id, e.topic, p.entity_type, p.entity_id, p.partition, p.attempts,
           p.error_message, p.error_code, p.error_stack, p.parked_at, p.behind,
           (select count(*)::int from events.parked_events w where w.consumer = p.consumer and w.behind = p.event_id) as waiting
    from events.parked_events p join events.event_log e on e.id = p.event_id
    ${options.consumer === undefined ? sql`` : sql`where p.consumer = ${options.consumer}`}
    order by p.consumer, e.txid, e.id
    limit ${options.limit ?? 1000}`);
  return [...rows].map((row) => ({
    consumer: row.consumer,
    eventId: Number(row.event_id),
    topic: row.topic,
    entityType: row.entity_type,
    entityId: row.entity_id,
    partition: row.partition,
    attempts: row.attempts,
    error: row.error_message === null ? null : { message: row.error_message, code: row.error_code, stack: row.error_stack },
    parkedAt: new Date(row.parked_at),
    behind: row.behind === null ? null : Number(row.behind),
    waiting: row.waiting,
  }));
}

/** A parked event as a partner's admin sees it: one addressed to their partner, without the stack. */
export interface PartnerParkedEvent {
  consumer: string;
  eventId: bigint;
  topic: string;
  entityType: string;
  entityId: string;
  attempts: number;
  error: { message: string; code: string | null } | null;
  parkedAt: Date;
  behindEventId: bigint | null;
  waiting: number;
}

/**
 * The parked events addressed to the partner the transaction acts for (`events.parked_events_of_partner`,
 * a definer function: the consumers' tables stay the worker's), by consumer and log order, paged.
 */
export async function parkedEventsOfPartner(tx: Tx, args: PageArgs): Promise<Connection<PartnerParkedEvent>> {
  const page = keysetPage('parkedEvents', args, [
    { column: sql.raw('p.consumer'), type: 'text' },
    { column: sql.raw('p.event_id'), type: 'bigint' },
  ]);
  const rows = await tx.execute<{
    consumer: string;
    event_id: string;
    topic: string;
    entity_type: string;
    entity_id: string;
    attempts: number;
    error_message: string | null;
    error_code: string | null;
    parked_at: string | Date;
    behind: string | null;
    waiting: number;
    pageKey: string;
  }>(sql`
    select p.consumer, p.event_id::text as event_id, p.topic, p.entity_type, p.entity_id, p.attempts,
           p.error_message, p.error_code, p.parked_at, p.behind::text as behind, p.waiting, ${page.key} as "pageKey"
    from events.parked_events_of_partner() p
    ${page.after ? sql`where ${page.after}` : sql``}
    order by ${sql.join(page.orderBy, sql`, `)}
    limit ${page.limit}`);
  return page.connection([...rows], (row) => ({
    consumer: row.consumer,
    eventId: BigInt(row.event_id),
    topic: row.topic,
    entityType: row.entity_type,
    entityId: row.entity_id,
    attempts: row.attempts,
    error: row.error_message === null ? null : { message: row.error_message, code: row.error_code },
    parkedAt: new Date(row.parked_at),
    behindEventId: row.behind === null ? null : BigInt(row.behind),
    waiting: row.waiting,
  }));
}

/** How many events `consumer` has parked (heads and those waiting behind them). */
export async function countParkedEvents(executor: Tx | Db, consumer: string): Promise<number> {
  const [row] = await executor.execute<{ count: number }>(sql`select count(*)::int as count from events.parked_events where consumer = ${consumer}`);
  return row?.count ?? 0;
}

/** Who retries or discards a parked event, and why: both go into the audit trail (events.parked_event_actions). */
export interface ParkedEventActionInput {
  /** The admin acting (a name or login). Required. */
  actor: string;
  /** Why. Required. */
  reason: string;
}

/** An admin action on a parked event. */
export type ParkedEventAction = 'retry' | 'discard';

/** The action went through: the event (retry) and those that waited behind it were handled in order. */
export interface ParkedEventsReleased {
  outcome: 'released';
  action: ParkedEventAction;
  consumer: string;
  eventId: number;
  /** The events handled, in order (for a discard, without the discarded one). */
  handled: number[];
}

/**
 * The action ran, but an event failed again (the retried one, or one that waited behind): it heads
 * its aggregate's queue now, with the new error, and the events after it wait behind it. Those
 * handled before it stay handled.
 */
export interface ParkedEventFailedAgain {
  outcome: 'failed_again';
  action: ParkedEventAction;
  consumer: string;
  eventId: number;
  handled: number[];
  failedEventId: number;
  error: ParkedEventError;
  /** Events still waiting behind the failed one. */
  waiting: number;
}

/** An action refused: nothing changed and no audit entry was written. */
export interface ParkedEventActionRefused {
  /** NOT_PARKED: the consumer has not parked this event. WAITING_BEHIND: act on the head of its queue. INVALID_ACTION: no actor or no reason. */
  errorCode: 'NOT_PARKED' | 'WAITING_BEHIND' | 'INVALID_ACTION';
  message: string;
}

/** What {@link EventConsumer.retryParked} and {@link EventConsumer.discardParked} answer. */
export type ParkedEventActionResult = ParkedEventsReleased | ParkedEventFailedAgain | ParkedEventActionRefused;

/** The aggregate of an event: its entity type and id. */
function aggregateOf(event: Pick<LoggedEvent, 'entityType' | 'entityId'>): string {
  return `${event.entityType}\u0000${event.entityId}`;
}

/** What {@link EventConsumer} read of the log for a batch. */
interface WindowRead {
  /** The locked partitions' events to deliver, in log order. */
  events: LoggedEvent[];
  /** The partition of each of those events, by event id. */
  partitionOf: Map<number, number>;
  /** The last event the scan passed (any partition and topic), if it passed any. */
  scannedTo: EventPosition | undefined;
  /** The scan stopped at its window's size: there may be more right after. */
  windowFull: boolean;
}

/** A failed attempt at an event of a batch: the events before it committed, the cursor stops right before it. */
interface EventFailure {
  event: LoggedEvent;
  /** The failing event's partition. */
  partition: number;
  error: unknown;
  attempts: number;
  /** When (Date.now()) the next attempt is due. */
  retryAt: number;
}

/**
 * A durable, gap-free event log consumer that scales out over processes.
 *
 * Its work is split into partitions (default 8): an event belongs to partition
 * `abs(hashtext(entity_id)) % partitions`, so the events of one aggregate are handled in log
 * order, those of different aggregates possibly in parallel. Each partition has its own cursor row
 * (`events.consumer_partitions`). A batch runs in one transaction that locks the partition's
 * cursor row, reads its next events (gap-free like {@link readEventsAfter}: below the log
 * horizon, in (txid, id) order), runs the handler and advances the cursor — so the handler's writes
 * and the cursor commit together, and after a crash or restart nothing is delivered twice and
 * nothing is lost. The cursor also moves past the events of other partitions and topics it read
 * through, so that they are not scanned again.
 *
 * The instances of one consumer (same name, any process) share the partitions through leases
 * (`events.consumer_leases`, apart from the cursors so that leasing never waits on a batch): every
 * heartbeat (a fifth of `leaseMs`, at most 1 s) an instance renews its membership
 * (`events.consumer_members`) and its leases, gives up the partitions above its fair share
 * (ceil(partitions / live instances)) and claims free or expired ones up to it. Leases decide who
 * works a partition; the cursor row lock alone guarantees exactly-once, even while two instances
 * briefly both believe they hold one. {@link stop} releases the leases (the others take over at
 * once); a crashed instance's partitions pass on when its leases expire.
 *
 * Wakes on LISTEN/NOTIFY, with a poll as the safety net; an idle wake-up costs one statement for
 * all the partitions the instance holds, and the heartbeat two statements. Within one instance the
 * partitions it holds with new events are drained together: one batch (one transaction) takes the
 * events of several partitions, each after its own cursor, in log order; `concurrency` such
 * batches (default 2, over disjoint partitions) run at once.
 *
 * Poison events are parked, not retried forever. The handler gets a batch's events together
 * (see {@link EventBatchHandler}) under a savepoint; when that fails they run again one per call,
 * so that a failing event rolls back only its own writes: the events before it commit with the
 * cursor, which stops right before it.
 * The event is attempted again after a back-off (`retryDelayMs`, doubling, at most
 * `maxRetryDelayMs`; meanwhile its partition waits, the others go on); after `maxAttempts` failed
 * attempts (default 5) it is parked in `events.parked_events` with its error, logged at error
 * level and counted in `redthread_parked_events`, and the cursor passes it. The later events of its
 * aggregate (entity type + id) are parked behind it, unhandled, so that the aggregate's order
 * holds; every other aggregate's events flow. An admin then retries the parked event (it and those
 * behind it run in the handler, in order) or discards it (those behind it run): see
 * {@link retryParked}, {@link discardParked} and `redthread events`. Attempts are counted in the
 * instance's memory: an event whose partition moves to another instance starts its count afresh
 * there. A failure of the database or the connection is not the event's: the whole batch is
 * retried with back-off from the same cursor, per partition, and counts against no event.
 *
 * Handlers of different partitions may run at the same time (in different processes), and events
 * of different aggregates are no longer handled in global log order.
 */
export class EventConsumer {
  readonly #options: Required<Omit<EventConsumerOptions, 'topics' | 'logger'>> & Pick<EventConsumerOptions, 'topics'>;
  readonly #log: Logger;
  /** This instance among the consumer's: host, process and a random part (several per process are fine). */
  readonly #member = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #heartbeatMs: number;
  /** Events (of all partitions and topics) a batch scans at most per read: see {@link #readWindow}. */
  readonly #scanWindow: number;
  readonly #held = new Set<number>();
  /** Per partition whose last batch failed: how often in a row, and when to try again (Date.now()). */
  readonly #failing = new Map<number, { failures: number; retryAt: number }>();
  /** Per partition stopped at a failing event: which, its failed attempts so far, and when to try again. */
  readonly #retrying = new Map<number, { eventId: number; attempts: number; retryAt: number }>();
  /** Local time until which the leases renewed last are certainly still ours. */
  #leasesValidUntil = 0;
  #partitionsReady: Promise<void> | undefined;
  #running = false;
  #started = false;
  readonly #work: WakeUps;
  readonly #beat = new Alarm();
  #loops: Promise<unknown> | undefined;
  #listening: (() => Promise<void>)[] = [];
  #stopMetrics: (() => void) | undefined;

  constructor(options: EventConsumerOptions) {
    this.#options = {
      batchSize: 200,
      pollIntervalMs: 1000,
      partitions: DEFAULT_CONSUMER_PARTITIONS,
      leaseMs: DEFAULT_CONSUMER_LEASE_MS,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
      retryDelayMs: DEFAULT_RETRY_DELAY_MS,
      maxRetryDelayMs: DEFAULT_MAX_RETRY_DELAY_MS,
      concurrency: DEFAULT_CONSUMER_CONCURRENCY,
      ...options,
    };
    this.#work = new WakeUps(this.#options.pollIntervalMs);
    const { partitions, leaseMs, maxAttempts, retryDelayMs, maxRetryDelayMs } = this.#options;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) throw new Error(`consumer ${options.name}: partitions must be an integer from 1 to 1024`);
    if (!(leaseMs >= 100)) throw new Error(`consumer ${options.name}: leaseMs must be at least 100`);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new Error(`consumer ${options.name}: maxAttempts must be a positive integer`);
    if (!(retryDelayMs >= 0) || !(maxRetryDelayMs >= retryDelayMs)) throw new Error(`consumer ${options.name}: retryDelayMs must be at least 0 and at most maxRetryDelayMs`);
    if (!Number.isInteger(this.#options.concurrency) || this.#options.concurrency < 1) throw new Error(`consumer ${options.name}: concurrency must be a positive integer`);
    this.#heartbeatMs = Math.min(1000, Math.floor(leaseMs / 5));
    // About one batch of this partition's events when the consumer wants every topic.
    this.#scanWindow = Math.max(500, Math.min(10_000, this.#options.batchSize * partitions));
    this.#log = (options.logger ?? createLogger('events')).child({ consumer: options.name, member: this.#member });
  }

  /** This instance's member id among the consumer's instances (`host:pid:random`). */
  get member(): string {
    return this.#member;
  }

  /** The partitions this instance holds a lease on now, ascending (for tests and metrics). */
  get heldPartitions(): readonly number[] {
    return [...this.#held].sort((a, b) => a - b);
  }

  /**
   * Starts listening, leasing and consuming. Resolves once LISTEN is in place and the first lease
   * round has run (a failed round is logged and retried at the next heartbeat).
   */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#started = true;
    const { listenClient, name, db, topics } = this.#options;
    try {
      const events = await listenClient.listen(EVENTS_CHANNEL, () => this.#work.ring());
      this.#listening.push(events.unlisten);
      const members = await listenClient.listen(CONSUMERS_CHANNEL, (payload) => payload === name && this.#beat.ring());
      this.#listening.push(members.unlisten);
    } catch (error) {
      this.#running = false;
      this.#started = false;
      await this.#unlisten();
      throw error;
    }
    let firstRound!: () => void;
    const leased = new Promise<void>((resolve) => (firstRound = resolve));
    this.#loops = Promise.all([this.#keepLeases(firstRound), this.#consume()]);
    await leased;
    // Both gauges of one scrape share one query.
    let last: { at: number; lag: Promise<{ events: number; seconds: number }> } | undefined;
    const lag = () => {
      if (!last || Date.now() - last.at > 1_000) last = { at: Date.now(), lag: consumerLag(db, name, topics) };
      return last.lag;
    };
    const lagEvents = consumerLagEvents.add({ read: async () => [{ labels: { consumer: name }, value: (await lag()).events }] });
    const lagSeconds = consumerLagSeconds.add({ read: async () => [{ labels: { consumer: name }, value: (await lag()).seconds }] });
    let parkedCount: { at: number; count: Promise<number> } | undefined;
    const parked = parkedEventsGauge.add({
      read: async () => {
        if (!parkedCount || Date.now() - parkedCount.at > 1_000) parkedCount = { at: Date.now(), count: countParkedEvents(db, name) };
        return [{ labels: { consumer: name }, value: await parkedCount.count }];
      },
    });
    this.#stopMetrics = () => {
      lagEvents();
      lagSeconds();
      parked();
    };
  }

  /**
   * Stops after the batch in progress (if any) commits, then releases this instance's leases and
   * membership so that the other instances take its partitions over at once.
   */
  async stop(): Promise<void> {
    this.#halt();
    await this.#loops;
    if (this.#started) {
      this.#started = false;
      const { db, name } = this.#options;
      try {
        await db.execute(sql`
          with released as (
            update events.consumer_leases set owner = null, lease_until = null where consumer = ${name} and owner = ${this.#member}
          ), departed as (
            delete from events.consumer_members where consumer = ${name} and member = ${this.#member}
          )
          select pg_notify(${CONSUMERS_CHANNEL}, ${name})`);
      } catch (error) {
        // The leases expire by themselves.
        this.#log.warn({ err: error }, 'could not release the leases; they expire by themselves');
      }
      this.#held.clear();
    }
    await this.#unlisten();
  }

  /**
   * For crash tests: stops at once as a killed process would — the batch in progress is not
   * awaited, and the leases and membership are kept until they expire, so the other instances
   * take the partitions over only then.
   */
  async abandon(): Promise<void> {
    this.#halt();
    this.#started = false;
    this.#held.clear();
    await this.#unlisten();
  }

  /**
   * Processes at most one batch of every partition that has new events, ignoring leases (the
   * cursor row lock keeps this exactly-once alongside running instances), and returns how many
   * events it passed in all (handled or parked). For tests and scripts that drain
   * deterministically without {@link start}. If a partition's batch fails, the other partitions'
   * batches still commit and the first failure is thrown. An event whose handler fails ends its
   * partition's batch (the events before it commit) and counts one attempt: the next call attempts
   * it again at once (no back-off), and the call that makes its last attempt parks it and goes on.
   */
  async drainOnce(): Promise<number> {
    await this.#ensurePartitions();
    const all = Array.from({ length: this.#options.partitions }, (_, partition) => partition);
    let handled = 0;
    let failure: { error: unknown } | undefined;
    for (const partition of await this.#partitionsDue(all)) {
      try {
        // A batch may only skip events of other partitions and topics: go on until one handles
        // something or the partition is caught up, so that 0 means "nothing left".
        for (;;) {
          const batch = await this.#runBatch([partition], 'wait');
          handled += batch.handled;
          if (batch.failure) {
            failure ??= { error: batch.failure.error };
            break;
          }
          if (batch.handled > 0 || !batch.more) break;
        }
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
    return handled;
  }

  /**
   * Retries a parked event that heads its aggregate's queue, as an admin decided (`actor`,
   * `reason`): runs it in the handler, then the events that waited behind it, in log order, each
   * under its own savepoint, in one transaction that holds the partition's cursor row (so no batch
   * of the partition runs meanwhile). Each event handled leaves the parked table. If one fails
   * again it heads the queue from then on, with the new error, and the rest wait behind it. Writes
   * one audit entry either way; a refusal (not parked, waiting behind another, no actor or reason)
   * changes nothing.
   */
  retryParked(eventId: number, input: ParkedEventActionInput): Promise<ParkedEventActionResult> {
    return this.#actOnParked('retry', eventId, input);
  }

  /**
   * Discards a parked event that heads its aggregate's queue: it is never handled, and the events
   * that waited behind it run in the handler, in order, as {@link retryParked} runs them. Writes
   * one audit entry; a refusal changes nothing.
   */
  discardParked(eventId: number, input: ParkedEventActionInput): Promise<ParkedEventActionResult> {
    return this.#actOnParked('discard', eventId, input);
  }

  async #actOnParked(action: ParkedEventAction, eventId: number, input: ParkedEventActionInput): Promise<ParkedEventActionResult> {
    const actor = input.actor.trim();
    const reason = input.reason.trim();
    if (!actor || !reason) {
      return { errorCode: 'INVALID_ACTION', message: `Say who ${action === 'retry' ? 'retries' : 'discards'} the event and why: both go into the audit trail.` };
    }
    const { db, name, handle } = this.#options;
    const notParked: ParkedEventActionRefused = { errorCode: 'NOT_PARKED', message: `Consumer ${name} has not parked event ${eventId}.` };
    if (!Number.isSafeInteger(eventId) || eventId < 1) return notParked;
    return db.transaction(async (tx): Promise<ParkedEventActionResult> => {
      const [found] = await tx.execute<{ partition: number }>(sql`
        select partition from events.parked_events where consumer = ${name} and event_id = ${eventId}`);
      if (!found) return notParked;
      // The partition's cursor row lock: no batch of the partition parks behind this queue meanwhile.
      await tx.execute(sql`select 1 from events.consumer_partitions where consumer = ${name} and partition = ${found.partition} for update`);
      const [head] = await tx.execute<{ behind: string | number | null }>(sql`
        select behind from events.parked_events where consumer = ${name} and event_id = ${eventId} for update`);
      if (!head) return notParked;
      if (head.behind !== null) {
        return {
          errorCode: 'WAITING_BEHIND',
          message: `Event ${eventId} waits behind parked event ${Number(head.behind)} of the same aggregate: retry or discard that one first.`,
        };
      }
      const rows = await tx.execute<EventRow>(sql`
        select e.id, e.txid::text as txid, e.topic, e.entity_type, e.entity_id, e.audience::text[] as audience, e.payload, e.created_at
        from events.parked_events p join events.event_log e on e.id = p.event_id
        where p.consumer = ${name} and (p.event_id = ${eventId} or p.behind = ${eventId})
        order by e.txid, e.id`);
      let queue = [...rows].map(toLoggedEvent);
      if (action === 'discard') {
        await tx.execute(sql`delete from events.parked_events where consumer = ${name} and event_id = ${eventId}`);
        queue = queue.filter((event) => event.id !== eventId);
      }
      const handled: number[] = [];
      let failed: { event: LoggedEvent; error: ParkedEventError; waiting: number } | undefined;
      for (const [index, event] of queue.entries()) {
        try {
          await tx.transaction((savepoint) => handle(savepoint, [event]));
        } catch (error) {
          if (isInfrastructureFailure(error)) throw error;
          const described = describeFailure(error);
          const rest = queue.slice(index + 1).map((later) => later.id);
          // It heads the aggregate's queue from now on (the old head was handled or discarded), the rest wait behind it.
          if (rest.length > 0) {
            await tx.execute(sql`update events.parked_events set behind = ${event.id}
              where consumer = ${name} and event_id in (${sql.join(
                rest.map((id) => sql`${id}::bigint`),
                sql`, `,
              )})`);
          }
          await tx.execute(sql`update events.parked_events
            set behind = null, attempts = attempts + 1, error_message = ${described.message}, error_code = ${described.code}, error_stack = ${described.stack}
            where consumer = ${name} and event_id = ${event.id}`);
          failed = { event, error: described, waiting: rest.length };
          break;
        }
        await tx.execute(sql`delete from events.parked_events where consumer = ${name} and event_id = ${event.id}`);
        handled.push(event.id);
      }
      const handledIds = handled.length
        ? sql`array[${sql.join(
            handled.map((id) => sql`${id}::bigint`),
            sql`, `,
          )}]`
        : sql`'{}'::bigint[]`;
      await tx.execute(sql`
        insert into events.parked_event_actions (consumer, event_id, action, actor, reason, outcome, handled_event_ids, error_message)
        values (${name}, ${eventId}, ${action}, ${actor}, ${reason}, ${failed ? 'failed_again' : 'released'}, ${handledIds}, ${failed?.error.message ?? null})`);
      const log = { eventId, action, actor, reason, handled };
      if (failed) {
        this.#log.warn({ ...log, failedEventId: failed.event.id, error: failed.error.message, waiting: failed.waiting }, `parked event ${action} ran, but an event failed again and stays parked`);
        return { outcome: 'failed_again', action, consumer: name, eventId, handled, failedEventId: failed.event.id, error: failed.error, waiting: failed.waiting };
      }
      this.#log.info(log, `parked event ${action === 'retry' ? 'retried' : 'discarded'}; its queue is released`);
      return { outcome: 'released', action, consumer: name, eventId, handled };
    });
  }

  #halt(): void {
    this.#stopMetrics?.();
    this.#stopMetrics = undefined;
    this.#running = false;
    this.#work.ring();
    this.#beat.ring();
  }

  async #unlisten(): Promise<void> {
    const listening = this.#listening;
    this.#listening = [];
    await Promise.all(listening.map((unlisten) => unlisten().catch(() => {})));
  }

  /**
   * Creates the consumer's partitions and their lease rows on first use. New partitions start at
   * the consumer's old single cursor (`events.consumer_cursors`, from before partitioning) if it
   * has one, else at the log start. Refuses a partition count other than the existing one.
   */
  #ensurePartitions(): Promise<void> {
    this.#partitionsReady ??= this.#createPartitions().catch((error: unknown) => {
      this.#partitionsReady = undefined;
      throw error;
    });
    return this.#partitionsReady;
  }

  async #createPartitions(): Promise<void> {
    const { db, name, partitions } = this.#options;
    await db.transaction(async (tx) => {
      // Instances starting together create the rows once, and all see the same count.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`redthread.consumer:${name}`}))`);
      const [existing] = await tx.execute<{ count: number }>(sql`select count(*)::int as count from events.consumer_partitions where consumer = ${name}`);
      const count = existing?.count ?? 0;
      if (count > 0 && count !== partitions) {
        throw new Error(`consumer ${name} has ${count} partitions, not the configured ${partitions}; a consumer's partition count cannot change`);
      }
      if (count === 0) {
        await tx.execute(sql`
          insert into events.consumer_partitions (consumer, partition, txid, event_id)
          select ${name}, p, coalesce(old.txid, '0'::xid8), coalesce(old.event_id, 0)
          from generate_series(0, ${partitions - 1}::int) p
          left join events.consumer_cursors old on old.consumer = ${name}`);
      }
      await tx.execute(sql`
        insert into events.consumer_leases (consumer, partition)
        select ${name}, p from generate_series(0, ${partitions - 1}::int) p
        on conflict do nothing`);
    });
  }

  /**
   * Of `partitions`, those a batch should run for now: with an event of theirs (and the topics)
   * readable in the scan window after their cursor, or with a full window of other events to
   * skip. One statement: a short index scan from each partition's cursor.
   */
  async #partitionsDue(partitions: readonly number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const { db, name, topics } = this.#options;
    const rows = await db.execute<{ partition: number }>(sql`
      select p.partition from events.consumer_partitions p
      cross join lateral (
        select count(*) filter (where w.wanted) > 0 or count(*) = ${this.#scanWindow} as due
        from (
          select (${partitionOf(this.#options.partitions)} = p.partition ${topicCondition(topics)}) as wanted
          from events.event_log e
          where (e.txid, e.id) > (p.txid, p.event_id) and e.txid < (select events.log_horizon())
          order by e.txid, e.id
          limit ${this.#scanWindow}) w
      ) scan
      where p.consumer = ${name} and p.partition in (${sql.join(
        partitions.map((partition) => sql`${partition}::int`),
        sql`, `,
      )}) and scan.due
      order by p.partition`);
    return [...rows].map((row) => row.partition);
  }

  /**
   * Runs one batch of `partitions` (one or several): locks their cursor rows, reads their next
   * events, runs the handler and advances the cursors, in one transaction — so a batch costs the
   * same statements for eight partitions as for one. The events come in log order, each
   * partition's after its own cursor. Every cursor moves to where the batch ended (the last event
   * passed, or the end of what it scanned; never backwards): nothing of the locked partitions lies
   * between a cursor and that point undelivered. `wait`: wait for a batch in progress elsewhere to
   * commit; `skip-locked`: leave out the partitions another batch holds (the loop moves on rather
   * than queue behind another instance, or a vanished one's connection). `more`: the partitions
   * may have more right away.
   */
  async #runBatch(partitions: readonly number[], locked: 'wait' | 'skip-locked'): Promise<{ handled: number; more: boolean; failure?: EventFailure }> {
    const { db, name, batchSize } = this.#options;
    const batch = await db.transaction(async (tx): Promise<{ handled: number; more: boolean; failure?: EventFailure; cursors: Map<number, EventPosition>; passed: readonly LoggedEvent[] }> => {
      const cursorRows = await tx.execute<{ partition: number; txid: string; event_id: string | number }>(sql`
        select partition, txid::text as txid, event_id from events.consumer_partitions
        where consumer = ${name} and partition in (${sql.join(
          partitions.map((partition) => sql`${partition}::int`),
          sql`, `,
        )})
        order by partition
        for update ${locked === 'skip-locked' ? sql`skip locked` : sql``}`);
      const cursors = new Map([...cursorRows].map((row) => [row.partition, { txid: row.txid, id: Number(row.event_id) }]));
      if (cursors.size === 0) return { handled: 0, more: false, cursors, passed: [] };
      let position: EventPosition = [...cursors.values()].reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
      let read: WindowRead = { events: [], partitionOf: new Map(), scannedTo: undefined, windowFull: false };
      let more = false;
      // Skipping other partitions' events is bounded per transaction: the cursor row lock gave this
      // transaction an id, which holds every gap-free reader's horizon back while it lasts.
      for (let windows = 1; ; windows += 1) {
        read = await this.#readWindow(tx, cursors, position);
        if (read.events.length === batchSize) {
          position = read.events[read.events.length - 1]!;
          more = true;
          break;
        }
        if (read.scannedTo) position = read.scannedTo;
        more = read.windowFull;
        if (read.events.length > 0 || !more || windows === MAX_SKIP_WINDOWS) break;
      }
      const { events } = read;
      let handled = 0;
      let failure: EventFailure | undefined;
      if (events.length > 0) {
        ({ passed: handled, failure } = await this.#deliver(tx, events, read.partitionOf));
        if (failure) {
          // The cursors stop right before the failing event (every event before it passed): the
          // next batch starts with it.
          position = { txid: failure.event.txid, id: failure.event.id - 1 };
          more = false;
        }
      }
      const moved = [...cursors].filter(([, start]) => comparePositions(position, start) > 0).map(([partition]) => partition);
      if (moved.length > 0) {
        await tx.execute(sql`update events.consumer_partitions
          set txid = ${position.txid}::xid8, event_id = ${position.id}, updated_at = now()
          where consumer = ${name} and partition in (${sql.join(
            moved.map((partition) => sql`${partition}::int`),
            sql`, `,
          )})`);
      }
      const passed = events.slice(0, handled);
      return failure ? { handled, more, failure, cursors, passed } : { handled, more, cursors, passed };
    });
    // Committed: remember the failing event's attempts, and forget those of the events that passed
    // (handled or parked).
    const passedIds = new Set(batch.passed.map((event) => event.id));
    for (const partition of batch.cursors.keys()) {
      const retrying = this.#retrying.get(partition);
      if (retrying && passedIds.has(retrying.eventId)) this.#retrying.delete(partition);
    }
    if (batch.failure) {
      const { partition, event, attempts, retryAt } = batch.failure;
      this.#retrying.set(partition, { eventId: event.id, attempts, retryAt });
    }
    return batch.failure ? { handled: batch.handled, more: batch.more, failure: batch.failure } : { handled: batch.handled, more: batch.more };
  }

  /**
   * Delivers a batch's events to the handler inside the batch's transaction, in order: each run of
   * events up to a failure under one savepoint, so that a failing event rolls back only its own
   * writes. Events of an aggregate with a parked event are parked behind it unhandled. At the first
   * failing event: if it has attempts left, stops there (`passed` events before it are done);
   * else parks it with its error, and goes on with the rest (its aggregate's later events park
   * behind it). Failures of the database or connection are thrown: the whole batch fails.
   */
  async #deliver(tx: Tx, events: readonly LoggedEvent[], partitionOf: ReadonlyMap<number, number>): Promise<{ passed: number; failure?: EventFailure }> {
    const { name, maxAttempts, retryDelayMs, maxRetryDelayMs } = this.#options;
    const heads = await this.#parkedHeads(tx, events);
    let from = 0;
    // An event that failed, and whose predecessors [from, failed.index) must commit before it is dealt with.
    let failed: { index: number; error: unknown } | undefined;
    while (from < events.length || failed) {
      const end = failed ? failed.index : events.length;
      if (from < end) {
        let run = await this.#runEvents(tx, events, partitionOf, from, end, heads, 'together');
        // Handed over together, the failing event is unknown: run them again one by one to find it.
        if (run?.ambiguous) run = await this.#runEvents(tx, events, partitionOf, from, end, heads, 'one-by-one');
        // Events that passed before may fail on a second run (a flaky handler): the first failure counts.
        if (run) {
          failed = run;
          continue;
        }
        from = end;
      }
      if (!failed) break;
      const event = events[failed.index]!;
      const partition = partitionOf.get(event.id)!;
      const previous = this.#retrying.get(partition);
      const attempts = (previous?.eventId === event.id ? previous.attempts : 0) + 1;
      if (attempts < maxAttempts) {
        const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempts - 1));
        this.#log.warn(
          { err: failed.error, eventId: event.id, topic: event.topic, entityType: event.entityType, entityId: event.entityId, partition, attempts, maxAttempts, retryInMs: delay },
          'event handler failed; the event is attempted again after a back-off',
        );
        return { passed: failed.index, failure: { event, partition, error: failed.error, attempts, retryAt: Date.now() + delay } };
      }
      const error = describeFailure(failed.error);
      await tx.execute(sql`
        insert into events.parked_events (consumer, event_id, partition, entity_type, entity_id, attempts, error_message, error_code, error_stack)
        values (${name}, ${event.id}, ${partition}, ${event.entityType}, ${event.entityId}, ${attempts}, ${error.message}, ${error.code}, ${error.stack})`);
      heads.set(aggregateOf(event), event.id);
      this.#log.error(
        { err: failed.error, eventId: event.id, topic: event.topic, entityType: event.entityType, entityId: event.entityId, partition, attempts },
        `event parked after ${attempts} failed attempts: the consumer moves on, later events of its aggregate wait behind it until an admin retries or discards it (redthread events parked)`,
      );
      from = failed.index + 1;
      failed = undefined;
    }
    return { passed: events.length };
  }

  /**
   * Runs events [from, end) under one savepoint, in order: those whose aggregate has a parked head
   * are parked behind it, the others go to the handler — each stretch of them between two parked
   * ones in one call (`together`), or one call per event (`one-by-one`). Returns the failing
   * event's index and error (the savepoint rolled back: none of the run's writes remain), or
   * undefined when all passed. A call of several events that fails cannot say which one failed:
   * `ambiguous`, and the index is the stretch's first.
   */
  async #runEvents(
    tx: Tx,
    events: readonly LoggedEvent[],
    partitionOf: ReadonlyMap<number, number>,
    from: number,
    end: number,
    heads: Map<string, number>,
    calls: 'together' | 'one-by-one',
  ): Promise<{ index: number; error: unknown; ambiguous: boolean } | undefined> {
    const { name, handle } = this.#options;
    let index = from;
    let stretch = 0;
    try {
      await tx.transaction(async (savepoint) => {
        while (index < end) {
          const event = events[index]!;
          const head = heads.get(aggregateOf(event));
          if (head !== undefined) {
            const partition = partitionOf.get(event.id)!;
            await savepoint.execute(sql`
              insert into events.parked_events (consumer, event_id, partition, entity_type, entity_id, behind)
              values (${name}, ${event.id}, ${partition}, ${event.entityType}, ${event.entityId}, ${head})`);
            this.#log.warn({ eventId: event.id, topic: event.topic, entityType: event.entityType, entityId: event.entityId, partition, behind: head }, 'event parked behind a parked event of its aggregate');
            index += 1;
            continue;
          }
          let last = index + 1;
          if (calls === 'together') while (last < end && !heads.has(aggregateOf(events[last]!))) last += 1;
          stretch = last - index;
          await handle(savepoint, events.slice(index, last));
          stretch = 0;
          index = last;
        }
      });
      return undefined;
    } catch (error) {
      if (stretch === 0 || isInfrastructureFailure(error)) throw error;
      return { index, error, ambiguous: stretch > 1 };
    }
  }

  /** The parked heads (event ids) of the aggregates among `events`, by aggregate: their later events wait behind them. */
  async #parkedHeads(tx: Tx, events: readonly LoggedEvent[]): Promise<Map<string, number>> {
    // An aggregate's events share its partition, so its entity id alone finds its parked head.
    const entityIds = [...new Set(events.map((event) => event.entityId))];
    const rows = await tx.execute<{ entity_type: string; entity_id: string; event_id: string | number }>(sql`
      select entity_type, entity_id, event_id from events.parked_events
      where consumer = ${this.#options.name} and behind is null
        and entity_id in (${sql.join(
          entityIds.map((id) => sql`${id}`),
          sql`, `,
        )})`);
    return new Map([...rows].map((row) => [aggregateOf({ entityType: row.entity_type, entityId: row.entity_id }), Number(row.event_id)]));
  }

  /**
   * Scans the next events after `position` in log order (gap-free, at most the scan window, any
   * partition and topic) and returns the first `batchSize` of them that belong to one of the
   * `cursors`' partitions, lie after that partition's cursor and match the topics, and where the
   * scan ended. Scanning a bounded window of the plain (txid, id) order, rather than asking for
   * the partitions' next events directly, keeps the plan an ordered index scan however far behind
   * the cursors are (the planner cannot estimate how many events a hash and topic filter keep,
   * and would otherwise sort the whole rest of the log), and lets the cursors move past events of
   * other partitions and topics instead of scanning them again.
   */
  async #readWindow(tx: Tx, cursors: ReadonlyMap<number, EventPosition>, position: EventPosition): Promise<WindowRead> {
    const { batchSize, topics, partitions } = this.#options;
    const rows = await tx.execute<EventRow & { partition: number | null; scanned: string | number | null }>(sql`
      with scanned as materialized (
        select e.id, e.txid, e.topic, e.entity_id, ${partitionOf(partitions)} as partition from events.event_log e
        where (e.txid, e.id) > (${position.txid}::xid8, ${position.id}::bigint)
          and e.txid < (select events.log_horizon())
        order by e.txid, e.id
        limit ${this.#scanWindow}
      ), cursor as (
        select * from (values ${sql.join(
          [...cursors].map(([partition, at]) => sql`(${partition}::int, ${at.txid}::xid8, ${at.id}::bigint)`),
          sql`, `,
        )}) as c(partition, txid, event_id)
      ), wanted as (
        select e.id, e.partition from scanned e
        join cursor c on c.partition = e.partition and (e.txid, e.id) > (c.txid, c.event_id)
        where true ${topicCondition(topics)}
        order by e.txid, e.id
        limit ${batchSize}
      )
      select e.id, e.txid::text as txid, e.topic, e.entity_type, e.entity_id, e.audience::text[] as audience, e.payload, e.created_at, w.partition, null as scanned
      from events.event_log e join wanted w on w.id = e.id
      union all
      select last.id, last.txid::text, null, null, null, null, null, null, null, last.scanned
      from (select s.id, s.txid, count(*) over () as scanned from scanned s order by s.txid desc, s.id desc limit 1) last`);
    const all = [...rows];
    const end = all.find((row) => row.scanned !== null);
    const found = all.filter((row) => row.scanned === null);
    return {
      events: found.map(toLoggedEvent).sort(comparePositions),
      partitionOf: new Map(found.map((row) => [Number(row.id), Number(row.partition)])),
      scannedTo: end ? { txid: end.txid, id: Number(end.id) } : undefined,
      windowFull: Number(end?.scanned ?? 0) === this.#scanWindow,
    };
  }

  /** The heartbeat: renews membership and leases, rebalances, until stopped. */
  async #keepLeases(firstRound: () => void): Promise<void> {
    let announce = true;
    while (this.#running) {
      try {
        await this.#renewLeases(announce);
        announce = false;
      } catch (error) {
        if (!this.#running) break;
        this.#log.warn({ err: error }, 'renewing the partition leases failed; retrying');
        if (Date.now() > this.#leasesValidUntil) this.#held.clear();
      }
      firstRound();
      if (!this.#running) break;
      await this.#beat.sleep(this.#heartbeatMs);
    }
    firstRound();
  }

  /**
   * One lease round, two statements: membership (and the count of live instances), then one
   * statement that renews the leases within the fair share, releases those above it and claims
   * free or expired ones up to it. `announce`: tell the other instances that this one joined.
   */
  async #renewLeases(announce: boolean): Promise<void> {
    await this.#ensurePartitions();
    const { db, name, partitions, leaseMs } = this.#options;
    const began = Date.now();
    const member = this.#member;
    const leaseEnd = sql`now() + ${leaseMs}::int * interval '1 millisecond'`;
    const [membership] = await db.execute<{ live: number }>(sql`
      with me as (
        insert into events.consumer_members (consumer, member, seen_until) values (${name}, ${member}, ${leaseEnd})
        on conflict (consumer, member) do update set seen_until = excluded.seen_until
      ), gone as (
        delete from events.consumer_members where consumer = ${name} and member <> ${member} and seen_until < now()
      )
      select count(*)::int + 1 as live ${announce ? sql`, pg_notify(${CONSUMERS_CHANNEL}, ${name})` : sql``}
      from events.consumer_members where consumer = ${name} and member <> ${member} and seen_until >= now()`);
    const share = Math.ceil(partitions / Math.max(1, membership?.live ?? 1));
    // `mine` and `free` are disjoint (owner = me, owner distinct from me), so no row is updated
    // twice. FOR UPDATE SKIP LOCKED re-checks `free` rows against concurrent claims and never waits;
    // `kept` re-checks owner = me, so a lease another instance took over meanwhile is not renewed.
    const rows = await db.execute<{ partition: number; released: boolean }>(sql`
      with mine as (
        select l.partition, row_number() over (order by l.partition) as rank
        from events.consumer_leases l where l.consumer = ${name} and l.owner = ${member}
      ), kept as (
        update events.consumer_leases l
        set owner = case when m.rank <= ${share} then l.owner end,
            lease_until = case when m.rank <= ${share} then ${leaseEnd} end
        from mine m
        where l.consumer = ${name} and l.partition = m.partition and l.owner = ${member}
        returning l.partition, l.owner is null as released
      ), free as (
        select f.partition from events.consumer_leases f
        where f.consumer = ${name} and (f.owner is null or f.lease_until < now()) and f.owner is distinct from ${member}
        order by f.partition
        limit greatest(0, ${share}::int - (select count(*) from mine))
        for update skip locked
      ), claimed as (
        update events.consumer_leases l set owner = ${member}, lease_until = ${leaseEnd}
        from free f where l.consumer = ${name} and l.partition = f.partition
        returning l.partition, false as released
      )
      select partition, released from kept union all select partition, released from claimed`);
    this.#leasesValidUntil = began + leaseMs;
    const held = new Set([...rows].filter((row) => !row.released).map((row) => row.partition));
    const gained = [...held].filter((partition) => !this.#held.has(partition));
    const lost = [...this.#held].filter((partition) => !held.has(partition));
    if (!this.#running) return;
    this.#held.clear();
    for (const partition of held) this.#held.add(partition);
    for (const partition of lost) {
      this.#failing.delete(partition);
      this.#retrying.delete(partition);
    }
    if (gained.length || lost.length) this.#log.info({ gained, lost, held: this.heldPartitions, live: membership?.live }, 'partition leases changed');
    if (gained.length) this.#work.ring();
    // Partitions given up: wake the other instances so that one claims them now.
    if ([...rows].some((row) => row.released)) await db.execute(sql`select pg_notify(${CONSUMERS_CHANNEL}, ${name})`);
  }

  /**
   * One batch of partitions this instance holds, for the work loop. A failing event is not a
   * failing batch: the batch committed up to it, and #retrying holds the event's partition back
   * until its next attempt is due. A failed batch is retried from the same cursors: at once after
   * a conflict with another batch, else after a back-off.
   */
  async #runHeldBatch(partitions: readonly number[]): Promise<{ handled: number; more: boolean }> {
    const held = partitions.filter((partition) => this.#held.has(partition));
    if (held.length === 0) return { handled: 0, more: false };
    try {
      const batch = await this.#runBatch(held, 'skip-locked');
      for (const partition of held) this.#failing.delete(partition);
      return batch;
    } catch (error) {
      // Once stopping, a batch cut off by the database going away is expected: it is retried
      // from the same cursors at the next start.
      if (!this.#running) return { handled: 0, more: false };
      const attempts = Math.max(...held.map((partition) => this.#failing.get(partition)?.failures ?? 0)) + 1;
      const conflict = isTransientConflict(error) && attempts <= 3;
      // Two batches locking the same rows in another order (a deadlock) or a serialisation
      // failure: nothing is wrong with the events; run the batch again at once.
      for (const partition of held) this.#failing.set(partition, { failures: attempts, retryAt: conflict ? 0 : Date.now() + backOffMs(attempts) });
      if (conflict) {
        this.#log.warn({ partitions: held, code: (error as { code?: string }).code, failures: attempts }, 'event batch conflicted with another; retrying it now');
        return { handled: 0, more: true };
      }
      this.#log.error({ err: error, partitions: held, failures: attempts }, 'event batch failed; will retry from the same cursors');
      return { handled: 0, more: false };
    }
  }

  /** The work loop: drains the held partitions that have new events, `concurrency` at a time, sleeps, repeats. */
  async #consume(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let handled = 0;
      let full = false;
      try {
        const now = Date.now();
        const ready = this.heldPartitions.filter(
          (partition) => (this.#failing.get(partition)?.retryAt ?? 0) <= now && (this.#retrying.get(partition)?.retryAt ?? 0) <= now,
        );
        const due = await this.#partitionsDue(ready);
        failures = 0;
        // The due partitions in up to `concurrency` batches at once, each batch several partitions.
        const groups = Array.from({ length: Math.min(this.#options.concurrency, due.length) }, (_, group) =>
          due.filter((_, index) => index % this.#options.concurrency === group),
        );
        await Promise.all(
          groups.map(async (group) => {
            const outcome = await this.#runHeldBatch(group);
            handled += outcome.handled;
            if (outcome.more) full = true;
          }),
        );
      } catch (error) {
        failures += 1;
        if (!this.#running) break;
        this.#log.error({ err: error, failures }, 'checking the event log failed; will retry');
      }
      if (!this.#running) break;
      if (full) continue;
      if (handled > 0) this.#work.found();
      // Until the first event of a held-back partition is due again, at most.
      let retryDue = Infinity;
      for (const { retryAt } of [...this.#failing.values(), ...this.#retrying.values()]) retryDue = Math.min(retryDue, Math.max(0, retryAt - Date.now()));
      if (failures > 0) await this.#work.sleep(Math.min(backOffMs(failures), retryDue));
      else await this.#work.wait(retryDue);
    }
  }
}
