import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { APPROVED_STATUSES, PARTNER, World, eur, lastEntry, ok, type Order } from './helpers';

/**
 * Purchase orders (orders issue): createPurchaseOrder from a linked upstream supplier into one of
 * the buyer's own warehouses → DRAFT; submitPurchaseOrder → PENDING_ACCEPTANCE;
 * the supplier accepts (or rejects) and ships; the buyer confirms delivery.
 */

let w: World;
/** The buyers' own warehouses, where their purchase orders are delivered. */
const WAREHOUSE = { 'TRADER-B': '', 'SHOP-A': '' };

beforeAll(async () => {
  w = await World.start();
  WAREHOUSE['TRADER-B'] = await w.warehouseId('TRADER-B');
  WAREHOUSE['SHOP-A'] = await w.warehouseId('SHOP-A');
});
afterAll(async () => {
  await w?.close();
});

async function draft(as: 'TRADER-B' | 'SHOP-A', lines: [string, number][], warehouseId = WAREHOUSE[as]) {
  const input = { warehouseId, lines: await Promise.all(lines.map(async ([sku, quantity]) => ({ productId: await w.productId(as, sku), quantity }))) };
  return w.mutate(as, 'createPurchaseOrder', { input });
}

describe('a purchase from TRADER-B to SUPPLIER-C', () => {
  let po: Order;

  it('is drafted at the supply prices in force, into the named warehouse', async () => {
    po = ok(await draft('TRADER-B', [['B-TEA-GRN', 10], ['B-TEA-BLK', 4]]));
    expect(po).toMatchObject({
      kind: 'PURCHASE',
      status: 'DRAFT',
      seller: { id: PARTNER['SUPPLIER-C'] },
      buyer: { id: PARTNER['TRADER-B'] },
      warehouseId: WAREHOUSE['TRADER-B'],
      total: eur(10 * 300 + 4 * 500),
      customer: null,
      channel: null,
      parentOrder: null,
      childOrders: [],
    });
    expect(po.lines.map((l) => [l.lineNo, l.product.skuCode, l.buyerProduct?.skuCode, l.quantity, l.unitPrice.amountMinor, l.lineTotal.amountMinor, l.status])).toEqual([
      [1, 'C-GT-100', 'B-TEA-GRN', 10, '300', '3000', 'OPEN'],
      [2, 'C-BT-250', 'B-TEA-BLK', 4, '500', '2000', 'OPEN'],
    ]);
    expect(po.lines.every((l) => l.link !== null)).toBe(true);
    expect(po.timeline).toEqual([{ at: expect.any(String), actor: { id: PARTNER['TRADER-B'] }, from: null, to: 'DRAFT', reason: expect.any(String) }]);
  });

  it('is submitted by the buyer only, once', async () => {
    expect(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: po.id })).toMatchObject({ __typename: expect.stringMatching(/InvalidOrderTransition|OrderNotFound/) });
    const submitted = ok(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: po.id }));
    expect(submitted.status).toBe('PENDING_ACCEPTANCE');
    expect(lastEntry(submitted)).toMatchObject({ actor: { id: PARTNER['TRADER-B'] }, from: 'DRAFT', to: 'PENDING_ACCEPTANCE' });
    expect(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: po.id })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PENDING_ACCEPTANCE' });
    expect(await w.mutate('SUPPLIER-C', 'submitPurchaseOrder', { id: po.id })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: po.id })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(await w.visibleOrder('SUPPLIER-C', po.id)).toMatchObject({ status: 'PENDING_ACCEPTANCE', total: eur(5000), warehouseId: WAREHOUSE['TRADER-B'] });
  });

  it('is accepted by the supplier, who ships it from its own stock; the buyer confirms delivery', async () => {
    const accepted = ok(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: po.id }));
    expect(accepted.status).toBe('APPROVED');
    expect(accepted.lines.map((l) => [l.status, l.fulfilment])).toEqual([
      ['ROUTED', 'OWN'],
      ['ROUTED', 'OWN'],
    ]);
    expect(accepted.childOrders).toEqual([]);
    const requested = (await w.events(po.id)).filter((e) => e.topic === 'order.fulfilment_requested');
    expect(requested.map((e) => e.audience)).toEqual([['SUPPLIER-C']]);

    const [gt, bt] = accepted.lines;
    const partial = ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: po.id, lines: [{ lineId: gt!.id, quantity: 10 }] } }));
    expect(partial.status).toBe('PARTIALLY_SHIPPED');
    const full = ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: po.id, lines: [{ lineId: bt!.id, quantity: 4 }] } }));
    expect(full.status).toBe('SHIPPED');
    expect(full.lines.map((l) => [l.shippedQuantity, l.status])).toEqual([
      [10, 'SHIPPED'],
      [4, 'SHIPPED'],
    ]);
    expect((await w.visibleOrder('TRADER-B', po.id)).status).toBe('SHIPPED');
    expect(ok(await w.mutate('TRADER-B', 'confirmDelivery', { id: po.id })).status).toBe('DELIVERED');
    expect(await w.mutate('TRADER-B', 'completeOrder', { id: po.id })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(ok(await w.mutate('SUPPLIER-C', 'completeOrder', { id: po.id })).status).toBe('COMPLETED');
  });
});

