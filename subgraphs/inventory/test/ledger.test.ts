import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, inTenantTransaction, isPgError, type Database, type Identity } from '@redthread/kit';
import { isFailure } from '../src/errors';
import { recordMovements } from '../src/services/ledger';
import { locationByCode, visibleWarehouse } from '../src/services/warehouses';
import { InventoryWorld, PARTNER, POLL, ok, type Movement, type StockCount, type Transfer } from './helpers';

/**
 * The movement ledger (inventory issue, DESIGN.md §3): every movement kind the API produces, each
 * checked against `inventory.stock` — on-hand equals the sum of the slot's movements after every
 * step — plus purchase receipts against a real purchase order (partial, full, over-receiving
 * refused) and the CHECK constraints that make the ledger refuse what would go below zero or below
 * the reserved units. RETURN_RECEIPT is not tested: no API produces it yet (receiveReturn in
 * orders does not move stock, and inventory exposes no return receipt).
 */

let w: InventoryWorld;
let app: Database;

beforeAll(async () => {
  w = await InventoryWorld.start();
  app = connectDatabase(w.db.appUrl, { max: 2 });
});

afterAll(async () => {
  await app?.close();
  await w?.close();
});

const shopA: Identity = { subject: 'test:ledger', partnerId: PARTNER['SHOP-A'], roles: ['admin'] };

