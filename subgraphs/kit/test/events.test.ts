import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import {
  EventConsumer,
  appendUncataloguedEvent,
  connectDatabase,
  decodeEventCursor,
  inTenantTransaction,
  readEventsAfter,
  LOG_START,
  type Database,
  type Identity,
  type LoggedEvent,
} from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

const PARTNER = '00000000-0000-4000-8000-00000000000a';
const OTHER = '00000000-0000-4000-8000-00000000000b';
const writer: Identity = { subject: 'test', partnerId: PARTNER, roles: ['admin'] };

let db: TestDatabase;
let app: Database;
let worker: Database;

beforeAll(async () => {
  db = await freshDatabase('empty');
  app = connectDatabase(db.appUrl, { max: 4 });
  worker = connectDatabase(db.workerUrl, { max: 4 });
  // The handler's own table: proves handler effects and cursor commit together.
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  await admin`create table public.handled (consumer text not null, event_id bigint not null, primary key (consumer, event_id))`;
  await admin`grant select, insert on public.handled to redthread_worker`;
  await admin.end();
});
afterAll(async () => {
  await app?.close();
  await worker?.close();
  await db?.drop();
});

/** Appends one event in its own committed transaction. */
async function append(entityId: string, audience = [PARTNER]): Promise<void> {
  await inTenantTransaction(app.db, writer, (tx) =>
    appendUncataloguedEvent(tx, { topic: 'test.appended', entityType: 'Test', entityId, audience }),
  );
}

/** Opens a transaction that appends an event and stays open until `commit()` is called. */
function openWriter(entityId: string) {
  let commit!: () => void;
  const released = new Promise<void>((resolve) => (commit = resolve));
  let appended!: () => void;
  const ready = new Promise<void>((resolve) => (appended = resolve));
  const done = inTenantTransaction(app.db, writer, async (tx) => {
    await appendUncataloguedEvent(tx, { topic: 'test.appended', entityType: 'Test', entityId, audience: [PARTNER] });
    appended();
    await released;
  });
  return { ready, commit: async () => (commit(), await done) };
}

function consumer(name: string, seen: LoggedEvent[]): EventConsumer {
  return new EventConsumer({
    name,
    db: worker.db,
    listenClient: worker.client,
    pollIntervalMs: 50,
    handle: async (tx, events) => {
      seen.push(...events);
      for (const event of events) {
        await tx.execute(sql`insert into public.handled (event_id, consumer) values (${event.id}, ${name})`);
      }
    },
  });
}

