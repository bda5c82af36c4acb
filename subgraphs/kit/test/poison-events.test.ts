import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import postgres from 'postgres';
import {
  EventConsumer,
  appendUncataloguedEvent,
  connectDatabase,
  consumerLag,
  inTenantTransaction,
  listParkedEvents,
  metricsRegistry,
  type Database,
  type EventConsumerOptions,
  type Identity,
  type LoggedEvent,
} from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

/**
 * Poison events (issue 17): an event whose handler keeps failing is retried a bounded number of
 * times, then parked with its error while the consumer moves on. Later events of its aggregate
 * wait behind it; every other aggregate's (and tenant's) events are handled exactly once. Admins
 * retry or discard a parked event, with an audit entry.
 */

const TENANTS = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a3'] as const;
const writer: Identity = { subject: 'test', partnerId: TENANTS[0], roles: ['admin'] };

let db: TestDatabase;
let app: Database;
let worker: Database;
let admin: postgres.Sql;
const opened: EventConsumer[] = [];

beforeAll(async () => {
  db = await freshDatabase('empty');
  app = connectDatabase(db.appUrl, { max: 4 });
  worker = connectDatabase(db.workerUrl, { max: 6 });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
  // The handler's effects. The primary key makes a second delivery fail loudly; seq records the order.
  await admin`create table public.handled (
    consumer text not null, event_id bigint not null, entity_id text not null, seq bigserial not null,
    primary key (consumer, event_id))`;
  await admin`grant select, insert on public.handled to redthread_worker`;
  await admin`grant usage on sequence public.handled_seq_seq to redthread_worker`;
});
afterEach(async () => {
  for (const consumer of opened.splice(0)) await consumer.stop().catch(() => {});
});
afterAll(async () => {
  await app?.close();
  await worker?.close();
  await admin?.end();
  await db?.drop();
});

/** Appends one event of `topic` for `entityId`, addressed to a tenant, in its own transaction; returns its id. */
async function append(topic: string, entityId: string, tenant: string = TENANTS[0], payload: Record<string, unknown> = {}): Promise<number> {
  await inTenantTransaction(app.db, writer, (tx) => appendUncataloguedEvent(tx, { topic, entityType: 'Order', entityId, audience: [tenant], payload }));
  const [row] = await admin`select max(id)::int as id from events.event_log where topic = ${topic} and entity_id = ${entityId}`;
  return row!['id'] as number;
}

/**
 * A consumer whose handler records each event in public.handled and throws for `refuse(event)`
 * after writing its row (so a handler failure must roll that write back). Quick retries; one
 * partition unless told otherwise, so that under the old behaviour the poison blocked everything.
 */
function poisonable(name: string, refuse: (event: LoggedEvent) => boolean, options: Partial<EventConsumerOptions> = {}) {
  /** Per refused event, the calls that handed it over alone: the attempts the consumer counts. */
  const attempts = new Map<number, number>();
  /** Calls that handed several events over together, one of them refused (the consumer then runs them one by one). */
  const sharedCalls = { refused: 0, largest: 0 };
  const consumer = new EventConsumer({
    name,
    db: worker.db,
    listenClient: worker.client,
    topics: [`${name}.*`],
    partitions: 1,
    pollIntervalMs: 100,
    maxAttempts: 3,
    retryDelayMs: 10,
    maxRetryDelayMs: 40,
    handle: async (tx, events) => {
      sharedCalls.largest = Math.max(sharedCalls.largest, events.length);
      for (const event of events) {
        await tx.execute(sql`insert into public.handled (consumer, event_id, entity_id) values (${name}, ${event.id}, ${event.entityId})`);
        if (refuse(event)) {
          if (events.length === 1) attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
          else sharedCalls.refused += 1;
          throw new Error(`handler refuses ${event.entityId}`);
        }
      }
    },
    ...options,
  });
  opened.push(consumer);
  return { consumer, attempts, sharedCalls };
}

/** Event ids of `consumer` in public.handled, in the order they were handled. */
async function handledIds(consumer: string): Promise<number[]> {
  const rows = await admin`select event_id from public.handled where consumer = ${consumer} order by seq`;
  return rows.map((row) => Number(row['event_id']));
}

