import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';
import { DEMO_LINKS, DEMO_PARTNERS, demoPartnerId, type DemoLink } from '../../../scripts/demo/world';

/**
 * The visibility matrix of the catalog over the four demo partners, through the gateway
 * (DESIGN.md §2): for every partner, every partner, product and link of the demo world by id,
 * the link lists, prices, share rules and relationships. A forbidden object must answer exactly
 * like a random id. The state-changing describes run last, after the matrix.
 */

const CODES = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const;
type Code = (typeof CODES)[number];
/** `PARTNER/SKU` (SHOP-A and SHOP-D both have an A-TEA-001). */
type ProductKey = string;
/** `DOWNSTREAM-SKU>UPSTREAM-SKU` of a demo link (linked SKU codes are unique in the demo world). */
type LinkKey = string;

const partnerOf = (code: Code) => DEMO_PARTNERS.find((p) => p.code === code)!;
const linkKey = (link: DemoLink): LinkKey => `${link.downstream[1]}>${link.upstream[1]}`;
const productKeysOf = (code: Code): ProductKey[] => partnerOf(code).products.map((p) => `${code}/${p.skuCode}`);
const demoLink = (key: LinkKey) => DEMO_LINKS.find((l) => linkKey(l) === key)!;

// What each partner may see, spelled out for the demo world rather than derived from the rules.
const VISIBLE_PARTNERS: Record<Code, Code[]> = {
  'SHOP-A': ['SHOP-A', 'TRADER-B'],
  'TRADER-B': ['SHOP-A', 'TRADER-B', 'SUPPLIER-C'],
  'SUPPLIER-C': ['TRADER-B', 'SUPPLIER-C'],
  'SHOP-D': ['SHOP-D'],
};
const VISIBLE_FOREIGN_PRODUCTS: Record<Code, ProductKey[]> = {
  'SHOP-A': ['TRADER-B/B-TEA-GRN', 'TRADER-B/B-TEA-BLK', 'TRADER-B/B-MUG-CER'],
  'TRADER-B': [
    'SHOP-A/A-TEA-001',
    'SHOP-A/A-TEA-002',
    'SHOP-A/A-MUG-001',
    'SUPPLIER-C/C-GT-100',
    'SUPPLIER-C/C-BT-250',
    // Named by TRADER-B's pending proposal.
    'SUPPLIER-C/C-MUG-300',
  ],
  'SUPPLIER-C': ['TRADER-B/B-TEA-GRN', 'TRADER-B/B-TEA-BLK', 'TRADER-B/B-MUG-CER'],
  'SHOP-D': [],
};
const AB_LINKS: LinkKey[] = ['A-TEA-001>B-TEA-GRN', 'A-TEA-002>B-TEA-BLK', 'A-MUG-001>B-MUG-CER'];
const BC_LINKS: LinkKey[] = ['B-TEA-GRN>C-GT-100', 'B-TEA-BLK>C-BT-250', 'B-MUG-CER>C-MUG-300'];
const VISIBLE_LINKS: Record<Code, LinkKey[]> = {
  'SHOP-A': AB_LINKS,
  'TRADER-B': [...AB_LINKS, ...BC_LINKS],
  'SUPPLIER-C': BC_LINKS,
  'SHOP-D': [],
};
const RELATIONSHIPS: Record<Code, { UPSTREAM: [Code, number][]; DOWNSTREAM: [Code, number][] }> = {
  'SHOP-A': { UPSTREAM: [['TRADER-B', 3]], DOWNSTREAM: [] },
  // The pending mug proposal with SUPPLIER-C does not count.
  'TRADER-B': { UPSTREAM: [['SUPPLIER-C', 2]], DOWNSTREAM: [['SHOP-A', 3]] },
  'SUPPLIER-C': { UPSTREAM: [], DOWNSTREAM: [['TRADER-B', 2]] },
  'SHOP-D': { UPSTREAM: [], DOWNSTREAM: [] },
};

