import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, addressIn, mapConcurrently } from './helpers';

/**
 * The allocation storm through the gateway (inventory issue): 500 single-unit orders of one
 * unlinked SHOP-A product with a stock of 100 are placed, reviewed and finance-approved
 * concurrently (25 in flight), exactly as shop connectors would. Allocation runs in the background
 * on the event log; once every order is ALLOCATED or BACKORDERED exactly 100 must be ALLOCATED,
 * 400 BACKORDERED, 100 units reserved, on-hand still the sum of its movements, and no client may
 * have seen a GraphQL error or a typed failure.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

const ORDERS = 500;
const STOCK = 100;

describe('storm through the gateway', () => {
  it('500 concurrent single-unit orders against a stock of 100: 100 ALLOCATED, 400 BACKORDERED, nothing oversold', async ({ annotate }) => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: STOCK }]);
    const channelId = await w.createChannel('SHOP-A');

    const clientErrors: unknown[] = [];
    const REVIEW = `__typename ... on Order { id status } ... on OrdersError { errorCode message }`;
    const started = performance.now();
    const orderIds = await mapConcurrently(Array.from({ length: ORDERS }, (_, i) => i), 25, async (i) => {
      const placed = await w.raw<{ result: { __typename: string; id: string } }>(
        'SHOP-A',
        `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename ... on Order { id status } ... on OrdersError { errorCode message } } }`,
        {
          input: {
            channelId,
            externalNumber: `STORM-${w.tag}-${i}`,
            shipTo: addressIn('DE-BE'),
            currency: 'EUR',
            lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 1999 }],
          },
        },
      );
      if (placed.errors || placed.data?.result.__typename !== 'Order') {
        clientErrors.push({ step: 'placeOrder', i, errors: placed.errors, result: placed.data?.result });
        return null;
      }
      const id = placed.data.result.id;
      for (const mutation of ['reviewOrder', 'financeReviewOrder']) {
        const reviewed = await w.raw<{ result: { __typename: string; status: string } }>('SHOP-A', `mutation($id: ID!) { result: ${mutation}(id: $id, decision: APPROVE) { ${REVIEW} } }`, { id });
        if (reviewed.errors || reviewed.data?.result.__typename !== 'Order') {
          clientErrors.push({ step: mutation, i, errors: reviewed.errors, result: reviewed.data?.result });
          return null;
        }
      }
      return id;
    });
    const placedMs = Math.round(performance.now() - started);
    expect(clientErrors).toEqual([]);
    const ids = orderIds.filter((id): id is string => id !== null);
    expect(ids).toHaveLength(ORDERS);

    // Allocation catches up in the background.
    await expect
      .poll(
        async () => {
          const [row] = await w.admin`select count(*)::int as n from orders.orders where channel_id = ${channelId} and status in ('ALLOCATED', 'BACKORDERED')`;
          return Number(row!['n']);
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBe(ORDERS);
    const settledMs = Math.round(performance.now() - started);

    // As SHOP-A sees them through the gateway.
    const statuses = new Map<string, number>();
    let after: string | null = null;
    for (;;) {
      const data: { orders: { edges: { node: { id: string; status: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await w.gql(
        'SHOP-A',
        `query($filter: OrderFilter, $after: String) { orders(filter: $filter, first: 100, after: $after) { edges { node { id status } } pageInfo { hasNextPage endCursor } } }`,
        { filter: { channelId }, after },
      );
      for (const { node } of data.orders.edges) statuses.set(node.status, (statuses.get(node.status) ?? 0) + 1);
      if (!data.orders.pageInfo.hasNextPage) break;
      after = data.orders.pageInfo.endCursor;
    }
    expect(Object.fromEntries(statuses)).toEqual({ ALLOCATED: STOCK, BACKORDERED: ORDERS - STOCK });

    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: STOCK, reserved: STOCK, available: 0 });
    expect(await w.reservedUnits(product.id)).toBe(STOCK);
    const slots = await w.expectLedgerBalanced(product.id);
    expect(slots.map((s) => [s.onHand, s.movementSum, s.reserved])).toEqual([[STOCK, STOCK, STOCK]]);
    const movements = await w.movements('SHOP-A', { productId: product.id });
    expect(movements.map((m) => [m.kind, m.quantity])).toEqual([['FREE_RECEIPT', STOCK]]);

    // One TO_PICK shipment of one unit per allocated order, none for the backordered ones.
    const shipments = await w.shipments('SHOP-A', { warehouseId: warehouse.id });
    expect(shipments).toHaveLength(STOCK);
    expect(shipments.every((s) => s.status === 'TO_PICK' && s.lines.length === 1 && s.lines[0]!.quantity === 1)).toBe(true);
    expect(new Set(shipments.map((s) => s.orderId)).size).toBe(STOCK);
    const [allocatedOrders] = await w.admin`select count(*)::int as n from orders.orders where channel_id = ${channelId} and status = 'ALLOCATED' and id = any(${shipments.map((s) => s.orderId)}::uuid[])`;
    expect(Number(allocatedOrders!['n'])).toBe(STOCK);
    await annotate(`placed + approved 500 orders in ${placedMs} ms; all allocated or backordered after ${settledMs} ms`);
  }, 120_000);
});
