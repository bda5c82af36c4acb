import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, ok, type Code } from '../../subgraphs/inventory/test/helpers';

/**
 * `sellableQuantityChanged(productIds)` through the gateway over graphql-ws (issue 15): a channel
 * connector keeps its marketplace listing in step with what it can sell along the whole drop-ship
 * chain. SHOP-A's product ← TRADER-B's ← SUPPLIER-C's: a receipt at SUPPLIER-C's warehouse reaches
 * SHOP-A's and TRADER-B's subscriptions within a second, as each one's own value, and nothing of it
 * reaches SHOP-D.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});
afterAll(async () => {
  await w?.close();
});

interface Change {
  productId: string;
  sellableQuantity: number;
  snapshot: boolean;
  at: string;
  product: { skuCode: string } | null;
}

const SELLABLE = `subscription($ids: [ID!]!) { sellableQuantityChanged(productIds: $ids) { productId sellableQuantity snapshot at product { skuCode } } }`;

interface Collector {
  changes: { change: Change; receivedAt: number }[];
  errors: unknown[];
  /** Resolves once `count` changes have arrived. */
  reach(count: number): Promise<void>;
  stop(): void;
}

function subscribe(as: Code, productIds: string[]): Collector {
  const client = w.liveClient(as);
  const changes: Collector['changes'] = [];
  const errors: unknown[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const stop = client.subscribe<{ sellableQuantityChanged: Change }>(
    { query: SELLABLE, variables: { ids: productIds } },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        if (value.data) changes.push({ change: value.data.sellableQuantityChanged, receivedAt: Date.now() });
        for (const waiter of waiters.filter((x) => changes.length >= x.count)) waiter.resolve();
      },
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  return {
    changes,
    errors,
    stop,
    reach: (count) => (changes.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
  };
}

/** The changes received from index `from` to `to`, in arrival order. */
const values = (collector: Collector, from = 0, to?: number) =>
  collector.changes.slice(from, to).map(({ change }) => ({ productId: change.productId, sellableQuantity: change.sellableQuantity, snapshot: change.snapshot }));

/** The same, in product id order (two products' changes of one commit may come in either order). */
const byProduct = (collector: Collector, from: number, to: number) => values(collector, from, to).sort((x, y) => x.productId.localeCompare(y.productId));
const sortedBy = <T extends { productId: string }>(items: T[]) => [...items].sort((x, y) => x.productId.localeCompare(y.productId));

async function setShareRule(upstream: Code, linkId: string, rule: { kind: string; value?: number; safetyBuffer?: number }): Promise<void> {
  const data = await w.gql<{ r: { __typename: string } }>(
    upstream,
    `mutation($input: SetShareRuleInput!) { r: setShareRule(input: $input) { __typename ... on CatalogError { errorCode message } } }`,
    { input: { linkId, ...rule } },
  );
  ok(data.r, 'ProductLink');
}

describe('sellableQuantityChanged through the gateway', () => {
  it('delivers a receipt at the top of the chain to SHOP-A and TRADER-B within a second, each its own value, and nothing to SHOP-D', async () => {
    const c = await w.createProduct('SUPPLIER-C');
    const b = await w.createProduct('TRADER-B');
    const a = await w.createProduct('SHOP-A');
    const d = await w.createProduct('SHOP-D');
    const bc = await w.link('TRADER-B', b.id, 'SUPPLIER-C', c.skuCode);
    await w.link('SHOP-A', a.id, 'TRADER-B', b.skuCode);
    await setShareRule('SUPPLIER-C', bc, { kind: 'PERCENT', value: 50 });
    const factory = await w.createWarehouse('SUPPLIER-C', { regions: ['DE'] });
    const shopD = await w.createWarehouse('SHOP-D', { regions: ['DE'] });

    // SHOP-A also asks for SUPPLIER-C's product, which it may not read: it never hears of it.
    const shopA = subscribe('SHOP-A', [a.id, b.id, c.id]);
    const trader = subscribe('TRADER-B', [b.id, c.id]);
    // SHOP-D watches the whole chain and its own product: only its own may ever speak.
    const outsider = subscribe('SHOP-D', [a.id, b.id, c.id, d.id]);
    // The current values come first: once there, each subscription is live.
    await Promise.all([shopA.reach(2), trader.reach(2), outsider.reach(1)]);
    expect(values(shopA)).toEqual([
      { productId: a.id, sellableQuantity: 0, snapshot: true },
      { productId: b.id, sellableQuantity: 0, snapshot: true },
    ]);
    expect(values(trader)).toEqual([
      { productId: b.id, sellableQuantity: 0, snapshot: true },
      { productId: c.id, sellableQuantity: 0, snapshot: true },
    ]);
    expect(values(outsider)).toEqual([{ productId: d.id, sellableQuantity: 0, snapshot: true }]);
    expect(shopA.changes.map(({ change }) => change.product?.skuCode)).toEqual([a.skuCode, b.skuCode]);

    const sent = Date.now();
    await w.received('SUPPLIER-C', factory.id, [{ productId: c.id, quantity: 38 }]);
    await Promise.all([shopA.reach(4), trader.reach(4)]);
    // B sells half of C's 38 (PERCENT 50); A all of what B can sell (ALL).
    expect(byProduct(shopA, 2, 4)).toEqual(sortedBy([
      { productId: a.id, sellableQuantity: 19, snapshot: false },
      { productId: b.id, sellableQuantity: 19, snapshot: false },
    ]));
    expect(byProduct(trader, 2, 4)).toEqual(sortedBy([
      { productId: b.id, sellableQuantity: 19, snapshot: false },
      { productId: c.id, sellableQuantity: 19, snapshot: false },
    ]));
    for (const { receivedAt } of [...shopA.changes.slice(2), ...trader.changes.slice(2)]) expect(receivedAt - sent).toBeLessThan(1000);

    // A rule change moves values too: capped at 100, B reads all 38 of C (19 → 38), and so does A.
    await setShareRule('SUPPLIER-C', bc, { kind: 'FIXED', value: 100 });
    await Promise.all([shopA.reach(6), trader.reach(6)]);
    expect(byProduct(shopA, 4, 6)).toEqual(sortedBy([
      { productId: a.id, sellableQuantity: 38, snapshot: false },
      { productId: b.id, sellableQuantity: 38, snapshot: false },
    ]));
    // A change that leaves every value as it was (a cap of 200 over 38 held) pushes nothing; the
    // next receipt does.
    await setShareRule('SUPPLIER-C', bc, { kind: 'FIXED', value: 200 });
    await w.received('SUPPLIER-C', factory.id, [{ productId: c.id, quantity: 2 }]);
    await Promise.all([shopA.reach(8), trader.reach(8)]);
    expect(byProduct(shopA, 6, 8)).toEqual(sortedBy([
      { productId: a.id, sellableQuantity: 40, snapshot: false },
      { productId: b.id, sellableQuantity: 40, snapshot: false },
    ]));
    expect(byProduct(trader, 6, 8)).toEqual(sortedBy([
      { productId: b.id, sellableQuantity: 40, snapshot: false },
      { productId: c.id, sellableQuantity: 40, snapshot: false },
    ]));
    // Nothing came in between for the unchanged cap (it would have come before the receipt's).
    expect(shopA.changes).toHaveLength(8);
    expect(trader.changes).toHaveLength(8);

    // SHOP-D's own receipt is the barrier: had anything of the chain leaked, it would have come first.
    await w.received('SHOP-D', shopD.id, [{ productId: d.id, quantity: 5 }]);
    await outsider.reach(2);
    expect(values(outsider)).toEqual([
      { productId: d.id, sellableQuantity: 0, snapshot: true },
      { productId: d.id, sellableQuantity: 5, snapshot: false },
    ]);
    expect([shopA.errors, trader.errors, outsider.errors]).toEqual([[], [], []]);
    shopA.stop();
    trader.stop();
    outsider.stop();
  });

  it('refuses an empty product list as bad input', async () => {
    const refused = subscribe('SHOP-A', []);
    await expect.poll(() => refused.errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(refused.errors)).toContain('BAD_USER_INPUT');
    expect(refused.changes).toEqual([]);
  });
});