let db: TestDatabase;
let api: TestPlatform;
let admin: postgres.Sql;
const tokens = new Map<Code, string>();
const productIds = new Map<ProductKey, string>();
const linkIds = new Map<LinkKey, string>();
const token = (code: Code) => tokens.get(code)!;
const productId = (key: ProductKey) => productIds.get(key)!;
const linkId = (key: LinkKey) => linkIds.get(key)!;
const allProductKeys = () => CODES.flatMap(productKeysOf);
const allLinkKeys = () => DEMO_LINKS.map(linkKey);

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  for (const code of CODES) tokens.set(code, await api.tokenFor(code));
  const products = await admin`select p.id, o.code, p.sku_code from catalog.products p join catalog.partners o on o.id = p.owner_partner_id`;
  for (const row of products) productIds.set(`${row['code']}/${row['sku_code']}`, row['id'] as string);
  const links = await admin`select l.id, d.sku_code as down_sku, u.sku_code as up_sku from catalog.product_links l
    join catalog.products d on d.id = l.downstream_product_id join catalog.products u on u.id = l.upstream_product_id`;
  for (const row of links) linkIds.set(`${row['down_sku']}>${row['up_sku']}`, row['id'] as string);
});
afterAll(async () => {
  await admin?.end();
  await api?.close();
  await db?.drop();
});

const PARTNER_FIELDS = 'id code name kinds';
const PARTNER_PROBE = `query($id: ID!) { partner(id: $id) { ${PARTNER_FIELDS} } }`;
const PRODUCT_PROBE = `query($id: ID!) { product(id: $id) { id skuCode name owner { ${PARTNER_FIELDS} } } }`;
const LINK_FIELDS = `id status mySide reason
  downstreamPartner { ${PARTNER_FIELDS} } downstreamProduct { id skuCode owner { code } }
  upstreamPartner { ${PARTNER_FIELDS} } upstreamProduct { id skuCode owner { code } }
  proposedBy { code } suspendedBy { code }
  shareRule { kind value safetyBuffer }
  currentSupplyPrice { price { amountMinor currency } }
  supplyPrices(first: 100) { edges { node { price { amountMinor currency } effectiveFrom } } pageInfo { hasNextPage } }`;
const LINK_PROBE = `query($id: ID!) { productLink(id: $id) { ${LINK_FIELDS} } }`;

async function ask<Data = Record<string, unknown>>(as: Code, query: string, variables: Record<string, unknown> = {}) {
  return api.query<Data>(token(as), query, variables);
}
async function askData<Data = Record<string, unknown>>(as: Code, query: string, variables: Record<string, unknown> = {}) {
  const response = await ask<Data>(as, query, variables);
  expect(response.errors, `${as}: ${JSON.stringify(response.errors)}`).toBeUndefined();
  return response.data!;
}

/** How partner `code` looks to `viewer`: kinds only for itself. */
function partnerAsSeenBy(viewer: Code, code: Code) {
  const partner = partnerOf(code);
  return { id: demoPartnerId(code), code, name: partner.name, kinds: viewer === code ? partner.kinds : null };
}

/** The full view of a demo link by one of its parties. */
function linkAsSeenBy(viewer: Code, key: LinkKey) {
  const link = demoLink(key);
  const [downCode, downSku] = link.downstream as [Code, string];
  const [upCode, upSku] = link.upstream as [Code, string];
  const prices = [...(link.prices ?? [])].sort((a, b) => (b.inDays ?? 0) - (a.inDays ?? 0));
  const inForce = prices.find((p) => !p.inDays);
  return {
    id: linkId(key),
    status: link.status,
    mySide: viewer === downCode ? 'DOWNSTREAM' : 'UPSTREAM',
    reason: null,
    downstreamPartner: partnerAsSeenBy(viewer, downCode),
    downstreamProduct: { id: productId(`${downCode}/${downSku}`), skuCode: downSku, owner: { code: downCode } },
    upstreamPartner: partnerAsSeenBy(viewer, upCode),
    upstreamProduct: { id: productId(`${upCode}/${upSku}`), skuCode: upSku, owner: { code: upCode } },
    proposedBy: { code: downCode },
    suspendedBy: null,
    shareRule: link.shareRule
      ? { kind: link.shareRule.kind, value: link.shareRule.value ?? null, safetyBuffer: link.shareRule.safetyBuffer ?? 0 }
      : { kind: expect.any(String), value: null, safetyBuffer: 0 },
    currentSupplyPrice: inForce ? { price: { amountMinor: String(inForce.amountMinor), currency: 'EUR' } } : null,
    supplyPrices: {
      edges: prices.map((p) => ({ node: { price: { amountMinor: String(p.amountMinor), currency: 'EUR' }, effectiveFrom: expect.any(String) } })),
      pageInfo: { hasNextPage: false },
    },
  };
}

