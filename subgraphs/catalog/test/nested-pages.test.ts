import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../../test/platform';
import type { Connection } from '../../../test/world';
import { demoPartnerId } from '../../../scripts/demo/world';

/**
 * The nested lists of the catalog that grow without bound are keyset-paged connections, like the
 * root lists (issue 15, "no silent caps"): `Product.links` (a supplier's product linked by any
 * number of shops) and `ProductLink.supplyPrices` (a price history). Each pages through every row
 * once, newest first, with opaque cursors and `first` 1–100; a bad `first` or cursor is refused
 * with BAD_USER_INPUT naming the argument. Under a list of parents they are batched: one page per
 * parent, a constant number of SQL statements for 10 parents as for 100.
 *
 * The 150 links and 150 prices are inserted in one statement each behind row-level security (they
 * share one creation time, so the id must break the tie).
 */

const ROWS = 150;
let db: TestDatabase;
let api: TestPlatform;
let admin: postgres.Sql;
let statements = 0;
const tokens = new Map<string, string>();

/** SUPPLIER-C's product that 150 of SHOP-A's products are linked to, and those links, newest first. */
let supplierProduct: string;
let linkIds: string[];
/** SHOP-A's linked products. */
let shopProducts: string[];
/** A link with 150 prices, one a day back from today, and one scheduled in 30 days; newest effective first. */
let pricedLink: string;
let priceAmounts: string[];

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db, { onQuery: () => (statements += 1) });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
  for (const code of ['SHOP-A', 'SUPPLIER-C', 'SHOP-D']) tokens.set(code, await api.tokenFor(code));
  const shopA = demoPartnerId('SHOP-A');
  const supplierC = demoPartnerId('SUPPLIER-C');
  const [product] = await admin`insert into catalog.products (owner_partner_id, sku_code, name) values (${supplierC}, 'C-MANY-LINKS', 'Linked by many shops') returning id`;
  supplierProduct = product!['id'] as string;
  const made = await admin`insert into catalog.products (owner_partner_id, sku_code, name)
    select ${shopA}, 'A-PAGED-' || i, 'Paged link product ' || i from generate_series(1, ${ROWS}) i returning id`;
  shopProducts = made.map((row) => row['id'] as string);
  const links = await admin`insert into catalog.product_links
      (downstream_partner_id, downstream_product_id, upstream_partner_id, upstream_product_id, proposed_by_partner_id)
    select ${shopA}, p, ${supplierC}, ${supplierProduct}, ${shopA} from unnest(${shopProducts}::uuid[]) p returning id::text`;
  // One creation time for all: newest first is then by id, descending (uuid order is the order of its text).
  linkIds = links.map((row) => row['id'] as string).sort().reverse();
  pricedLink = linkIds[0]!;
  const prices = await admin`insert into catalog.supply_prices (link_id, amount_minor, currency, effective_from, set_by_partner_id)
    select ${pricedLink}::uuid, 1000 + i, 'EUR', now() - make_interval(days => i), ${supplierC}::uuid from generate_series(0, ${ROWS - 1}) i
    union all select ${pricedLink}::uuid, 999999, 'EUR', now() + interval '30 days', ${supplierC}::uuid
    returning amount_minor::text, effective_from`;
  priceAmounts = [...prices].sort((a, b) => (b['effective_from'] as Date).getTime() - (a['effective_from'] as Date).getTime()).map((row) => row['amount_minor'] as string);
});
afterAll(async () => {
  await admin?.end();
  await api?.close();
  await db?.drop();
});

const token = (code: string) => tokens.get(code)!;

