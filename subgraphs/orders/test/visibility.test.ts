import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { CODES, ORDER_FIELDS, PARTNER, World, ok, orderMutationDocument, type Code, type Order, type OrderMutation } from './helpers';

/**
 * The orders visibility matrix (orders issue, DESIGN.md §2), through the gateway: a SALES order
 * is seen by its seller only; DISTRIBUTION and PURCHASE orders by their buyer and seller;
 * parentOrder / childOrders resolve only when visible; the supplier never sees the channel's
 * retail prices. Every by-id probe of a foreign order answers exactly like a random id.
 *
 * The orders (created here; seeded orders are ignored by filtering on these ids):
 *   SO1  SHOP-A sales: A-TEA-001 ×2 (→ TRADER-B), A-POT-001 ×1 (own)
 *   DO1  SHOP-A → TRADER-B distribution (from SO1), accepted
 *   DO2  TRADER-B → SUPPLIER-C distribution (from DO1)
 *   SO2  SHOP-A sales, pending review
 *   POab SHOP-A → TRADER-B purchase, submitted
 *   PObc TRADER-B → SUPPLIER-C purchase, submitted
 *   SOd  SHOP-D sales, approved
 */

let w: World;
const ids = {} as Record<'SO1' | 'DO1' | 'DO2' | 'SO2' | 'POab' | 'PObc' | 'SOd', string>;
type Key = keyof typeof ids;
let orders: Record<Key, Order>;

const VISIBLE: Record<Code, Key[]> = {
  'SHOP-A': ['SO1', 'DO1', 'SO2', 'POab'],
  'TRADER-B': ['DO1', 'DO2', 'POab', 'PObc'],
  'SUPPLIER-C': ['DO2', 'PObc'],
  'SHOP-D': ['SOd'],
};
const KEYS: Key[] = ['SO1', 'DO1', 'DO2', 'SO2', 'POab', 'PObc', 'SOd'];
const RETAIL_TEA = 1299;
const RETAIL_POT = 3456;

beforeAll(async () => {
  w = await World.start();
  const so1 = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, RETAIL_TEA], ['A-POT-001', 1, RETAIL_POT]], deliveryMethod: 'DHL' });
  ids.SO1 = so1.id;
  ids.DO1 = so1.childOrders[0]!.id;
  const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: ids.DO1 }));
  ids.DO2 = accepted.childOrders[0]!.id;
  ids.SO2 = (await w.salesOrder('SHOP-A', { lines: [['A-GFT-001', 1, 990]] })).id;
  const poAb = ok(await w.mutate('SHOP-A', 'createPurchaseOrder', { input: { warehouseId: await w.warehouseId('SHOP-A'), lines: [{ productId: await w.productId('SHOP-A', 'A-MUG-001'), quantity: 3 }] } }));
  ids.POab = ok(await w.mutate('SHOP-A', 'submitPurchaseOrder', { id: poAb.id })).id;
  const poBc = ok(await w.mutate('TRADER-B', 'createPurchaseOrder', { input: { warehouseId: await w.warehouseId('TRADER-B'), lines: [{ productId: await w.productId('TRADER-B', 'B-TEA-BLK'), quantity: 5 }] } }));
  ids.PObc = ok(await w.mutate('TRADER-B', 'submitPurchaseOrder', { id: poBc.id })).id;
  ids.SOd = (await w.approvedOrder('SHOP-D', { lines: [['D-CUP-001', 1, 750]] })).id;
  // Let inventory's allocation of the own-fulfilment lines (SO1's teapot, SOd) settle first.
  await w.settledAllocation('SHOP-A', ids.SO1);
  await w.settledAllocation('SHOP-D', ids.SOd);
  orders = Object.fromEntries(await Promise.all(KEYS.map(async (key) => [key, await w.visibleOrder(partyOf(key), ids[key])]))) as Record<Key, Order>;
});
afterAll(async () => {
  await w?.close();
});

/** A partner that sees the order (to read its lines for the probes). */
function partyOf(key: Key): Code {
  return CODES.find((code) => VISIBLE[code].includes(key))!;
}

const nameOf = (id: string) => KEYS.find((key) => ids[key] === id) ?? id;

