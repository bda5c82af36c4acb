import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { PARTNER, POLL, World, ok, type Order, type ReturnView } from './helpers';

/**
 * Returns (orders issue): requestReturn on shipped lines → approveReturn → receiveReturn →
 * settleReturn (REFUND / CREDIT), or rejectReturn. An approved return of a drop-shipped line is
 * passed up the chain as a return request on the supplier's line (workflow).
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

const request = (as: string, orderId: string, lineId: string, quantity: number, reason = 'arrived broken') =>
  w.returnMutation(as, 'requestReturn', { input: { orderId, lineId, quantity, reason } });
const step = (as: string, field: 'approveReturn' | 'rejectReturn' | 'receiveReturn', id: string, note?: string) =>
  w.returnMutation(as, field, { id, ...(note !== undefined ? { note } : {}) });
const settle = (as: string, id: string, outcome: 'REFUND' | 'CREDIT') => w.returnMutation(as, 'settleReturn', { id, outcome, note: 'settled' });

/** An approved sales order of unlinked teapots that SHOP-A has shipped in full. */
async function shippedOwnOrder(quantity: number): Promise<Order> {
  const so = await w.approvedOrder('SHOP-A', { lines: [['A-POT-001', quantity, 3450]] });
  return ok(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: so.lines[0]!.id, quantity }] } }));
}