describe('the demo world is as these tests assume', () => {
  it('has every demo product and the six demo links', () => {
    expect(allProductKeys().every((key) => productIds.has(key))).toBe(true);
    expect([...linkIds.keys()].sort()).toEqual(allLinkKeys().sort());
  });
});

describe('visibility matrix', () => {
  it('me: each partner sees itself with its kinds', async () => {
    for (const viewer of CODES) {
      expect(await askData(viewer, `{ me { ${PARTNER_FIELDS} } }`), viewer).toEqual({ me: partnerAsSeenBy(viewer, viewer) });
    }
  });

  it('partner(id): itself and linked partners (code and name only); everyone else exactly like a random id', async () => {
    for (const viewer of CODES) {
      const missing = await ask(viewer, PARTNER_PROBE, { id: randomUUID() });
      expect(missing).toEqual({ status: 200, data: { partner: null } });
      expect(await ask(viewer, PARTNER_PROBE, { id: 'not-a-uuid' })).toEqual(missing);
      for (const code of CODES) {
        const response = await ask(viewer, PARTNER_PROBE, { id: demoPartnerId(code) });
        if (VISIBLE_PARTNERS[viewer].includes(code)) {
          expect(response, `${viewer} reads ${code}`).toEqual({ status: 200, data: { partner: partnerAsSeenBy(viewer, code) } });
        } else {
          expect(response, `${viewer} reads ${code}`).toEqual(missing);
        }
      }
    }
  });

  it('product(id): own products and the products named by the caller’s links; everything else exactly like a random id', async () => {
    for (const viewer of CODES) {
      const missing = await ask(viewer, PRODUCT_PROBE, { id: randomUUID() });
      expect(missing).toEqual({ status: 200, data: { product: null } });
      const visible = new Set([...productKeysOf(viewer), ...VISIBLE_FOREIGN_PRODUCTS[viewer]]);
      for (const key of allProductKeys()) {
        const response = await ask(viewer, PRODUCT_PROBE, { id: productId(key) });
        if (visible.has(key)) {
          const [owner, skuCode] = key.split('/') as [Code, string];
          expect(response, `${viewer} reads ${key}`).toEqual({
            status: 200,
            data: {
              product: {
                id: productId(key),
                skuCode,
                name: partnerOf(owner).products.find((p) => p.skuCode === skuCode)!.name,
                owner: partnerAsSeenBy(viewer, owner),
              },
            },
          });
        } else {
          expect(response, `${viewer} reads ${key}`).toEqual(missing);
        }
      }
    }
  });

  it('productLink(id): the two parties see the whole link with prices and share rule; others exactly like a random id', async () => {
    for (const viewer of CODES) {
      const missing = await ask(viewer, LINK_PROBE, { id: randomUUID() });
      expect(missing).toEqual({ status: 200, data: { productLink: null } });
      expect(await ask(viewer, LINK_PROBE, { id: 'not-a-uuid' })).toEqual(missing);
      for (const key of allLinkKeys()) {
        const response = await ask(viewer, LINK_PROBE, { id: linkId(key) });
        if (VISIBLE_LINKS[viewer].includes(key)) {
          expect(response, `${viewer} reads ${key}`).toEqual({ status: 200, data: { productLink: linkAsSeenBy(viewer, key) } });
        } else {
          expect(response, `${viewer} reads ${key}`).toEqual(missing);
        }
      }
    }
  });

  it('productLinks: exactly the caller’s links, each from the caller’s side', async () => {
    for (const viewer of CODES) {
      const data = await askData<{ productLinks: { edges: { node: { id: string; mySide: string } }[] } }>(
        viewer,
        `{ productLinks(first: 50) { edges { node { id mySide } } } }`,
      );
      const expected = VISIBLE_LINKS[viewer].map((key) => ({ id: linkId(key), mySide: linkAsSeenBy(viewer, key).mySide }));
      expect(
        data.productLinks.edges.map((e) => e.node).sort((a, b) => a.id.localeCompare(b.id)),
        viewer,
      ).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
    }
  });

  it('productLinks filters stay within the caller’s links', async () => {
    const ids = async (viewer: Code, filter: Record<string, unknown>) => {
      const data = await askData<{ productLinks: { edges: { node: { id: string } }[] } }>(
        viewer,
        `query($filter: ProductLinkFilter) { productLinks(filter: $filter, first: 50) { edges { node { id } } } }`,
        { filter },
      );
      return data.productLinks.edges.map((e) => e.node.id).sort();
    };
    const sorted = (keys: LinkKey[]) => keys.map(linkId).sort();
    expect(await ids('TRADER-B', { side: 'UPSTREAM' })).toEqual(sorted(AB_LINKS));
    expect(await ids('TRADER-B', { side: 'DOWNSTREAM' })).toEqual(sorted(BC_LINKS));
    expect(await ids('TRADER-B', { status: ['PROPOSED'] })).toEqual(sorted(['B-MUG-CER>C-MUG-300']));
    expect(await ids('SUPPLIER-C', { status: ['PROPOSED'] })).toEqual(sorted(['B-MUG-CER>C-MUG-300']));
    expect(await ids('SHOP-A', { status: ['PROPOSED'] })).toEqual([]);
    // A product both links name: each party sees only its own link on it.
    expect(await ids('SHOP-A', { productId: productId('TRADER-B/B-TEA-GRN') })).toEqual(sorted(['A-TEA-001>B-TEA-GRN']));
    expect(await ids('SUPPLIER-C', { productId: productId('TRADER-B/B-TEA-GRN') })).toEqual(sorted(['B-TEA-GRN>C-GT-100']));
    expect(await ids('TRADER-B', { productId: productId('TRADER-B/B-TEA-GRN') })).toEqual(sorted(['A-TEA-001>B-TEA-GRN', 'B-TEA-GRN>C-GT-100']));
    expect(await ids('SHOP-D', { productId: productId('TRADER-B/B-TEA-GRN') })).toEqual([]);
    expect(await ids('SHOP-D', {})).toEqual([]);
  });

  it('supply prices: both parties see the same current and scheduled prices; the +30 day price is not yet in force', async () => {
    const day = 86_400_000;
    const PRICES = `query($id: ID!, $soon: DateTime!, $later: DateTime!) { productLink(id: $id) {
      shareRule { kind value safetyBuffer }
      currentSupplyPrice { price { amountMinor currency } effectiveFrom }
      supplyPrices { edges { node { price { amountMinor currency } effectiveFrom } } }
      soon: supplyPriceAt(time: $soon) { price { amountMinor } }
      later: supplyPriceAt(time: $later) { price { amountMinor } } } }`;
    const variables = (key: LinkKey) => ({
      id: linkId(key),
      soon: new Date(Date.now() + 29 * day).toISOString(),
      later: new Date(Date.now() + 31 * day).toISOString(),
    });
    const views = async (key: LinkKey) => {
      const link = demoLink(key);
      const [a, b] = [link.downstream[0] as Code, link.upstream[0] as Code];
      const [down, up] = [await askData(a, PRICES, variables(key)), await askData(b, PRICES, variables(key))];
      expect(down, key).toEqual(up);
      return down as { productLink: { supplyPrices: { edges: { node: { effectiveFrom: string } }[] } } & Record<string, unknown> };
    };

    const green = await views('A-TEA-001>B-TEA-GRN');
    expect(green.productLink).toMatchObject({
      shareRule: { kind: 'ALL', value: null, safetyBuffer: 2 },
      currentSupplyPrice: { price: { amountMinor: '450', currency: 'EUR' } },
      supplyPrices: { edges: [{ node: { price: { amountMinor: '480', currency: 'EUR' } } }, { node: { price: { amountMinor: '450', currency: 'EUR' } } }] },
      soon: { price: { amountMinor: '450' } },
      later: { price: { amountMinor: '480' } },
    });
    const scheduled = Date.parse(green.productLink.supplyPrices.edges[0]!.node.effectiveFrom);
    expect(Math.abs(scheduled - (Date.now() + 30 * day))).toBeLessThan(day / 2);

    expect((await views('A-TEA-002>B-TEA-BLK')).productLink).toMatchObject({
      shareRule: { kind: 'PERCENT', value: 50, safetyBuffer: 0 },
      currentSupplyPrice: { price: { amountMinor: '700' } },
    });
    expect((await views('A-MUG-001>B-MUG-CER')).productLink).toMatchObject({
      shareRule: { kind: 'FIXED', value: 20, safetyBuffer: 0 },
      currentSupplyPrice: { price: { amountMinor: '300' } },
    });
    expect((await views('B-TEA-GRN>C-GT-100')).productLink).toMatchObject({ currentSupplyPrice: { price: { amountMinor: '300' } } });
    expect((await views('B-TEA-BLK>C-BT-250')).productLink).toMatchObject({ currentSupplyPrice: { price: { amountMinor: '500' } } });
    expect((await views('B-MUG-CER>C-MUG-300')).productLink).toMatchObject({ currentSupplyPrice: null, supplyPrices: { edges: [] }, soon: null, later: null });
  });

  it('relationships: each partner sees its own, in both directions, and nothing else', async () => {
    const QUERY = `query($direction: LinkDirection!) { relationships(direction: $direction, first: 100) {
      edges { node { partner { ${PARTNER_FIELDS} } direction activeLinks suspendedLinks } } pageInfo { hasNextPage } } }`;
    for (const viewer of CODES) {
      for (const direction of ['UPSTREAM', 'DOWNSTREAM'] as const) {
        const data = await askData<{ relationships: { edges: { node: { partner: { code: string } } }[]; pageInfo: { hasNextPage: boolean } } }>(viewer, QUERY, { direction });
        expect(data.relationships.pageInfo.hasNextPage).toBe(false);
        expect(
          data.relationships.edges.map((e) => e.node).sort((a, b) => a.partner.code.localeCompare(b.partner.code)),
          `${viewer} ${direction}`,
        ).toEqual(
          RELATIONSHIPS[viewer][direction].map(([code, activeLinks]) => ({
            partner: partnerAsSeenBy(viewer, code),
            direction,
            activeLinks,
            suspendedLinks: 0,
          })),
        );
      }
    }
  });

  it('Product.links: only the links naming the product that the caller is a party of', async () => {
    const LINKS = `query($id: ID!) { product(id: $id) { links(first: 100) { edges { node { id } } } active: links(status: [ACTIVE]) { edges { node { id } } } } }`;
    const cases: [Code, ProductKey, LinkKey[], LinkKey[]][] = [
      ['SHOP-A', 'TRADER-B/B-TEA-GRN', ['A-TEA-001>B-TEA-GRN'], ['A-TEA-001>B-TEA-GRN']],
      ['SUPPLIER-C', 'TRADER-B/B-TEA-GRN', ['B-TEA-GRN>C-GT-100'], ['B-TEA-GRN>C-GT-100']],
      ['TRADER-B', 'TRADER-B/B-TEA-GRN', ['A-TEA-001>B-TEA-GRN', 'B-TEA-GRN>C-GT-100'], ['A-TEA-001>B-TEA-GRN', 'B-TEA-GRN>C-GT-100']],
      ['TRADER-B', 'TRADER-B/B-MUG-CER', ['A-MUG-001>B-MUG-CER', 'B-MUG-CER>C-MUG-300'], ['A-MUG-001>B-MUG-CER']],
      ['SUPPLIER-C', 'SUPPLIER-C/C-MUG-300', ['B-MUG-CER>C-MUG-300'], []],
      ['SHOP-A', 'SHOP-A/A-TEA-001', ['A-TEA-001>B-TEA-GRN'], ['A-TEA-001>B-TEA-GRN']],
      ['SHOP-A', 'SHOP-A/A-POT-001', [], []],
      ['SHOP-A', 'SHOP-A/A-GFT-001', [], []],
      ['TRADER-B', 'TRADER-B/B-POT-1L', [], []],
      ['SUPPLIER-C', 'SUPPLIER-C/C-OOL-100', [], []],
      ['SHOP-D', 'SHOP-D/D-CUP-001', [], []],
      ['SHOP-D', 'SHOP-D/A-TEA-001', [], []],
    ];
    type Ids = { edges: { node: { id: string } }[] };
    const sortedIds = (list: Ids) => list.edges.map((e) => e.node.id).sort();
    for (const [viewer, product, all, active] of cases) {
      const data = await askData<{ product: { links: Ids; active: Ids } }>(viewer, LINKS, { id: productId(product) });
      expect(sortedIds(data.product.links), `${viewer} ${product}`).toEqual(all.map(linkId).sort());
      expect(sortedIds(data.product.active), `${viewer} ${product} ACTIVE`).toEqual(active.map(linkId).sort());
    }
  });

  it('nested fields leak nothing: through its link, SUPPLIER-C sees TRADER-B’s product but not SHOP-A’s link or price on it', async () => {
    const data = await askData<Record<string, unknown>>(
      'SUPPLIER-C',
      `query($id: ID!) { productLink(id: $id) { downstreamProduct { skuCode owner { code kinds }
        links { edges { node { id upstreamPartner { code } downstreamPartner { code } currentSupplyPrice { price { amountMinor } } } } } } } }`,
      { id: linkId('B-TEA-GRN>C-GT-100') },
    );
    expect(data).toEqual({
      productLink: {
        downstreamProduct: {
          skuCode: 'B-TEA-GRN',
          owner: { code: 'TRADER-B', kinds: null },
          links: {
            edges: [
              {
                node: {
                  id: linkId('B-TEA-GRN>C-GT-100'),
                  upstreamPartner: { code: 'SUPPLIER-C' },
                  downstreamPartner: { code: 'TRADER-B' },
                  currentSupplyPrice: { price: { amountMinor: '300' } },
                },
              },
            ],
          },
        },
      },
    });
    const fromShop = await askData<Record<string, unknown>>(
      'SHOP-A',
      `query($id: ID!) { productLink(id: $id) { upstreamProduct { links { edges { node { id } } } } } }`,
      { id: linkId('A-TEA-001>B-TEA-GRN') },
    );
    expect(fromShop).toEqual({ productLink: { upstreamProduct: { links: { edges: [{ node: { id: linkId('A-TEA-001>B-TEA-GRN') } }] } } } });
  });
});

