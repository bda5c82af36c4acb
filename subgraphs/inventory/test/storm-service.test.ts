import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { connectDatabase, inTenantTransaction, isPgError, type Database, type Identity } from '@redthread/kit';
import { createProduct } from '@redthread/catalog/services/products';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { seededRandom } from '../../../test/random';
import { isFailure } from '../src/errors';
import { allocateLines, type AllocationOutcome, type LineToAllocate } from '../src/services/allocation';
import { receiveStock } from '../src/services/receipts';
import { createWarehouse } from '../src/services/warehouses';
import { PARTNER } from './helpers';

/**
 * The allocation storm at the service level (inventory issue): `allocateLines` in 500 concurrent
 * transactions, each its own `inTenantTransaction` on a pool of 20 application connections, against
 * a stock of 100. Overselling must be impossible and no transaction may fail: rows are locked in
 * one fixed order, so there are no deadlocks. The harness would retry a deadlock or serialization
 * failure (40P01/40001) so the invariants can still be checked, but it records every retry and the
 * test requires there were none.
 */

let db: TestDatabase;
let app: Database;
let admin: postgres.Sql;

const shopA: Identity = { subject: 'test:storm', partnerId: PARTNER['SHOP-A'], roles: ['admin'] };

beforeAll(async () => {
  db = await freshDatabase();
  app = connectDatabase(db.appUrl, { max: 20, applicationName: 'inventory-storm-test' });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await admin?.end();
  await app?.close();
  await db?.drop();
});

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8).toUpperCase()}-${++sequence}`;

/** A fresh product of SHOP-A with stock received into fresh warehouses (one slot per entry). */
async function stockedProduct(slots: { quantity: number; lot?: string; expiresOn?: string; warehouse: number }[], warehouseCount: number): Promise<string> {
  return inTenantTransaction(app.db, shopA, async (tx) => {
    const product = await createProduct(tx, shopA, { skuCode: unique('STORM'), name: 'Storm product' });
    if ('errorCode' in product) throw new Error(product.message);
    const warehouseIds: string[] = [];
    for (let i = 0; i < warehouseCount; i += 1) {
      const warehouse = await createWarehouse(tx, shopA, { code: unique('STW'), name: 'Storm warehouse', kind: 'OWN', regions: ['DE-BE'], priority: 10 + i });
      if (isFailure(warehouse)) throw new Error(warehouse.message);
      warehouseIds.push(warehouse.id);
    }
    for (const slot of slots) {
      const receipt = await receiveStock(tx, shopA, {
        warehouseId: warehouseIds[slot.warehouse]!,
        lines: [{ productId: product.id, quantity: slot.quantity, ...(slot.lot ? { batch: { lotNumber: slot.lot, expiresOn: slot.expiresOn ?? null } } : {}) }],
      });
      if (isFailure(receipt)) throw new Error(receipt.message);
    }
    return product.id;
  });
}

/**
 * Two fresh products: the first's stock split over three warehouses (priorities 10–12) with two
 * lots in the second (early, late expiry), the second's over two warehouses. Each allocation then
 * locks several rows, and an order of both products rows of two products.
 */
async function stockedPair(
  [plain, early, late, third]: [number, number, number, number],
  [secondFirst, secondOther]: [number, number],
): Promise<[string, string]> {
  const first = await stockedProduct(
    [
      { quantity: plain, warehouse: 0 },
      { quantity: early, warehouse: 1, lot: 'L-EARLY', expiresOn: '2030-01-01' },
      { quantity: late, warehouse: 1, lot: 'L-LATE', expiresOn: '2031-01-01' },
      { quantity: third, warehouse: 2 },
    ],
    3,
  );
  const second = await stockedProduct(
    [
      { quantity: secondFirst, warehouse: 0 },
      { quantity: secondOther, warehouse: 1 },
    ],
    2,
  );
  return [first, second];
}

interface StormResult {
  outcomes: AllocationOutcome[];
  retries: string[];
  failures: unknown[];
  ms: number;
}

/** Allocates each order in its own transaction, all at once; retries only 40P01/40001 and records them. */
async function storm(orders: LineToAllocate[][]): Promise<StormResult> {
  const retries: string[] = [];
  const failures: unknown[] = [];
  const started = performance.now();
  const results = await Promise.all(
    orders.map(async (lines) => {
      for (let attempt = 0; attempt < 10; attempt += 1) {
        try {
          return await inTenantTransaction(app.db, shopA, (tx) => allocateLines(tx, shopA, lines));
        } catch (error) {
          const code = isPgError(error, '40P01') ? '40P01' : isPgError(error, '40001') ? '40001' : undefined;
          if (!code) {
            failures.push(error);
            return [];
          }
          retries.push(code);
        }
      }
      failures.push(new Error('gave up after 10 retries'));
      return [];
    }),
  );
  return { outcomes: results.flat(), retries, failures, ms: Math.round(performance.now() - started) };
}

/** What the database holds for a product after a storm (read behind row-level security). */
async function snapshot(productId: string) {
  const [stock] = await admin`select sum(on_hand)::int as on_hand, sum(reserved)::int as reserved from inventory.stock where product_id = ${productId}`;
  const [ledger] = await admin`select coalesce(sum(quantity), 0)::int as units from inventory.movements where product_id = ${productId}`;
  const slots = await admin`
    select s.id, s.on_hand, s.reserved, coalesce((select sum(m.quantity) from inventory.movements m
      where m.warehouse_id = s.warehouse_id and m.location_id = s.location_id and m.product_id = s.product_id
        and m.batch_id is not distinct from s.batch_id), 0)::int as movement_sum,
      coalesce((select sum(r.quantity) from inventory.reservations r where r.stock_id = s.id), 0)::int as reservation_sum
    from inventory.stock s where s.product_id = ${productId}`;
  const allocations = await admin`select order_line_id, order_id, requested, allocated, status from inventory.allocations where product_id = ${productId}`;
  const reservations = await admin`
    select r.order_line_id, sum(r.quantity)::int as units from inventory.reservations r
    join inventory.stock s on s.id = r.stock_id where s.product_id = ${productId} group by r.order_line_id`;
  return {
    onHand: Number(stock!['on_hand']),
    reserved: Number(stock!['reserved']),
    ledgerUnits: Number(ledger!['units']),
    slots: slots.map((s) => ({ onHand: Number(s['on_hand']), reserved: Number(s['reserved']), movementSum: Number(s['movement_sum']), reservationSum: Number(s['reservation_sum']) })),
    allocations: allocations.map((a) => ({ lineId: a['order_line_id'] as string, orderId: a['order_id'] as string, requested: Number(a['requested']), allocated: Number(a['allocated']), status: a['status'] as string })),
    reservedByLine: new Map(reservations.map((r) => [r['order_line_id'] as string, Number(r['units'])])),
  };
}

describe('500 concurrent allocations against a stock of 100', () => {
  it('single-unit orders: exactly 100 allocated, 400 backordered, no failures, ledger intact', async ({ annotate }) => {
    const productId = await stockedProduct([{ quantity: 100, warehouse: 0 }], 1);
    const orders = Array.from({ length: 500 }, () => [
      { orderId: randomUUID(), lineId: randomUUID(), productId, quantity: 1, regionCode: 'DE-BE' } satisfies LineToAllocate,
    ]);
    const result = await storm(orders);
    await annotate(`500 allocations in ${result.ms} ms, ${result.retries.length} retries`);

    expect(result.failures.map(String)).toEqual([]);
    expect(result.outcomes).toHaveLength(500);
    expect(result.outcomes.filter((o) => o.fullyAllocated)).toHaveLength(100);
    expect(result.outcomes.filter((o) => !o.fullyAllocated)).toHaveLength(400);

    const after = await snapshot(productId);
    expect(after.allocations).toHaveLength(500);
    expect(after.allocations.filter((a) => a.status === 'ALLOCATED')).toHaveLength(100);
    expect(after.allocations.filter((a) => a.status === 'BACKORDERED')).toHaveLength(400);
    expect(after.allocations.filter((a) => a.status === 'BACKORDERED').every((a) => a.allocated === 0)).toBe(true);
    expect(after.reserved).toBe(100);
    expect(after.onHand).toBe(100);
    expect(after.ledgerUnits).toBe(after.onHand);
    for (const slot of after.slots) {
      expect(slot.onHand).toBe(slot.movementSum);
      expect(slot.reserved).toBe(slot.reservationSum);
    }
    // Every allocated order has its one-unit reservation on its own TO_PICK shipment.
    const [shipments] = await admin`select count(*)::int as n from inventory.shipments where order_id = any(${after.allocations.filter((a) => a.status === 'ALLOCATED').map((a) => a.orderId)}::uuid[]) and status = 'TO_PICK'`;
    expect(Number(shipments!['n'])).toBe(100);
    // One allocation_changed event per order, 100 of them fully allocated.
    const events = await admin`select payload from events.event_log where topic = 'inventory.allocation_changed' and entity_id = any(${orders.map((o) => o[0]!.orderId)})`;
    expect(events).toHaveLength(500);
    expect(events.filter((e) => (e['payload'] as { fullyAllocated: boolean }).fullyAllocated)).toHaveLength(100);

    expect(result.retries, `deadlocks/serialization failures retried by the harness (storm took ${result.ms} ms)`).toEqual([]);
  }, 60_000);

  it('randomized sizes 1–5 over two products with stock split across warehouses and lots: no oversell, partial lines backordered', async ({ annotate }) => {
    const seed = 20261129;
    const random = seededRandom(seed);
    // 100 units of each product, spread over three warehouses and (for one) lots, so each
    // allocation locks several rows; orders with both products lock rows of two products.
    const [first, second] = await stockedPair([37, 33, 20, 10], [60, 40]);
    const orders: LineToAllocate[][] = Array.from({ length: 500 }, () => {
      const orderId = randomUUID();
      const pick = random();
      const products = pick < 0.4 ? [first] : pick < 0.8 ? [second] : random() < 0.5 ? [first, second] : [second, first];
      return products.map((productId) => ({ orderId, lineId: randomUUID(), productId, quantity: 1 + Math.floor(random() * 5), regionCode: random() < 0.5 ? 'DE-BE' : 'DE-BY' }));
    });
    const result = await storm(orders);
    await annotate(`500 orders (seed ${seed}) allocated in ${result.ms} ms, ${result.retries.length} retries`);
    expect(result.failures.map(String), `seed ${seed}`).toEqual([]);

    for (const productId of [first, second]) {
      const requestedLines = orders.flat().filter((l) => l.productId === productId);
      const demand = requestedLines.reduce((sum, l) => sum + l.quantity, 0);
      expect(demand).toBeGreaterThan(100);
      const after = await snapshot(productId);
      expect(after.allocations).toHaveLength(requestedLines.length);
      const allocatedUnits = after.allocations.reduce((sum, a) => sum + a.allocated, 0);
      expect(allocatedUnits).toBeLessThanOrEqual(100);
      // A line that is short took everything left, so with demand > supply all 100 units are reserved.
      expect(allocatedUnits).toBe(100);
      for (const allocation of after.allocations) {
        const requested = requestedLines.find((l) => l.lineId === allocation.lineId)!;
        expect(allocation.requested).toBe(requested.quantity);
        if (allocation.status === 'ALLOCATED') expect(allocation.allocated).toBe(allocation.requested);
        else {
          expect(allocation.status).toBe('BACKORDERED');
          expect(allocation.allocated).toBeLessThan(allocation.requested);
          expect(allocation.allocated).toBeGreaterThanOrEqual(0);
        }
        expect(after.reservedByLine.get(allocation.lineId) ?? 0, `reservations of line ${allocation.lineId}`).toBe(allocation.allocated);
      }
      expect(after.reserved).toBe(allocatedUnits);
      expect(after.onHand).toBe(100);
      expect(after.ledgerUnits).toBe(after.onHand);
      for (const slot of after.slots) {
        expect(slot.onHand).toBe(slot.movementSum);
        expect(slot.reserved).toBe(slot.reservationSum);
        expect(slot.reserved).toBeLessThanOrEqual(slot.onHand);
      }
    }
    // Each order's outcome says fully allocated exactly when all its lines are.
    const statusByLine = new Map<string, string>();
    for (const productId of [first, second]) for (const a of (await snapshot(productId)).allocations) statusByLine.set(a.lineId, a.status);
    for (const outcome of result.outcomes) {
      const lines = orders.find((o) => o[0]!.orderId === outcome.orderId)!;
      expect(outcome.fullyAllocated).toBe(lines.every((l) => statusByLine.get(l.lineId) === 'ALLOCATED'));
    }

    expect(result.retries, `deadlocks/serialization failures retried by the harness (seed ${seed}, storm took ${result.ms} ms)`).toEqual([]);
  }, 60_000);

  it('allocating the same lines again changes nothing (idempotent per line)', async () => {
    const productId = await stockedProduct([{ quantity: 10, warehouse: 0 }], 1);
    const orders = Array.from({ length: 20 }, () => [{ orderId: randomUUID(), lineId: randomUUID(), productId, quantity: 1, regionCode: 'DE-BE' }]);
    const once = await storm(orders);
    expect(once.failures.map(String)).toEqual([]);
    const before = await snapshot(productId);
    const twice = await storm(orders);
    expect(twice.failures.map(String)).toEqual([]);
    const after = await snapshot(productId);
    expect(after.reserved).toBe(10);
    expect(after.allocations.sort((a, b) => a.lineId.localeCompare(b.lineId))).toEqual(before.allocations.sort((a, b) => a.lineId.localeCompare(b.lineId)));
  }, 30_000);
});

/**
 * The allocation consumer hands a batch's fulfilment requests to `allocateLines` in one call. That
 * call must serve the lines exactly as one call per order would, one after another, and cost a
 * fixed number of statements however many lines it serves.
 */
describe('many orders in one call (the allocation consumer’s batch)', () => {

  /** Per line (by its position in `orders`): status, units, and units per (warehouse priority, lot). */
  async function allocationsOf(orders: LineToAllocate[][]) {
    const lineIds = orders.flat().map((line) => line.lineId);
    const rows = await admin`
      select a.order_line_id, a.status, a.allocated,
        coalesce((select json_agg(json_build_array(w.priority, b.lot_number, r.quantity) order by w.priority, b.lot_number nulls last, r.quantity)
          from inventory.reservations r join inventory.stock s on s.id = r.stock_id join inventory.warehouses w on w.id = r.warehouse_id
          left join inventory.batches b on b.id = s.batch_id where r.order_line_id = a.order_line_id), '[]') as taken
      from inventory.allocations a where a.order_line_id = any(${lineIds}::uuid[])`;
    const byLine = new Map(rows.map((row) => [row['order_line_id'] as string, { status: row['status'], allocated: Number(row['allocated']), taken: row['taken'] }]));
    return lineIds.map((id) => byLine.get(id));
  }

  /** Per order (by position): its events in log order, as (topic, fully allocated). */
  async function eventsOf(orders: LineToAllocate[][]) {
    const rows = await admin`
      select entity_id, topic, payload->>'orderId' as order_id, payload->'fullyAllocated' as fully
      from events.event_log where topic in ('inventory.allocation_changed', 'shipment.queued')
        and payload->>'orderId' = any(${orders.map((lines) => lines[0]!.orderId)}::text[])
      order by id`;
    return orders.map((lines) => rows.filter((row) => row['order_id'] === lines[0]!.orderId).map((row) => [row['topic'], row['fully'] ?? null]));
  }

  it('serves the lines of 80 orders in one call exactly as 80 calls one after another would', async () => {
    const random = seededRandom(20261202);
    const together = await stockedPair([17, 13, 10, 10], [30, 20]);
    const oneByOne = await stockedPair([17, 13, 10, 10], [30, 20]);
    const shapes = Array.from({ length: 80 }, () => {
      const pick = random();
      const products = pick < 0.4 ? [0] : pick < 0.8 ? [1] : [0, 1];
      return products.map((product) => ({ product, quantity: 1 + Math.floor(random() * 4), regionCode: random() < 0.4 ? 'DE-BE' : random() < 0.5 ? 'DE-BY' : null }));
    });
    const materialize = (products: [string, string]) =>
      shapes.map((lines) => {
        const orderId = randomUUID();
        return lines.map((line) => ({ orderId, lineId: randomUUID(), productId: products[line.product]!, quantity: line.quantity, regionCode: line.regionCode }));
      });
    const batch = materialize(together);
    const single = materialize(oneByOne);

    const outcomes = await inTenantTransaction(app.db, shopA, (tx) => allocateLines(tx, shopA, batch.flat()));
    const singleOutcomes: AllocationOutcome[] = [];
    for (const lines of single) singleOutcomes.push(...(await inTenantTransaction(app.db, shopA, (tx) => allocateLines(tx, shopA, lines))));

    const demand = shapes.flat().reduce((sum, line) => sum + line.quantity, 0);
    expect(demand, 'demand exceeds the 100 units, so the order of service matters').toBeGreaterThan(100);
    expect(await allocationsOf(batch)).toEqual(await allocationsOf(single));
    expect(await eventsOf(batch)).toEqual(await eventsOf(single));
    expect(outcomes.map((o) => [o.fullyAllocated, o.lines.map((l) => [l.requested, l.allocated])])).toEqual(
      singleOutcomes.map((o) => [o.fullyAllocated, o.lines.map((l) => [l.requested, l.allocated])]),
    );
    // Some orders were served in full, some only in part, some not at all.
    const statuses = new Set((await allocationsOf(batch)).map((a) => `${a!.status}:${a!.allocated > 0}`));
    expect(statuses).toEqual(new Set(['ALLOCATED:true', 'BACKORDERED:true', 'BACKORDERED:false']));
    for (const productId of together) {
      const after = await snapshot(productId);
      expect(after.reserved).toBe(50);
      for (const slot of after.slots) expect(slot.reserved).toBe(slot.reservationSum);
    }
  }, 60_000);

  it('costs the same number of SQL statements for 40 orders as for 4', async () => {
    let statements = 0;
    const counted = connectDatabase(db.appUrl, { max: 1, applicationName: 'inventory-statements-test', onQuery: () => (statements += 1) });
    try {
      const used: number[] = [];
      // The first round opens the connection (postgres.js reads the server's types then); not counted.
      for (const count of [1, 4, 40]) {
        const [first, second] = await stockedPair([17, 13, 10, 10], [30, 20]);
        const orders = Array.from({ length: count }, (_, i) => {
          const orderId = randomUUID();
          return [first, second].map((productId) => ({ orderId, lineId: randomUUID(), productId, quantity: 1 + (i % 2), regionCode: 'DE-BE' }));
        });
        statements = 0;
        await inTenantTransaction(counted.db, shopA, (tx) => allocateLines(tx, shopA, orders.flat()));
        used.push(statements);
      }
      expect(used[2], `statements for 1, 4 and 40 orders: ${used.join(', ')}`).toBe(used[1]);
    } finally {
      await counted.close();
    }
  });
});