describe('event log', () => {
  it('appends inside the caller transaction: a rolled-back change leaves no event', async () => {
    await expect(
      inTenantTransaction(app.db, writer, async (tx) => {
        await appendUncataloguedEvent(tx, { topic: 'test.rolledback', entityType: 'Test', entityId: 'gone', audience: [PARTNER] });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const events = await worker.db.transaction((tx) => readEventsAfter(tx, LOG_START, { topics: ['test.rolledback'] }));
    expect(events).toEqual([]);
  });

  it('does not skip an event whose transaction commits after a later writer', async () => {
    const seen: LoggedEvent[] = [];
    const first = consumer('late-commit', seen);

    const early = openWriter('early-started-late-committed');
    await early.ready; // holds a lower txid, still uncommitted
    await append('late-started-early-committed'); // higher txid, commits first

    // While the early transaction is open, nothing may be delivered past it.
    await first.drainOnce();
    expect(seen.map((e) => e.entityId)).toEqual([]);

    await early.commit();
    while ((await first.drainOnce()) > 0);
    // Two aggregates, so possibly two partitions: no order between them is promised.
    expect(seen.map((e) => e.entityId).sort()).toEqual(['early-started-late-committed', 'late-started-early-committed']);
  });

  it('is not held back by a write transaction open in another database on the same server', async () => {
    // Regression: readers stopped below the oldest transaction running anywhere on the server, so
    // another database's open transaction (here: one of another test database) stalled them all.
    const elsewhere = await freshDatabase('empty');
    const foreign = postgres(elsewhere.adminUrl, { max: 1, onnotice: () => {} });
    try {
      const open = await foreign.reserve();
      await open`begin`;
      await open`select pg_current_xact_id()`; // it has a transaction id now, the oldest running
      await append('committed-beside-a-foreign-transaction');
      const seen: LoggedEvent[] = [];
      const reader = consumer('foreign-transaction', seen);
      await reader.drainOnce();
      expect(seen.map((e) => e.entityId)).toContain('committed-beside-a-foreign-transaction');
      // This database's own open writer still holds the horizon, as before.
      const local = openWriter('open-here');
      await local.ready;
      await append('after-the-local-writer');
      await reader.drainOnce();
      expect(seen.map((e) => e.entityId)).not.toContain('after-the-local-writer');
      await local.commit();
      while ((await reader.drainOnce()) > 0);
      expect(seen.map((e) => e.entityId)).toEqual(expect.arrayContaining(['open-here', 'after-the-local-writer']));
      await open`rollback`;
      open.release();
    } finally {
      await foreign.end();
      await elsewhere.drop();
    }
  });

  it('delivers every event exactly once across a restart, each partition in (txid, id) order', async () => {
    const seen: LoggedEvent[] = [];
    for (let i = 0; i < 30; i += 1) await append(`batch-${i}`);
    const before = consumer('restart', seen);
    await before.drainOnce(); // first batch committed with its cursor
    await before.stop(); // "crash" between batches

    const after = consumer('restart', seen);
    await after.start();
    for (let i = 30; i < 40; i += 1) await append(`batch-${i}`);
    await expect.poll(() => seen.filter((e) => e.entityId.startsWith('batch-')).length, { timeout: 10_000 }).toBe(40);
    await after.stop();

    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    const [row] = await admin`select count(*)::int as n from public.handled where consumer = 'restart'`;
    const partitions = await admin`select id, abs(hashtext(entity_id)::bigint) % 8 as partition from events.event_log`;
    await admin.end();
    expect(row?.['n']).toBe(seen.length);
    const partitionOf = new Map(partitions.map((r) => [Number(r['id']), Number(r['partition'])]));
    for (let partition = 0; partition < 8; partition += 1) {
      const order = seen.filter((e) => partitionOf.get(e.id) === partition).map((e) => [BigInt(e.txid), e.id] as const);
      for (let i = 1; i < order.length; i += 1) {
        const [prevTx, prevId] = order[i - 1]!;
        const [tx, id] = order[i]!;
        expect(tx > prevTx || (tx === prevTx && id > prevId)).toBe(true);
      }
    }
  });

  it('rolls back the cursor with the handler: a failing batch is delivered again', async () => {
    await inTenantTransaction(app.db, writer, (tx) =>
      appendUncataloguedEvent(tx, { topic: 'flaky.appended', entityType: 'Test', entityId: 'poison-then-ok', audience: [PARTNER] }),
    );
    let attempts = 0;
    const flaky = new EventConsumer({
      name: 'flaky',
      db: worker.db,
      listenClient: worker.client,
      topics: ['flaky.*'],
      handle: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('handler failed');
      },
    });
    await expect(flaky.drainOnce()).rejects.toThrow('handler failed');
    expect(await flaky.drainOnce()).toBeGreaterThan(0);
    expect(attempts).toBe(2);
  });

  it('shows an application connection only the events addressed to its partner', async () => {
    await append('for-other', [OTHER]);
    const mine = await inTenantTransaction(app.db, writer, (tx) => readEventsAfter(tx, LOG_START, { limit: 1000 }));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.audience.includes(PARTNER))).toBe(true);
    expect(mine.some((e) => e.entityId === 'for-other')).toBe(false);
    const cursor = mine.at(-1)!.cursor;
    expect(decodeEventCursor(cursor)).toEqual({ txid: mine.at(-1)!.txid, id: mine.at(-1)!.id });
  });

  it('refuses to change or delete logged events, even for the worker', async () => {
    const sqlstate = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code;
    expect(sqlstate(await worker.db.execute(sql`update events.event_log set topic = 'x'`).catch((e) => e))).toBe('42501');
    expect(sqlstate(await app.db.execute(sql`delete from events.event_log`).catch((e) => e))).toBe('42501');
  });
});
