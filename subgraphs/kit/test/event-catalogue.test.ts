import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import {
  EVENTS,
  EventConsumer,
  EventPayloadError,
  appendEvent,
  appendUncataloguedEvent,
  connectDatabase,
  eventHandlers,
  inTenantTransaction,
  isTopic,
  listParkedEvents,
  parseEvent,
  type Database,
  type Identity,
  type LoggedEvent,
} from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

/**
 * The event catalogue (issue 17): every event a full demo run writes parses against its topic's
 * schema, and a consumer's typed handlers refuse a malformed payload with a readable error, so
 * that the consumer parks it instead of handing the handler something it cannot read.
 */

let db: TestDatabase;
let app: Database;
let worker: Database;
let admin: postgres.Sql;
const opened: EventConsumer[] = [];

beforeAll(async () => {
  db = await freshDatabase('demo');
  app = connectDatabase(db.appUrl, { max: 2 });
  worker = connectDatabase(db.workerUrl, { max: 4 });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
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

/** The demo world's log as consumers read it (every event, superuser: no row-level security). */
async function demoLog(): Promise<LoggedEvent[]> {
  const rows = await admin`
    select id, txid::text as txid, topic, entity_type, entity_id, audience::text[] as audience, payload, created_at
    from events.event_log order by txid, id`;
  return rows.map((row) => ({
    id: Number(row['id']),
    txid: row['txid'] as string,
    topic: row['topic'] as string,
    entityType: row['entity_type'] as string,
    entityId: row['entity_id'] as string,
    audience: row['audience'] as string[],
    payload: row['payload'] as Record<string, unknown>,
    createdAt: new Date(row['created_at'] as string),
    cursor: '',
  }));
}

describe('the demo world against the catalogue', () => {
  it('writes only catalogued topics, each with its declared entity type and a payload that parses', async () => {
    const log = await demoLog();
    // The demo world runs orders, inventory and finance through their workflows: a real log.
    expect(log.length).toBeGreaterThan(100);
    expect(new Set(log.map((event) => event.topic)).size).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const event of log) {
      if (!isTopic(event.topic)) {
        problems.push(`event ${event.id}: topic ${event.topic} is not in the catalogue`);
        continue;
      }
      if (EVENTS[event.topic].entityType !== event.entityType) {
        problems.push(`event ${event.id} (${event.topic}): entity type ${event.entityType}, the catalogue says ${EVENTS[event.topic].entityType}`);
      }
      try {
        parseEvent(event as LoggedEvent & { topic: typeof event.topic });
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    expect(problems).toEqual([]);
  });

  it('carries the purchase order line and its price on purchase receipts, and no price on free receipts', async () => {
    const receipts = (await demoLog()).filter((event) => event.topic === 'stock.changed').map((event) => parseEvent(event as LoggedEvent & { topic: 'stock.changed' }));
    const free = receipts.filter((event) => event.payload.kind === 'FREE_RECEIPT');
    expect(free.length).toBeGreaterThan(0);
    for (const event of free) expect(event.payload).toMatchObject({ purchaseOrderId: null, purchaseOrderLineId: null, unitCostMinor: null, currency: null });
    for (const event of receipts.filter((e) => e.payload.kind === 'PURCHASE_RECEIPT')) {
      expect(event.payload.purchaseOrderId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.payload.purchaseOrderLineId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.payload.unitCostMinor).toMatch(/^\d+$/);
      expect(event.payload.currency).toMatch(/^[A-Z]{3}$/);
    }
  });
});

describe('typed handlers', () => {
  const seller = '00000000-0000-4000-8000-0000000000c1';
  const writer: Identity = { subject: 'test', partnerId: seller, roles: ['admin'] };

  it('refuses a payload that does not match, naming topic, event id and the field', async () => {
    const seen: string[] = [];
    const handle = eventHandlers({
      'order.cancelled': async (_tx, event) => {
        seen.push(event.payload.sellerPartnerId);
      },
    });
    const event: LoggedEvent = {
      id: 4242,
      txid: '1',
      topic: 'order.cancelled',
      entityType: 'Order',
      entityId: '00000000-0000-4000-8000-0000000000d1',
      audience: [seller],
      payload: { kind: 'SALES', status: 'CANCELLED', buyerPartnerId: null, from: 'PENDING_REVIEW', to: 'CANCELLED', reason: null },
      createdAt: new Date(),
      cursor: '',
    };
    const failure = await handle(undefined as never, [event]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventPayloadError);
    expect((failure as Error).message).toMatch(/event 4242 \(order\.cancelled\)/);
    expect((failure as Error).message).toMatch(/sellerPartnerId: Invalid input: expected string, received undefined/);
    expect(seen).toEqual([]);
    // The same event with the field parses, and the handler gets it typed.
    await handle(undefined as never, [{ ...event, payload: { ...event.payload, sellerPartnerId: seller } }]);
    expect(seen).toEqual([seller]);
  });

  it('refuses at append a payload the types let through but the schema does not, and writes nothing', async () => {
    const entityId = '00000000-0000-4000-8000-0000000000d9';
    const before = await admin`select count(*)::int as n from events.event_log where entity_id = ${entityId}`;
    const failure = await inTenantTransaction(app.db, writer, (tx) =>
      appendEvent(tx, {
        topic: 'order.cancelled',
        entityType: 'Order',
        entityId,
        audience: [seller],
        // A string, as the type asks, but not a partner id.
        payload: { kind: 'SALES', status: 'CANCELLED', sellerPartnerId: 'SHOP-A', buyerPartnerId: null, from: 'PENDING_REVIEW', to: 'CANCELLED', reason: null },
      }),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventPayloadError);
    expect((failure as Error).message).toMatch(/^a new order\.cancelled event: the payload does not match the catalogue: sellerPartnerId: /);
    const after = await admin`select count(*)::int as n from events.event_log where entity_id = ${entityId}`;
    expect(after[0]!['n']).toBe(before[0]!['n']);
  });

  it('makes the consumer park a malformed event with that error, and handle the well-formed ones', async () => {
    const entityOk = '00000000-0000-4000-8000-0000000000e1';
    const entityBad = '00000000-0000-4000-8000-0000000000e2';
    const good = { kind: 'SALES', status: 'CANCELLED', sellerPartnerId: seller, buyerPartnerId: null, from: 'PENDING_REVIEW', to: 'CANCELLED', reason: null };
    await inTenantTransaction(app.db, writer, async (tx) => {
      await appendUncataloguedEvent(tx, { topic: 'order.cancelled', entityType: 'Order', entityId: entityBad, audience: [seller], payload: { ...good, sellerPartnerId: 42 } });
      await appendUncataloguedEvent(tx, { topic: 'order.cancelled', entityType: 'Order', entityId: entityOk, audience: [seller], payload: good });
    });
    const handled: string[] = [];
    const handle = eventHandlers({
      'order.cancelled': async (_tx, event) => {
        handled.push(event.entityId);
      },
    });
    const consumer = new EventConsumer({
      name: 'test.catalogue',
      db: worker.db,
      listenClient: worker.client,
      topics: handle.topics,
      handle,
      partitions: 1,
      maxAttempts: 2,
      retryDelayMs: 0,
      maxRetryDelayMs: 0,
    });
    opened.push(consumer);
    let settled = false;
    for (let round = 0; round < 10 && !settled; round += 1) settled = (await consumer.drainOnce().catch(() => -1)) === 0;
    expect(settled).toBe(true);
    expect(handled.filter((id) => id === entityBad || id === entityOk)).toEqual([entityOk]);
    const parked = await listParkedEvents(worker.db, { consumer: 'test.catalogue' });
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ entityId: entityBad, topic: 'order.cancelled', attempts: 2, error: { code: 'EventPayloadError' } });
    expect(parked[0]!.error!.message).toContain(`event ${parked[0]!.eventId} (order.cancelled)`);
    expect(parked[0]!.error!.message).toMatch(/sellerPartnerId/);
  });
});
