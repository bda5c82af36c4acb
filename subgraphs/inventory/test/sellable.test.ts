import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, inTenantTransaction, type Database } from '@redthread/kit';
import { sellableQuantities } from '../src/services/queries';
import { InventoryWorld, PARTNER, ok } from './helpers';

/**
 * Sellable quantity (DESIGN.md §2/§3, `Product.sellableQuantity`): the downstream party of an
 * ACTIVE link sees the upstream partner's available stock (on hand − reserved, all warehouses)
 * minus the link's safety buffer, then the share rule — NONE 0, ALL everything, PERCENT rounded
 * down, FIXED capped. The owner sees its own available stock; anyone else gets null. The rule is
 * set by TRADER-B (upstream) through catalog and read by SHOP-A through its product links.
 */

let w: InventoryWorld;
let app: Database;

/** TRADER-B's upstream product with 40 on hand in two warehouses, 4 of them reserved: 36 available. */
let upstream: { id: string; skuCode: string };
let downstream: { id: string };
let linkId: string;

beforeAll(async () => {
  w = await InventoryWorld.start();
  app = connectDatabase(w.db.appUrl, { max: 2 });
  upstream = await w.createProduct('TRADER-B');
  downstream = await w.createProduct('SHOP-A');
  linkId = await w.link('SHOP-A', downstream.id, 'TRADER-B', upstream.skuCode);
  const hub = await w.createWarehouse('TRADER-B', { regions: ['DE'] });
  const store = await w.createWarehouse('TRADER-B', { regions: ['AT'] });
  await w.received('TRADER-B', hub.id, [{ productId: upstream.id, quantity: 25 }]);
  await w.received('TRADER-B', store.id, [{ productId: upstream.id, quantity: 15, batch: { lotNumber: 'S-1', expiresOn: '2030-01-01' } }]);
});

afterAll(async () => {
  await app?.close();
  await w?.close();
});

