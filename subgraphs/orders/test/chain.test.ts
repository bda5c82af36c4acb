import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER, POLL, World, lastEntry, lineBySku, ok, type Order } from './helpers';

/**
 * The chain workflow (orders issue): a supplier's shipment flows down the chain to every order
 * above (PARTIALLY_SHIPPED / SHIPPED), and a cancellation cancels the downstream distribution
 * orders that have not shipped — one level per event, in the background (expect.poll).
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

/** A sales order of SHOP-A routed to TRADER-B, accepted there, and (optionally) accepted by SUPPLIER-C. */
async function chain(lines: [string, number, number][], options: { supplierAccepts: boolean }) {
  const so = await w.approvedOrder('SHOP-A', { lines, deliveryMethod: 'DHL' });
  const first = await w.onlyChild('SHOP-A', so.id);
  const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: first.id }));
  let second: Order | undefined;
  if (accepted.childOrders.length) {
    second = await w.visibleOrder('SUPPLIER-C', accepted.childOrders[0]!.id);
    if (options.supplierAccepts) second = ok(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: second.id }));
  }
  return { so, first: accepted, second };
}

const shipped = (order: Order) => order.lines.map((l) => [l.product.skuCode, l.shippedQuantity, l.status]);

describe('shipments flow down the chain', () => {
  it("a supplier's partial and then full shipment updates every order above it", async () => {
    const { so, first, second } = await chain([['A-TEA-001', 3, 1299], ['A-TEA-002', 1, 1599]], { supplierAccepts: true });
    expect(second!.status).toBe('APPROVED');
    expect(second!.lines.map((l) => [l.product.skuCode, l.status, l.fulfilment])).toEqual([
      ['C-GT-100', 'ROUTED', 'OWN'],
      ['C-BT-250', 'ROUTED', 'OWN'],
    ]);
    const [gt, bt] = second!.lines;

    const partial = ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: gt!.id, quantity: 1 }], carrier: 'UPS', trackingNumber: '1Z999' } }));
    expect(partial.status).toBe('PARTIALLY_SHIPPED');
    expect(shipped(partial)).toEqual([['C-GT-100', 1, 'ROUTED'], ['C-BT-250', 0, 'ROUTED']]);
    const event = (await w.events(second!.id)).find((e) => e.topic === 'order.lines_shipped')!;
    expect(event.payload).toMatchObject({ carrier: 'UPS', trackingNumber: '1Z999', lines: [{ lineId: gt!.id, quantity: 1 }] });

    await expect.poll(() => w.status('TRADER-B', first.id), POLL).toBe('PARTIALLY_SHIPPED');
    expect(shipped(await w.visibleOrder('TRADER-B', first.id))).toEqual([['B-TEA-GRN', 1, 'ROUTED'], ['B-TEA-BLK', 0, 'ROUTED']]);
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('PARTIALLY_SHIPPED');
    expect(shipped(await w.visibleOrder('SHOP-A', so.id))).toEqual([['A-TEA-001', 1, 'ROUTED'], ['A-TEA-002', 0, 'ROUTED']]);

    const rest = ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: gt!.id, quantity: 2 }, { lineId: bt!.id, quantity: 1 }] } }));
    expect(rest.status).toBe('SHIPPED');
    expect(shipped(rest)).toEqual([['C-GT-100', 3, 'SHIPPED'], ['C-BT-250', 1, 'SHIPPED']]);
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('SHIPPED');
    const trader = await w.visibleOrder('TRADER-B', first.id);
    expect(trader.status).toBe('SHIPPED');
    expect(shipped(trader)).toEqual([['B-TEA-GRN', 3, 'SHIPPED'], ['B-TEA-BLK', 1, 'SHIPPED']]);
    const sales = await w.visibleOrder('SHOP-A', so.id);
    expect(shipped(sales)).toEqual([['A-TEA-001', 3, 'SHIPPED'], ['A-TEA-002', 1, 'SHIPPED']]);
    expect(sales.timeline.slice(-2).map((e) => [e.from, e.to, e.actor.id])).toEqual([
      ['APPROVED', 'PARTIALLY_SHIPPED', PARTNER['SHOP-A']],
      ['PARTIALLY_SHIPPED', 'SHIPPED', PARTNER['SHOP-A']],
    ]);
    expect((await w.events(so.id)).filter((e) => e.topic === 'order.lines_shipped').map((e) => e.audience)).toEqual([['SHOP-A'], ['SHOP-A']]);

    // Then delivery and completion of the sales order.
    expect(ok(await w.mutate('SHOP-A', 'confirmDelivery', { id: so.id })).status).toBe('DELIVERED');
    expect(ok(await w.mutate('SHOP-A', 'completeOrder', { id: so.id })).status).toBe('COMPLETED');
  });

  it("a trader's own shipment of its lines reaches the sales order", async () => {
    // A-MUG-001→B-MUG-CER; TRADER-B's mug link to SUPPLIER-C is only proposed: TRADER-B ships.
    const { so, first, second } = await chain([['A-MUG-001', 2, 899]], { supplierAccepts: false });
    expect(second).toBeUndefined();
    const mug = lineBySku(first, 'B-MUG-CER');
    expect(mug).toMatchObject({ status: 'ROUTED', fulfilment: 'OWN' });
    ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: mug.id, quantity: 2 }] } }));
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('SHIPPED');
    expect(shipped(await w.visibleOrder('SHOP-A', so.id))).toEqual([['A-MUG-001', 2, 'SHIPPED']]);
  });

  it('a mixed order is PARTIALLY_SHIPPED until the seller ships its own lines too', async () => {
    const { so, second } = await chain([['A-TEA-002', 1, 1599], ['A-POT-001', 1, 3450]], { supplierAccepts: true });
    ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: second!.lines[0]!.id, quantity: 1 }] } }));
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('PARTIALLY_SHIPPED');
    const partly = await w.visibleOrder('SHOP-A', so.id);
    expect(shipped(partly)).toEqual([['A-TEA-002', 1, 'SHIPPED'], ['A-POT-001', 0, 'ROUTED']]);
    const done = ok(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: lineBySku(partly, 'A-POT-001').id, quantity: 1 }] } }));
    expect(done.status).toBe('SHIPPED');
  });

  it('refuses shipments that are not the caller’s to report', async () => {
    const { so, first, second } = await chain([['A-TEA-001', 2, 1299], ['A-POT-001', 1, 3450]], { supplierAccepts: false });
    const tea = lineBySku(so, 'A-TEA-001');
    const pot = lineBySku(so, 'A-POT-001');
    // A drop-shipped line ships from the supplier.
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: tea.id, quantity: 1 }] } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[0].lineId' });
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: pot.id, quantity: 2 }] } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[0].quantity' });
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: pot.id, quantity: 1 }, { lineId: pot.id, quantity: 1 }] } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[1].quantity' });
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: first.lines[0]!.id, quantity: 1 }] } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[0].lineId' });
    // The buyer does not ship a distribution order; a pending one does not ship at all.
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: first.lines[0]!.id, quantity: 1 }] } })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: second!.lines[0]!.id, quantity: 1 }] } })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PENDING_ACCEPTANCE' });
    expect(shipped(await w.visibleOrder('SHOP-A', so.id))).toEqual([['A-TEA-001', 0, 'ROUTED'], ['A-POT-001', 0, 'ROUTED']]);
  });
});

