import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import {
  EventConsumer,
  EventHub,
  appendUncataloguedEvent,
  connectDatabase,
  consumerLag,
  decodeEventCursor,
  inTenantTransaction,
  readEventsAfter,
  LOG_START,
  type Database,
  type EventConsumerOptions,
  type Identity,
  type LoggedEvent,
} from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

/**
 * Partitioned consumers with several instances on one name, each on its own pool as separate
 * processes would be, started for real (LISTEN, heartbeats, leases); and the live hub on the
 * application role.
 */

const PARTNER = '00000000-0000-4000-8000-00000000000a';
const OTHER = '00000000-0000-4000-8000-00000000000b';
const writer: Identity = { subject: 'test', partnerId: PARTNER, roles: ['admin'] };
const PARTITIONS = 8;

let db: TestDatabase;
let app: Database;
let admin: postgres.Sql;
/** Pools and consumers a test opened; closed after it. */
const opened: { consumer: EventConsumer; database: Database }[] = [];

beforeAll(async () => {
  db = await freshDatabase('empty');
  app = connectDatabase(db.appUrl, { max: 8 });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
  // The handler's own table. The primary key makes a second delivery of an event fail loudly;
  // seq records the order in which events were handled.
  await admin`create table public.handled (
    consumer text not null, event_id bigint not null, entity_id text not null, member text not null,
    seq bigserial not null, primary key (consumer, event_id))`;
  await admin`grant select, insert on public.handled to redthread_worker`;
  await admin`grant usage on sequence public.handled_seq_seq to redthread_worker`;
});
afterEach(async () => {
  for (const { consumer, database } of opened.splice(0)) {
    await consumer.stop().catch(() => {});
    await database.close().catch(() => {});
  }
});
afterAll(async () => {
  await app?.close();
  await admin?.end();
  await db?.drop();
});

/** Appends one event in its own committed transaction. */
async function append(topic: string, entityId: string, audience = [PARTNER]): Promise<void> {
  await inTenantTransaction(app.db, writer, (tx) => appendUncataloguedEvent(tx, { topic, entityType: 'Test', entityId, audience }));
}

/** Appends `perEntity` events to each entity, from `writers` concurrent writers (interleaved txids). */
async function appendMany(topic: string, entities: readonly string[], perEntity: number, writers = 6): Promise<number> {
  const work = entities.flatMap((entity) => Array.from({ length: perEntity }, () => entity));
  // Each writer takes the next event; one entity's events are therefore appended in order only
  // per writer, and the log order is what counts.
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < work.length) await append(topic, work[next++]!);
    }),
  );
  return work.length;
}

interface Instance {
  consumer: EventConsumer;
  database: Database;
  /** Errors the handler met (a duplicate delivery would show here). */
  errors: unknown[];
}

/** A consumer instance on its own pool (as another process would be). Not started. */
function instance(name: string, options: Partial<EventConsumerOptions> & { fail?: (event: LoggedEvent) => boolean } = {}): Instance {
  const database = connectDatabase(db.workerUrl, { max: 4 });
  const errors: unknown[] = [];
  const { fail, ...rest } = options;
  const consumer: EventConsumer = new EventConsumer({
    name,
    db: database.db,
    listenClient: database.client,
    topics: [`${name}.*`],
    pollIntervalMs: 200,
    handle: async (tx, events) => {
      for (const event of events) {
        if (fail?.(event)) throw new Error(`handler refuses ${event.entityId}`);
        try {
          await tx.execute(sql`insert into public.handled (consumer, event_id, entity_id, member)
            values (${name}, ${event.id}, ${event.entityId}, ${consumer.member})`);
        } catch (error) {
          errors.push(error);
          throw error;
        }
      }
    },
    ...rest,
  });
  opened.push({ consumer, database });
  return { consumer, database, errors };
}

async function handledCount(name: string): Promise<number> {
  const [row] = await admin`select count(*)::int as n from public.handled where consumer = ${name}`;
  return row?.['n'] as number;
}

/** Entities whose events were handled in another order than the log's. */
async function outOfOrder(name: string): Promise<string[]> {
  const rows = await admin`
    select h.entity_id from public.handled h join events.event_log e on e.id = h.event_id
    where h.consumer = ${name}
    group by h.entity_id
    having array_agg(h.event_id order by h.seq) <> array_agg(e.id order by e.txid, e.id)`;
  return rows.map((row) => row['entity_id'] as string);
}

/** The partition of an entity id, as the consumer computes it. */
async function partitionOf(entityId: string): Promise<number> {
  const [row] = await admin`select (abs(hashtext(${entityId})::bigint) % ${PARTITIONS})::int as p`;
  return row?.['p'] as number;
}

