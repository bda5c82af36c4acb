import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { BERLIN, POLL, World, eur, lastEntry, lineBySku, ok, type Address, type Order } from './helpers';

/**
 * Adjustments before shipping (orders issue): quantity change, product substitution, address or
 * delivery method change — each re-validated and, on an approved order, re-routed: the old
 * distribution orders are cancelled (up the chain) and the lines routed again. A change of
 * quantities only is made in place up the chain instead (adjust-upstream.test.ts).
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

const HAMBURG: Address = { name: 'Hans Hafen', line1: 'Jungfernstieg 7', line2: null, city: 'Hamburg', postalCode: '20354', regionCode: 'DE-HH', country: 'DE' };

const adjust = (orderId: string, changes: Record<string, unknown>, reason = 'customer called') =>
  w.mutate('SHOP-A', 'adjustOrder', { input: { orderId, reason, ...changes } });

/** The distribution orders of a sales order that are still pending (SHOP-A's view). */
const pendingChildren = (order: Order) => order.childOrders.filter((c) => c.status === 'PENDING_ACCEPTANCE');

describe('before approval', () => {
  it('changes quantities, products, address and delivery method, re-validated, with a timeline entry', async () => {
    const so = await w.salesOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299], ['A-POT-001', 1, 3450], ['A-GFT-001', 1, 500]] });
    const teaPot = await w.productId('SHOP-A', 'A-TEA-002');
    const adjusted = ok(
      await adjust(so.id, {
        quantities: [{ lineId: so.lines[0]!.id, quantity: 5 }, { lineId: so.lines[2]!.id, quantity: 0 }],
        substitutions: [{ lineId: so.lines[1]!.id, productId: teaPot }],
        shipTo: HAMBURG,
        deliveryMethod: 'Express',
      }),
    );
    expect(adjusted.status).toBe('PENDING_REVIEW');
    expect(adjusted.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor, l.status])).toEqual([
      ['A-TEA-001', 5, '1299', 'OPEN'],
      ['A-TEA-002', 1, '3450', 'OPEN'],
      ['A-GFT-001', 1, '500', 'CANCELLED'],
    ]);
    expect(adjusted.total).toEqual(eur(5 * 1299 + 3450));
    expect(adjusted).toMatchObject({ shipTo: HAMBURG, deliveryMethod: 'Express', childOrders: [] });
    expect(lastEntry(adjusted)).toMatchObject({ from: 'PENDING_REVIEW', to: 'PENDING_REVIEW', reason: 'adjusted: customer called' });
    expect((await w.events(so.id)).at(-1)).toMatchObject({ topic: 'order.adjusted', audience: ['SHOP-A'], payload: { rerouted: false, shipToChanged: true } });
  });

  it('names the bad field of an invalid adjustment and changes nothing', async () => {
    const so = await w.salesOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299]] });
    const line = so.lines[0]!.id;
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ quantities: [{ lineId: randomUUID(), quantity: 1 }] }, 'quantities[0].lineId'],
      [{ quantities: [{ lineId: line, quantity: -1 }] }, 'quantities[0].quantity'],
      [{ quantities: [{ lineId: line, quantity: 0 }] }, 'quantities'],
      [{ substitutions: [{ lineId: line, productId: await w.productId('SHOP-D', 'D-CUP-001') }] }, 'substitutions[0].productId'],
      [{ substitutions: [{ lineId: line, productId: await w.productId('TRADER-B', 'B-TEA-GRN') }] }, 'substitutions[0].productId'],
      [{ substitutions: [{ lineId: line, productId: 'not-a-uuid' }] }, 'substitutions[0].productId'],
      [{ shipTo: { ...HAMBURG, regionCode: 'Hamburg' } }, 'shipTo.regionCode'],
      [{}, 'orderId'],
      [{ deliveryMethod: 'Express' }, 'reason', ' '],
    ];
    for (const [changes, field, reason] of cases) {
      expect(await adjust(so.id, changes, reason), field).toMatchObject({ __typename: 'InvalidOrderInput', errorCode: 'INVALID_INPUT', field });
    }
    expect(await w.visibleOrder('SHOP-A', so.id)).toEqual(so);
  });
});