describe('every movement kind keeps on-hand = sum of movements', () => {
  it('FREE_RECEIPT, TRANSFER_OUT/IN, COUNT_ADJUSTMENT and SHIPMENT on one product', async () => {
    const product = await w.createProduct('SHOP-A');
    const north = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1, locations: ['BIN-1'] });
    const south = await w.createWarehouse('SHOP-A', { regions: ['DE-BY'], priority: 2 });

    // FREE_RECEIPT: two slots (DEFAULT without batch, BIN-1 with a lot).
    const receipt = await w.received('SHOP-A', north.id, [
      { productId: product.id, quantity: 10 },
      { productId: product.id, quantity: 5, locationCode: 'BIN-1', batch: { lotNumber: 'LOT-1', expiresOn: '2031-01-31' } },
    ]);
    expect(receipt.map((m) => [m.kind, m.quantity, m.location.code, m.batch?.lotNumber ?? null, m.reference])).toEqual([
      ['FREE_RECEIPT', 10, 'DEFAULT', null, 'free-receipt'],
      ['FREE_RECEIPT', 5, 'BIN-1', 'LOT-1', 'free-receipt'],
    ]);
    let slots = await w.expectLedgerBalanced(product.id);
    expect(slots.map((s) => s.onHand).sort()).toEqual([10, 5].sort());
    expect(await w.totals('SHOP-A', north.id, product.id)).toEqual({ onHand: 15, reserved: 0, available: 15 });

    // TRANSFER_OUT at the source when shipped, TRANSFER_IN at the destination when received.
    const transfer = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: north.id, toWarehouseId: south.id, lines: [{ productId: product.id, quantity: 4 }] } }),
      'Transfer',
    );
    ok(await w.mutate('SHOP-A', 'shipTransfer', { id: transfer.id }), 'Transfer');
    await w.expectLedgerBalanced(product.id);
    expect(await w.totals('SHOP-A', north.id, product.id)).toMatchObject({ onHand: 11 });
    ok(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: transfer.id, lines: [{ lineId: transfer.lines[0]!.id, receivedQuantity: 4 }] } }), 'Transfer');
    await w.expectLedgerBalanced(product.id);
    expect(await w.totals('SHOP-A', south.id, product.id)).toMatchObject({ onHand: 4 });

    // COUNT_ADJUSTMENT: the south warehouse counts 3 of the 4.
    const count = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: south.id }), 'StockCount');
    expect(count.lines).toHaveLength(1);
    ok(await w.mutate('SHOP-A', 'recordCount', { input: { countId: count.id, lines: [{ lineId: count.lines[0]!.id, counted: 3 }] } }), 'StockCount');
    ok(await w.mutate('SHOP-A', 'postStockCount', { id: count.id }), 'StockCount');
    await w.expectLedgerBalanced(product.id);
    expect(await w.totals('SHOP-A', south.id, product.id)).toMatchObject({ onHand: 3 });

    // SHIPMENT: an order of 2 to Berlin is allocated from the north warehouse and dispatched.
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    await w.expectLedgerBalanced(product.id);
    const [shipment] = await w.shipmentsOf('SHOP-A', order.id);
    await w.inspectAndDispatch('SHOP-A', shipment!);
    slots = await w.expectLedgerBalanced(product.id);
    expect(slots.reduce((sum, s) => sum + s.onHand, 0)).toBe(15 - 1 - 2);
    expect(slots.every((s) => s.reserved === 0)).toBe(true);

    // The ledger as the API lists it: newest first, every kind, signed, summing to on-hand.
    const movements = await w.movements('SHOP-A', { productId: product.id });
    expect(movements.map((m) => [m.kind, m.quantity])).toEqual([
      ['SHIPMENT', -2],
      ['COUNT_ADJUSTMENT', -1],
      ['TRANSFER_IN', 4],
      ['TRANSFER_OUT', -4],
      ['FREE_RECEIPT', 5],
      ['FREE_RECEIPT', 10],
    ]);
    expect(movements.map((m) => m.reference)).toEqual([
      `shipment:${shipment!.id}`,
      `count:${count.id}`,
      `transfer:${transfer.id}`,
      `transfer:${transfer.id}`,
      'free-receipt',
      'free-receipt',
    ]);
    const levels = await w.stock('SHOP-A', { productId: product.id });
    expect(movements.reduce((sum, m) => sum + m.quantity, 0)).toBe(levels.reduce((sum, l) => sum + l.onHand, 0));
    for (const level of levels) {
      const slotMovements = movements.filter((m) => m.warehouse.id === level.warehouse.id && m.location.code === level.location.code && (m.batch?.lotNumber ?? null) === (level.batch?.lotNumber ?? null));
      expect(slotMovements.reduce((sum, m) => sum + m.quantity, 0), `${level.warehouse.code}/${level.location.code}`).toBe(level.onHand);
    }

    // Filters: by kind and by warehouse.
    expect((await w.movements('SHOP-A', { productId: product.id, kind: ['TRANSFER_OUT', 'TRANSFER_IN'] })).map((m) => m.kind)).toEqual(['TRANSFER_IN', 'TRANSFER_OUT']);
    expect((await w.movements('SHOP-A', { warehouseId: south.id })).map((m) => [m.kind, m.quantity])).toEqual([
      ['COUNT_ADJUSTMENT', -1],
      ['TRANSFER_IN', 4],
    ]);
  });

  it('refuses receipts of foreign products, unknown locations and bad quantities, changing nothing', async () => {
    const product = await w.createProduct('SHOP-A');
    const foreign = await w.createProduct('TRADER-B');
    const warehouse = await w.createWarehouse('SHOP-A');
    const before = await w.movements('SHOP-A', { warehouseId: warehouse.id });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: foreign.id, quantity: 1 }])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].productId' });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 0 }])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].quantity' });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: product.id, quantity: -3 }])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].quantity' });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 1, locationCode: 'NO-SUCH-BIN' }])).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'lines[0].locationCode',
    });
    expect(await w.receive('SHOP-A', warehouse.id, [])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines' });
    // A valid first line does not slip through when a later one is refused.
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 2 }, { productId: product.id, quantity: 0 }])).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'lines[1].quantity',
    });
    expect(await w.movements('SHOP-A', { warehouseId: warehouse.id })).toEqual(before);
    expect(await w.ledger(product.id)).toEqual([]);
  });
});