let reserved: Promise<void> | undefined;
/** Reserves 4 units of the upstream stock with a TRADER-B order (once; awaits allocation, so inside a test). */
function withReservation(): Promise<void> {
  reserved ??= (async () => {
    const order = await w.approvedOrder('TRADER-B', [{ productId: upstream.id, quantity: 4 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
  })();
  return reserved;
}

async function setShareRule(rule: { kind: string; value?: number; safetyBuffer?: number }): Promise<void> {
  const data = await w.gql<{ setShareRule: { __typename: string } }>(
    'TRADER-B',
    `mutation($input: SetShareRuleInput!) { setShareRule(input: $input) { __typename ... on ProductLink { shareRule { kind value safetyBuffer } } ... on CatalogError { errorCode message } } }`,
    { input: { linkId, ...rule } },
  );
  const link = ok<{ shareRule: { kind: string; value: number | null; safetyBuffer: number } }>(data.setShareRule, 'ProductLink');
  expect(link.shareRule).toMatchObject({ kind: rule.kind, safetyBuffer: rule.safetyBuffer ?? 0 });
}

/** What SHOP-A reads as the sellable quantity of the upstream product, through its link. */
async function sellableForShopA(): Promise<number | null> {
  const data = await w.gql<{ productLinks: { edges: { node: { id: string; upstreamProduct: { id: string; sellableQuantity: number | null } } }[] } }>(
    'SHOP-A',
    `query($productId: ID) { productLinks(filter: { productId: $productId }) { edges { node { id upstreamProduct { id sellableQuantity } } } } }`,
    { productId: downstream.id },
  );
  const edge = data.productLinks.edges.find((e) => e.node.id === linkId);
  expect(edge, 'SHOP-A sees its link').toBeDefined();
  expect(edge!.node.upstreamProduct.id).toBe(upstream.id);
  return edge!.node.upstreamProduct.sellableQuantity;
}

async function productAs(code: 'TRADER-B' | 'SHOP-A' | 'SHOP-D', id: string): Promise<{ id: string; sellableQuantity: number | null } | null> {
  return (await w.gql<{ product: { id: string; sellableQuantity: number | null } | null }>(code, `query($id: ID!) { product(id: $id) { id sellableQuantity } }`, { id })).product;
}

describe('sellable quantity of an upstream product for the downstream partner', () => {
  it.each([
    [{ kind: 'NONE' }, 0],
    [{ kind: 'NONE', safetyBuffer: 5 }, 0],
    [{ kind: 'ALL' }, 36],
    [{ kind: 'ALL', safetyBuffer: 6 }, 30],
    [{ kind: 'ALL', safetyBuffer: 36 }, 0],
    [{ kind: 'ALL', safetyBuffer: 50 }, 0],
    [{ kind: 'PERCENT', value: 50 }, 18],
    [{ kind: 'PERCENT', value: 50, safetyBuffer: 6 }, 15],
    [{ kind: 'PERCENT', value: 33 }, 11],
    [{ kind: 'PERCENT', value: 0 }, 0],
    [{ kind: 'PERCENT', value: 100, safetyBuffer: 1 }, 35],
    [{ kind: 'FIXED', value: 20 }, 20],
    [{ kind: 'FIXED', value: 100 }, 36],
    [{ kind: 'FIXED', value: 20, safetyBuffer: 30 }, 6],
    [{ kind: 'FIXED', value: 0 }, 0],
  ])('share rule %j → %i', async (rule, expected) => {
    await withReservation();
    await setShareRule(rule);
    expect(await sellableForShopA()).toBe(expected);
  });

  it('follows the upstream stock: receipts add, reservations take away', async () => {
    // A link of its own, so the other cases keep their 36 available units.
    const up = await w.createProduct('TRADER-B');
    const down = await w.createProduct('SHOP-A');
    const link = await w.link('SHOP-A', down.id, 'TRADER-B', up.skuCode);
    ok((await w.gql<{ r: never }>('TRADER-B', `mutation($input: SetShareRuleInput!) { r: setShareRule(input: $input) { __typename ... on CatalogError { message } } }`, { input: { linkId: link, kind: 'ALL', safetyBuffer: 2 } })).r, 'ProductLink');
    const read = async () => {
      const data = await w.gql<{ productLinks: { edges: { node: { id: string; upstreamProduct: { sellableQuantity: number | null } } }[] } }>(
        'SHOP-A',
        `query($productId: ID) { productLinks(filter: { productId: $productId }) { edges { node { id upstreamProduct { sellableQuantity } } } } }`,
        { productId: down.id },
      );
      return data.productLinks.edges.find((e) => e.node.id === link)!.node.upstreamProduct.sellableQuantity;
    };
    expect(await read()).toBe(0);
    const warehouse = await w.createWarehouse('TRADER-B', { regions: ['DE-BE'] });
    await w.received('TRADER-B', warehouse.id, [{ productId: up.id, quantity: 10 }]);
    expect(await read()).toBe(8);
    const order = await w.approvedOrder('TRADER-B', [{ productId: up.id, quantity: 3 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    expect(await read()).toBe(5);
    expect((await productAs('TRADER-B', up.id))!.sellableQuantity).toBe(7);
  });

  it('the owner sees its own available stock whatever the rule; SHOP-A its own (none) for its product', async () => {
    await withReservation();
    await setShareRule({ kind: 'NONE' });
    const levels = await w.stock('TRADER-B', { productId: upstream.id });
    const available = levels.reduce((sum, l) => sum + l.available, 0);
    expect((await productAs('TRADER-B', upstream.id))!.sellableQuantity).toBe(available);
    expect(available).toBe(36);
    expect((await productAs('SHOP-A', downstream.id))!.sellableQuantity).toBe(0);
  });

  it('SHOP-D, with no link, gets nothing: the product is invisible and the quantity null', async () => {
    await setShareRule({ kind: 'ALL' });
    expect(await productAs('SHOP-D', upstream.id)).toBeNull();
    const quantities = await inTenantTransaction(app.db, { subject: 'test:sellable', partnerId: PARTNER['SHOP-D'], roles: ['admin'] }, (tx) =>
      sellableQuantities(tx, PARTNER['SHOP-D'], [upstream.id]),
    );
    expect(quantities.get(upstream.id)).toBeNull();
    // SUPPLIER-C and LOGI-E neither.
    for (const code of ['SUPPLIER-C', 'LOGI-E'] as const) {
      const q = await inTenantTransaction(app.db, { subject: 'test:sellable', partnerId: PARTNER[code], roles: ['admin'] }, (tx) => sellableQuantities(tx, PARTNER[code], [upstream.id]));
      expect(q.get(upstream.id), code).toBeNull();
    }
  });

  it('a suspended link shows null; resumed, the rule applies again', async () => {
    await withReservation();
    await setShareRule({ kind: 'FIXED', value: 7 });
    expect(await sellableForShopA()).toBe(7);
    const LINK = `__typename ... on ProductLink { status } ... on CatalogError { errorCode message }`;
    const suspended = await w.gql<{ suspendLink: { __typename: string; status: string } }>('TRADER-B', `mutation($id: ID!) { suspendLink(id: $id, reason: "audit") { ${LINK} } }`, { id: linkId });
    expect(suspended.suspendLink).toMatchObject({ __typename: 'ProductLink', status: 'SUSPENDED' });
    expect(await sellableForShopA()).toBeNull();
    const resumed = await w.gql<{ resumeLink: { __typename: string; status: string } }>('TRADER-B', `mutation($id: ID!) { resumeLink(id: $id) { ${LINK} } }`, { id: linkId });
    expect(resumed.resumeLink).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
    expect(await sellableForShopA()).toBe(7);
  });
});
