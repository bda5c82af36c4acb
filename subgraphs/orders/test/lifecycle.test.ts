import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER, World, eur, lastEntry, ok, orderMutationDocument, type OrderMutation, type Order, type Result } from './helpers';
import type { Role } from '@redthread/kit';

/**
 * The sales order status machine (orders issue, DESIGN.md §3): every allowed transition from
 * every state, and every forbidden one — a typed InvalidOrderTransition that changes nothing (no
 * status, timeline entry or event). Orders here have one unlinked product of the test's own,
 * without stock (own fulfilment): the seller ships it itself with confirmShipment. "APPROVED"
 * stands for the approved state: where inventory runs, allocation turns it BACKORDERED (no stock)
 * in the background, and the fixtures wait for that.
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
  await w.createProduct('SHOP-A', SKU, 'Lifecycle teapot');
});

const SKU = 'A-LC-001';
afterAll(async () => {
  await w?.close();
});

const STATES = [
  'PENDING_REVIEW',
  'PENDING_FINANCE_REVIEW',
  'APPROVED',
  'ON_HOLD',
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
] as const;
type State = (typeof STATES)[number];

const ACTION_NAMES = [
  'reviewApprove',
  'reviewReject',
  'financeApprove',
  'financeReject',
  'hold',
  'release',
  'cancel',
  'ship',
  'deliver',
  'complete',
  'adjust',
] as const;
type Action = (typeof ACTION_NAMES)[number];

/** Each action as SHOP-A (the seller), with the reason it gives and the event topic it appends. */
const ACTIONS: Record<Action, { run: (order: Order) => Promise<Result<Order>>; reason: string | null; topic: string }> = {
  reviewApprove: { run: (o) => w.mutate('SHOP-A', 'reviewOrder', { id: o.id, decision: 'APPROVE', reason: 'looks fine' }), reason: 'looks fine', topic: 'order.reviewed' },
  reviewReject: { run: (o) => w.mutate('SHOP-A', 'reviewOrder', { id: o.id, decision: 'REJECT', reason: 'fraud suspicion' }), reason: 'fraud suspicion', topic: 'order.cancelled' },
  financeApprove: { run: (o) => w.mutate('SHOP-A', 'financeReviewOrder', { id: o.id, decision: 'APPROVE', reason: 'paid' }), reason: 'paid', topic: 'order.approved' },
  financeReject: { run: (o) => w.mutate('SHOP-A', 'financeReviewOrder', { id: o.id, decision: 'REJECT', reason: 'unpaid' }), reason: 'unpaid', topic: 'order.cancelled' },
  hold: { run: (o) => w.mutate('SHOP-A', 'holdOrder', { id: o.id, reason: 'address check' }), reason: 'address check', topic: 'order.held' },
  release: { run: (o) => w.mutate('SHOP-A', 'releaseOrder', { id: o.id, reason: 'address confirmed' }), reason: 'address confirmed', topic: 'order.released' },
  cancel: { run: (o) => w.mutate('SHOP-A', 'cancelOrder', { id: o.id, reason: 'customer withdrew' }), reason: 'customer withdrew', topic: 'order.cancelled' },
  ship: {
    run: (o) =>
      w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: o.id, lines: [{ lineId: o.lines[0]!.id, quantity: 1 }], carrier: 'DHL', trackingNumber: 'JJD000001' } }),
    reason: '1 unit(s) shipped',
    topic: 'order.lines_shipped',
  },
  deliver: { run: (o) => w.mutate('SHOP-A', 'confirmDelivery', { id: o.id }), reason: null, topic: 'order.delivered' },
  complete: { run: (o) => w.mutate('SHOP-A', 'completeOrder', { id: o.id }), reason: null, topic: 'order.completed' },
  adjust: {
    run: (o) => w.mutate('SHOP-A', 'adjustOrder', { input: { orderId: o.id, quantities: [{ lineId: o.lines[0]!.id, quantity: 1 }], reason: 'customer wants one' } }),
    reason: 'adjusted: customer wants one',
    topic: 'order.adjusted',
  },
};

/** The allowed transitions: state → action → the status it leads to. Everything else is forbidden. */
const ALLOWED: Record<State, Partial<Record<Action, State>>> = {
  PENDING_REVIEW: { reviewApprove: 'PENDING_FINANCE_REVIEW', reviewReject: 'CANCELLED', hold: 'ON_HOLD', cancel: 'CANCELLED', adjust: 'PENDING_REVIEW' },
  PENDING_FINANCE_REVIEW: { financeApprove: 'APPROVED', financeReject: 'CANCELLED', hold: 'ON_HOLD', cancel: 'CANCELLED', adjust: 'PENDING_FINANCE_REVIEW' },
  APPROVED: { hold: 'ON_HOLD', cancel: 'CANCELLED', ship: 'PARTIALLY_SHIPPED', adjust: 'APPROVED' },
  // Held from PENDING_REVIEW.
  ON_HOLD: { release: 'PENDING_REVIEW', cancel: 'CANCELLED', adjust: 'ON_HOLD' },
  PARTIALLY_SHIPPED: { ship: 'SHIPPED' },
  SHIPPED: { deliver: 'DELIVERED' },
  DELIVERED: { complete: 'COMPLETED' },
  COMPLETED: {},
  CANCELLED: {},
};