describe('purchase receipts', () => {
  it('receives a purchase order partially, then fully, and refuses to receive more than ordered', async () => {
    const upstream = await w.createProduct('TRADER-B');
    const downstream = await w.createProduct('SHOP-A');
    const other = await w.createProduct('SHOP-A');
    await w.link('SHOP-A', downstream.id, 'TRADER-B', upstream.skuCode, 250);
    const warehouse = await w.createWarehouse('SHOP-A');
    const elsewhere = await w.createWarehouse('SHOP-A');

    const ORDER = `__typename ... on Order { id status kind } ... on OrdersError { errorCode message }`;
    const created = await w.gql<{ result: { __typename: string; id: string; status: string } }>(
      'SHOP-A',
      `mutation($input: CreatePurchaseOrderInput!) { result: createPurchaseOrder(input: $input) { ${ORDER} } }`,
      { input: { warehouseId: warehouse.id, lines: [{ productId: downstream.id, quantity: 10 }] } },
    );
    const po = ok<{ id: string; status: string }>(created.result, 'Order');
    // A draft is not receivable yet.
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 1 }], po.id)).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'purchaseOrderId',
    });
    ok((await w.gql<{ result: never }>('SHOP-A', `mutation($id: ID!) { result: submitPurchaseOrder(id: $id) { ${ORDER} } }`, { id: po.id })).result, 'Order');
    ok((await w.gql<{ result: never }>('TRADER-B', `mutation($id: ID!) { result: acceptDistributionOrder(id: $id) { ${ORDER} } }`, { id: po.id })).result, 'Order');

    // Refusals: another warehouse, a product not on the order, more than ordered.
    expect(await w.receive('SHOP-A', elsewhere.id, [{ productId: downstream.id, quantity: 1 }], po.id)).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'warehouseId' });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: other.id, quantity: 1 }], po.id)).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].productId' });
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 11 }], po.id)).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].quantity' });

    // Partial: 4 of 10.
    const partial = ok<{ movements: Movement[] }>(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 4 }], po.id), 'Receipt');
    expect(partial.movements).toEqual([expect.objectContaining({ kind: 'PURCHASE_RECEIPT', quantity: 4, productId: downstream.id, reference: expect.stringContaining(`purchase-order:${po.id}:line:`) })]);
    await w.expectLedgerBalanced(downstream.id);
    expect(await w.totals('SHOP-A', warehouse.id, downstream.id)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await w.orderStatus('SHOP-A', po.id)).not.toBe('DELIVERED');

    // 7 more would exceed the 6 that remain, also split over two lines of one receipt.
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 7 }], po.id)).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].quantity' });
    expect(
      await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 3 }, { productId: downstream.id, quantity: 4 }], po.id),
    ).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[1].quantity' });
    expect(await w.totals('SHOP-A', warehouse.id, downstream.id)).toMatchObject({ onHand: 4 });

    // The rest: received in full, the purchase order becomes DELIVERED.
    ok(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 6 }], po.id), 'Receipt');
    await w.expectLedgerBalanced(downstream.id);
    expect(await w.totals('SHOP-A', warehouse.id, downstream.id)).toEqual({ onHand: 10, reserved: 0, available: 10 });
    await expect.poll(() => w.orderStatus('SHOP-A', po.id), POLL).toBe('DELIVERED');

    // Nothing more can be received against it.
    expect(await w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 1 }], po.id)).toMatchObject({ __typename: 'InvalidInventoryInput' });
    const receipts = await w.movements('SHOP-A', { productId: downstream.id, kind: ['PURCHASE_RECEIPT'] });
    expect(receipts.map((m) => m.quantity)).toEqual([6, 4]);
    expect(await w.totals('SHOP-A', warehouse.id, downstream.id)).toMatchObject({ onHand: 10 });
  });

  it('concurrent receipts against one purchase order never receive more than was ordered', async () => {
    const upstream = await w.createProduct('TRADER-B');
    const downstream = await w.createProduct('SHOP-A');
    await w.link('SHOP-A', downstream.id, 'TRADER-B', upstream.skuCode);
    const warehouse = await w.createWarehouse('SHOP-A');
    const ORDER = `__typename ... on Order { id } ... on OrdersError { errorCode message }`;
    const created = await w.gql<{ result: { __typename: string; id: string } }>(
      'SHOP-A',
      `mutation($input: CreatePurchaseOrderInput!) { result: createPurchaseOrder(input: $input) { ${ORDER} } }`,
      { input: { warehouseId: warehouse.id, lines: [{ productId: downstream.id, quantity: 5 }] } },
    );
    const poId = ok<{ id: string }>(created.result, 'Order').id;
    ok((await w.gql<{ result: never }>('SHOP-A', `mutation($id: ID!) { result: submitPurchaseOrder(id: $id) { ${ORDER} } }`, { id: poId })).result, 'Order');
    ok((await w.gql<{ result: never }>('TRADER-B', `mutation($id: ID!) { result: acceptDistributionOrder(id: $id) { ${ORDER} } }`, { id: poId })).result, 'Order');

    // Two goods-in clerks book the whole delivery at the same moment: one receipt may succeed.
    const results = await Promise.all([1, 2, 3, 4].map(() => w.receive('SHOP-A', warehouse.id, [{ productId: downstream.id, quantity: 5 }], poId)));
    expect(results.filter((r) => r.__typename === 'Receipt')).toHaveLength(1);
    expect(await w.totals('SHOP-A', warehouse.id, downstream.id)).toMatchObject({ onHand: 5 });
  });

  it('does not let another partner receive against a purchase order that is not theirs', async () => {
    const upstream = await w.createProduct('TRADER-B');
    const downstream = await w.createProduct('SHOP-A');
    await w.link('SHOP-A', downstream.id, 'TRADER-B', upstream.skuCode);
    const warehouse = await w.createWarehouse('SHOP-A');
    const created = await w.gql<{ result: { __typename: string; id: string } }>(
      'SHOP-A',
      `mutation($input: CreatePurchaseOrderInput!) { result: createPurchaseOrder(input: $input) { __typename ... on Order { id } ... on OrdersError { message } } }`,
      { input: { warehouseId: warehouse.id, lines: [{ productId: downstream.id, quantity: 3 }] } },
    );
    const poId = ok<{ id: string }>(created.result, 'Order').id;
    const dWarehouse = await w.createWarehouse('SHOP-D');
    const dProduct = await w.createProduct('SHOP-D');
    expect(await w.receive('SHOP-D', dWarehouse.id, [{ productId: dProduct.id, quantity: 1 }], poId)).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'purchaseOrderId',
    });
    expect(await w.ledger(dProduct.id)).toEqual([]);
  });
});

