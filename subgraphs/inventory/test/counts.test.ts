import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNT_FIELDS, InventoryWorld, ok, type StockCount } from './helpers';

/**
 * Stock counts (inventory issue, DESIGN.md §3): a blind count — the counter never sees the
 * expected quantity nor the variance until the count is posted — goes OPEN → COUNTED (every line
 * counted) → POSTED, and posting turns each variance into a COUNT_ADJUSTMENT movement. One count
 * in progress per warehouse.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

async function counts(warehouseId: string): Promise<StockCount[]> {
  return w.allNodes<StockCount>(
    'SHOP-A',
    `query($id: ID, $first: Int, $after: String) { stockCounts(warehouseId: $id, first: $first, after: $after) {
      edges { node { ${COUNT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    'stockCounts',
    { id: warehouseId },
  );
}

/** A warehouse with two slots of one product: 10 unbatched in DEFAULT, 5 of lot C-1 in BIN-1. */
async function countedWarehouse() {
  const product = await w.createProduct('SHOP-A');
  const warehouse = await w.createWarehouse('SHOP-A', { locations: ['BIN-1'], regions: ['DE-SL'] });
  await w.received('SHOP-A', warehouse.id, [
    { productId: product.id, quantity: 10 },
    { productId: product.id, quantity: 5, locationCode: 'BIN-1', batch: { lotNumber: 'C-1' } },
  ]);
  return { product, warehouse };
}

const lineAt = (count: StockCount, location: string) => count.lines.find((l) => l.location.code === location)!;