/** The status an order in `state` really has: the approved state may have become BACKORDERED. */
function statusOf(state: State): string {
  return state === 'APPROVED' && w.runsInventory ? 'BACKORDERED' : state;
}

/** Two teapots (unlinked: own fulfilment) at 34.50 EUR. */
async function orderIn(state: State): Promise<Order> {
  let order = await w.salesOrder('SHOP-A', { lines: [[SKU, 2, 3450]] });
  const step = async (action: Action) => {
    order = ok(await ACTIONS[action].run(order));
  };
  switch (state) {
    case 'PENDING_REVIEW':
      break;
    case 'ON_HOLD':
      await step('hold');
      break;
    case 'CANCELLED':
      await step('cancel');
      break;
    default: {
      await step('reviewApprove');
      if (state === 'PENDING_FINANCE_REVIEW') break;
      await step('financeApprove');
      order = await w.settledAllocation('SHOP-A', order.id);
      if (state === 'APPROVED') break;
      await step('ship');
      if (state === 'PARTIALLY_SHIPPED') break;
      await step('ship');
      if (state === 'SHIPPED') break;
      await step('deliver');
      if (state === 'DELIVERED') break;
      await step('complete');
    }
  }
  expect(order.status).toBe(statusOf(state));
  return order;
}

describe('allowed transitions', () => {
  const cases = STATES.flatMap((state) => Object.entries(ALLOWED[state]).map(([action, to]) => [state, action as Action, to] as const));

  it.each(cases)('%s --%s--> %s, with a timeline entry and an event', async (state, action, target) => {
    const order = await orderIn(state);
    const from = order.status;
    // The mutation answers APPROVED at once; allocation may follow in the background.
    const to = action === 'financeApprove' ? 'APPROVED' : statusOf(target);
    const eventsBefore = await w.events(order.id);
    const after = ok(await ACTIONS[action].run(order));
    expect(after.status).toBe(to);
    expect(after.timeline).toHaveLength(order.timeline.length + 1);
    expect(after.timeline.slice(0, -1)).toEqual(order.timeline);
    expect(lastEntry(after)).toEqual({ at: expect.any(String), actor: { id: PARTNER['SHOP-A'] }, from, to, reason: ACTIONS[action].reason });
    expect(new Date(lastEntry(after).at).getTime()).toBeGreaterThanOrEqual(new Date(lastEntry(order).at).getTime());
    if (action !== 'financeApprove') expect(await w.visibleOrder('SHOP-A', order.id)).toEqual(after);
    const newTopics = (await w.events(order.id)).slice(eventsBefore.length).map((e) => e.topic);
    expect(newTopics).toContain(ACTIONS[action].topic);
  });
});

describe('forbidden transitions', () => {
  it.each(STATES)('from %s: every other action is an InvalidOrderTransition and changes nothing', async (state) => {
    const order = await orderIn(state);
    const eventsBefore = await w.events(order.id);
    const forbidden = ACTION_NAMES.filter((action) => !(action in ALLOWED[state]));
    expect(forbidden.length).toBeGreaterThan(0);
    for (const action of forbidden) {
      const result = await ACTIONS[action].run(order);
      expect(result, `${state} --${action}-->`).toMatchObject({
        __typename: 'InvalidOrderTransition',
        errorCode: 'INVALID_TRANSITION',
        from: order.status,
        message: expect.any(String),
      });
    }
    expect(await w.visibleOrder('SHOP-A', order.id)).toEqual(order);
    expect(await w.events(order.id)).toEqual(eventsBefore);
  });
});