async function drain(consumer: EventConsumer): Promise<void> {
  // A failed attempt is thrown (after the rest committed); drain until the event is parked.
  for (let round = 0; round < 20; round += 1) {
    const handled = await consumer.drainOnce().catch(() => -1);
    if (handled === 0) return;
  }
  throw new Error('the consumer did not settle in 20 rounds');
}

/** Plants, for consumer `name`: events of three tenants, a poison event, a later one of its aggregate, more events. */
async function plant(name: string): Promise<{ others: number[]; poison: number; waiting: number }> {
  const others: number[] = [];
  for (let i = 0; i < 4; i += 1) others.push(await append(`${name}.changed`, `order-${i}`, TENANTS[i % 3]));
  const poison = await append(`${name}.changed`, 'poison-order', TENANTS[1]);
  for (let i = 4; i < 8; i += 1) others.push(await append(`${name}.changed`, `order-${i}`, TENANTS[i % 3]));
  const waiting = await append(`${name}.changed`, 'poison-order', TENANTS[1]);
  for (let i = 8; i < 12; i += 1) others.push(await append(`${name}.changed`, `order-${i}`, TENANTS[i % 3]));
  return { others, poison, waiting };
}

async function auditRows(consumer: string) {
  return admin`select event_id, action, actor, reason, outcome, handled_event_ids, error_message from events.parked_event_actions where consumer = ${consumer} order by id`;
}