describe('returns of own-fulfilment lines', () => {
  let so: Order;

  beforeAll(async () => {
    so = await shippedOwnOrder(3);
  });

  it('runs REQUESTED → APPROVED → RECEIVED → REFUNDED, shown on the order', async () => {
    const line = so.lines[0]!;
    const requested = ok(await request('SHOP-A', so.id, line.id, 2), 'Return');
    expect(requested).toEqual({ id: expect.any(String), lineId: line.id, quantity: 2, reason: 'arrived broken', status: 'REQUESTED', note: null, order: { id: so.id } });
    expect((await w.visibleOrder('SHOP-A', so.id)).returns).toEqual([requested]);
    expect(await w.events(requested.id)).toEqual([expect.objectContaining({ topic: 'return.requested', audience: ['SHOP-A'] })]);

    expect(ok(await step('SHOP-A', 'approveReturn', requested.id, 'photo checked'), 'Return')).toMatchObject({ status: 'APPROVED', note: 'photo checked' });
    expect(ok(await step('SHOP-A', 'receiveReturn', requested.id, 'two pots, cracked'), 'Return')).toMatchObject({ status: 'RECEIVED', note: 'two pots, cracked' });
    expect(ok(await settle('SHOP-A', requested.id, 'REFUND'), 'Return')).toMatchObject({ status: 'REFUNDED', quantity: 2 });
    expect((await w.events(requested.id)).map((e) => e.topic)).toEqual(['return.requested', 'return.approved', 'return.received', 'return.refunded']);
    expect((await w.visibleOrder('SHOP-A', so.id)).returns.map((r) => r.status)).toEqual(['REFUNDED']);
  });

  it('returns at most the shipped units not already in a return; a rejected return frees its units', async () => {
    const line = so.lines[0]!;
    expect(await request('SHOP-A', so.id, line.id, 2)).toMatchObject({ __typename: 'InvalidOrderInput', field: 'quantity' });
    const last = ok(await request('SHOP-A', so.id, line.id, 1), 'Return');
    expect(await request('SHOP-A', so.id, line.id, 1)).toMatchObject({ __typename: 'InvalidOrderInput', field: 'quantity' });
    expect(await step('SHOP-A', 'rejectReturn', last.id, ' ')).toMatchObject({ __typename: 'InvalidOrderInput', field: 'note' });
    expect(ok(await step('SHOP-A', 'rejectReturn', last.id, 'used'), 'Return')).toMatchObject({ status: 'REJECTED', note: 'used' });
    const again = ok(await request('SHOP-A', so.id, line.id, 1), 'Return');
    ok(await step('SHOP-A', 'approveReturn', again.id), 'Return');
    ok(await step('SHOP-A', 'receiveReturn', again.id), 'Return');
    expect(ok(await settle('SHOP-A', again.id, 'CREDIT'), 'Return')).toMatchObject({ status: 'CREDITED' });
    expect((await w.visibleOrder('SHOP-A', so.id)).returns.map((r) => [r.quantity, r.status])).toEqual([
      [2, 'REFUNDED'],
      [1, 'REJECTED'],
      [1, 'CREDITED'],
    ]);
  });

  it('refuses every step out of order with InvalidOrderTransition, changing nothing', async () => {
    const fresh = await shippedOwnOrder(1);
    const ret = ok(await request('SHOP-A', fresh.id, fresh.lines[0]!.id, 1), 'Return');
    const expectRefused = async (promise: Promise<unknown>, from: string) => expect(await promise).toMatchObject({ __typename: 'InvalidOrderTransition', errorCode: 'INVALID_TRANSITION', from });
    await expectRefused(step('SHOP-A', 'receiveReturn', ret.id), 'REQUESTED');
    await expectRefused(settle('SHOP-A', ret.id, 'REFUND'), 'REQUESTED');
    ok(await step('SHOP-A', 'approveReturn', ret.id), 'Return');
    await expectRefused(step('SHOP-A', 'approveReturn', ret.id), 'APPROVED');
    await expectRefused(step('SHOP-A', 'rejectReturn', ret.id, 'late'), 'APPROVED');
    await expectRefused(settle('SHOP-A', ret.id, 'CREDIT'), 'APPROVED');
    ok(await step('SHOP-A', 'receiveReturn', ret.id), 'Return');
    await expectRefused(step('SHOP-A', 'receiveReturn', ret.id), 'RECEIVED');
    ok(await settle('SHOP-A', ret.id, 'REFUND'), 'Return');
    await expectRefused(settle('SHOP-A', ret.id, 'CREDIT'), 'REFUNDED');
    await expectRefused(step('SHOP-A', 'approveReturn', ret.id), 'REFUNDED');
    expect((await w.visibleOrder('SHOP-A', fresh.id)).returns.map((r) => r.status)).toEqual(['REFUNDED']);
  });

  it('only shipped lines can be returned', async () => {
    const open = await w.approvedOrder('SHOP-A', { lines: [['A-POT-001', 1, 3450]] });
    expect(await request('SHOP-A', open.id, open.lines[0]!.id, 1)).toMatchObject({ __typename: 'InvalidOrderInput', field: 'quantity' });
    expect(await request('SHOP-A', open.id, so.lines[0]!.id, 1)).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lineId' });
    expect(await request('SHOP-A', so.id, so.lines[0]!.id, 1, ' ')).toMatchObject({ __typename: 'InvalidOrderInput', field: 'reason' });
  });

  it('each step needs its role', async () => {
    const fresh = await shippedOwnOrder(1);
    const ret = ok(await request('SHOP-A', fresh.id, fresh.lines[0]!.id, 1), 'Return');
    const viewer = await w.tokenFor('SHOP-A', ['viewer']);
    const sales = await w.tokenFor('SHOP-A', ['sales']);
    const warehouse = await w.tokenFor('SHOP-A', ['warehouse']);
    const finance = await w.tokenFor('SHOP-A', ['finance']);
    const codeOf = async (token: string, query: string, variables: Record<string, unknown>) => (await w.raw(token, query, variables)).errors?.[0]?.extensions?.['code'];
    const APPROVE = `mutation($id: ID!) { approveReturn(id: $id) { __typename } }`;
    const RECEIVE = `mutation($id: ID!) { receiveReturn(id: $id) { __typename } }`;
    const SETTLE = `mutation($id: ID!) { settleReturn(id: $id, outcome: REFUND) { __typename } }`;
    expect(await codeOf(viewer, APPROVE, { id: ret.id })).toBe('FORBIDDEN');
    ok(await step(sales, 'approveReturn', ret.id), 'Return');
    expect(await codeOf(sales, RECEIVE, { id: ret.id })).toBe('FORBIDDEN');
    ok(await step(warehouse, 'receiveReturn', ret.id), 'Return');
    expect(await codeOf(warehouse, SETTLE, { id: ret.id })).toBe('FORBIDDEN');
    expect(await codeOf(sales, SETTLE, { id: ret.id })).toBe('FORBIDDEN');
    expect(ok(await settle(finance, ret.id, 'REFUND'), 'Return').status).toBe('REFUNDED');
  });

  it("answers another partner's return exactly like a random id", async () => {
    const fresh = await shippedOwnOrder(1);
    const ret = ok(await request('SHOP-A', fresh.id, fresh.lines[0]!.id, 1), 'Return');
    const random = randomUUID();
    for (const field of ['approveReturn', 'receiveReturn'] as const) {
      expect(await step('SHOP-D', field, ret.id)).toEqual(await step('SHOP-D', field, random));
    }
    expect(await settle('TRADER-B', ret.id, 'REFUND')).toEqual(await settle('TRADER-B', random, 'REFUND'));
    expect(await request('SHOP-D', fresh.id, fresh.lines[0]!.id, 1)).toEqual(await request('SHOP-D', randomUUID(), fresh.lines[0]!.id, 1));
    expect(await step('SHOP-D', 'approveReturn', ret.id)).toMatchObject({ __typename: 'ReturnNotFound', errorCode: 'RETURN_NOT_FOUND' });
    expect((await w.visibleOrder('SHOP-A', fresh.id)).returns.map((r) => r.status)).toEqual(['REQUESTED']);
  });
});