describe('blind count', () => {
  it('open → counted → posted; expected and variance hidden until posted; variances become COUNT_ADJUSTMENT', async () => {
    const { product, warehouse } = await countedWarehouse();

    const opened = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    expect(opened.status).toBe('OPEN');
    expect(opened.warehouse.id).toBe(warehouse.id);
    expect(opened.lines).toHaveLength(2);
    for (const line of opened.lines) expect(line).toMatchObject({ productId: product.id, counted: null, expected: null, variance: null });
    expect(lineAt(opened, 'BIN-1').batch).toEqual({ lotNumber: 'C-1' });

    // A second count of the same warehouse is refused while one is in progress.
    expect(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', errorCode: 'INVALID_TRANSITION', from: 'OPEN' });
    // Posting before every line is counted is refused.
    expect(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'OPEN' });

    const partly = ok<StockCount>(await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'DEFAULT').id, counted: 8 }] } }), 'StockCount');
    expect(partly.status).toBe('OPEN');
    expect(lineAt(partly, 'DEFAULT')).toMatchObject({ counted: 8, expected: null, variance: null });

    const counted = ok<StockCount>(await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'BIN-1').id, counted: 7 }] } }), 'StockCount');
    expect(counted.status).toBe('COUNTED');
    // Still blind: counted is known, expected and variance are not.
    expect(counted.lines.map((l) => [l.location.code, l.counted, l.expected, l.variance]).sort()).toEqual([
      ['BIN-1', 7, null, null],
      ['DEFAULT', 8, null, null],
    ]);
    expect(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'COUNTED' });
    // Nothing has moved yet.
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toMatchObject({ onHand: 15 });

    const posted = ok<StockCount>(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id }), 'StockCount');
    expect(posted.status).toBe('POSTED');
    expect(posted.lines.map((l) => [l.location.code, l.counted, l.expected, l.variance]).sort()).toEqual([
      ['BIN-1', 7, 5, 2],
      ['DEFAULT', 8, 10, -2],
    ]);
    const adjustments = await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['COUNT_ADJUSTMENT'] });
    expect(adjustments.map((m) => [m.location.code, m.batch?.lotNumber ?? null, m.quantity, m.reference]).sort()).toEqual([
      ['BIN-1', 'C-1', 2, `count:${opened.id}`],
      ['DEFAULT', null, -2, `count:${opened.id}`],
    ]);
    const levels = await w.stock('SHOP-A', { warehouseId: warehouse.id });
    expect(levels.map((l) => [l.location.code, l.onHand]).sort()).toEqual([
      ['BIN-1', 7],
      ['DEFAULT', 8],
    ]);
    await w.expectLedgerBalanced(product.id);

    // A posted count is final.
    expect(await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'DEFAULT').id, counted: 1 }] } })).toMatchObject({
      __typename: 'InvalidInventoryTransition',
      from: 'POSTED',
    });
    expect(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'POSTED' });
    expect(await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['COUNT_ADJUSTMENT'] })).toHaveLength(2);

    // Once posted, the next count may be opened; it starts blind again.
    const next = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    expect(next.lines.every((l) => l.counted === null && l.expected === null && l.variance === null)).toBe(true);
    expect((await counts(warehouse.id)).map((c) => [c.id, c.status])).toEqual([
      [next.id, 'OPEN'],
      [opened.id, 'POSTED'],
    ]);
  });

  it('lines counted exactly as expected post no movement', async () => {
    const { product, warehouse } = await countedWarehouse();
    const opened = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    ok(
      await w.mutate('SHOP-A', 'recordCount', {
        input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'DEFAULT').id, counted: 10 }, { lineId: lineAt(opened, 'BIN-1').id, counted: 5 }] },
      }),
      'StockCount',
    );
    const posted = ok<StockCount>(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id }), 'StockCount');
    expect(posted.lines.map((l) => l.variance)).toEqual([0, 0]);
    expect(await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['COUNT_ADJUSTMENT'] })).toEqual([]);
    await w.expectLedgerBalanced(product.id);
  });

  it('only one of two concurrent openings succeeds', async () => {
    const { warehouse } = await countedWarehouse();
    const results = await Promise.all([1, 2, 3].map(() => w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id })));
    expect(results.filter((r) => r.__typename === 'StockCount')).toHaveLength(1);
    expect(results.filter((r) => r.__typename === 'InvalidInventoryTransition')).toHaveLength(2);
    expect(await counts(warehouse.id)).toHaveLength(1);
  });

  it('refuses invalid counted quantities and lines of other counts, changing nothing', async () => {
    const { warehouse } = await countedWarehouse();
    const other = await countedWarehouse();
    const opened = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    const foreign = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: other.warehouse.id }), 'StockCount');
    expect(
      await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'DEFAULT').id, counted: 3 }, { lineId: lineAt(opened, 'BIN-1').id, counted: -1 }] } }),
    ).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[1].counted' });
    expect(await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: foreign.lines[0]!.id, counted: 1 }] } })).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'lines[0].lineId',
    });
    const [after] = await counts(warehouse.id);
    expect(after).toMatchObject({ id: opened.id, status: 'OPEN' });
    expect(after!.lines.every((l) => l.counted === null)).toBe(true);
  });

  it('a count below the reserved units cannot be posted', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-TH'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-TH');
    expect(order.status).toBe('ALLOCATED');
    const opened = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    ok(await w.mutate('SHOP-A', 'recordCount', { input: { countId: opened.id, lines: [{ lineId: opened.lines[0]!.id, counted: 2 }] } }), 'StockCount');
    expect(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id })).toMatchObject({
      __typename: 'InsufficientStock',
      errorCode: 'INSUFFICIENT_STOCK',
      productId: product.id,
      requested: 3,
      available: 2,
    });
    const [after] = await counts(warehouse.id);
    expect(after!.status).toBe('COUNTED');
    expect(await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['COUNT_ADJUSTMENT'] })).toEqual([]);
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 5, reserved: 3, available: 2 });
  });

  it('after posting, on-hand is what was counted even if stock moved while the count was open', async () => {
    const { product, warehouse } = await countedWarehouse();
    const opened = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
    // 4 more arrive in DEFAULT while the count is open; the counter finds all 14 there, and the 5 in BIN-1.
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 4 }]);
    ok(
      await w.mutate('SHOP-A', 'recordCount', {
        input: { countId: opened.id, lines: [{ lineId: lineAt(opened, 'DEFAULT').id, counted: 14 }, { lineId: lineAt(opened, 'BIN-1').id, counted: 5 }] },
      }),
      'StockCount',
    );
    ok(await w.mutate('SHOP-A', 'postStockCount', { id: opened.id }), 'StockCount');
    const levels = await w.stock('SHOP-A', { warehouseId: warehouse.id });
    expect(levels.map((l) => [l.location.code, l.onHand]).sort()).toEqual([
      ['BIN-1', 5],
      ['DEFAULT', 14],
    ]);
    await w.expectLedgerBalanced(product.id);
  });
});