describe('after approval: re-validated and re-routed', () => {
  it('a quantity change edits the distribution order in place (more in adjust-upstream.test.ts)', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299]] });
    const old = so.childOrders[0]!;
    const adjusted = ok(await adjust(so.id, { quantities: [{ lineId: so.lines[0]!.id, quantity: 4 }] }));
    expect(adjusted.status).toBe('APPROVED');
    expect(adjusted.lines[0]).toMatchObject({ quantity: 4, status: 'ROUTED', fulfilment: 'DISTRIBUTED', lineTotal: eur(4 * 1299) });
    expect(adjusted.total).toEqual(eur(4 * 1299));
    expect(adjusted.childOrders).toEqual([{ id: old.id, kind: 'DISTRIBUTION', status: 'PENDING_ACCEPTANCE' }]);
    const edited = await w.visibleOrder('TRADER-B', old.id);
    expect(edited.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor])).toEqual([['B-TEA-GRN', 4, '450']]);
    expect(edited.total).toEqual(eur(1800));
  });

  it('a new address and delivery method are carried to the new distribution order', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]], deliveryMethod: 'DHL' });
    expect((await w.onlyChild('SHOP-A', so.id)).shipTo).toEqual(BERLIN);
    const adjusted = ok(await adjust(so.id, { shipTo: HAMBURG, deliveryMethod: 'Courier' }));
    expect(adjusted).toMatchObject({ shipTo: HAMBURG, deliveryMethod: 'Courier' });
    const replacement = await w.visibleOrder('TRADER-B', pendingChildren(adjusted)[0]!.id);
    expect(replacement).toMatchObject({ shipTo: HAMBURG, deliveryMethod: 'Courier' });
    const adjustedEvent = (await w.events(so.id)).find((e) => e.topic === 'order.adjusted')!;
    expect(adjustedEvent.payload).toMatchObject({ rerouted: true, shipToChanged: true });
  });

  it('a substitution routes the new product: unlinked → own fulfilment, linked → its supplier', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 1, 1299], ['A-POT-001', 1, 3450]] });
    const toPot = ok(await adjust(so.id, { substitutions: [{ lineId: so.lines[0]!.id, productId: await w.productId('SHOP-A', 'A-GFT-001') }] }));
    expect(toPot.lines.map((l) => [l.product.skuCode, l.status, l.fulfilment])).toEqual([
      ['A-GFT-001', 'ROUTED', 'OWN'],
      ['A-POT-001', 'ROUTED', 'OWN'],
    ]);
    expect(toPot.childOrders.map((c) => c.status)).toEqual(['CANCELLED']);
    const request = (await w.events(so.id)).filter((e) => e.topic === 'order.fulfilment_requested').at(-1)!;
    expect((request.payload['lines'] as { productId: string }[]).map((l) => l.productId).sort()).toEqual(
      [await w.productId('SHOP-A', 'A-GFT-001'), await w.productId('SHOP-A', 'A-POT-001')].sort(),
    );

    const toBlack = ok(await adjust(so.id, { substitutions: [{ lineId: so.lines[1]!.id, productId: await w.productId('SHOP-A', 'A-TEA-002') }] }));
    expect(lineBySku(toBlack, 'A-TEA-002')).toMatchObject({ status: 'ROUTED', fulfilment: 'DISTRIBUTED', unitPrice: eur(3450) });
    const dist = await w.visibleOrder('SHOP-A', pendingChildren(toBlack)[0]!.id);
    expect(dist.lines.map((l) => [l.product.skuCode, l.buyerProduct?.skuCode, l.unitPrice.amountMinor])).toEqual([['B-TEA-BLK', 'A-TEA-002', '700']]);
  });

  it('a re-routing change cancels the old distribution orders up the chain', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 1, 1299]] });
    const first = so.childOrders[0]!;
    const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: first.id }));
    const second = accepted.childOrders[0]!;
    const adjusted = ok(await adjust(so.id, { quantities: [{ lineId: so.lines[0]!.id, quantity: 3 }], shipTo: HAMBURG }));
    expect(await w.status('TRADER-B', first.id)).toBe('CANCELLED');
    await expect.poll(() => w.status('SUPPLIER-C', second.id), POLL).toBe('CANCELLED');
    const replacement = await w.visibleOrder('TRADER-B', pendingChildren(adjusted)[0]!.id);
    expect(replacement.lines[0]).toMatchObject({ quantity: 3, unitPrice: eur(450) });
  });

  it('on a held order, re-routes on release', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]] });
    ok(await w.mutate('SHOP-A', 'holdOrder', { id: so.id, reason: 'check address' }));
    const adjusted = ok(await adjust(so.id, { shipTo: HAMBURG }));
    expect(adjusted.status).toBe('ON_HOLD');
    expect(adjusted.lines[0]).toMatchObject({ status: 'OPEN', fulfilment: null });
    expect(adjusted.childOrders.map((c) => c.status)).toEqual(['CANCELLED']);
    const released = ok(await w.mutate('SHOP-A', 'releaseOrder', { id: so.id }));
    expect(released.status).toBe('APPROVED');
    expect(released.lines[0]).toMatchObject({ status: 'ROUTED', fulfilment: 'DISTRIBUTED' });
    const replacement = await w.visibleOrder('TRADER-B', pendingChildren(released)[0]!.id);
    expect(replacement.shipTo).toEqual(HAMBURG);
  });
});

describe('when adjustment is not possible', () => {
  it('never cancels a distribution order that has already shipped (an adjustment racing the shipment down the chain)', async () => {
    // The mug ships from TRADER-B's own stock.
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-MUG-001', 1, 899]] });
    const first = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: so.childOrders[0]!.id }));
    const resume = await w.pauseWorkflows();
    try {
      const shipped = ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: first.lines[0]!.id, quantity: 1 }] } }));
      expect(shipped.status).toBe('SHIPPED');
      // The shipment has not reached the sales order yet, so it still looks adjustable.
      expect((await w.visibleOrder('SHOP-A', so.id)).lines[0]!.shippedQuantity).toBe(0);
      await adjust(so.id, { deliveryMethod: 'Express' });
      expect(await w.status('TRADER-B', first.id)).toBe('SHIPPED');
    } finally {
      await resume();
    }
  });

  it('refuses once anything has shipped, distribution orders, and orders of others', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-POT-001', 2, 3450], ['A-TEA-001', 1, 1299]] });
    const dist = so.childOrders[0]!;
    expect(await w.mutate('SHOP-A', 'adjustOrder', { input: { orderId: dist.id, deliveryMethod: 'x', reason: 'r' } })).toMatchObject({ __typename: 'InvalidOrderTransition' });
    expect(await w.mutate('TRADER-B', 'adjustOrder', { input: { orderId: so.id, deliveryMethod: 'x', reason: 'r' } })).toMatchObject({ __typename: 'OrderNotFound' });
    ok(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: so.lines[0]!.id, quantity: 1 }] } }));
    const before = await w.visibleOrder('SHOP-A', so.id);
    expect(await adjust(so.id, { deliveryMethod: 'Express' })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PARTIALLY_SHIPPED' });
    expect(await w.visibleOrder('SHOP-A', so.id)).toEqual(before);
  });
});