describe('returns of drop-shipped lines', () => {
  it('an approved return is passed up the chain one level per approval, to the supplier that shipped', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299]] });
    const first = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: so.childOrders[0]!.id }));
    const second = ok(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: first.childOrders[0]!.id }));
    ok(await w.mutate('SUPPLIER-C', 'confirmShipment', { input: { orderId: second.id, lines: [{ lineId: second.lines[0]!.id, quantity: 2 }] } }));
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('SHIPPED');

    const ret = ok(await request('SHOP-A', so.id, so.lines[0]!.id, 1, 'leaking bag'), 'Return');
    ok(await step('SHOP-A', 'approveReturn', ret.id), 'Return');

    // One level up: a return request on TRADER-B's line, seen by both its parties.
    await expect.poll(async () => (await w.visibleOrder('TRADER-B', first.id)).returns.length, POLL).toBe(1);
    const atTrader = (await w.visibleOrder('TRADER-B', first.id)).returns[0]!;
    expect(atTrader).toMatchObject({ lineId: first.lines[0]!.id, quantity: 1, status: 'REQUESTED', reason: expect.stringContaining('leaking bag'), order: { id: first.id } });
    expect((await w.visibleOrder('SHOP-A', first.id)).returns.map((r) => r.id)).toEqual([atTrader.id]);
    // Only the seller handles it.
    expect(await step('SHOP-A', 'approveReturn', atTrader.id)).toMatchObject({ __typename: 'NotPermittedForRoleInOrder' });
    expect((await w.events(atTrader.id))[0]).toMatchObject({ topic: 'return.requested' });
    expect([...(await w.events(atTrader.id))[0]!.audience].sort()).toEqual(['SHOP-A', 'TRADER-B']);

    ok(await step('TRADER-B', 'approveReturn', atTrader.id), 'Return');
    await expect.poll(async () => (await w.visibleOrder('SUPPLIER-C', second.id)).returns.length, POLL).toBe(1);
    const atSupplier = (await w.visibleOrder('SUPPLIER-C', second.id)).returns[0]!;
    expect(atSupplier).toMatchObject({ lineId: second.lines[0]!.id, quantity: 1, status: 'REQUESTED', reason: expect.stringContaining('leaking bag') });
    expect(await w.order('SHOP-A', second.id)).toBeNull();

    ok(await step('SUPPLIER-C', 'approveReturn', atSupplier.id), 'Return');
    ok(await step('SUPPLIER-C', 'receiveReturn', atSupplier.id), 'Return');
    expect(ok(await settle('SUPPLIER-C', atSupplier.id, 'CREDIT'), 'Return')).toMatchObject({ status: 'CREDITED' });
    // Each level settles its own return.
    const statuses = async (as: 'SHOP-A' | 'TRADER-B', orderId: string) => (await w.visibleOrder(as, orderId)).returns.map((r: ReturnView) => r.status);
    expect(await statuses('SHOP-A', so.id)).toEqual(['APPROVED']);
    expect(await statuses('TRADER-B', first.id)).toEqual(['APPROVED']);
  });

  it('a return of a line its seller shipped itself stays with that seller', async () => {
    // The mug ships from TRADER-B's own stock (its link to SUPPLIER-C is only proposed).
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-MUG-001', 1, 899], ['A-POT-001', 1, 3450]] });
    const first = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: so.childOrders[0]!.id }));
    ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: first.lines[0]!.id, quantity: 1 }] } }));
    const pot = so.lines.find((l) => l.product.skuCode === 'A-POT-001')!;
    ok(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: so.id, lines: [{ lineId: pot.id, quantity: 1 }] } }));
    await expect.poll(() => w.status('SHOP-A', so.id), POLL).toBe('SHIPPED');

    const own = ok(await request('SHOP-A', so.id, pot.id, 1), 'Return');
    ok(await step('SHOP-A', 'approveReturn', own.id), 'Return');
    const mug = ok(await request('SHOP-A', so.id, so.lines[0]!.id, 1), 'Return');
    ok(await step('SHOP-A', 'approveReturn', mug.id), 'Return');
    await expect.poll(async () => (await w.visibleOrder('TRADER-B', first.id)).returns.length, POLL).toBe(1);
    const atTrader = (await w.visibleOrder('TRADER-B', first.id)).returns[0]!;
    ok(await step('TRADER-B', 'approveReturn', atTrader.id), 'Return');

    // Wait until the workflow has passed a later approval up, then check nothing else was created.
    const marker = await w.approvedOrder('SHOP-A', { lines: [['A-MUG-001', 1, 899]] });
    const markerFirst = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: marker.childOrders[0]!.id }));
    ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: markerFirst.id, lines: [{ lineId: markerFirst.lines[0]!.id, quantity: 1 }] } }));
    await expect.poll(() => w.status('SHOP-A', marker.id), POLL).toBe('SHIPPED');
    const markerReturn = ok(await request('SHOP-A', marker.id, marker.lines[0]!.id, 1), 'Return');
    ok(await step('SHOP-A', 'approveReturn', markerReturn.id), 'Return');
    await expect.poll(async () => (await w.visibleOrder('TRADER-B', markerFirst.id)).returns.length, POLL).toBe(1);

    const passedOn = await w.admin`select parent_return_id from orders.order_returns where parent_return_id in (${own.id}, ${mug.id}, ${atTrader.id})`;
    expect(passedOn.map((r) => r['parent_return_id'])).toEqual([mug.id]);
    expect(atTrader.order?.id).toBe(first.id);
    expect(first.seller.id).toBe(PARTNER['TRADER-B']);
  });
});