describe('the ledger refuses what would oversell, by construction', () => {
  it('a movement that would take on-hand below zero or below the reserved units fails the transaction', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-SN'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-SN');
    expect(order.status).toBe('ALLOCATED');

    const take = (quantity: number) =>
      inTenantTransaction(app.db, shopA, async (tx) => {
        const row = (await visibleWarehouse(tx, warehouse.id))!;
        const location = (await locationByCode(tx, row, null))!;
        return recordMovements(tx, shopA, [{ warehouse: row, location, productId: product.id, batchId: null, kind: 'COUNT_ADJUSTMENT', quantity: -quantity, reference: 'test' }]);
      });
    // 5 on hand, 3 reserved: taking 3 would leave 2 < 3 reserved; taking 6 would go below zero.
    const belowReserved = await take(3).catch((error: unknown) => error);
    expect(isPgError(belowReserved, '23514'), String(belowReserved)).toBe(true);
    const belowZero = await take(6).catch((error: unknown) => error);
    expect(isPgError(belowZero, '23514'), String(belowZero)).toBe(true);
    // Reserving more than is available is refused by the CHECK too.
    const overReserve = await inTenantTransaction(app.db, shopA, (tx) =>
      tx.execute(sql.raw(`update inventory.stock set reserved = reserved + 3 where product_id = '${product.id}'`)),
    ).catch((error: unknown) => error);
    expect(isPgError(overReserve, '23514'), String(overReserve)).toBe(true);
    // Taking exactly what is free works.
    const taken = await take(2);
    expect(isFailure(taken)).toBe(false);
    const slots = await w.expectLedgerBalanced(product.id);
    expect(slots.map((s) => [s.onHand, s.reserved])).toEqual([[3, 3]]);
  });

  it('the application role cannot write stock or rewrite the ledger directly', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A');
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const attempts = [
      `update inventory.stock set on_hand = 500 where product_id = '${product.id}'`,
      `update inventory.movements set quantity = 500 where product_id = '${product.id}'`,
      `delete from inventory.movements where product_id = '${product.id}'`,
    ];
    for (const statement of attempts) {
      const error = await inTenantTransaction(app.db, shopA, (tx) => tx.execute(sql.raw(statement))).catch((e: unknown) => e);
      expect(isPgError(error, '42501'), `${statement}: ${String(error)}`).toBe(true);
    }
    const slots = await w.expectLedgerBalanced(product.id);
    expect(slots.map((s) => s.onHand)).toEqual([5]);
  });
});
