import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/random';
import { linkProducts } from '../../../test/world';
import { InventoryWorld, POLL, mapConcurrently, type Result, type Shipment } from './helpers';

/**
 * Cancel and dispatch exclude each other (issue 15: goods left for a cancelled order when
 * `cancelOrder` and `dispatchShipment` were sent together). Both take the chain lock of the order
 * first; whichever commits first wins and the other is refused with a typed error. Every order
 * ends either cancelled with its stock back, or shipped with its stock consumed — never both,
 * never neither — and the stock ledger stays balanced. Across hops too: a sales order whose
 * trader dispatches from its own warehouse.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const CANCEL = `mutation($id: ID!, $reason: String!) { result: cancelOrder(id: $id, reason: $reason) {
  __typename ... on Order { status } ... on OrdersError { errorCode message } } }`;

/** Sends cancelOrder; answers the result's typename (a GraphQL error fails the test). */
async function cancel(as: 'SHOP-A' | 'TRADER-B', orderId: string): Promise<string> {
  const data = await w.gql<{ result: Result }>(as, CANCEL, { id: orderId, reason: 'customer withdrew' });
  return data.result.__typename;
}

/**
 * Inspects a shipment with its exact pick list and dispatches it; answers 'Shipment' when it left,
 * or the typename of the typed refusal that stopped it (a GraphQL error fails the test).
 */
async function inspectAndDispatch(as: 'SHOP-A' | 'TRADER-B', shipment: Shipment, index: number): Promise<string> {
  const scans = shipment.lines.map((l) => ({ code: l.skuCode, quantity: l.quantity }));
  const inspected = await w.mutate(as, 'inspectShipment', { input: { shipmentId: shipment.id, scans } });
  if (inspected.__typename !== 'Inspection') return inspected.__typename;
  const dispatched = await w.mutate(as, 'dispatchShipment', { input: { shipmentId: shipment.id, carrier: 'DHL', trackingNumber: `RACE-${index}` } });
  return dispatched.__typename;
}

const SETTLED = /^(CANCELLED|SHIPPED)$/;