describe('hold and release', () => {
  it.each(['PENDING_FINANCE_REVIEW', 'APPROVED'] as const)('releases an order held in %s back to where it was', async (label) => {
    const order = await orderIn(label);
    const state = order.status;
    const held = ok(await ACTIONS.hold.run(order));
    expect(held.status).toBe('ON_HOLD');
    // While held, the review steps are refused as from ON_HOLD.
    expect(await ACTIONS.financeApprove.run(held)).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'ON_HOLD' });
    expect(await ACTIONS.ship.run(held)).toMatchObject({ __typename: 'InvalidOrderTransition', from: 'ON_HOLD' });
    const released = ok(await ACTIONS.release.run(held));
    expect(released.status).toBe(state);
    expect(released.timeline.slice(-2).map((e) => [e.from, e.to])).toEqual([
      [state, 'ON_HOLD'],
      ['ON_HOLD', state],
    ]);
  });

  it('requires a reason to hold and to cancel', async () => {
    const order = await orderIn('PENDING_REVIEW');
    expect(await w.mutate('SHOP-A', 'holdOrder', { id: order.id, reason: '  ' })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'reason' });
    expect(await w.mutate('SHOP-A', 'cancelOrder', { id: order.id, reason: '' })).toMatchObject({ __typename: 'InvalidOrderInput', field: 'reason' });
    expect(await w.visibleOrder('SHOP-A', order.id)).toEqual(order);
  });
});

describe('the whole life of an order', () => {
  it('keeps the full timeline: who, when, from → to, why', async () => {
    const order = await orderIn('COMPLETED');
    expect(order.timeline.map((e) => [e.from, e.to])).toEqual([
      [null, 'PENDING_REVIEW'],
      ['PENDING_REVIEW', 'PENDING_FINANCE_REVIEW'],
      ['PENDING_FINANCE_REVIEW', 'APPROVED'],
      ...(w.runsInventory ? [['APPROVED', 'BACKORDERED'], ['BACKORDERED', 'PARTIALLY_SHIPPED']] : [['APPROVED', 'PARTIALLY_SHIPPED']]),
      ['PARTIALLY_SHIPPED', 'SHIPPED'],
      ['SHIPPED', 'DELIVERED'],
      ['DELIVERED', 'COMPLETED'],
    ]);
    expect(order.timeline.every((e) => e.actor.id === PARTNER['SHOP-A'])).toBe(true);
    const times = order.timeline.map((e) => new Date(e.at).getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(order.lines[0]).toMatchObject({ quantity: 2, shippedQuantity: 2, status: 'SHIPPED', fulfilment: 'OWN' });
    expect(order.lines[0]!.product.skuCode).toBe(SKU);
    expect(order.total).toEqual(eur(6900));
  });

  it('a rejection in review cancels the order and its lines, with the reason', async () => {
    const order = await orderIn('PENDING_REVIEW');
    const rejected = ok(await w.mutate('SHOP-A', 'reviewOrder', { id: order.id, decision: 'REJECT' }));
    expect(rejected.status).toBe('CANCELLED');
    expect(rejected.lines.map((l) => l.status)).toEqual(['CANCELLED']);
    expect(lastEntry(rejected)).toMatchObject({ from: 'PENDING_REVIEW', to: 'CANCELLED', reason: expect.stringMatching(/review/) });
  });
});

describe('roles', () => {
  it('refuses each step to a role that may not take it (FORBIDDEN) and changes nothing', async () => {
    const order = await orderIn('PENDING_REVIEW');
    const cases: [Role[], OrderMutation, Record<string, unknown>][] = [
      [['sales'], 'reviewOrder', { id: order.id, decision: 'APPROVE' }],
      [['reviewer'], 'financeReviewOrder', { id: order.id, decision: 'APPROVE' }],
      [['viewer'], 'holdOrder', { id: order.id, reason: 'x' }],
      [['warehouse'], 'cancelOrder', { id: order.id, reason: 'x' }],
      [['finance'], 'adjustOrder', { input: { orderId: order.id, deliveryMethod: 'UPS', reason: 'x' } }],
      [['sales'], 'confirmShipment', { input: { orderId: order.id, lines: [{ lineId: order.lines[0]!.id, quantity: 1 }] } }],
      [['warehouse'], 'completeOrder', { id: order.id }],
    ];
    for (const [roles, field, variables] of cases) {
      const token = await w.tokenFor('SHOP-A', roles);
      const response = await w.raw(token, orderMutationDocument(field), variables);
      expect(response.errors?.[0]?.extensions?.['code'], `${roles.join()} ${field}`).toBe('FORBIDDEN');
    }
    expect(await w.visibleOrder('SHOP-A', order.id)).toEqual(order);
    // The right role may.
    const reviewer = await w.tokenFor('SHOP-A', ['reviewer']);
    expect(ok(await w.mutate(reviewer, 'reviewOrder', { id: order.id, decision: 'APPROVE' })).status).toBe('PENDING_FINANCE_REVIEW');
    const finance = await w.tokenFor('SHOP-A', ['finance']);
    expect(ok(await w.mutate(finance, 'financeReviewOrder', { id: order.id, decision: 'APPROVE' })).status).toBe('APPROVED');
  });
});