describe('acceptance', () => {
  const RELS = `{ up: relationships(direction: UPSTREAM, first: 100) { edges { node { partner { code } activeLinks } } }
    down: relationships(direction: DOWNSTREAM, first: 100) { edges { node { partner { code } activeLinks } } } }`;
  const codesOf = (data: Record<string, { edges: { node: { partner: { code: string } } }[] }>) => ({
    up: data['up']!.edges.map((e) => e.node.partner.code).sort(),
    down: data['down']!.edges.map((e) => e.node.partner.code).sort(),
  });

  it('SHOP-A’s relationships show TRADER-B upstream and nothing else', async () => {
    expect(codesOf(await askData('SHOP-A', RELS))).toEqual({ up: ['TRADER-B'], down: [] });
  });

  it('TRADER-B sees SHOP-A downstream and SUPPLIER-C upstream', async () => {
    expect(codesOf(await askData('TRADER-B', RELS))).toEqual({ up: ['SUPPLIER-C'], down: ['SHOP-A'] });
  });

  it('SUPPLIER-C sees only TRADER-B', async () => {
    expect(codesOf(await askData('SUPPLIER-C', RELS))).toEqual({ up: [], down: ['TRADER-B'] });
  });

  it('SHOP-D sees none of them and cannot read any of their partners, products, links or prices by id', async () => {
    expect(codesOf(await askData('SHOP-D', RELS))).toEqual({ up: [], down: [] });
    const PROBE = `query($id: ID!) { partner(id: $id) { id code } product(id: $id) { id skuCode }
      productLink(id: $id) { id currentSupplyPrice { price { amountMinor } } supplyPrices { edges { node { price { amountMinor } } } } } }`;
    const missing = await ask('SHOP-D', PROBE, { id: randomUUID() });
    expect(missing).toEqual({ status: 200, data: { partner: null, product: null, productLink: null } });
    const foreign = [
      ...CODES.filter((c) => c !== 'SHOP-D').map(demoPartnerId),
      ...allProductKeys().filter((k) => !k.startsWith('SHOP-D/')).map(productId),
      ...allLinkKeys().map(linkId),
    ];
    expect(foreign).toHaveLength(3 + 13 + 6);
    for (const id of foreign) expect(await ask('SHOP-D', PROBE, { id }), id).toEqual(missing);
  });
});