async function parkedMetric(consumer: string): Promise<number | undefined> {
  const text = await metricsRegistry.getSingleMetricAsString('redthread_parked_events');
  const match = new RegExp(`^redthread_parked_events\\{consumer="${consumer}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

describe('poison events', () => {
  it('parks an event that always fails after the bounded retries, while every other tenant’s events are handled exactly once', async () => {
    const logged: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const { consumer, attempts, sharedCalls } = poisonable('running', (event) => event.entityId === 'poison-order', { logger: pino({ level: 'warn' }, sink), batchSize: 50 });
    await consumer.start();
    const { others, poison, waiting } = await plant('running');

    // Everything else is handled, exactly once (the primary key), in log order.
    await expect.poll(() => handledIds('running'), { timeout: 10_000, interval: 20 }).toEqual(others);
    const parked = await listParkedEvents(worker.db, { consumer: 'running' });
    expect(parked.map((p) => [p.eventId, p.behind])).toEqual([
      [poison, null],
      [waiting, poison],
    ]);
    const [head, behind] = parked;
    expect(head).toMatchObject({ consumer: 'running', topic: 'running.changed', entityType: 'Order', entityId: 'poison-order', attempts: 3, waiting: 1 });
    expect(head!.error).toMatchObject({ message: 'handler refuses poison-order', code: 'Error' });
    expect(head!.error!.stack).toContain('handler refuses poison-order');
    expect(behind).toMatchObject({ attempts: 0, error: null, waiting: 0 });
    // Exactly the bounded attempts; the event waiting behind was never run. Events went to the
    // handler several per call; a call the poison failed was run again one event per call, which
    // found the poison (each attempt at most one such shared call, none of its writes kept).
    expect(attempts.get(poison)).toBe(3);
    expect(attempts.get(waiting)).toBeUndefined();
    expect(sharedCalls.largest).toBeGreaterThan(1);
    expect(sharedCalls.refused).toBeLessThanOrEqual(3);
    // The cursor passed them: nothing is left behind, and the metric counts both.
    expect((await consumerLag(worker.db, 'running', ['running.*'])).events).toBe(0);
    await expect.poll(() => parkedMetric('running'), { timeout: 5_000, interval: 50 }).toBe(2);
    // One structured error line for the parked event (and a warning per failed attempt before it).
    const parkedLines = logged.filter((line) => line['eventId'] === poison && line['level'] === 50);
    expect(parkedLines).toHaveLength(1);
    expect(parkedLines[0]).toMatchObject({ consumer: 'running', topic: 'running.changed', entityId: 'poison-order', attempts: 3, err: { message: 'handler refuses poison-order' } });
    expect(logged.filter((line) => line['eventId'] === poison && line['level'] === 40)).toHaveLength(2);

    // Later events: of the parked aggregate, they wait too; of the others, they flow.
    const later = await append('running.changed', 'poison-order', TENANTS[1]);
    const fresh = await append('running.changed', 'order-late', TENANTS[2]);
    await expect.poll(() => handledIds('running'), { timeout: 10_000, interval: 20 }).toEqual([...others, fresh]);
    expect((await listParkedEvents(worker.db, { consumer: 'running' })).map((p) => [p.eventId, p.behind])).toEqual([
      [poison, null],
      [waiting, poison],
      [later, poison],
    ]);
    expect(attempts.get(later)).toBeUndefined();
  });

  it('keeps the other events of a batch when one of them fails: a handler failure rolls back only its own event', async () => {
    let broken = true;
    const { consumer } = poisonable('savepoint', (event) => broken && event.entityId === 'poison-order', { batchSize: 200 });
    const { others, poison } = await plant('savepoint');
    await drain(consumer);
    // One batch held every event: those before the poison, and those after it, committed once each.
    expect(await handledIds('savepoint')).toEqual(others);
    expect(await handledIds('savepoint')).not.toContain(poison);

    // A flaky event that heals before its attempts run out is handled, not parked.
    let failures = 0;
    const flaky = poisonable('flaky', (event) => event.entityId === 'flaky-order' && ++failures <= 2);
    const id = await append('flaky.changed', 'flaky-order');
    await drain(flaky.consumer);
    expect(await handledIds('flaky')).toEqual([id]);
    expect(await listParkedEvents(worker.db, { consumer: 'flaky' })).toEqual([]);
    broken = false;
  });

  it('retries a parked event after the handler is fixed: it and the ones behind it are handled in order, with an audit entry', async () => {
    let broken = true;
    const { consumer } = poisonable('retry', (event) => broken && event.entityId === 'poison-order');
    const { others, poison, waiting } = await plant('retry');
    await drain(consumer);
    expect(await handledIds('retry')).toEqual(others);

    // Retried while still broken: it stays parked, with the one behind it; the attempt is audited.
    const again = await consumer.retryParked(poison, { actor: 'ops@example', reason: 'try once more' });
    expect(again).toMatchObject({ outcome: 'failed_again', eventId: poison, handled: [], failedEventId: poison, waiting: 1 });
    expect((await listParkedEvents(worker.db, { consumer: 'retry' })).map((p) => [p.eventId, p.behind, p.attempts])).toEqual([
      [poison, null, 4],
      [waiting, poison, 0],
    ]);

    broken = false;
    const retried = await consumer.retryParked(poison, { actor: 'ops@example', reason: 'handler fixed in 1.2.3' });
    expect(retried).toMatchObject({ outcome: 'released', eventId: poison, handled: [poison, waiting] });
    expect(await handledIds('retry')).toEqual([...others, poison, waiting]);
    expect(await listParkedEvents(worker.db, { consumer: 'retry' })).toEqual([]);
    expect(await auditRows('retry')).toEqual([
      { event_id: String(poison), action: 'retry', actor: 'ops@example', reason: 'try once more', outcome: 'failed_again', handled_event_ids: [], error_message: 'handler refuses poison-order' },
      { event_id: String(poison), action: 'retry', actor: 'ops@example', reason: 'handler fixed in 1.2.3', outcome: 'released', handled_event_ids: [String(poison), String(waiting)], error_message: null },
    ]);

    // The aggregate flows again.
    const next = await append('retry.changed', 'poison-order', TENANTS[1]);
    await drain(consumer);
    expect((await handledIds('retry')).at(-1)).toBe(next);
  });

  it('discards a parked event: it is never handled, and the one waiting behind it is released', async () => {
    // Only the planted poison fails: the event behind it would be handled fine.
    let poisonId = -1;
    const { consumer } = poisonable('discard', (event) => event.id === poisonId);
    const planted = await plant('discard');
    poisonId = planted.poison;
    await drain(consumer);
    expect(await handledIds('discard')).toEqual(planted.others);

    const discarded = await consumer.discardParked(planted.poison, { actor: 'ops@example', reason: 'malformed, superseded by a later event' });
    expect(discarded).toMatchObject({ outcome: 'released', eventId: planted.poison, handled: [planted.waiting] });
    expect(await handledIds('discard')).toEqual([...planted.others, planted.waiting]);
    expect(await listParkedEvents(worker.db, { consumer: 'discard' })).toEqual([]);
    expect(await auditRows('discard')).toEqual([
      {
        event_id: String(planted.poison),
        action: 'discard',
        actor: 'ops@example',
        reason: 'malformed, superseded by a later event',
        outcome: 'released',
        handled_event_ids: [String(planted.waiting)],
        error_message: null,
      },
    ]);
  });

  it('parks an event whose malformed payload makes the database refuse a query, with the database’s message', async () => {
    const consumer = new EventConsumer({
      name: 'malformed',
      db: worker.db,
      listenClient: worker.client,
      topics: ['malformed.*'],
      partitions: 1,
      maxAttempts: 2,
      retryDelayMs: 0,
      handle: async (tx, events) => {
        for (const event of events) await tx.execute(sql`select ${event.payload['partnerId'] as string}::uuid as partner`);
      },
    });
    opened.push(consumer);
    const good = await append('malformed.changed', 'order-good', TENANTS[0], { partnerId: TENANTS[1] });
    const bad = await append('malformed.changed', 'order-bad', TENANTS[0], { partnerId: 'not-a-partner' });
    await drain(consumer);
    const parked = await listParkedEvents(worker.db, { consumer: 'malformed' });
    expect(parked.map((p) => p.eventId)).toEqual([bad]);
    expect(parked.map((p) => p.eventId)).not.toContain(good);
    expect(parked[0]!.error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type uuid: "not-a-partner" in query: select $1::uuid as partner' });
    // The parameters (tenant data) stay out of the message; the stack names the handler's query.
    expect(parked[0]!.error!.stack).toContain('Failed query');
  });

  it('refuses an action on an event that is not parked, on one that waits behind another, and without a reason, changing nothing', async () => {
    const { consumer } = poisonable('refusals', (event) => event.entityId === 'poison-order');
    const { others, poison, waiting } = await plant('refusals');
    await drain(consumer);
    const before = await listParkedEvents(worker.db, { consumer: 'refusals' });

    expect(await consumer.retryParked(others[0]!, { actor: 'ops', reason: 'why not' })).toMatchObject({ errorCode: 'NOT_PARKED' });
    expect(await consumer.retryParked(waiting, { actor: 'ops', reason: 'out of turn' })).toMatchObject({
      errorCode: 'WAITING_BEHIND',
      message: expect.stringContaining(String(poison)),
    });
    expect(await consumer.discardParked(waiting, { actor: 'ops', reason: 'out of turn' })).toMatchObject({ errorCode: 'WAITING_BEHIND' });
    expect(await consumer.discardParked(poison, { actor: 'ops', reason: '   ' })).toMatchObject({ errorCode: 'INVALID_ACTION' });
    expect(await consumer.discardParked(poison, { actor: '', reason: 'no one' })).toMatchObject({ errorCode: 'INVALID_ACTION' });
    // Another consumer's parked event is not this one's.
    const other = poisonable('refusals-other', () => false);
    expect(await other.consumer.discardParked(poison, { actor: 'ops', reason: 'wrong consumer' })).toMatchObject({ errorCode: 'NOT_PARKED' });

    expect(await listParkedEvents(worker.db, { consumer: 'refusals' })).toEqual(before);
    expect(await auditRows('refusals')).toEqual([]);
    expect(await handledIds('refusals')).toEqual(others);
  });

  it('keeps the parked events and their audit trail to the worker role', async () => {
    const sqlstate = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code;
    expect(sqlstate(await app.db.execute(sql`select * from events.parked_events`).catch((e) => e))).toBe('42501');
    expect(sqlstate(await app.db.execute(sql`select * from events.parked_event_actions`).catch((e) => e))).toBe('42501');
    // The audit trail is append-only, even for the worker.
    expect(sqlstate(await worker.db.execute(sql`delete from events.parked_event_actions`).catch((e) => e))).toBe('42501');
    expect(sqlstate(await worker.db.execute(sql`update events.parked_event_actions set reason = 'rewritten'`).catch((e) => e))).toBe('42501');
  });
});
