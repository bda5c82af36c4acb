import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, POLL, type Shipment } from './helpers';

/**
 * Allocation rules (inventory issue, DESIGN.md §3), observed as a user does: SHOP-A places and
 * approves orders of its own unlinked products through the gateway, the allocation workflow
 * reserves in the background, and the reservations show up as TO_PICK shipments (pick lists) and
 * reserved stock. Warehouses covering the ship-to region first, then priority, then availability;
 * a line may split across warehouses; batches leave first-expiry-first. Backorders are retried when
 * stock arrives; cancellation gives the stock back.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

/** Units per warehouse code on an order's shipments. */
function unitsByWarehouse(shipments: Shipment[]): Record<string, number> {
  const units: Record<string, number> = {};
  for (const s of shipments) units[s.warehouse.code] = (units[s.warehouse.code] ?? 0) + s.lines.reduce((sum, l) => sum + l.quantity, 0);
  return units;
}

describe('where stock is taken from', () => {
  it('a warehouse covering the ship-to region wins over a higher-priority one that does not', async () => {
    const product = await w.createProduct('SHOP-A');
    const preferred = await w.createWarehouse('SHOP-A', { regions: ['DE-HB'], priority: 1 });
    const covering = await w.createWarehouse('SHOP-A', { regions: ['DE-BE', 'DE-BB'], priority: 90 });
    await w.received('SHOP-A', preferred.id, [{ productId: product.id, quantity: 10 }]);
    await w.received('SHOP-A', covering.id, [{ productId: product.id, quantity: 10 }]);

    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-BB');
    expect(order.status).toBe('ALLOCATED');
    expect(unitsByWarehouse(await w.shipmentsOf('SHOP-A', order.id))).toEqual({ [covering.code]: 3 });
    expect(await w.totals('SHOP-A', covering.id, product.id)).toEqual({ onHand: 10, reserved: 3, available: 7 });
    expect(await w.totals('SHOP-A', preferred.id, product.id)).toEqual({ onHand: 10, reserved: 0, available: 10 });

    // Shipped to a region only the priority-1 warehouse covers, it is taken from there.
    const north = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-HB');
    expect(unitsByWarehouse(await w.shipmentsOf('SHOP-A', north.id))).toEqual({ [preferred.code]: 2 });
    await w.expectLedgerBalanced(product.id);
  });

  it('among warehouses that cover the region (or none that do), the lower priority number wins', async () => {
    const product = await w.createProduct('SHOP-A');
    const second = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 20 });
    const first = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 10 });
    const third = await w.createWarehouse('SHOP-A', { regions: ['DE-BY'], priority: 5 });
    for (const warehouse of [second, first, third]) await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 10 }]);

    const berlin = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 4 }], 'DE-BE');
    expect(unitsByWarehouse(await w.shipmentsOf('SHOP-A', berlin.id))).toEqual({ [first.code]: 4 });

    // Nobody covers DE-HE: the lowest priority number of all wins.
    const hesse = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 4 }], 'DE-HE');
    expect(unitsByWarehouse(await w.shipmentsOf('SHOP-A', hesse.id))).toEqual({ [third.code]: 4 });
  });

  it('with equal coverage and priority, the warehouse with more available stock wins', async () => {
    const product = await w.createProduct('SHOP-A');
    const small = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 10 });
    const large = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 10 });
    await w.received('SHOP-A', small.id, [{ productId: product.id, quantity: 4 }]);
    await w.received('SHOP-A', large.id, [{ productId: product.id, quantity: 9 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-BE');
    expect(unitsByWarehouse(await w.shipmentsOf('SHOP-A', order.id))).toEqual({ [large.code]: 3 });
  });

  it('splits a line across warehouses when the best one has too little, one shipment per warehouse', async () => {
    const product = await w.createProduct('SHOP-A');
    const covering = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 50 });
    const fallback = await w.createWarehouse('SHOP-A', { regions: ['DE-HB'], priority: 1 });
    const last = await w.createWarehouse('SHOP-A', { regions: ['DE-HB'], priority: 2 });
    await w.received('SHOP-A', covering.id, [{ productId: product.id, quantity: 3 }]);
    await w.received('SHOP-A', fallback.id, [{ productId: product.id, quantity: 1 }]);
    await w.received('SHOP-A', last.id, [{ productId: product.id, quantity: 10 }]);

    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 6 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    const shipments = await w.shipmentsOf('SHOP-A', order.id);
    expect(shipments).toHaveLength(3);
    expect(shipments.every((s) => s.status === 'TO_PICK' && s.order?.id === order.id)).toBe(true);
    expect(unitsByWarehouse(shipments)).toEqual({ [covering.code]: 3, [fallback.code]: 1, [last.code]: 2 });
    expect(await w.reservedUnits(product.id)).toBe(6);
    await w.expectLedgerBalanced(product.id);
  });

  it('takes batches first-expiry-first (FEFO), batches before unbatched stock', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], locations: ['BIN-A', 'BIN-B'] });
    await w.received('SHOP-A', warehouse.id, [
      { productId: product.id, quantity: 10, locationCode: 'BIN-A' },
      { productId: product.id, quantity: 5, locationCode: 'BIN-A', batch: { lotNumber: 'LATE', expiresOn: '2031-06-30' } },
      { productId: product.id, quantity: 4, locationCode: 'BIN-B', batch: { lotNumber: 'EARLY', expiresOn: '2029-03-31' } },
      { productId: product.id, quantity: 3, locationCode: 'BIN-B', batch: { lotNumber: 'MIDDLE', expiresOn: '2030-01-15' } },
    ]);

    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 9 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    const [shipment, ...others] = await w.shipmentsOf('SHOP-A', order.id);
    expect(others).toEqual([]);
    const picked = shipment!.lines.map((l) => [l.batch?.lotNumber ?? null, l.batch?.expiresOn ?? null, l.location.code, l.quantity]);
    expect(picked.sort()).toEqual(
      [
        ['EARLY', '2029-03-31', 'BIN-B', 4],
        ['MIDDLE', '2030-01-15', 'BIN-B', 3],
        ['LATE', '2031-06-30', 'BIN-A', 2],
      ].sort(),
    );
    const levels = await w.stock('SHOP-A', { productId: product.id });
    expect(Object.fromEntries(levels.map((l) => [l.batch?.lotNumber ?? 'none', l.reserved]))).toEqual({ EARLY: 4, MIDDLE: 3, LATE: 2, none: 0 });
  });
});

