import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVED_STATUSES, BERLIN, PARTNER, POLL, World, eur, lastEntry, lineBySku, ok, type Order } from './helpers';

/**
 * Distribution on approval (orders issue): each line whose product has an ACTIVE upstream link
 * goes to a DISTRIBUTION order for that supplier at the supply price in force, lines for the
 * same supplier grouped, ship-to carried; the routing cascades when the supplier accepts; lines
 * without a link are own fulfilment. Supplier rejections return the lines to the buyer as
 * NEEDS_DECISION (decideLines).
 *
 * Demo links: SHOP-A A-TEA-001→TRADER-B B-TEA-GRN (450, 480 in 30 days), A-TEA-002→B-TEA-BLK
 * (700), A-MUG-001→B-MUG-CER (300); TRADER-B B-TEA-GRN→SUPPLIER-C C-GT-100 (300),
 * B-TEA-BLK→C-BT-250 (500); B-MUG-CER→C-MUG-300 only PROPOSED. A-POT-001, A-GFT-001 unlinked.
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

const sortedCodes = (codes: (string | null)[]) => [...codes].sort();

describe('single level', () => {
  it('routes a linked line to a DISTRIBUTION order for the supplier at the supply price in force, carrying the ship-to', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 3, 1299]], deliveryMethod: 'DHL Express' });
    expect(so.status).toBe('APPROVED');
    const soLine = lineBySku(so, 'A-TEA-001');
    expect(soLine).toMatchObject({ status: 'ROUTED', fulfilment: 'DISTRIBUTED', link: { id: expect.any(String) }, unitPrice: eur(1299) });
    expect(so.childOrders).toEqual([{ id: expect.any(String), kind: 'DISTRIBUTION', status: 'PENDING_ACCEPTANCE' }]);

    const dist = await w.visibleOrder('SHOP-A', so.childOrders[0]!.id);
    expect(dist).toMatchObject({
      kind: 'DISTRIBUTION',
      status: 'PENDING_ACCEPTANCE',
      seller: { id: PARTNER['TRADER-B'] },
      buyer: { id: PARTNER['SHOP-A'] },
      customer: null,
      channel: null,
      externalNumber: null,
      parentOrder: { id: so.id },
      childOrders: [],
      // The price in force now (450), not the one scheduled in 30 days (480).
      total: eur(3 * 450),
      shipTo: BERLIN,
      deliveryMethod: 'DHL Express',
    });
    expect(dist.lines).toEqual([
      expect.objectContaining({
        lineNo: 1,
        quantity: 3,
        shippedQuantity: 0,
        status: 'OPEN',
        unitPrice: eur(450),
        lineTotal: eur(1350),
        product: expect.objectContaining({ skuCode: 'B-TEA-GRN' }),
        buyerProduct: expect.objectContaining({ skuCode: 'A-TEA-001' }),
        link: soLine.link,
      }),
    ]);
    expect(dist.timeline).toEqual([{ at: expect.any(String), actor: { id: PARTNER['SHOP-A'] }, from: null, to: 'PENDING_ACCEPTANCE', reason: expect.any(String) }]);

    // The supplier sees the same order at its supply price.
    const asSupplier = await w.visibleOrder('TRADER-B', dist.id);
    expect(asSupplier).toMatchObject({ status: 'PENDING_ACCEPTANCE', total: eur(1350), shipTo: BERLIN, parentOrder: null });

    // Events: the sales order's for SHOP-A only, the distribution order's for both parties.
    const soEvents = await w.events(so.id);
    expect(soEvents.map((e) => e.topic)).toEqual(['order.placed', 'order.reviewed', 'order.approved', 'order.routed']);
    expect(soEvents.every((e) => e.audience.join() === 'SHOP-A')).toBe(true);
    expect(soEvents.at(-1)!.payload).toMatchObject({ distributionOrderIds: [dist.id], ownLineIds: [] });
    const distEvents = await w.events(dist.id);
    expect(distEvents.map((e) => [e.topic, sortedCodes(e.audience)])).toEqual([['order.placed', ['SHOP-A', 'TRADER-B']]]);
  });

  it("groups the lines for the same supplier into one distribution order, each at its link's price", async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 1, 1299], ['A-TEA-002', 2, 1599], ['A-MUG-001', 4, 899]] });
    expect(so.lines.map((l) => [l.status, l.fulfilment])).toEqual([
      ['ROUTED', 'DISTRIBUTED'],
      ['ROUTED', 'DISTRIBUTED'],
      ['ROUTED', 'DISTRIBUTED'],
    ]);
    expect(so.childOrders).toHaveLength(1);
    const dist = await w.visibleOrder('SHOP-A', so.childOrders[0]!.id);
    expect(dist.lines.map((l) => [l.lineNo, l.product.skuCode, l.buyerProduct?.skuCode, l.quantity, l.unitPrice.amountMinor, l.lineTotal.amountMinor])).toEqual([
      [1, 'B-TEA-GRN', 'A-TEA-001', 1, '450', '450'],
      [2, 'B-TEA-BLK', 'A-TEA-002', 2, '700', '1400'],
      [3, 'B-MUG-CER', 'A-MUG-001', 4, '300', '1200'],
    ]);
    expect(dist.total).toEqual(eur(450 + 1400 + 1200));
    // The sales order keeps its retail prices.
    expect(so.total).toEqual(eur(1299 + 2 * 1599 + 4 * 899));
  });

  it('fulfils unlinked lines from own stock: fulfilment OWN and order.fulfilment_requested, no distribution order', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-POT-001', 1, 3450], ['A-GFT-001', 2, 500]] });
    expect(so.lines.map((l) => [l.product.skuCode, l.status, l.fulfilment, l.link])).toEqual([
      ['A-POT-001', 'ROUTED', 'OWN', null],
      ['A-GFT-001', 'ROUTED', 'OWN', null],
    ]);
    expect(so.childOrders).toEqual([]);
    const requested = (await w.events(so.id)).filter((e) => e.topic === 'order.fulfilment_requested');
    expect(requested).toHaveLength(1);
    expect(requested[0]!.audience).toEqual(['SHOP-A']);
    expect(requested[0]!.payload).toMatchObject({
      shipTo: { regionCode: 'DE-BE', country: 'DE' },
      lines: [
        { lineId: so.lines[0]!.id, productId: so.lines[0]!.product.id, quantity: 1 },
        { lineId: so.lines[1]!.id, productId: so.lines[1]!.product.id, quantity: 2 },
      ],
    });
  });

  it('splits a mixed order: linked lines to the supplier, unlinked lines own fulfilment', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599], ['A-POT-001', 1, 3450]] });
    expect(lineBySku(so, 'A-TEA-002')).toMatchObject({ status: 'ROUTED', fulfilment: 'DISTRIBUTED' });
    expect(lineBySku(so, 'A-POT-001')).toMatchObject({ status: 'ROUTED', fulfilment: 'OWN' });
    const dist = await w.onlyChild('SHOP-A', so.id);
    expect(dist.lines.map((l) => [l.product.skuCode, l.quantity])).toEqual([['B-TEA-BLK', 1]]);
    expect(dist.total).toEqual(eur(700));
    const requested = (await w.events(so.id)).filter((e) => e.topic === 'order.fulfilment_requested');
    expect(requested.map((e) => (e.payload['lines'] as { lineId: string }[]).map((l) => l.lineId))).toEqual([[lineBySku(so, 'A-POT-001').id]]);
  });
});

describe('two levels', () => {
  let so: Order;
  let first: Order;

  beforeAll(async () => {
    so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299], ['A-TEA-002', 1, 1599], ['A-MUG-001', 1, 899]] });
    first = await w.onlyChild('SHOP-A', so.id);
  });

  it('cascades when the supplier accepts: its linked lines go one level up, the rest is its own fulfilment', async () => {
    const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: first.id }));
    expect(accepted.status).toBe('APPROVED');
    expect(lastEntry(accepted)).toMatchObject({ actor: { id: PARTNER['TRADER-B'] }, from: 'PENDING_ACCEPTANCE', to: 'APPROVED' });
    expect(accepted.lines.map((l) => [l.product.skuCode, l.status, l.fulfilment])).toEqual([
      ['B-TEA-GRN', 'ROUTED', 'DISTRIBUTED'],
      ['B-TEA-BLK', 'ROUTED', 'DISTRIBUTED'],
      // B-MUG-CER→C-MUG-300 is only PROPOSED: TRADER-B ships the mug itself.
      ['B-MUG-CER', 'ROUTED', 'OWN'],
    ]);
    expect(accepted.parentOrder).toBeNull();
    expect(accepted.childOrders).toHaveLength(1);

    const second = await w.visibleOrder('TRADER-B', accepted.childOrders[0]!.id);
    expect(second).toMatchObject({
      kind: 'DISTRIBUTION',
      status: 'PENDING_ACCEPTANCE',
      seller: { id: PARTNER['SUPPLIER-C'] },
      buyer: { id: PARTNER['TRADER-B'] },
      parentOrder: { id: first.id },
      shipTo: BERLIN,
      total: eur(2 * 300 + 500),
    });
    expect(second.lines.map((l) => [l.product.skuCode, l.buyerProduct?.skuCode, l.quantity, l.unitPrice.amountMinor])).toEqual([
      ['C-GT-100', 'B-TEA-GRN', 2, '300'],
      ['C-BT-250', 'B-TEA-BLK', 1, '500'],
    ]);
    expect(second.timeline).toEqual([{ at: expect.any(String), actor: { id: PARTNER['TRADER-B'] }, from: null, to: 'PENDING_ACCEPTANCE', reason: expect.any(String) }]);
    // SUPPLIER-C sees it without the order it came from.
    expect(await w.visibleOrder('SUPPLIER-C', second.id)).toMatchObject({ parentOrder: null, total: eur(1100), shipTo: BERLIN });
    expect(sortedCodes((await w.events(second.id))[0]!.audience)).toEqual(['SUPPLIER-C', 'TRADER-B']);

    // TRADER-B's own-fulfilment request is addressed to TRADER-B only.
    const requested = (await w.events(first.id)).filter((e) => e.topic === 'order.fulfilment_requested');
    expect(requested).toHaveLength(1);
    expect(requested[0]!.audience).toEqual(['TRADER-B']);
    expect(requested[0]!.payload['lines']).toEqual([{ lineId: lineBySku(accepted, 'B-MUG-CER').id, productId: lineBySku(accepted, 'B-MUG-CER').product.id, quantity: 1 }]);

    // SHOP-A does not see TRADER-B's order to SUPPLIER-C; its sales order is unchanged.
    expect((await w.visibleOrder('SHOP-A', first.id)).childOrders).toEqual([]);
    expect(await w.order('SHOP-A', second.id)).toBeNull();
    expect((await w.visibleOrder('SHOP-A', so.id)).status).toBe('APPROVED');
  });

  it('a rejection one level up returns those lines to the trader as NEEDS_DECISION, and the trader decides', async () => {
    const second = (await w.visibleOrder('TRADER-B', first.id)).childOrders[0]!;
    const rejected = ok(await w.mutate('SUPPLIER-C', 'rejectDistributionOrder', { id: second.id, reason: 'harvest failed' }));
    expect(rejected).toMatchObject({ status: 'REJECTED' });
    expect(rejected.lines.map((l) => l.status)).toEqual(['CANCELLED', 'CANCELLED']);
    await expect.poll(async () => (await w.visibleOrder('TRADER-B', first.id)).lines.map((l) => l.status), POLL).toEqual(['NEEDS_DECISION', 'NEEDS_DECISION', 'ROUTED']);
    const trader = await w.visibleOrder('TRADER-B', first.id);
    // Still approved (allocation may have reserved TRADER-B's mug meanwhile).
    expect(APPROVED_STATUSES).toContain(trader.status);
    const noted = trader.timeline.filter((e) => e.reason?.includes('harvest failed'));
    expect(noted).toHaveLength(1);
    expect(noted[0]).toMatchObject({ actor: { id: PARTNER['TRADER-B'] }, from: noted[0]!.to });
    expect(APPROVED_STATUSES).toContain(noted[0]!.to);
    // The sales order one level further down is not affected.
    expect((await w.visibleOrder('SHOP-A', so.id)).lines.map((l) => l.status)).toEqual(['ROUTED', 'ROUTED', 'ROUTED']);

    const decided = ok(await w.mutate('TRADER-B', 'decideLines', { input: { orderId: first.id, lineIds: trader.lines.slice(0, 2).map((l) => l.id), decision: 'FULFIL_OWN', reason: 'from our stock' } }));
    expect(decided.lines.map((l) => [l.status, l.fulfilment])).toEqual([
      ['ROUTED', 'OWN'],
      ['ROUTED', 'OWN'],
      ['ROUTED', 'OWN'],
    ]);
  });
});

describe('supplier rejection', () => {
  let so: Order;
  let dist: Order;

  beforeAll(async () => {
    so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299], ['A-TEA-002', 1, 1599], ['A-MUG-001', 3, 899], ['A-POT-001', 1, 3450]] });
    dist = await w.onlyChild('SHOP-A', so.id);
  });

  it('only the seller accepts or rejects, only while pending, and a rejection needs a reason', async () => {
    expect(await w.mutate('SHOP-A', 'acceptDistributionOrder', { id: dist.id })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder', errorCode: 'NOT_PERMITTED_FOR_ROLE_IN_ORDER' });
    expect(await w.mutate('SHOP-A', 'rejectDistributionOrder', { id: dist.id, reason: 'no' })).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect(await w.mutate('TRADER-B', 'rejectDistributionOrder', { id: dist.id, reason: ' ' })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'reason' });
    expect(await w.mutate('SHOP-A', 'acceptDistributionOrder', { id: so.id })).toMatchObject({ __typename: 'InvalidOrderTransition', from: expect.stringMatching(/^(APPROVED|ALLOCATED|BACKORDERED)$/) });
    expect(await w.mutate('TRADER-B', 'reviewOrder', { id: dist.id, decision: 'APPROVE' })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'PENDING_ACCEPTANCE' });
    expect((await w.visibleOrder('TRADER-B', dist.id)).status).toBe('PENDING_ACCEPTANCE');
  });

  it('returns the rejected lines to the buyer as NEEDS_DECISION: nothing is lost', async () => {
    const rejected = ok(await w.mutate('TRADER-B', 'rejectDistributionOrder', { id: dist.id, reason: 'discontinued' }));
    expect(rejected.status).toBe('REJECTED');
    expect(lastEntry(rejected)).toMatchObject({ actor: { id: PARTNER['TRADER-B'] }, from: 'PENDING_ACCEPTANCE', to: 'REJECTED', reason: 'discontinued' });
    expect(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: dist.id })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'REJECTED' });

    await expect.poll(async () => (await w.visibleOrder('SHOP-A', so.id)).lines.map((l) => l.status), POLL).toEqual(['NEEDS_DECISION', 'NEEDS_DECISION', 'NEEDS_DECISION', 'ROUTED']);
    const after = await w.visibleOrder('SHOP-A', so.id);
    expect(APPROVED_STATUSES).toContain(after.status);
    expect(after.total).toEqual(so.total);
    expect(after.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor, l.fulfilment])).toEqual([
      ['A-TEA-001', 2, '1299', null],
      ['A-TEA-002', 1, '1599', null],
      ['A-MUG-001', 3, '899', null],
      ['A-POT-001', 1, '3450', 'OWN'],
    ]);
    const noted = after.timeline.filter((e) => e.reason?.includes('discontinued'));
    expect(noted).toHaveLength(1);
    expect(noted[0]).toMatchObject({ actor: { id: PARTNER['SHOP-A'] }, from: noted[0]!.to });
    expect(APPROVED_STATUSES).toContain(noted[0]!.to);
    expect((await w.events(so.id)).map((e) => e.topic)).toContain('order.lines_need_decision');
  });

  it('decideLines: FULFIL_OWN, RETRY_ROUTING and CANCEL each take their lines somewhere', async () => {
    const [tea1, tea2, mug, pot] = (await w.visibleOrder('SHOP-A', so.id)).lines;
    expect(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [pot!.id], decision: 'CANCEL' } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lineIds[0]' });
    expect(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [], decision: 'CANCEL' } })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lineIds' });
    expect(await w.mutate('TRADER-B', 'decideLines', { input: { orderId: dist.id, lineIds: [dist.lines[0]!.id], decision: 'CANCEL' } })).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'REJECTED' });

    const own = ok(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [tea1!.id], decision: 'FULFIL_OWN', reason: 'we have some' } }));
    expect(lineBySku(own, 'A-TEA-001')).toMatchObject({ status: 'ROUTED', fulfilment: 'OWN', link: null });
    const requested = (await w.events(so.id)).filter((e) => e.topic === 'order.fulfilment_requested').at(-1)!;
    expect(requested.payload['lines']).toEqual([{ lineId: tea1!.id, productId: tea1!.product.id, quantity: 2 }]);

    const retried = ok(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [tea2!.id], decision: 'RETRY_ROUTING' } }));
    expect(lineBySku(retried, 'A-TEA-002')).toMatchObject({ status: 'ROUTED', fulfilment: 'DISTRIBUTED' });
    expect(retried.childOrders.map((c) => c.status).sort()).toEqual(['PENDING_ACCEPTANCE', 'REJECTED']);
    const retry = await w.visibleOrder('TRADER-B', retried.childOrders.find((c) => c.status === 'PENDING_ACCEPTANCE')!.id);
    expect(retry.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor])).toEqual([['B-TEA-BLK', 1, '700']]);

    const cancelled = ok(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [mug!.id], decision: 'CANCEL', reason: 'customer agreed' } }));
    expect(lineBySku(cancelled, 'A-MUG-001').status).toBe('CANCELLED');
    expect(APPROVED_STATUSES).toContain(cancelled.status);
    expect(cancelled.total).toEqual(eur(2 * 1299 + 1599 + 3450));
    expect(cancelled.timeline.filter((e) => e.reason?.includes('CANCEL')).map((e) => e.reason)).toEqual([expect.stringContaining('customer agreed')]);
  });

  it('cancelling every line of an order cancels the order', async () => {
    const only = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]] });
    const child = await w.onlyChild('SHOP-A', only.id);
    ok(await w.mutate('TRADER-B', 'rejectDistributionOrder', { id: child.id, reason: 'no stock' }));
    await expect.poll(async () => (await w.visibleOrder('SHOP-A', only.id)).lines[0]!.status, POLL).toBe('NEEDS_DECISION');
    const decided = ok(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: only.id, lineIds: [only.lines[0]!.id], decision: 'CANCEL' } }));
    expect(decided.status).toBe('CANCELLED');
    expect(decided.total).toEqual(eur(0));
  });
});

describe('links', () => {
  it('routes to each supplier separately; a supplier sees only its own lines', async () => {
    // A second supplier for SHOP-A: a new product linked straight to SUPPLIER-C.
    await w.createProduct('SHOP-A', 'A-OOL-001', 'Oolong 100g');
    await w.link(['SHOP-A', 'A-OOL-001'], ['SUPPLIER-C', 'C-OOL-100'], { amountMinor: 640 });
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 1, 1299], ['A-OOL-001', 2, 1899], ['A-POT-001', 1, 3450]] });
    expect(so.childOrders).toHaveLength(2);
    const children = await Promise.all(so.childOrders.map((c) => w.visibleOrder('SHOP-A', c.id)));
    const toTrader = children.find((c) => c.seller.id === PARTNER['TRADER-B'])!;
    const toSupplier = children.find((c) => c.seller.id === PARTNER['SUPPLIER-C'])!;
    expect(toTrader.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor])).toEqual([['B-TEA-GRN', 1, '450']]);
    expect(toSupplier.lines.map((l) => [l.product.skuCode, l.quantity, l.unitPrice.amountMinor])).toEqual([['C-OOL-100', 2, '640']]);

    expect(await w.order('TRADER-B', toSupplier.id)).toBeNull();
    expect(await w.order('SUPPLIER-C', toTrader.id)).toBeNull();
    const traderView = JSON.stringify(await w.visibleOrder('TRADER-B', toTrader.id));
    const supplierView = JSON.stringify(await w.visibleOrder('SUPPLIER-C', toSupplier.id));
    for (const secret of ['C-OOL-100', 'A-POT-001', toSupplier.id, '"amountMinor":"1299"', '"amountMinor":"1899"', so.id]) expect(traderView).not.toContain(secret);
    for (const secret of ['B-TEA-GRN', 'A-POT-001', toTrader.id, '"amountMinor":"1299"', '"amountMinor":"1899"', so.id]) expect(supplierView).not.toContain(secret);
  });

  it('leaves a line whose link has no supply price in force yet for the seller to decide', async () => {
    await w.createProduct('SHOP-A', 'A-OOL-002', 'Oolong 250g');
    const inTenDays = new Date(Date.now() + 10 * 24 * 3600 * 1000).toISOString();
    await w.link(['SHOP-A', 'A-OOL-002'], ['SUPPLIER-C', 'C-OOL-100'], { amountMinor: 900, effectiveFrom: inTenDays });
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-OOL-002', 1, 2499]] });
    expect(so.lines[0]).toMatchObject({ status: 'NEEDS_DECISION', fulfilment: null });
    expect(so.childOrders).toEqual([]);
    const own = ok(await w.mutate('SHOP-A', 'decideLines', { input: { orderId: so.id, lineIds: [so.lines[0]!.id], decision: 'FULFIL_OWN' } }));
    expect(own.lines[0]).toMatchObject({ status: 'ROUTED', fulfilment: 'OWN' });
  });
});