describe('orders(…) lists', () => {
  it.each(CODES)('%s lists exactly its own orders of those created here', async (code) => {
    const listed = await w.listedOrders(code);
    const created = new Set(Object.values(ids));
    expect(listed.filter((o) => created.has(o.id)).map((o) => nameOf(o.id)).sort()).toEqual([...VISIBLE[code]].sort());
    // Every listed order, seeded ones included, is one the caller sells or buys.
    for (const order of listed) expect([order.seller.id, order.buyer?.id]).toContain(PARTNER[code]);
  });

  it('TRADER-B never lists a SALES order; SUPPLIER-C lists only orders from TRADER-B; SHOP-D only its own sales', async () => {
    expect((await w.listedOrders('TRADER-B')).filter((o) => o.kind === 'SALES').map((o) => o.seller.id).filter((s) => s !== PARTNER['TRADER-B'])).toEqual([]);
    for (const order of await w.listedOrders('SUPPLIER-C')) {
      if (order.seller.id === PARTNER['SUPPLIER-C'] && order.kind !== 'SALES') expect(order.buyer?.id).toBe(PARTNER['TRADER-B']);
    }
    for (const order of await w.listedOrders('SHOP-D')) expect(order.seller.id).toBe(PARTNER['SHOP-D']);
  });

  it('filters by role and kind within what the caller sees', async () => {
    const names = async (code: Code, filter: Record<string, unknown>) =>
      (await w.listedOrders(code, filter)).map((o) => nameOf(o.id)).filter((name) => (KEYS as string[]).includes(name)).sort();
    expect(await names('SHOP-A', { role: 'SELLER' })).toEqual(['SO1', 'SO2']);
    expect(await names('SHOP-A', { role: 'BUYER' })).toEqual(['DO1', 'POab']);
    expect(await names('TRADER-B', { role: 'SELLER' })).toEqual(['DO1', 'POab']);
    expect(await names('TRADER-B', { role: 'BUYER' })).toEqual(['DO2', 'PObc']);
    expect(await names('TRADER-B', { kind: ['PURCHASE'] })).toEqual(['POab', 'PObc']);
    expect(await names('SUPPLIER-C', { kind: ['DISTRIBUTION'] })).toEqual(['DO2']);
    expect(await names('SHOP-D', { kind: ['DISTRIBUTION', 'PURCHASE'] })).toEqual([]);
  });
});

describe('order(id)', () => {
  const QUERY = `query($id: ID!) { order(id: $id) { ...OrderFields } } ${ORDER_FIELDS}`;

  it.each(CODES)('%s sees by id exactly the orders of its matrix; a foreign one answers like a random id', async (code) => {
    const random = await w.raw(code, QUERY, { id: randomUUID() });
    expect(random).toEqual({ status: 200, data: { order: null } });
    expect(await w.raw(code, QUERY, { id: 'not-an-id' })).toEqual(random);
    for (const key of KEYS) {
      const response = await w.raw<{ order: Order | null }>(code, QUERY, { id: ids[key] });
      if (VISIBLE[code].includes(key)) {
        expect(response.errors, `${code} ${key}`).toBeUndefined();
        expect(response.data?.order?.id, `${code} ${key}`).toBe(ids[key]);
      } else {
        expect(response, `${code} must not see ${key}`).toEqual(random);
      }
    }
  });

  it('parentOrder and childOrders resolve only when visible', async () => {
    const view = async (code: Code, key: Key) => {
      const order = await w.visibleOrder(code, ids[key]);
      return { parent: order.parentOrder ? nameOf(order.parentOrder.id) : null, children: order.childOrders.map((c) => nameOf(c.id)) };
    };
    expect(await view('SHOP-A', 'SO1')).toEqual({ parent: null, children: ['DO1'] });
    expect(await view('SHOP-A', 'DO1')).toEqual({ parent: 'SO1', children: [] });
    expect(await view('TRADER-B', 'DO1')).toEqual({ parent: null, children: ['DO2'] });
    expect(await view('TRADER-B', 'DO2')).toEqual({ parent: 'DO1', children: [] });
    expect(await view('SUPPLIER-C', 'DO2')).toEqual({ parent: null, children: [] });
  });

  it("the supplier never sees the channel's retail prices, customer, channel or other lines", async () => {
    const so1 = orders.SO1;
    const traderView = await w.visibleOrder('TRADER-B', ids.DO1);
    expect(traderView).toMatchObject({ customer: null, channel: null, externalNumber: null, parentOrder: null, total: { amountMinor: String(2 * 450), currency: 'EUR' } });
    expect(traderView.lines.map((l) => [l.product.skuCode, l.buyerProduct?.skuCode, l.unitPrice.amountMinor])).toEqual([['B-TEA-GRN', 'A-TEA-001', '450']]);
    const traderJson = JSON.stringify(traderView);
    for (const secret of [`"amountMinor":"${RETAIL_TEA}"`, `"amountMinor":"${RETAIL_POT}"`, `"amountMinor":"${2 * RETAIL_TEA}"`, 'A-POT-001', ids.SO1, so1.customer!.id, so1.channel!.id, so1.externalNumber!]) {
      expect(traderJson, secret).not.toContain(secret);
    }
    const supplierView = await w.visibleOrder('SUPPLIER-C', ids.DO2);
    expect(supplierView.lines.map((l) => [l.product.skuCode, l.buyerProduct?.skuCode, l.unitPrice.amountMinor])).toEqual([['C-GT-100', 'B-TEA-GRN', '300']]);
    const supplierJson = JSON.stringify(supplierView);
    for (const secret of ['"amountMinor":"450"', '"amountMinor":"900"', `"amountMinor":"${RETAIL_TEA}"`, 'A-TEA-001', 'A-POT-001', ids.SO1, ids.DO1, so1.customer!.id]) {
      expect(supplierJson, secret).not.toContain(secret);
    }
  });
});