describe('mutations on foreign links and products answer like missing ones', () => {
  const RESULT = `__typename ... on CatalogError { errorCode message } ... on ProductLink { id status }`;
  const MUTATIONS: [string, (id: string) => Record<string, unknown>][] = [
    [`mutation($id: ID!) { acceptLink(id: $id) { ${RESULT} } }`, (id) => ({ id })],
    [`mutation($id: ID!) { rejectLink(id: $id, reason: "x") { ${RESULT} } }`, (id) => ({ id })],
    [`mutation($id: ID!) { suspendLink(id: $id) { ${RESULT} } }`, (id) => ({ id })],
    [`mutation($id: ID!) { resumeLink(id: $id) { ${RESULT} } }`, (id) => ({ id })],
    [`mutation($id: ID!) { endLink(id: $id) { ${RESULT} } }`, (id) => ({ id })],
    [`mutation($input: SetSupplyPriceInput!) { setSupplyPrice(input: $input) { ${RESULT} } }`, (id) => ({ input: { linkId: id, amountMinor: 1, currency: 'EUR' } })],
    [`mutation($input: SetShareRuleInput!) { setShareRule(input: $input) { ${RESULT} } }`, (id) => ({ input: { linkId: id, kind: 'NONE' } })],
  ];
  const linkState = async () =>
    admin`select l.id, l.status::text, l.updated_at, l.share_rule_kind::text, (select count(*) from catalog.supply_prices p where p.link_id = l.id)::int as prices
      from catalog.product_links l order by l.id`;

  it('every link mutation by a non-party gets LinkNotFound exactly as for a random id, and changes nothing', async () => {
    const before = await linkState();
    const eventsBefore = await admin`select count(*)::int as n from events.event_log`;
    const probes: [Code, LinkKey[]][] = [
      ['SHOP-D', allLinkKeys()],
      ['SUPPLIER-C', AB_LINKS],
      ['SHOP-A', BC_LINKS],
    ];
    for (const [viewer, keys] of probes) {
      for (const [mutation, variables] of MUTATIONS) {
        const missing = await ask(viewer, mutation, variables(randomUUID()));
        expect(Object.values(missing.data ?? {})[0], mutation).toMatchObject({ __typename: 'LinkNotFound', errorCode: 'LINK_NOT_FOUND' });
        for (const key of keys) {
          expect(await ask(viewer, mutation, variables(linkId(key))), `${viewer} ${mutation} ${key}`).toEqual(missing);
        }
      }
    }
    expect(await linkState()).toEqual(before);
    expect(await admin`select count(*)::int as n from events.event_log`).toEqual(eventsBefore);
  });

  it('proposing with a product id the caller cannot see answers like a random id', async () => {
    const PROPOSE = `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { ${RESULT} } }`;
    const cases: [Code, ProductKey, ProductKey][] = [
      // [caller, own product, counterpart it cannot see]
      ['SHOP-D', 'SHOP-D/D-CUP-001', 'TRADER-B/B-TEA-GRN'],
      ['SHOP-A', 'SHOP-A/A-POT-001', 'SUPPLIER-C/C-GT-100'],
      ['SHOP-A', 'SHOP-A/A-POT-001', 'TRADER-B/B-POT-1L'],
      ['SUPPLIER-C', 'SUPPLIER-C/C-OOL-100', 'SHOP-A/A-TEA-001'],
    ];
    for (const [viewer, mine, hidden] of cases) {
      const input = (counterpartId: string) => ({
        input: { myProductId: productId(mine), mySide: 'DOWNSTREAM', counterpart: { productId: counterpartId } },
      });
      const missing = await ask(viewer, PROPOSE, input(randomUUID()));
      expect(missing.data).toEqual({ proposeLink: { __typename: 'ProductNotFound', errorCode: 'PRODUCT_NOT_FOUND', message: expect.any(String) } });
      expect(await ask(viewer, PROPOSE, input(productId(hidden))), `${viewer} → ${hidden}`).toEqual(missing);
    }
    // Someone else's product as the caller's own: like a random one too.
    const asMine = (id: string) => ({ input: { myProductId: id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'SUPPLIER-C', skuCode: 'C-OOL-100' } } });
    const missingMine = await ask('SHOP-D', PROPOSE, asMine(randomUUID()));
    expect(await ask('SHOP-D', PROPOSE, asMine(productId('SHOP-A/A-POT-001')))).toEqual(missingMine);
    expect(await admin`select count(*)::int as n from catalog.product_links`).toEqual([{ n: 6 }]);
  });
});

