import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, inTenantTransaction, type Database } from '@redthread/kit';
import { sellableQuantities } from '../src/services/queries';
import { InventoryWorld, PARTNER, ok, type Code } from './helpers';

/**
 * Sellable quantity through every hop of the drop-ship chain (issue 15, migration 0028):
 *
 *   sellable(P) = share(link)(sellable(P's upstream product)), summed over P's ACTIVE upstream links
 *   sellable(P) = own available stock of P's owner for P, when P has no ACTIVE upstream link
 *
 * for SHOP-A's product ← TRADER-B's ← SUPPLIER-C's, each link's share rule (after its safety
 * buffer) applied to what the hop above can sell. A linked product's own stock does not count:
 * routing passes its lines up the link, so that stock is not what fills them. A partner reads its own product's sellable quantity, and of an upstream product only what
 * its own link's rule gives it; nothing else (null).
 */

let w: InventoryWorld;
let app: Database;
const warehouses = {} as Record<'TRADER-B' | 'SUPPLIER-C' | 'SHOP-A', string>;

beforeAll(async () => {
  w = await InventoryWorld.start();
  app = connectDatabase(w.db.appUrl, { max: 2 });
  for (const code of ['SHOP-A', 'TRADER-B', 'SUPPLIER-C'] as const) warehouses[code] = (await w.createWarehouse(code, { regions: ['DE'] })).id;
});

afterAll(async () => {
  await app?.close();
  await w?.close();
});

interface ShareRule {
  kind: 'NONE' | 'ALL' | 'PERCENT' | 'FIXED';
  value?: number;
  safetyBuffer?: number;
}

interface Chain {
  a: { id: string; skuCode: string };
  b: { id: string; skuCode: string };
  c: { id: string; skuCode: string };
  /** SHOP-A's product ← TRADER-B's. */
  ab: string;
  /** TRADER-B's product ← SUPPLIER-C's. */
  bc: string;
}

async function setShareRule(upstream: Code, linkId: string, rule: ShareRule): Promise<void> {
  const data = await w.gql<{ setShareRule: { __typename: string } }>(
    upstream,
    `mutation($input: SetShareRuleInput!) { setShareRule(input: $input) { __typename ... on ProductLink { id } ... on CatalogError { errorCode message } } }`,
    { input: { linkId, ...rule } },
  );
  ok(data.setShareRule, 'ProductLink');
}

/** A fresh three-level chain, its rules set, with stock received at SUPPLIER-C (and TRADER-B, SHOP-A). */
async function chain(options: { ab: ShareRule; bc: ShareRule; stockC?: number; stockB?: number; stockA?: number }): Promise<Chain> {
  const c = await w.createProduct('SUPPLIER-C');
  const b = await w.createProduct('TRADER-B');
  const a = await w.createProduct('SHOP-A');
  const bc = await w.link('TRADER-B', b.id, 'SUPPLIER-C', c.skuCode);
  const ab = await w.link('SHOP-A', a.id, 'TRADER-B', b.skuCode);
  await setShareRule('SUPPLIER-C', bc, options.bc);
  await setShareRule('TRADER-B', ab, options.ab);
  const stock: [Code & keyof typeof warehouses, string, number | undefined][] = [
    ['SUPPLIER-C', c.id, options.stockC ?? 38],
    ['TRADER-B', b.id, options.stockB],
    ['SHOP-A', a.id, options.stockA],
  ];
  for (const [owner, productId, quantity] of stock) {
    if (quantity) await w.received(owner, warehouses[owner], [{ productId, quantity }]);
  }
  return { a, b, c, ab, bc };
}

/** `Product.sellableQuantity` as a partner reads it through the gateway (null when the product is invisible). */
async function sellableAs(as: Code, productId: string): Promise<number | null> {
  const data = await w.gql<{ product: { sellableQuantity: number | null } | null }>(as, `query($id: ID!) { product(id: $id) { sellableQuantity } }`, { id: productId });
  return data.product?.sellableQuantity ?? null;
}

/** What a partner reads of an upstream product through its own link (`productLinks { upstreamProduct }`). */
async function upstreamAs(as: Code, downstreamProductId: string, linkId: string): Promise<number | null> {
  const data = await w.gql<{ productLinks: { edges: { node: { id: string; upstreamProduct: { sellableQuantity: number | null } } }[] } }>(
    as,
    `query($productId: ID) { productLinks(filter: { productId: $productId }) { edges { node { id upstreamProduct { sellableQuantity } } } } }`,
    { productId: downstreamProductId },
  );
  const edge = data.productLinks.edges.find((e) => e.node.id === linkId);
  expect(edge, `${as} sees its link`).toBeDefined();
  return edge!.node.upstreamProduct.sellableQuantity;
}