describe('cancellation cascade', () => {
  it('cancelling a sales order cancels its pending distribution order', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 2, 1599], ['A-POT-001', 1, 3450]] });
    const dist = await w.onlyChild('SHOP-A', so.id);
    const cancelled = ok(await w.mutate('SHOP-A', 'cancelOrder', { id: so.id, reason: 'customer withdrew' }));
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.lines.map((l) => l.status)).toEqual(['CANCELLED', 'CANCELLED']);
    await expect.poll(() => w.status('TRADER-B', dist.id), POLL).toBe('CANCELLED');
    const after = await w.visibleOrder('TRADER-B', dist.id);
    expect(after.lines.map((l) => l.status)).toEqual(['CANCELLED']);
    expect(lastEntry(after)).toMatchObject({ from: 'PENDING_ACCEPTANCE', to: 'CANCELLED', reason: expect.any(String) });
    expect(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: dist.id })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'CANCELLED' });
  });

  it('cascades level by level through an accepted distribution order to the order above it', async () => {
    const { so, first, second } = await chain([['A-TEA-001', 1, 1299], ['A-MUG-001', 1, 899]], { supplierAccepts: true });
    expect(second!.status).toBe('APPROVED');
    ok(await w.mutate('SHOP-A', 'cancelOrder', { id: so.id, reason: 'fraud' }));
    await expect.poll(() => w.status('TRADER-B', first.id), POLL).toBe('CANCELLED');
    await expect.poll(() => w.status('SUPPLIER-C', second!.id), POLL).toBe('CANCELLED');
    expect((await w.visibleOrder('TRADER-B', first.id)).lines.map((l) => l.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect((await w.visibleOrder('SUPPLIER-C', second!.id)).lines.map((l) => l.status)).toEqual(['CANCELLED']);
    expect(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: second!.lines[0]!.id, quantity: 1 }] } })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'CANCELLED' });
  });

  it('leaves a rejected distribution order as it is', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]] });
    const dist = await w.onlyChild('SHOP-A', so.id);
    const rejected = ok(await w.mutate('TRADER-B', 'rejectDistributionOrder', { id: dist.id, reason: 'no stock' }));
    await expect.poll(async () => (await w.visibleOrder('SHOP-A', so.id)).lines[0]!.status, POLL).toBe('NEEDS_DECISION');
    ok(await w.mutate('SHOP-A', 'cancelOrder', { id: so.id, reason: 'gave up' }));
    // The cancellation is handled once the workflow has seen it: wait for a later marker.
    const marker = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]] });
    ok(await w.mutate('SHOP-A', 'cancelOrder', { id: marker.id, reason: 'marker' }));
    await expect.poll(() => w.status('TRADER-B', marker.childOrders[0]!.id), POLL).toBe('CANCELLED');
    expect(await w.visibleOrder('TRADER-B', dist.id)).toEqual(await w.visibleOrder('TRADER-B', rejected.id));
    expect((await w.visibleOrder('TRADER-B', dist.id)).timeline).toEqual(rejected.timeline);
    expect((await w.visibleOrder('TRADER-B', dist.id)).status).toBe('REJECTED');
  });

  it('an order that has started shipping can no longer be cancelled', async () => {
    const { so, first, second } = await chain([['A-TEA-001', 2, 1299]], { supplierAccepts: true });
    ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second!.id, lines: [{ lineId: second!.lines[0]!.id, quantity: 1 }] } }));
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('PARTIALLY_SHIPPED');
    expect(await w.mutate('SHOP-A', 'cancelOrder', { id: so.id, reason: 'too late' })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PARTIALLY_SHIPPED' });
    expect(await w.mutate('SHOP-A', 'cancelOrder', { id: first.id, reason: 'too late' })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PARTIALLY_SHIPPED' });
    expect(await w.status('TRADER-B', first.id)).toBe('PARTIALLY_SHIPPED');
    expect(await w.status('SUPPLIER-C', second!.id)).toBe('PARTIALLY_SHIPPED');
  });

  it('refuses to cancel a sales order once its trader shipped part of it, even before the shipment reached it', async () => {
    // The mug ships from TRADER-B's own stock; the tea goes on to SUPPLIER-C.
    const { so, first, second } = await chain([['A-MUG-001', 1, 899], ['A-TEA-002', 1, 1599]], { supplierAccepts: false });
    const mug = lineBySku(first, 'B-MUG-CER');
    const resume = await w.pauseWorkflows();
    try {
      ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: mug.id, quantity: 1 }] } }));
      // The sales order does not know yet, but the goods have left: the way out is a return.
      expect(await w.mutate('SHOP-A', 'cancelOrder', { id: so.id, reason: 'customer withdrew' })).toMatchObject({
        __typename: 'InvalidOrderTransition',
        errorCode: 'INVALID_TRANSITION',
        message: expect.stringContaining('request a return'),
      });
    } finally {
      await resume();
    }
    // Nothing was cancelled anywhere; the shipment reaches the sales order.
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('PARTIALLY_SHIPPED');
    expect(await w.status('TRADER-B', first.id)).toBe('PARTIALLY_SHIPPED');
    expect(await w.status('SUPPLIER-C', second!.id)).toBe('PENDING_ACCEPTANCE');
    // Finance invoices SHOP-A exactly the shipped mug (the trader's supply price), nothing else.
    await expect
      .poll(async () => {
        const rows = await w.admin`select order_line_id, amount_minor::bigint as amount from finance.ledger_entries where kind = 'INVOICE' and order_id = ${first.id}`;
        return rows.map((r) => ({ line: r['order_line_id'], amount: String(r['amount']) }));
      }, POLL)
      .toEqual([{ line: mug.id, amount: String(mug.unitPrice.amountMinor) }]);
  });

  it('the buyer cancels a distribution order, the seller may only reject it', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 1, 1299]] });
    const dist = await w.onlyChild('SHOP-A', so.id);
    expect(await w.mutate('TRADER-B', 'cancelOrder', { id: dist.id, reason: 'no' })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    const cancelled = ok(await w.mutate('SHOP-A', 'cancelOrder', { id: dist.id, reason: 'ordered elsewhere' }));
    expect(cancelled).toMatchObject({ status: 'CANCELLED' });
    expect(lastEntry(cancelled)).toMatchObject({ actor: { id: PARTNER['SHOP-A'] }, to: 'CANCELLED', reason: 'ordered elsewhere' });
  });
});