describe('a pending proposal opens exactly what it names', () => {
  it('SHOP-D proposing to SUPPLIER-C: both see each other and the two named products, nothing more, and no relationship yet', async () => {
    const proposed = await askData<{ proposeLink: { __typename: string; id: string } }>(
      'SHOP-D',
      `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { __typename ... on ProductLink { id } } }`,
      { input: { myProductId: productId('SHOP-D/D-CUP-001'), mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'SUPPLIER-C', skuCode: 'C-OOL-100' } } },
    );
    expect(proposed.proposeLink.__typename).toBe('ProductLink');

    const canSee = async (viewer: Code, query: string, id: string) => {
      const data = await askData<Record<string, unknown>>(viewer, query, { id });
      return Object.values(data)[0] !== null;
    };
    expect(await canSee('SUPPLIER-C', PARTNER_PROBE, demoPartnerId('SHOP-D'))).toBe(true);
    expect(await askData('SUPPLIER-C', PARTNER_PROBE, { id: demoPartnerId('SHOP-D') })).toEqual({ partner: partnerAsSeenBy('SUPPLIER-C', 'SHOP-D') });
    expect(await canSee('SUPPLIER-C', PRODUCT_PROBE, productId('SHOP-D/D-CUP-001'))).toBe(true);
    expect(await canSee('SUPPLIER-C', PRODUCT_PROBE, productId('SHOP-D/A-TEA-001'))).toBe(false);
    expect(await askData('SHOP-D', PARTNER_PROBE, { id: demoPartnerId('SUPPLIER-C') })).toEqual({ partner: partnerAsSeenBy('SHOP-D', 'SUPPLIER-C') });
    expect(await canSee('SHOP-D', PRODUCT_PROBE, productId('SUPPLIER-C/C-OOL-100'))).toBe(true);
    expect(await canSee('SHOP-D', PRODUCT_PROBE, productId('SUPPLIER-C/C-GT-100'))).toBe(false);
    expect(await canSee('SHOP-D', PARTNER_PROBE, demoPartnerId('TRADER-B'))).toBe(false);
    expect(await canSee('SHOP-A', PARTNER_PROBE, demoPartnerId('SHOP-D'))).toBe(false);
    expect(await canSee('TRADER-B', PRODUCT_PROBE, productId('SHOP-D/D-CUP-001'))).toBe(false);

    const rels = `{ relationships(direction: UPSTREAM) { edges { node { partner { code } } } } }`;
    expect(await askData('SHOP-D', rels)).toEqual({ relationships: { edges: [] } });

    const accepted = await askData<{ acceptLink: { __typename: string; status: string } }>(
      'SUPPLIER-C',
      `mutation($id: ID!) { acceptLink(id: $id) { __typename ... on ProductLink { status } } }`,
      { id: proposed.proposeLink.id },
    );
    expect(accepted.acceptLink).toEqual({ __typename: 'ProductLink', status: 'ACTIVE' });
    expect(await askData('SHOP-D', rels)).toEqual({ relationships: { edges: [{ node: { partner: { code: 'SUPPLIER-C' } } }] } });
    const down = await askData<{ relationships: { edges: { node: { partner: { code: string }; activeLinks: number } }[] } }>(
      'SUPPLIER-C',
      `{ relationships(direction: DOWNSTREAM, first: 100) { edges { node { partner { code } activeLinks } } } }`,
    );
    expect(down.relationships.edges.map((e) => e.node).sort((a, b) => a.partner.code.localeCompare(b.partner.code))).toEqual([
      { partner: { code: 'SHOP-D' }, activeLinks: 1 },
      { partner: { code: 'TRADER-B' }, activeLinks: 2 },
    ]);
  });
});