const sizes = (...instances: Instance[]) => instances.map((i) => i.consumer.heldPartitions.length).sort();
const union = (...instances: Instance[]) => [...new Set(instances.flatMap((i) => i.consumer.heldPartitions))].sort((a, b) => a - b);
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);

describe('partitioned event consumer', () => {
  it('spreads the partitions over the live instances and rebalances as they come and go', async () => {
    // The default lease (5 s, heartbeat 1 s): rebalancing is quicker than a heartbeat because
    // joining, leaving and giving up partitions are announced.
    const a = instance('spread');
    const b = instance('spread');
    const c = instance('spread');
    await a.consumer.start();
    expect(a.consumer.heldPartitions).toEqual(ALL);

    await b.consumer.start();
    await expect.poll(() => sizes(a, b), { timeout: 5_000, interval: 10 }).toEqual([4, 4]);
    expect(union(a, b)).toEqual(ALL);

    await c.consumer.start();
    await expect.poll(() => sizes(a, b, c), { timeout: 5_000, interval: 10 }).toEqual([2, 3, 3]);
    expect(union(a, b, c)).toEqual(ALL);

    // A graceful stop hands over at once (not after the lease expires).
    const stopped = Date.now();
    await c.consumer.stop();
    await expect.poll(() => sizes(a, b), { timeout: 5_000, interval: 10 }).toEqual([4, 4]);
    expect(Date.now() - stopped).toBeLessThan(500);
    expect(union(a, b)).toEqual(ALL);

    const leases = await admin`select owner, count(*)::int as n from events.consumer_leases where consumer = 'spread' group by owner order by owner`;
    expect(leases.map((row) => row['n']).sort()).toEqual([4, 4]);
    expect(leases.map((row) => row['owner']).sort()).toEqual([a.consumer.member, b.consumer.member].sort());
  });

  it('handles every event exactly once, each entity in log order, with three instances at work', async () => {
    const instances = [instance('once'), instance('once'), instance('once')];
    await Promise.all(instances.map((i) => i.consumer.start()));
    await expect.poll(() => sizes(...instances), { timeout: 5_000, interval: 10 }).toEqual([2, 3, 3]);

    const entities = Array.from({ length: 40 }, (_, i) => `order-${i}`);
    // A script draining by hand meanwhile ignores the leases: the cursor row locks keep it exact.
    const script = instance('once');
    let appending = true;
    const drainer = (async () => {
      while (appending) await script.consumer.drainOnce();
    })();
    const started = Date.now();
    const total = await appendMany('once.changed', entities, 15);
    const appended = Date.now();
    appending = false;
    await drainer;
    await expect.poll(() => handledCount('once'), { timeout: 20_000, interval: 20 }).toBe(total);
    const drained = Date.now();

    expect([...instances, script].flatMap((i) => i.errors)).toEqual([]);
    expect(await outOfOrder('once')).toEqual([]);
    const members = await admin`select distinct member from public.handled where consumer = 'once'`;
    expect(members.map((row) => row['member'])).toEqual(expect.arrayContaining(instances.map((i) => i.consumer.member)));
    const lag = await consumerLag(instances[0]!.database.db, 'once', ['once.*']);
    expect(lag.events).toBe(0);
    console.info(`exactly-once: ${total} events appended in ${appended - started} ms, all handled ${drained - appended} ms after the last`);
  });

  it('takes several partitions in one batch, and runs two batches at once with concurrency 2', async () => {
    // Two entities in different partitions, one event each; a handler call waits (up to 1.5 s) for
    // both events to have reached the handler.
    const entities = ['side-0', 'side-1', 'side-2', 'side-3', 'side-4', 'side-5'];
    const partitions = await Promise.all(entities.map(partitionOf));
    const pair = [entities[0]!, entities[partitions.findIndex((p) => p !== partitions[0])]!];
    for (const concurrency of [1, 2]) {
      const name = `side${concurrency}`;
      const calls: { entities: string[]; start: number; end: number }[] = [];
      const worker = instance(name, {
        concurrency,
        handle: async (_tx, events) => {
          const call = { entities: events.map((event) => event.entityId), start: performance.now(), end: Infinity };
          calls.push(call);
          for (let waited = 0; waited < 1_500 && calls.flatMap((c) => c.entities).length < 2; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
          call.end = performance.now();
        },
      });
      for (const entity of pair) await append(`${name}.changed`, entity);
      await worker.consumer.start();
      await expect.poll(async () => (await consumerLag(worker.database.db, name, [`${name}.*`])).events, { timeout: 10_000, interval: 50 }).toBe(0);
      const described = `concurrency ${concurrency}: handler calls ${JSON.stringify(calls)}`;
      if (concurrency === 1) {
        // One batch (one transaction) took both partitions' events: one call.
        expect(calls.map((call) => call.entities.sort()), described).toEqual([[...pair].sort()]);
      } else {
        // Two batches over disjoint partitions, side by side: their calls overlap.
        expect(calls.map((call) => call.entities).sort(), described).toEqual(pair.map((entity) => [entity]).sort());
        expect(calls[0]!.start < calls[1]!.end && calls[1]!.start < calls[0]!.end, described).toBe(true);
      }
    }
  });

  it('takes over the partitions of a crashed instance within a few seconds, losing and repeating nothing', async () => {
    // The default lease (5 s): what a SIGKILLed worker costs.
    const survivor = instance('takeover');
    const crashing = instance('takeover');
    await survivor.consumer.start();
    await crashing.consumer.start();
    await expect.poll(() => sizes(survivor, crashing), { timeout: 5_000, interval: 10 }).toEqual([4, 4]);

    // Events keep arriving throughout.
    let producing = true;
    let produced = 0;
    const producer = (async () => {
      for (let i = 0; producing; i += 1) {
        await append('takeover.changed', `order-${i % 24}`);
        produced += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await expect.poll(() => handledCount('takeover'), { timeout: 10_000, interval: 20 }).toBeGreaterThan(50);

    // The crash: the loops stop without releasing anything, and every connection is cut, including
    // that of a batch in progress (which therefore rolls back).
    const crashedAt = Date.now();
    await crashing.consumer.abandon();
    await crashing.database.client.end({ timeout: 0 });

    await expect.poll(() => survivor.consumer.heldPartitions.length, { timeout: 15_000, interval: 20 }).toBe(PARTITIONS);
    const takeover = Date.now() - crashedAt;
    expect(takeover).toBeLessThan(8_000);

    // The survivor works all partitions while events keep arriving.
    const atTakeover = await handledCount('takeover');
    await expect.poll(() => handledCount('takeover'), { timeout: 10_000, interval: 20 }).toBeGreaterThan(atTakeover + 30);
    producing = false;
    await producer;
    await expect.poll(() => handledCount('takeover'), { timeout: 10_000, interval: 20 }).toBe(produced);
    expect([...survivor.errors, ...crashing.errors]).toEqual([]);
    expect(await outOfOrder('takeover')).toEqual([]);
    console.info(`takeover: ${takeover} ms after the crash (lease 5000 ms), ${produced} events handled exactly once`);
  });

  it('keeps the other partitions going while one partition’s batch keeps failing', async () => {
    let poisoned = true;
    let refused = 0;
    // Never parked here (see poison-events.test.ts for parking): a partition held at one event.
    const worker = instance('poison', {
      maxAttempts: 1_000,
      fail: (event) => {
        if (!poisoned || event.entityId !== 'poison') return false;
        refused += 1;
        return true;
      },
    });
    await worker.consumer.start();
    const blocked = await partitionOf('poison');
    const entities = Array.from({ length: 32 }, (_, i) => `order-${i}`);
    const partitions = new Map<string, number>();
    for (const entity of entities) partitions.set(entity, await partitionOf(entity));
    const healthy = entities.filter((entity) => partitions.get(entity) !== blocked);
    expect(healthy.length).toBeGreaterThan(0);

    await append('poison.changed', 'poison');
    await appendMany('poison.changed', entities, 3);
    // The healthy partitions drain, now and later; the poisoned one is retried, never skipped.
    await expect.poll(async () => (await admin`select count(*)::int as n from public.handled where consumer = 'poison' and entity_id in ${admin(healthy)}`)[0]?.['n'], { timeout: 10_000, interval: 50 }).toBe(healthy.length * 3);
    await appendMany('poison.changed', healthy, 1);
    await expect.poll(async () => (await admin`select count(*)::int as n from public.handled where consumer = 'poison' and entity_id in ${admin(healthy)}`)[0]?.['n'], { timeout: 10_000, interval: 50 }).toBe(healthy.length * 4);
    await expect.poll(() => refused, { timeout: 10_000, interval: 50 }).toBeGreaterThan(1);
    const [stuck] = await admin`select count(*)::int as n from public.handled h where consumer = 'poison' and (abs(hashtext(h.entity_id)::bigint) % ${PARTITIONS}) = ${blocked}`;
    expect(stuck?.['n']).toBe(0);
    expect((await consumerLag(worker.database.db, 'poison', ['poison.*'])).events).toBeGreaterThan(0);

    // Healed, the partition catches up from the same cursor (back-off is short after few failures).
    poisoned = false;
    const total = 1 + entities.length * 3 + healthy.length;
    await expect.poll(() => handledCount('poison'), { timeout: 20_000, interval: 50 }).toBe(total);
    expect(await outOfOrder('poison')).toEqual([]);
    expect((await consumerLag(worker.database.db, 'poison', ['poison.*'])).events).toBe(0);
  });

  it('starts new partitions at the consumer’s old single cursor, if it has one', async () => {
    for (let i = 0; i < 10; i += 1) await append('upgrade.changed', `item-${i}`);
    const logged = await admin`select id, txid::text as txid from events.event_log where topic = 'upgrade.changed' order by txid, id`;
    const cursor = logged[3]!;
    await admin`insert into events.consumer_cursors (consumer, txid, event_id) values ('upgrade', ${cursor['txid']}::xid8, ${cursor['id']})`;

    const upgraded = instance('upgrade');
    // Before the partitions exist, the lag counts from the old cursor.
    expect((await consumerLag(upgraded.database.db, 'upgrade', ['upgrade.*'])).events).toBe(6);
    while ((await upgraded.consumer.drainOnce()) > 0);
    const handled = await admin`select event_id from public.handled where consumer = 'upgrade' order by event_id`;
    expect(handled.map((row) => Number(row['event_id']))).toEqual(logged.slice(4).map((row) => Number(row['id'])));
    const partitions = await admin`select partition, txid::text as txid, event_id from events.consumer_partitions where consumer = 'upgrade' order by partition`;
    expect(partitions.map((row) => row['partition'])).toEqual(ALL);
    // Every partition started at the old cursor: those without later events are still there.
    for (const row of partitions) expect(BigInt(row['event_id'] as string)).toBeGreaterThanOrEqual(BigInt(cursor['id'] as string));
    expect((await consumerLag(upgraded.database.db, 'upgrade', ['upgrade.*'])).events).toBe(0);
    await append('upgrade.changed', 'item-late');
    expect((await consumerLag(upgraded.database.db, 'upgrade', ['upgrade.*'])).events).toBe(1);

    // Without an old cursor, a consumer starts at the log start.
    const fresh = instance('upgrade-fresh', { topics: ['upgrade.*'] });
    let total = 0;
    for (let n = await fresh.consumer.drainOnce(); n > 0; n = await fresh.consumer.drainOnce()) total += n;
    expect(total).toBe(11);

    // The partition count is a constant of the consumer.
    const resized = instance('upgrade', { partitions: 4 });
    await expect(resized.consumer.drainOnce()).rejects.toThrow(/has 8 partitions/);
  });
});

describe.each([
  ['application', () => db.appUrl],
  ['worker', () => db.workerUrl],
])('live hub on a %s-role connection', (role, url) => {
  let database: Database;
  let hub: EventHub;
  beforeAll(async () => {
    database = connectDatabase(url(), { max: 4 });
    hub = new EventHub({ db: database.db, listenClient: database.client, pollIntervalMs: 100 });
    await hub.start();
  });
  afterAll(async () => {
    await hub?.stop();
    await database?.close();
  });

  it('delivers the live events of the subscriber’s audience, and replays with after', async () => {
    if (role === 'application') {
      // Without the definer functions, this connection sees no event at all (no tenant set).
      expect(await readEventsAfter(database.db, LOG_START, { limit: 10 })).toEqual([]);
    }
    const topic = `live-${role}`;
    const stream = hub.subscribe({ partnerId: PARTNER, topics: [`${topic}.*`] });
    const first = stream.next(); // registers the subscriber (synchronously)
    await append(`${topic}.changed`, 'one');
    await append(`${topic}.changed`, 'not-mine', [OTHER]);
    await append(`other-${topic}.changed`, 'other-topic');
    await append(`${topic}.changed`, 'two', [OTHER, PARTNER]);
    const one = (await first).value as LoggedEvent;
    const two = (await stream.next()).value as LoggedEvent;
    expect([one.entityId, two.entityId]).toEqual(['one', 'two']);
    expect(two.audience.sort()).toEqual([PARTNER, OTHER].sort());
    await stream.return(undefined);

    // Resume after `one`: `two` is replayed from the log, then `three` arrives live.
    const resumed = hub.subscribe({ partnerId: PARTNER, topics: [`${topic}.*`], after: decodeEventCursor(one.cursor) });
    const replayed = (await resumed.next()).value as LoggedEvent;
    expect(replayed.entityId).toBe('two');
    const next = resumed.next();
    await append(`${topic}.changed`, 'three');
    expect(((await next).value as LoggedEvent).entityId).toBe('three');
    await resumed.return(undefined);
  });
});