describe('drafting', () => {
  it('names the bad field: unlinked or only proposed products, bad warehouse, quantities', async () => {
    const cases: [Promise<unknown>, string][] = [
      [draft('TRADER-B', [['B-POT-1L', 1]]), 'lines[0].productId'],
      // B-MUG-CER→C-MUG-300 is only PROPOSED.
      [draft('TRADER-B', [['B-TEA-GRN', 1], ['B-MUG-CER', 1]]), 'lines[1].productId'],
      [draft('TRADER-B', [['B-TEA-GRN', 0]]), 'lines[0].quantity'],
      [draft('TRADER-B', [['B-TEA-GRN', 1]], 'warehouse-1'), 'warehouseId'],
      // Another partner's warehouse answers like one that does not exist.
      [draft('TRADER-B', [['B-TEA-GRN', 1]], WAREHOUSE['SHOP-A']), 'warehouseId'],
      [draft('TRADER-B', [['B-TEA-GRN', 1]], randomUUID()), 'warehouseId'],
      [draft('TRADER-B', []), 'lines'],
      // SUPPLIER-C's product, visible to TRADER-B through the link, is not TRADER-B's to buy.
      [w.mutate('TRADER-B', 'createPurchaseOrder', { input: { warehouseId: WAREHOUSE['TRADER-B'], lines: [{ productId: await w.productId('SUPPLIER-C', 'C-GT-100'), quantity: 1 }] } }), 'lines[0].productId'],
    ];
    for (const [result, field] of cases) expect(await result, field).toMatchObject({ __typename: 'InvalidOrderInput', errorCode: 'INVALID_INPUT', field });
    expect((await w.listedOrders('TRADER-B', { kind: ['PURCHASE'], status: ['DRAFT'] }))).toHaveLength(0);
  });

  it('a draft is not sent to the supplier until it is submitted', async () => {
    const drafted = ok(await draft('TRADER-B', [['B-TEA-BLK', 2]]));
    expect(await w.order('SUPPLIER-C', drafted.id)).toBeNull();
    expect((await w.listedOrders('SUPPLIER-C')).map((o) => o.id)).not.toContain(drafted.id);
    ok(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: drafted.id }));
    expect(await w.order('SUPPLIER-C', drafted.id)).not.toBeNull();
  });
});

describe('rejection and cancellation', () => {
  it('the supplier rejects a submitted purchase order with a reason', async () => {
    const po = ok(await draft('TRADER-B', [['B-TEA-GRN', 5]]));
    ok(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: po.id }));
    const rejected = ok(await w.mutate('SUPPLIER-C', 'rejectDistributionOrder', { id: po.id, reason: 'minimum order is 10' }));
    expect(rejected).toMatchObject({ status: 'REJECTED' });
    expect(rejected.lines.map((l) => l.status)).toEqual(['CANCELLED']);
    expect(lastEntry(rejected)).toMatchObject({ actor: { id: PARTNER['SUPPLIER-C'] }, reason: 'minimum order is 10' });
    expect((await w.visibleOrder('TRADER-B', po.id)).status).toBe('REJECTED');
  });

  it('the buyer cancels its purchase order; the supplier cannot', async () => {
    const po = ok(await draft('TRADER-B', [['B-TEA-GRN', 5]]));
    ok(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: po.id }));
    expect(await w.mutate('SUPPLIER-C', 'cancelOrder', { id: po.id, reason: 'no' })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(ok(await w.mutate('TRADER-B', 'cancelOrder', { id: po.id, reason: 'found it cheaper' })).status).toBe('CANCELLED');
    expect(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: po.id })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'CANCELLED' });
  });
});

describe('a purchase from a trader whose product is linked further up', () => {
  it('routes on acceptance to the next supplier, who must be told where to deliver', async () => {
    const po = ok(await draft('SHOP-A', [['A-TEA-001', 6], ['A-MUG-001', 2]]));
    expect(po).toMatchObject({ seller: { id: PARTNER['TRADER-B'] }, total: eur(6 * 450 + 2 * 300) });
    ok(await w.mutate('SHOP-A', 'submitPurchaseOrder', { id: po.id }));
    const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: po.id }));
    expect(APPROVED_STATUSES).toContain(accepted.status);
    expect(accepted.lines.map((l) => [l.product.skuCode, l.fulfilment])).toEqual([
      ['B-TEA-GRN', 'DISTRIBUTED'],
      ['B-MUG-CER', 'OWN'],
    ]);
    expect(accepted.childOrders).toHaveLength(1);
    const upstream = await w.visibleOrder('SUPPLIER-C', accepted.childOrders[0]!.id);
    expect(upstream).toMatchObject({ seller: { id: PARTNER['SUPPLIER-C'] }, buyer: { id: PARTNER['TRADER-B'] }, parentOrder: null, total: eur(6 * 300) });
    expect(upstream.lines.map((l) => [l.product.skuCode, l.quantity])).toEqual([['C-GT-100', 6]]);
    // SUPPLIER-C drop-ships to SHOP-A's warehouse: the order must say where that is.
    expect(upstream.shipTo !== null || upstream.warehouseId === WAREHOUSE['SHOP-A'], `destination of ${JSON.stringify({ shipTo: upstream.shipTo, warehouseId: upstream.warehouseId })}`).toBe(true);
  });
});