describe('cancel and dispatch race', () => {
  it('50 allocated orders, cancelOrder and inspect+dispatch fired together: each is cancelled with its stock back or shipped, never both', async () => {
    const product = await w.createProduct('SHOP-A', { name: 'Race kettle' });
    const warehouseId = (await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] })).id;
    const ORDERS = 50;
    await w.received('SHOP-A', warehouseId, [{ productId: product.id, quantity: ORDERS * 2 }]);
    const orders = await mapConcurrently(Array.from({ length: ORDERS }), 4, () => w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }]));
    expect(orders.every((o) => o.status === 'ALLOCATED')).toBe(true);
    const shipments = await mapConcurrently(orders, 4, async (order) => {
      await expect.poll(async () => (await w.shipmentsOf('SHOP-A', order.id)).length, POLL).toBe(1);
      return (await w.shipmentsOf('SHOP-A', order.id))[0]!;
    });

    const random = seededRandom(15);
    const outcomes = await Promise.all(
      orders.map(async (order, index) => {
        const cancelDelay = Math.floor(random() * 40);
        const dispatchDelay = Math.floor(random() * 40);
        const [cancelled, dispatched] = await Promise.all([
          pause(cancelDelay).then(() => cancel('SHOP-A', order.id)),
          pause(dispatchDelay).then(() => inspectAndDispatch('SHOP-A', shipments[index]!, index)),
        ]);
        return { order, cancelled, dispatched };
      }),
    );

    for (const { order, cancelled, dispatched } of outcomes) {
      // Exactly one side wins; the loser gets a typed refusal, never an internal error.
      expect([cancelled, dispatched].filter((t) => t === 'Order' || t === 'Shipment'), `order ${order.id}: ${cancelled} / ${dispatched}`).toHaveLength(1);
      expect(['Order', 'InvalidOrderTransition']).toContain(cancelled);
      expect(['Shipment', 'InvalidInventoryTransition']).toContain(dispatched);
    }
    const cancelledOrders = outcomes.filter((o) => o.cancelled === 'Order');
    const shippedOrders = outcomes.filter((o) => o.dispatched === 'Shipment');
    // With random delays both sides win some of the rounds.
    expect(cancelledOrders.length).toBeGreaterThan(0);
    expect(shippedOrders.length).toBeGreaterThan(0);

    for (const { order } of cancelledOrders) {
      await expect.poll(async () => (await w.shipmentsOf('SHOP-A', order.id))[0]?.status, POLL).toBe('CANCELLED');
      expect(await w.orderStatus('SHOP-A', order.id)).toBe('CANCELLED');
    }
    for (const { order } of shippedOrders) {
      await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toMatch(SETTLED);
      expect(await w.orderStatus('SHOP-A', order.id)).toBe('SHIPPED');
      expect((await w.shipmentsOf('SHOP-A', order.id))[0]?.status).toBe('DISPATCHED');
    }
    // Stock: the shipped units left, the cancelled ones are back, nothing is still held.
    await expect.poll(() => w.reservedUnits(product.id), POLL).toBe(0);
    const totals = await w.totals('SHOP-A', warehouseId, product.id);
    expect(totals).toEqual({ onHand: ORDERS * 2 - shippedOrders.length * 2, reserved: 0, available: ORDERS * 2 - shippedOrders.length * 2 });
    await w.expectLedgerBalanced(product.id);
    const [movements] = await w.admin`
      select count(*)::int as n, coalesce(sum(quantity), 0)::int as units from inventory.movements
      where product_id = ${product.id} and kind = 'SHIPMENT'`;
    expect({ n: movements!['n'], units: movements!['units'] }).toEqual({ n: shippedOrders.length, units: -2 * shippedOrders.length });
  });

  it('across hops: the sales order cancelled while the trader dispatches from its own warehouse — one of them wins, finance invoices exactly what shipped', async () => {
    const traderProduct = await w.createProduct('TRADER-B', { name: 'Chain teapot' });
    const shopProduct = await w.createProduct('SHOP-A', { name: 'Chain teapot (shop)' });
    await linkProducts(w, 'SHOP-A', shopProduct.id, 'TRADER-B', traderProduct.skuCode, 700);
    const warehouseId = (await w.createWarehouse('TRADER-B', { regions: ['DE-BE'] })).id;
    const ROUNDS = 10;
    await w.received('TRADER-B', warehouseId, [{ productId: traderProduct.id, quantity: ROUNDS }]);

    const random = seededRandom(51);
    const rounds: { order: string; distribution: string; cancelled: string; dispatched: string }[] = [];
    for (let index = 0; index < ROUNDS; index++) {
      const order = await w.placeOrder('SHOP-A', [{ productId: shopProduct.id, quantity: 1 }]);
      expect(await w.approve('SHOP-A', order.id)).toBe('APPROVED');
      const distribution = await waitForChild(order.id);
      const accepted = await w.gql<{ result: Result }>(
        'TRADER-B',
        `mutation($id: ID!) { result: acceptDistributionOrder(id: $id) { __typename ... on OrdersError { message } } }`,
        { id: distribution },
      );
      expect(accepted.result.__typename).toBe('Order');
      await expect.poll(async () => (await w.shipmentsOf('TRADER-B', distribution)).length, POLL).toBe(1);
      const shipment = (await w.shipmentsOf('TRADER-B', distribution))[0]!;
      const [cancelled, dispatched] = await Promise.all([
        pause(Math.floor(random() * 30)).then(() => cancel('SHOP-A', order.id)),
        pause(Math.floor(random() * 30)).then(() => inspectAndDispatch('TRADER-B', shipment, 1000 + index)),
      ]);
      expect([cancelled, dispatched].filter((t) => t === 'Order' || t === 'Shipment'), `round ${index}: ${cancelled} / ${dispatched}`).toHaveLength(1);
      rounds.push({ order: order.id, distribution, cancelled, dispatched });
    }

    for (const round of rounds) {
      if (round.cancelled === 'Order') {
        // The cancellation reaches the trader's order; its shipment is cancelled, its stock released.
        await expect.poll(() => w.orderStatus('TRADER-B', round.distribution), POLL).toBe('CANCELLED');
        await expect.poll(async () => (await w.shipmentsOf('TRADER-B', round.distribution))[0]?.status, POLL).toBe('CANCELLED');
      } else {
        // The dispatch won: the cancellation was refused, and the shipment reaches the sales order.
        expect(round.cancelled).toBe('InvalidOrderTransition');
        await expect.poll(() => w.orderStatus('SHOP-A', round.order), POLL).toBe('SHIPPED');
        expect(await w.orderStatus('TRADER-B', round.distribution)).toBe('SHIPPED');
        expect(await cancel('SHOP-A', round.order)).toBe('InvalidOrderTransition');
      }
    }
    const shipped = rounds.filter((r) => r.dispatched === 'Shipment');
    await expect.poll(() => w.reservedUnits(traderProduct.id), POLL).toBe(0);
    expect(await w.totals('TRADER-B', warehouseId, traderProduct.id)).toMatchObject({ onHand: ROUNDS - shipped.length, reserved: 0 });
    await w.expectLedgerBalanced(traderProduct.id);
    // Finance invoices SHOP-A for exactly the shipped units, and nothing for the cancelled orders.
    const invoiced = async () => {
      const rows = await w.admin`
        select order_id, sum(amount_minor)::bigint as amount from finance.ledger_entries
        where kind = 'INVOICE' and order_id in ${w.admin(rounds.map((r) => r.distribution))}
        group by order_id order by order_id`;
      return rows.map((r) => ({ orderId: r['order_id'] as string, amount: Number(r['amount']) }));
    };
    const expected = shipped.map((r) => ({ orderId: r.distribution, amount: 700 })).sort((a, b) => (a.orderId < b.orderId ? -1 : 1));
    await expect.poll(invoiced, POLL).toEqual(expected);
  });
});