describe('backorders and release', () => {
  it('backorders what is missing, keeps the partial reservation, and completes it when stock arrives', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 2 }]);

    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 5 }], 'DE-BE');
    expect(order.status).toBe('BACKORDERED');
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 2, reserved: 2, available: 0 });

    // 2 arrive: still short by 1.
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 2 }]);
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(4);
    expect(await w.orderStatus('SHOP-A', order.id)).toBe('BACKORDERED');

    // The rest arrives in another warehouse: the order is complete.
    const other = await w.createWarehouse('SHOP-A', { regions: ['DE-BY'] });
    await w.received('SHOP-A', other.id, [{ productId: product.id, quantity: 3 }]);
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('ALLOCATED');
    expect(await w.reservedUnits(product.id)).toBe(5);
    expect(await w.totals('SHOP-A', other.id, product.id)).toEqual({ onHand: 3, reserved: 1, available: 2 });
    const shipments = await w.shipmentsOf('SHOP-A', order.id);
    expect(unitsByWarehouse(shipments)).toEqual({ [warehouse.code]: 4, [other.code]: 1 });
    await w.expectLedgerBalanced(product.id);
  });

  it('serves backorders oldest first when stock arrives', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
    const older = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-BE');
    const newer = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-BE');
    expect([older.status, newer.status]).toEqual(['BACKORDERED', 'BACKORDERED']);
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 3 }]);
    await expect.poll(() => w.orderStatus('SHOP-A', older.id), POLL).toBe('ALLOCATED');
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(3);
    expect(await w.orderStatus('SHOP-A', newer.id)).toBe('BACKORDERED');
  });

  it('offers stock freed by a cancellation to the waiting backorders at once, oldest first', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const holder = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 5 }], 'DE-BE');
    const first = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-BE');
    const second = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-BE');
    expect([holder.status, first.status, second.status]).toEqual(['ALLOCATED', 'BACKORDERED', 'BACKORDERED']);

    const cancelled = await w.gql<{ result: { __typename: string } }>(
      'SHOP-A',
      `mutation($id: ID!) { result: cancelOrder(id: $id, reason: "customer withdrew") { __typename } }`,
      { id: holder.id },
    );
    expect(cancelled.result.__typename).toBe('Order');
    // Within a second of the release (no receipt needed): 3 to the older backorder, 2 to the next.
    const held = (orderId: string) =>
      w.admin`select coalesce(sum(quantity), 0)::int as units from inventory.reservations where order_id = ${orderId}`.then((rows) => Number(rows[0]!['units']));
    await expect.poll(async () => [await held(first.id), await held(second.id)], { timeout: 1_000, interval: 20 }).toEqual([3, 2]);
    await expect.poll(() => w.orderStatus('SHOP-A', first.id), POLL).toBe('ALLOCATED');
    expect(await w.orderStatus('SHOP-A', second.id)).toBe('BACKORDERED');
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 5, reserved: 5, available: 0 });
    await w.expectLedgerBalanced(product.id);
  });

  it('a partly served backorder keeps its place in the queue', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
    const older = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-BE');
    const newer = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 1 }], 'DE-BE');
    // One unit: the older order takes it (and is still short by 2).
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 1 }]);
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(1);
    // The next unit goes to the older order again, not to the one that waited less.
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 1 }]);
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(2);
    const [row] = await w.admin`select coalesce(sum(quantity), 0)::int as units from inventory.reservations where order_id = ${older.id}`;
    expect(Number(row!['units'])).toBe(2);
    expect(await w.orderStatus('SHOP-A', newer.id)).toBe('BACKORDERED');
  });

  it('cancelling an allocated order gives its stock back and cancels its shipment', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 4 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    const [shipment] = await w.shipmentsOf('SHOP-A', order.id);
    const cancelled = await w.gql<{ result: { __typename: string; status: string } }>(
      'SHOP-A',
      `mutation($id: ID!) { result: cancelOrder(id: $id, reason: "customer withdrew") { __typename ... on Order { status } ... on OrdersError { message } } }`,
      { id: order.id },
    );
    expect(cancelled.result).toMatchObject({ __typename: 'Order', status: 'CANCELLED' });
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(0);
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    const [after] = await w.shipments('SHOP-A', { orderId: order.id });
    expect(after).toMatchObject({ id: shipment!.id, status: 'CANCELLED' });
    // The freed units serve the next order.
    const next = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 5 }], 'DE-BE');
    expect(next.status).toBe('ALLOCATED');
  });
});