async function ask<Data>(as: string, query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await api.query<Data>(token(as), query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

/** Follows a nested connection page after page; returns every page. */
async function pagesOf<Node>(first: number, fetchPage: (after: string | null) => Promise<Connection<Node>>): Promise<Connection<Node>[]> {
  const pages: Connection<Node>[] = [];
  let after: string | null = null;
  for (;;) {
    expect(pages.length, 'too many pages').toBeLessThan(20);
    const page = await fetchPage(after);
    pages.push(page);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    after = page.pageInfo.endCursor;
  }
}

const LINKS_OF_PRODUCT = `query($id: ID!, $first: Int, $after: String) { product(id: $id) {
  links(first: $first, after: $after) { edges { cursor node { id downstreamProduct { id } } } pageInfo { hasNextPage endCursor } } } }`;
const PRICES_OF_LINK = `query($id: ID!, $first: Int, $after: String) { productLink(id: $id) {
  supplyPrices(first: $first, after: $after) { edges { cursor node { price { amountMinor currency } effectiveFrom } } pageInfo { hasNextPage endCursor } } } }`;

describe('Product.links', () => {
  it(`pages through all ${ROWS} links of a supplier's product, 100 then 50, newest first, each once`, async () => {
    const pages = await pagesOf(100, async (after) =>
      (await ask<{ product: { links: Connection<{ id: string; downstreamProduct: { id: string } }> } }>('SUPPLIER-C', LINKS_OF_PRODUCT, { id: supplierProduct, first: 100, after })).product.links,
    );
    expect(pages.map((page) => page.edges.length)).toEqual([100, 50]);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, false]);
    const ids = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    expect(ids).toEqual(linkIds);
    expect(new Set(pages.flatMap((page) => page.edges.map((edge) => edge.node.downstreamProduct.id)))).toEqual(new Set(shopProducts));
  });

  it('pages with the default size of 20 and with status filters', async () => {
    const pages = await pagesOf(20, async (after) =>
      (await ask<{ product: { links: Connection<{ id: string }> } }>('SUPPLIER-C', `query($id: ID!, $after: String) { product(id: $id) {
        links(status: [PROPOSED], after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } }`, { id: supplierProduct, after })).product.links,
    );
    expect(pages).toHaveLength(Math.ceil(ROWS / 20));
    expect(pages.flatMap((page) => page.edges.map((edge) => edge.node.id))).toEqual(linkIds);
    const none = await ask<{ product: { links: Connection<unknown> } }>('SUPPLIER-C', `query($id: ID!) { product(id: $id) {
      links(status: [ACTIVE, SUSPENDED]) { edges { cursor } pageInfo { hasNextPage endCursor } } } }`, { id: supplierProduct });
    expect(none.product.links).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('shows each party only its own links: SHOP-D sees neither the product nor its links', async () => {
    const data = await ask<{ product: unknown }>('SHOP-D', LINKS_OF_PRODUCT, { id: supplierProduct, first: 100 });
    expect(data.product).toBeNull();
    const shop = await ask<{ product: { links: Connection<{ id: string }> } }>('SHOP-A', LINKS_OF_PRODUCT, { id: supplierProduct, first: 100 });
    // SHOP-A is the other party of every one of them.
    expect(shop.product.links.edges).toHaveLength(100);
  });
});

describe('ProductLink.supplyPrices', () => {
  it(`pages through all ${ROWS + 1} prices, 100 then 51, newest effective date first, each once, the same for both parties`, async () => {
    const seen: Record<string, Connection<{ price: { amountMinor: string; currency: string }; effectiveFrom: string }>[]> = {};
    for (const party of ['SUPPLIER-C', 'SHOP-A']) {
      seen[party] = await pagesOf(100, async (after) =>
        (await ask<{ productLink: { supplyPrices: Connection<{ price: { amountMinor: string; currency: string }; effectiveFrom: string }> } }>(party, PRICES_OF_LINK, { id: pricedLink, first: 100, after })).productLink.supplyPrices,
      );
    }
    const pages = seen['SUPPLIER-C']!;
    expect(pages.map((page) => page.edges.length)).toEqual([100, ROWS + 1 - 100]);
    const nodes = pages.flatMap((page) => page.edges.map((edge) => edge.node));
    expect(nodes.map((node) => node.price.amountMinor)).toEqual(priceAmounts);
    const times = nodes.map((node) => Date.parse(node.effectiveFrom));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(seen['SHOP-A']).toEqual(pages);
  });

  it('the price in force now and at any moment still reads the whole history', async () => {
    const day = 86_400_000;
    const data = await ask<{ productLink: Record<string, { price: { amountMinor: string } } | null> }>(
      'SHOP-A',
      `query($id: ID!, $old: DateTime!, $before: DateTime!, $later: DateTime!) { productLink(id: $id) {
        current: currentSupplyPrice { price { amountMinor } }
        old: supplyPriceAt(time: $old) { price { amountMinor } }
        before: supplyPriceAt(time: $before) { price { amountMinor } }
        later: supplyPriceAt(time: $later) { price { amountMinor } } } }`,
      {
        id: pricedLink,
        // 140 days ago falls between the prices of day 141 and day 140 back: the older one is in force.
        old: new Date(Date.now() - 140 * day - day / 2).toISOString(),
        before: new Date(Date.now() - 1000 * day).toISOString(),
        later: new Date(Date.now() + 31 * day).toISOString(),
      },
    );
    expect(data.productLink).toEqual({
      current: { price: { amountMinor: '1000' } },
      old: { price: { amountMinor: '1141' } },
      before: null,
      later: { price: { amountMinor: '999999' } },
    });
  });
});

describe('page arguments', () => {
  const nestedQueries = {
    'Product.links': (args: string) => [`query($id: ID!) { product(id: $id) { links(${args}) { edges { cursor } } } }`, supplierProduct] as const,
    'ProductLink.supplyPrices': (args: string) => [`query($id: ID!) { productLink(id: $id) { supplyPrices(${args}) { edges { cursor } } } }`, pricedLink] as const,
  };

  it.each(Object.keys(nestedQueries))('%s refuses first 0, -1, 101 and 5000 with BAD_USER_INPUT naming "first"', async (field) => {
    for (const first of [0, -1, 101, 5_000]) {
      const [query, id] = nestedQueries[field as keyof typeof nestedQueries](`first: ${first}`);
      const response = await api.query(token('SUPPLIER-C'), query, { id });
      expect(response.errors?.[0]?.extensions, `${field} first: ${first}`).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
  });

  it.each(Object.keys(nestedQueries))('%s refuses a forged, malformed or foreign cursor with BAD_USER_INPUT naming "after"', async (field) => {
    const rootCursor = (await ask<{ productLinks: Connection<unknown> }>('SUPPLIER-C', `{ productLinks(first: 1) { edges { cursor } } }`)).productLinks.edges[0]!.cursor!;
    const linksCursor = (await ask<{ product: { links: Connection<unknown> } }>('SUPPLIER-C', LINKS_OF_PRODUCT, { id: supplierProduct, first: 1 })).product.links.edges[0]!.cursor!;
    const pricesCursor = (await ask<{ productLink: { supplyPrices: Connection<unknown> } }>('SUPPLIER-C', PRICES_OF_LINK, { id: pricedLink, first: 1 })).productLink.supplyPrices.edges[0]!.cursor!;
    const forged = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const foreign = field === 'Product.links' ? [rootCursor, pricesCursor] : [rootCursor, linksCursor];
    const kind = field === 'Product.links' ? 'product-links' : 'supply-prices';
    for (const after of ['bm9wZQ', 'not base64 at all!', forged([kind, 'yesterday', 'x']), forged([kind, '2026-01-01T00:00:00.000000Z']), ...foreign]) {
      const [query, id] = nestedQueries[field as keyof typeof nestedQueries](`after: ${JSON.stringify(after)}`);
      const response: GraphQLResponse = await api.query(token('SUPPLIER-C'), query, { id });
      expect(response.errors?.[0]?.extensions, `${field} after: ${after}`).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    }
  });
});

describe('batching', () => {
  const LIST = `query($first: Int!) { products(first: $first, filter: { search: "Paged link product" }) { edges { node { id
    links(first: 5) { edges { node { id currentSupplyPrice { price { amountMinor } } supplyPrices(first: 2) { edges { node { price { amountMinor } } } pageInfo { hasNextPage } } } }
      pageInfo { hasNextPage } } } } } }`;
  type Listed = { products: { edges: { node: { id: string; links: { edges: { node: { id: string; supplyPrices: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }[]; pageInfo: { hasNextPage: boolean } } } }[] } };

  it('costs the same number of SQL statements for the links and prices of 100 products as of 10', async () => {
    const count = async (first: number) => {
      statements = 0;
      const data = await ask<Listed>('SHOP-A', LIST, { first });
      expect(data.products.edges).toHaveLength(first);
      for (const { node } of data.products.edges) {
        // Each of SHOP-A's products has exactly its own one link.
        expect(node.links.edges, node.id).toHaveLength(1);
        expect(node.links.pageInfo.hasNextPage).toBe(false);
      }
      return statements;
    };
    const ten = await count(10);
    const hundred = await count(100);
    expect(hundred).toBe(ten);
    expect(ten).toBeLessThanOrEqual(10);
  });

  it('gives every parent its own page, not a share of one', async () => {
    // SUPPLIER-C's products: the many-linked one gets 3 of its 150 links, the demo ones their own;
    // of those 3 links, the priced one gets 2 of its prices, the others none.
    type Links = { edges: { node: { id: string; supplyPrices: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } } }[]; pageInfo: { hasNextPage: boolean } };
    const supplier = await ask<{ products: { edges: { node: { id: string; links: Links } }[] } }>(
      'SUPPLIER-C',
      `{ products(first: 100) { edges { node { id links(first: 3) { edges { node { id supplyPrices(first: 2) { edges { cursor } pageInfo { hasNextPage } } } }
        pageInfo { hasNextPage } } } } } }`,
    );
    const byId = new Map(supplier.products.edges.map((e) => [e.node.id, e.node.links]));
    const many = byId.get(supplierProduct)!;
    expect(many.pageInfo.hasNextPage).toBe(true);
    expect(many.edges.map((e) => e.node.id)).toEqual(linkIds.slice(0, 3));
    expect(many.edges.map((e) => [e.node.supplyPrices.edges.length, e.node.supplyPrices.pageInfo.hasNextPage])).toEqual([
      [2, true],
      [0, false],
      [0, false],
    ]);
    const others = [...byId].filter(([id]) => id !== supplierProduct).map(([, links]) => links);
    expect(others.some((links) => links.edges.length > 0), 'the demo products keep their links').toBe(true);
    expect(others.every((links) => !links.pageInfo.hasNextPage)).toBe(true);
  });

  it('answers aliases with different arguments side by side; a bad one is refused alone, by its path', async () => {
    const response = await api.query<{ product: { a: Connection<{ id: string }>; b: Connection<{ id: string }> } | null }>(
      token('SUPPLIER-C'),
      `query($id: ID!) { product(id: $id) { a: links(first: 2) { edges { node { id } } } b: links(first: 3, status: [PROPOSED]) { edges { node { id } } } } }`,
      { id: supplierProduct },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.product!.a.edges.map((e) => e.node.id)).toEqual(linkIds.slice(0, 2));
    expect(response.data!.product!.b.edges.map((e) => e.node.id)).toEqual(linkIds.slice(0, 3));
    const bad = await api.query(token('SUPPLIER-C'), `{ products(first: 100) { edges { node { id ok: links(first: 1) { edges { cursor } } bad: links(first: 0) { edges { cursor } } } } } }`);
    expect(bad.errors?.length).toBeGreaterThan(0);
    expect(bad.errors!.every((e) => e.extensions?.['code'] === 'BAD_USER_INPUT' && e.path?.at(-1) === 'bad')).toBe(true);
  });
});