describe('adjust and dispatch race', () => {
  const ADJUST = `mutation($input: AdjustOrderInput!) { result: adjustOrder(input: $input) {
    __typename ... on Order { lines { quantity } } ... on OrdersError { errorCode message } } }`;
  const adjust = async (orderId: string, lineId: string, quantity: number) =>
    (await w.gql<{ result: Result }>('SHOP-A', ADJUST, { input: { orderId, reason: 'customer changed the quantity', quantities: [{ lineId, quantity }] } })).result;

  it('an adjustment after a dispatch committed is refused, though the order has not heard of the shipment yet', async () => {
    const product = await w.createProduct('SHOP-A', { name: 'Adjusted kettle' });
    const warehouseId = (await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] })).id;
    await w.received('SHOP-A', warehouseId, [{ productId: product.id, quantity: 10 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 4 }]);
    await expect.poll(async () => (await w.shipmentsOf('SHOP-A', order.id)).length, POLL).toBe(1);
    const [shipment] = await w.shipmentsOf('SHOP-A', order.id);
    const resume = await w.pauseWorkflows();
    let adjusted: Result;
    try {
      expect(await inspectAndDispatch('SHOP-A', shipment!, 9000)).toBe('Shipment');
      adjusted = await adjust(order.id, order.lines[0]!.id, 2);
    } finally {
      await resume();
    }
    expect(adjusted).toMatchObject({ __typename: 'InvalidOrderTransition', message: expect.stringContaining('dispatched') });
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');
    expect(await w.totals('SHOP-A', warehouseId, product.id)).toEqual({ onHand: 6, reserved: 0, available: 6 });
    await w.expectLedgerBalanced(product.id);
  });

  it('20 allocated orders, a quantity cut and inspect+dispatch fired together: the shipment leaves with what the order asks, or the cut is refused', async () => {
    const product = await w.createProduct('SHOP-A', { name: 'Raced kettle' });
    const warehouseId = (await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] })).id;
    const ORDERS = 20;
    await w.received('SHOP-A', warehouseId, [{ productId: product.id, quantity: ORDERS * 3 }]);
    const orders = await mapConcurrently(Array.from({ length: ORDERS }), 4, () => w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }]));
    const shipments = await mapConcurrently(orders, 4, async (order) => {
      await expect.poll(async () => (await w.shipmentsOf('SHOP-A', order.id)).length, POLL).toBe(1);
      return (await w.shipmentsOf('SHOP-A', order.id))[0]!;
    });
    const random = seededRandom(33);
    const outcomes = await Promise.all(
      orders.map(async (order, index) => {
        const [adjusted, dispatched] = await Promise.all([
          pause(Math.floor(random() * 40)).then(() => adjust(order.id, order.lines[0]!.id, 1)),
          pause(Math.floor(random() * 40)).then(() => inspectAndDispatch('SHOP-A', shipments[index]!, 5000 + index)),
        ]);
        return { order, adjusted: adjusted.__typename, dispatched };
      }),
    );
    let unitsShipped = 0;
    for (const { order, adjusted, dispatched } of outcomes) {
      expect(['Order', 'InvalidOrderTransition'], order.id).toContain(adjusted);
      expect(['Shipment', 'InvalidInventoryTransition', 'InvalidInventoryInput'], order.id).toContain(dispatched);
      // Never both the cut and the old shipment of 3.
      expect(adjusted === 'Order' && dispatched === 'Shipment', `order ${order.id}: ${adjusted} / ${dispatched}`).toBe(false);
      if (dispatched === 'Shipment') unitsShipped += 3;
    }
    // Every order settles with its shipped quantity equal to what it asks for, or waits for its new pick list.
    for (const { order, adjusted } of outcomes) {
      if (adjusted !== 'Order') continue;
      await expect.poll(async () => (await w.shipmentsOf('SHOP-A', order.id)).some((s) => s.status === 'TO_PICK' && s.lines[0]?.quantity === 1), POLL).toBe(true);
    }
    await expect.poll(async () => (await w.totals('SHOP-A', warehouseId, product.id)).onHand, POLL).toBe(ORDERS * 3 - unitsShipped);
    await w.expectLedgerBalanced(product.id);
  });
});

/** The id of the one distribution order routed from a sales order (as SHOP-A, its buyer, sees it). */
async function waitForChild(orderId: string): Promise<string> {
  let child: string | undefined;
  await expect
    .poll(async () => {
      const data = await w.gql<{ order: { childOrders: { id: string }[] } | null }>('SHOP-A', `query($id: ID!) { order(id: $id) { childOrders { id } } }`, { id: orderId });
      child = data.order?.childOrders[0]?.id;
      return Boolean(child);
    }, POLL)
    .toBe(true);
  return child!;
}
