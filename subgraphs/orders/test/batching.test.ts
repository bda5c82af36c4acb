import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World } from './helpers';

/**
 * Batching (orders issue): listing 100 orders with their lines and product names through the
 * gateway costs the same number of SQL statements as listing 10. The statements are counted on
 * the application connection (subgraph requests); the background workflows run on the separate
 * worker connection (scripts/lib/platform.ts) and are not counted.
 */

let w: World;
let statements = 0;
let channelId: string;

beforeAll(async () => {
  w = await World.start({ onQuery: () => (statements += 1) });
  channelId = await w.createChannel('SHOP-A');
  const customers = [await w.createCustomer('SHOP-A', 'Batch Buyer 1'), await w.createCustomer('SHOP-A', 'Batch Buyer 2')];
  const skus = ['A-TEA-001', 'A-TEA-002', 'A-MUG-001', 'A-POT-001', 'A-GFT-001'];
  const orders = Array.from({ length: 110 }, (_, i) => ({
    channelId,
    externalNumber: `BATCH-${i}`,
    customerId: customers[i % 2],
    currency: 'EUR',
    lines: [
      { skuCode: skus[i % 5], quantity: 1 + (i % 3), unitPriceMinor: 1000 + i },
      { skuCode: skus[(i + 2) % 5], quantity: 2, unitPriceMinor: 500 },
    ],
  }));
  const data = await w.gql<{ importOrders: { created: number } }>('SHOP-A', `mutation($orders: [PlaceOrderInput!]!) { importOrders(orders: $orders) { created } }`, { orders });
  expect(data.importOrders.created).toBe(110);
});
afterAll(async () => {
  await w?.close();
});

const LIST = `query($first: Int!, $channelId: ID!) { orders(first: $first, filter: { channelId: $channelId }) {
  edges { cursor node {
    id kind status externalNumber placedAt
    total { amountMinor currency }
    seller { id } buyer { id }
    customer { id name } channel { id code }
    timeline { at from to actor { id } reason }
    parentOrder { id } childOrders { id status }
    returns { id status }
    lines { id lineNo quantity unitPrice { amountMinor } product { id skuCode name } }
  } }
  pageInfo { hasNextPage endCursor } } }`;

interface Listed {
  orders: {
    edges: { node: { externalNumber: string; customer: { name: string }; channel: { id: string }; lines: { product: { skuCode: string; name: string } }[] } }[];
    pageInfo: { hasNextPage: boolean };
  };
}

describe('orders(first:) with lines and product names', () => {
  it('costs the same number of SQL statements for 100 orders as for 10', async () => {
    const count = async (first: number) => {
      statements = 0;
      const data = await w.gql<Listed>('SHOP-A', LIST, { first, channelId });
      const used = statements;
      expect(data.orders.edges).toHaveLength(first);
      expect(data.orders.pageInfo.hasNextPage).toBe(true);
      // Real data came back: lines with catalog's product names, the customer and channel.
      for (const { node } of data.orders.edges) {
        expect(node.channel.id).toBe(channelId);
        expect(node.customer.name).toMatch(/^Batch Buyer [12]$/);
        expect(node.lines).toHaveLength(2);
        for (const line of node.lines) expect(line.product.name.length).toBeGreaterThan(0);
      }
      const names = new Set(data.orders.edges.flatMap((e) => e.node.lines.map((l) => `${l.product.skuCode}:${l.product.name}`)));
      expect(names).toContain('A-TEA-001:Green Tea 100g');
      return used;
    };
    const ten = await count(10);
    const hundred = await count(100);
    expect(hundred).toBe(ten);
    expect(await count(10)).toBe(ten);
    // A handful per subgraph request (transaction, tenant settings, one query per batch), not per order.
    expect(ten).toBeLessThanOrEqual(16);
  });
});