/** The inventory service itself, as a partner: what `Product.sellableQuantity` resolves to for these ids. */
async function serviceAs(as: Code, productIds: string[]): Promise<Map<string, number | null>> {
  return inTenantTransaction(app.db, { subject: 'test:sellable-chain', partnerId: PARTNER[as], roles: ['admin'] }, (tx) => sellableQuantities(tx, PARTNER[as], productIds));
}

describe('sellable quantity through every hop of the chain', () => {
  it('regression: SHOP-A and TRADER-B sell the 38 units SUPPLIER-C holds (they read 0 when it was computed one hop only)', async () => {
    const { a, b, c } = await chain({ ab: { kind: 'ALL' }, bc: { kind: 'ALL' }, stockC: 38 });
    expect(await sellableAs('SUPPLIER-C', c.id)).toBe(38);
    expect(await sellableAs('TRADER-B', b.id)).toBe(38);
    expect(await sellableAs('SHOP-A', a.id)).toBe(38);
  });

  // C holds `stockC` (default 38); B sells what the B–C rule lets through (its own stock of a
  // linked product is not what routing uses); A reads the A–B rule applied to that.
  it.each<[string, { ab: ShareRule; bc: ShareRule; stockB?: number; stockA?: number }, { bReadsC: number; b: number; aReadsB: number; a: number }]>([
    ['NONE above B', { bc: { kind: 'NONE' }, ab: { kind: 'ALL' } }, { bReadsC: 0, b: 0, aReadsB: 0, a: 0 }],
    ['NONE above B: B’s own stock does not count, its orders go to SUPPLIER-C', { bc: { kind: 'NONE' }, ab: { kind: 'ALL' }, stockB: 7 }, { bReadsC: 0, b: 0, aReadsB: 0, a: 0 }],
    ['ALL, then NONE to A', { bc: { kind: 'ALL' }, ab: { kind: 'NONE' }, stockB: 5 }, { bReadsC: 38, b: 38, aReadsB: 0, a: 0 }],
    ['PERCENT then ALL', { bc: { kind: 'PERCENT', value: 50 }, ab: { kind: 'ALL' } }, { bReadsC: 19, b: 19, aReadsB: 19, a: 19 }],
    ['PERCENT at both hops, rounded down at each', { bc: { kind: 'PERCENT', value: 33 }, ab: { kind: 'PERCENT', value: 33 } }, { bReadsC: 12, b: 12, aReadsB: 3, a: 3 }],
    ['FIXED cap (B’s own stock not on top)', { bc: { kind: 'FIXED', value: 10 }, ab: { kind: 'ALL' }, stockB: 5 }, { bReadsC: 10, b: 10, aReadsB: 10, a: 10 }],
    ['FIXED caps at both hops', { bc: { kind: 'FIXED', value: 30 }, ab: { kind: 'FIXED', value: 20 }, stockB: 4 }, { bReadsC: 30, b: 30, aReadsB: 20, a: 20 }],
    ['FIXED cap above the stock', { bc: { kind: 'FIXED', value: 100 }, ab: { kind: 'FIXED', value: 100 } }, { bReadsC: 38, b: 38, aReadsB: 38, a: 38 }],
    ['safety buffers at both hops', { bc: { kind: 'ALL', safetyBuffer: 8 }, ab: { kind: 'ALL', safetyBuffer: 5 } }, { bReadsC: 30, b: 30, aReadsB: 25, a: 25 }],
    ['buffer above all of C’s stock', { bc: { kind: 'ALL', safetyBuffer: 50 }, ab: { kind: 'PERCENT', value: 100 }, stockB: 6 }, { bReadsC: 0, b: 0, aReadsB: 0, a: 0 }],
    [
      'PERCENT with buffer, then FIXED with buffer (B’s own stock ignored)',
      { bc: { kind: 'PERCENT', value: 50, safetyBuffer: 8 }, ab: { kind: 'FIXED', value: 12, safetyBuffer: 2 }, stockB: 3 },
      { bReadsC: 15, b: 15, aReadsB: 12, a: 12 },
    ],
    ['A’s own stock of its linked product does not count either', { bc: { kind: 'PERCENT', value: 50 }, ab: { kind: 'PERCENT', value: 50, safetyBuffer: 1 }, stockA: 4 }, { bReadsC: 19, b: 19, aReadsB: 9, a: 9 }],
  ])('%s', async (_name, rules, expected) => {
    const { a, b, c, ab, bc } = await chain(rules);
    expect(await sellableAs('SUPPLIER-C', c.id), 'C its own').toBe(38);
    expect(await upstreamAs('TRADER-B', b.id, bc), 'B reads of C’s product').toBe(expected.bReadsC);
    expect(await sellableAs('TRADER-B', b.id), 'B its own').toBe(expected.b);
    expect(await upstreamAs('SHOP-A', a.id, ab), 'A reads of B’s product').toBe(expected.aReadsB);
    expect(await sellableAs('SHOP-A', a.id), 'A its own').toBe(expected.a);
    // One statement for the batch answers the same.
    const batch = await serviceAs('SHOP-A', [a.id, b.id, c.id]);
    expect(Object.fromEntries(batch)).toEqual({ [a.id]: expected.a, [b.id]: expected.aReadsB, [c.id]: null });
  });

  it('follows stock anywhere up the chain: a reservation at C takes from B and A, a suspended link stops the flow', async () => {
    const { a, b, c, bc } = await chain({ bc: { kind: 'ALL', safetyBuffer: 2 }, ab: { kind: 'ALL' }, stockC: 20, stockB: 3 });
    // B's own 3 do not count while its product is linked up: its orders go to SUPPLIER-C.
    expect(await sellableAs('SHOP-A', a.id)).toBe(18);
    const order = await w.approvedOrder('SUPPLIER-C', [{ productId: c.id, quantity: 6 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    expect(await sellableAs('SUPPLIER-C', c.id)).toBe(14);
    expect(await sellableAs('TRADER-B', b.id)).toBe(12);
    expect(await sellableAs('SHOP-A', a.id)).toBe(12);
    const LINK = `__typename ... on ProductLink { status } ... on CatalogError { errorCode message }`;
    const suspended = await w.gql<{ r: { status: string } }>('SUPPLIER-C', `mutation($id: ID!) { r: suspendLink(id: $id, reason: "audit") { ${LINK} } }`, { id: bc });
    expect(suspended.r.status).toBe('SUSPENDED');
    // Suspended, B fulfils from its own stock again: its 3 count.
    expect(await sellableAs('TRADER-B', b.id)).toBe(3);
    expect(await sellableAs('SHOP-A', a.id)).toBe(3);
    expect(await upstreamAs('TRADER-B', b.id, bc)).toBeNull();
  });

  it('reveals no hop beyond its rule: A cannot read C’s product, unrelated partners read nothing', async () => {
    const { a, b, c } = await chain({ bc: { kind: 'FIXED', value: 5 }, ab: { kind: 'ALL' }, stockC: 38 });
    // Through the gateway, C's product is not even visible to SHOP-A.
    expect(await sellableAs('SHOP-A', c.id)).toBeNull();
    // Behind it, the inventory service answers null for it too (and for B's own view, which A cannot have).
    expect((await serviceAs('SHOP-A', [c.id])).get(c.id)).toBeNull();
    expect((await serviceAs('SHOP-A', [b.id])).get(b.id)).toBe(5);
    // The supplier sees nothing of the products downstream of its own.
    expect(Object.fromEntries(await serviceAs('SUPPLIER-C', [a.id, b.id, c.id]))).toEqual({ [a.id]: null, [b.id]: null, [c.id]: 38 });
    // SHOP-D (no links) and LOGI-E (a 3PL, not a party) read nothing of any of them.
    for (const code of ['SHOP-D', 'LOGI-E'] as const) {
      expect(Object.fromEntries(await serviceAs(code, [a.id, b.id, c.id])), code).toEqual({ [a.id]: null, [b.id]: null, [c.id]: null });
      expect(await sellableAs(code, a.id), code).toBeNull();
    }
    // A mismatched reader id answers nothing (the function reads for the transaction's tenant only).
    const mismatched = await inTenantTransaction(app.db, { subject: 'test:sellable-chain', partnerId: PARTNER['SHOP-D'], roles: ['admin'] }, (tx) =>
      sellableQuantities(tx, PARTNER['SHOP-A'], [a.id]),
    );
    expect(mismatched.get(a.id)).toBeNull();
    // Ids that are not UUIDs are simply unknown.
    expect((await serviceAs('SHOP-A', ['not-a-uuid'])).get('not-a-uuid')).toBeNull();
  });

  it('every change that can move a sellable quantity appends sellable.changed for each product down the chain, to its entitled partners only, naming nothing else', async () => {
    const { a, b, c, bc } = await chain({ bc: { kind: 'ALL' }, ab: { kind: 'ALL' }, stockC: 10 });
    const [mark] = await w.admin`select max(id)::bigint as id from events.event_log`;
    let position = Number(mark!['id']);
    /** The sellable.changed events appended since the last call, by product: audience (sorted) and payload. */
    const appended = async () => {
      const rows = await w.admin`select id, entity_type, entity_id, audience::text[] as audience, payload from events.event_log
        where topic = 'sellable.changed' and id > ${position} and entity_id = any(${[a.id, b.id, c.id]}) order by id`;
      if (rows.length) position = Math.max(...rows.map((r) => Number(r['id'])));
      return Object.fromEntries(
        rows.map((r) => [r['entity_id'], { entityType: r['entity_type'], audience: [...(r['audience'] as string[])].sort(), payload: r['payload'] }]),
      );
    };
    const expected = {
      [c.id]: { entityType: 'Product', audience: [PARTNER['SUPPLIER-C'], PARTNER['TRADER-B']].sort(), payload: { productId: c.id } },
      [b.id]: { entityType: 'Product', audience: [PARTNER['TRADER-B'], PARTNER['SHOP-A']].sort(), payload: { productId: b.id } },
      [a.id]: { entityType: 'Product', audience: [PARTNER['SHOP-A']], payload: { productId: a.id } },
    };
    // A receipt at the top of the chain.
    await w.received('SUPPLIER-C', warehouses['SUPPLIER-C'], [{ productId: c.id, quantity: 5 }]);
    expect(await appended()).toEqual(expected);
    // A reservation (allocation of SUPPLIER-C's own order) and its release on cancellation.
    const order = await w.approvedOrder('SUPPLIER-C', [{ productId: c.id, quantity: 4 }], 'DE-BE');
    expect(order.status).toBe('ALLOCATED');
    expect(await appended()).toEqual(expected);
    expect(await sellableAs('SHOP-A', a.id)).toBe(11);
    const cancelled = await w.gql<{ r: { __typename: string } }>('SUPPLIER-C', `mutation($id: ID!) { r: cancelOrder(id: $id, reason: "test") { __typename } }`, { id: order.id });
    expect(cancelled.r.__typename).toBe('Order');
    await expect.poll(() => sellableAs('SHOP-A', a.id), { timeout: 15_000, interval: 50 }).toBe(15);
    expect(await appended()).toEqual(expected);
    // A share rule change on the B–C link: C's product (what B reads of it) and everything below.
    await setShareRule('SUPPLIER-C', bc, { kind: 'FIXED', value: 3 });
    expect(await appended()).toEqual(expected);
    expect(await sellableAs('SHOP-A', a.id)).toBe(3);
    // Stock that is not along the chain appends nothing for it.
    const other = await w.createProduct('SUPPLIER-C');
    await w.received('SUPPLIER-C', warehouses['SUPPLIER-C'], [{ productId: other.id, quantity: 5 }]);
    expect(await appended()).toEqual({});
  });

  it('the demo chain: SHOP-A’s green tea (ALL less 2) sells what TRADER-B can, B what the supplier holds', async () => {
    const a = await w.demoProductId('SHOP-A', 'A-TEA-001');
    const b = await w.demoProductId('TRADER-B', 'B-TEA-GRN');
    const c = await w.demoProductId('SUPPLIER-C', 'C-GT-100');
    const available = async (as: Code, productId: string) => (await w.stock(as, { productId })).reduce((sum, l) => sum + l.available, 0);
    // Demo orders may still be allocating: compare values read together until they hold still.
    const reading = async () => {
      const cSells = (await serviceAs('SUPPLIER-C', [c])).get(c)!;
      const bSells = (await serviceAs('TRADER-B', [b])).get(b)!;
      const aSells = (await serviceAs('SHOP-A', [a])).get(a)!;
      return { cSells, bSells, aSells, bOwn: await available('TRADER-B', b), aOwn: await available('SHOP-A', a) };
    };
    await expect
      .poll(async () => {
        const r = await reading();
        return r.cSells > 0 && r.bSells === r.cSells && r.aSells === Math.max(r.bSells - 2, 0);
      }, { timeout: 15_000, interval: 100 })
      .toBe(true);
  });
});