describe('mutations on foreign orders', () => {
  /** Each orders mutation, addressed at an order (and one of its lines). */
  const PROBES: [OrderMutation, (orderId: string, lineId: string) => Record<string, unknown>][] = [
    ['reviewOrder', (id) => ({ id, decision: 'APPROVE' })],
    ['financeReviewOrder', (id) => ({ id, decision: 'REJECT', reason: 'x' })],
    ['holdOrder', (id) => ({ id, reason: 'x' })],
    ['releaseOrder', (id) => ({ id })],
    ['cancelOrder', (id) => ({ id, reason: 'x' })],
    ['adjustOrder', (orderId, lineId) => ({ input: { orderId, quantities: [{ lineId, quantity: 1 }], reason: 'x' } })],
    ['acceptDistributionOrder', (id) => ({ id })],
    ['rejectDistributionOrder', (id) => ({ id, reason: 'x' })],
    ['decideLines', (orderId, lineId) => ({ input: { orderId, lineIds: [lineId], decision: 'CANCEL' } })],
    ['confirmShipment', (orderId, lineId) => ({ input: { orderId, lines: [{ lineId, quantity: 1 }] } })],
    ['confirmDelivery', (id) => ({ id })],
    ['completeOrder', (id) => ({ id })],
    ['submitPurchaseOrder', (id) => ({ id })],
  ];
  const REQUEST_RETURN = `mutation($input: RequestReturnInput!) { requestReturn(input: $input) { __typename ... on OrdersError { errorCode message } ... on InvalidOrderInput { field } } }`;

  it.each(CODES)('%s: every mutation on a foreign order answers exactly like a random id, and changes nothing', async (code) => {
    const foreign = KEYS.filter((key) => !VISIBLE[code].includes(key));
    await Promise.all(
      PROBES.map(async ([field, variables]) => {
        const document = orderMutationDocument(field);
        const random = await w.raw(code, document, variables(randomUUID(), randomUUID()));
        expect(random.data).toEqual({ result: { __typename: 'OrderNotFound', errorCode: 'ORDER_NOT_FOUND', message: expect.any(String) } });
        const probes = await Promise.all(foreign.map((key) => w.raw(code, document, variables(ids[key], orders[key].lines[0]!.id))));
        probes.forEach((probe, index) => expect(probe, `${code} ${field} ${foreign[index]}`).toEqual(random));
      }),
    );
    for (const key of foreign) {
      const input = (orderId: string) => ({ input: { orderId, lineId: orders[key].lines[0]!.id, quantity: 1, reason: 'x' } });
      expect(await w.raw(code, REQUEST_RETURN, input(ids[key])), `${code} requestReturn ${key}`).toEqual(await w.raw(code, REQUEST_RETURN, input(randomUUID())));
    }
    // Nothing changed: each order reads as it did.
    for (const key of foreign) {
      const now = await w.visibleOrder(partyOf(key), ids[key]);
      expect(now.timeline, key).toEqual(orders[key].timeline);
      expect(now.lines, key).toEqual(orders[key].lines);
    }
  });
});

describe('events', () => {
  it('are addressed to the parties that see the order', async () => {
    const audiences = async (key: Key) => new Set((await w.events(ids[key])).flatMap((e) => e.audience));
    expect(await audiences('SO1')).toEqual(new Set(['SHOP-A']));
    expect(await audiences('SO2')).toEqual(new Set(['SHOP-A']));
    expect(await audiences('DO1')).toEqual(new Set(['SHOP-A', 'TRADER-B']));
    expect(await audiences('DO2')).toEqual(new Set(['TRADER-B', 'SUPPLIER-C']));
    expect(await audiences('POab')).toEqual(new Set(['SHOP-A', 'TRADER-B']));
    expect(await audiences('PObc')).toEqual(new Set(['TRADER-B', 'SUPPLIER-C']));
    expect(await audiences('SOd')).toEqual(new Set(['SHOP-D']));
  });
});
