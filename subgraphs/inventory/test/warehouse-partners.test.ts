import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, PARTNER, ok, type Code } from './helpers';

/**
 * Warehouse partners (issue 15, DESIGN.md §2): the owner and the operator of a 3PL warehouse see
 * each other's code and name, and the operator sees the name, SKU code, barcode and unit of the
 * products stored in the warehouses it operates, nothing else of them. In the demo world LOGI-E
 * runs SHOP-A's A-HAM, which stores SHOP-A's gift box and teapot. Partners without a relation see
 * none of it: a partner or product they may not see answers exactly like an unknown id.
 */

let w: InventoryWorld;
const ids = { ham: '', ber: '', giftBox: '', teapot: '', tea: '' };

const RANDOM_ID = '6f1c1e52-58a4-4b8e-9c43-7d1d2f6a0b9e';
const PARTNER_QUERY = `query($id: ID!) { partner(id: $id) { id code name kinds } }`;
const PRODUCT_QUERY = `query($id: ID!) { product(id: $id) {
  id name skuCode barcode unit owner { code name } status createdAt updatedAt links { edges { node { id } } } sellableQuantity cost { units } } }`;

interface ProductSeen {
  id: string;
  name: string;
  skuCode: string;
  barcode: string | null;
  unit: string;
  owner: { code: string; name: string };
  status: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  links: { edges: { node: { id: string } }[] };
  sellableQuantity: number | null;
  cost: { units: number } | null;
}

beforeAll(async () => {
  w = await InventoryWorld.start();
  ids.ham = await w.demoWarehouseId('A-HAM');
  ids.ber = await w.demoWarehouseId('A-BER');
  ids.giftBox = await w.demoProductId('SHOP-A', 'A-GFT-001');
  ids.teapot = await w.demoProductId('SHOP-A', 'A-POT-001');
  ids.tea = await w.demoProductId('SHOP-A', 'A-TEA-001');
});

afterAll(async () => {
  await w?.close();
});

/** The partner as `as` sees it through `partner(id:)`, expecting no errors. */
async function partnerAs(as: Code, id: string) {
  return (await w.gql<{ partner: { id: string; code: string; name: string; kinds: string[] | null } | null }>(as, PARTNER_QUERY, { id })).partner;
}

/** The product as `as` sees it through `product(id:)`, expecting no errors. */
async function productAs(as: Code, id: string): Promise<ProductSeen | null> {
  return (await w.gql<{ product: ProductSeen | null }>(as, PRODUCT_QUERY, { id })).product;
}

/** Asserts that `id` answers `as` exactly like an id that does not exist. */
async function expectLikeUnknown(as: Code, query: string, id: string): Promise<void> {
  const foreign = await w.raw(as, query, { id });
  const missing = await w.raw(as, query, { id: RANDOM_ID });
  expect(foreign, `${as} probing ${id}`).toEqual(missing);
  expect(foreign.errors).toBeUndefined();
}

describe('the owner and the operator of a 3PL warehouse', () => {
  it('see each other’s code and name, and nothing more (kinds stay private)', async () => {
    expect(await partnerAs('SHOP-A', PARTNER['LOGI-E'])).toEqual({ id: PARTNER['LOGI-E'], code: 'LOGI-E', name: 'Logistics E Fulfilment', kinds: null });
    expect(await partnerAs('LOGI-E', PARTNER['SHOP-A'])).toEqual({ id: PARTNER['SHOP-A'], code: 'SHOP-A', name: 'Shop A Online', kinds: null });
    // Each still sees itself in full.
    expect(await partnerAs('LOGI-E', PARTNER['LOGI-E'])).toMatchObject({ code: 'LOGI-E', kinds: ['LOGISTICS'] });
  });

  it('name each other on the warehouse itself, without errors', async () => {
    const FIELDS = `{ warehouses { id kind owner { code name } operator { code name } } }`;
    const ofShopA = (await w.gql<{ warehouses: { id: string; owner: unknown; operator: unknown }[] }>('SHOP-A', FIELDS)).warehouses;
    expect(ofShopA.find((x) => x.id === ids.ham)).toEqual({
      id: ids.ham,
      kind: 'THIRD_PARTY',
      owner: { code: 'SHOP-A', name: 'Shop A Online' },
      operator: { code: 'LOGI-E', name: 'Logistics E Fulfilment' },
    });
    expect(ofShopA.find((x) => x.id === ids.ber)).toMatchObject({ operator: null });
    const ofLogiE = (await w.gql<{ warehouses: unknown[] }>('LOGI-E', FIELDS)).warehouses;
    expect(ofLogiE).toEqual([
      { id: ids.ham, kind: 'THIRD_PARTY', owner: { code: 'SHOP-A', name: 'Shop A Online' }, operator: { code: 'LOGI-E', name: 'Logistics E Fulfilment' } },
    ]);
  });

  it.each(['TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const)('are invisible to %s, which has no warehouse with the 3PL', async (code) => {
    await expectLikeUnknown(code, PARTNER_QUERY, PARTNER['LOGI-E']);
  });

  it('gives the 3PL no view of the owner’s other partners', async () => {
    for (const other of ['TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const) await expectLikeUnknown('LOGI-E', PARTNER_QUERY, PARTNER[other]);
  });
});

describe('the products a 3PL operator stores', () => {
  it('shows it name, SKU code, barcode, unit and owner; status, dates, links, stock and cost stay hidden', async () => {
    expect(await productAs('LOGI-E', ids.giftBox)).toEqual({
      id: ids.giftBox,
      name: 'Gift Box',
      skuCode: 'A-GFT-001',
      barcode: null,
      unit: 'box',
      owner: { code: 'SHOP-A', name: 'Shop A Online' },
      status: null,
      createdAt: null,
      updatedAt: null,
      links: { edges: [] },
      sellableQuantity: null,
      cost: null,
    });
    // The owner still sees its product in full.
    expect(await productAs('SHOP-A', ids.giftBox)).toMatchObject({ name: 'Gift Box', status: 'ACTIVE', createdAt: expect.any(String), updatedAt: expect.any(String) });
  });

  it('hides the owner’s products that are not stored in a warehouse it operates', async () => {
    // A linked product of SHOP-A: visible to TRADER-B, not to the 3PL.
    await expectLikeUnknown('LOGI-E', PRODUCT_QUERY, ids.tea);
    const elsewhere = await w.createProduct('SHOP-A', { barcode: w.barcode() });
    await w.received('SHOP-A', ids.ber, [{ productId: elsewhere.id, quantity: 2 }]);
    await expectLikeUnknown('LOGI-E', PRODUCT_QUERY, elsewhere.id);
    // Once some of it is received into A-HAM, the 3PL may read what it needs to pick it.
    await w.received('SHOP-A', ids.ham, [{ productId: elsewhere.id, quantity: 1 }]);
    expect(await productAs('LOGI-E', elsewhere.id)).toMatchObject({ skuCode: elsewhere.skuCode, barcode: elsewhere.barcode, unit: 'pcs', status: null });
  });

  it('names every stock level’s product for the 3PL, with no error per row', async () => {
    const data = await w.gql<{ stockLevels: { edges: { node: { productId: string; product: { id: string; name: string; skuCode: string; unit: string } | null } }[] } }>(
      'LOGI-E',
      `{ stockLevels(first: 100) { edges { node { productId product { id name skuCode unit } } } } }`,
    );
    const stockLevels = data.stockLevels.edges.map((e) => e.node);
    expect(stockLevels.length).toBeGreaterThan(1);
    for (const level of stockLevels) expect(level.product, level.productId).toMatchObject({ id: level.productId, name: expect.any(String), skuCode: expect.any(String) });
    expect(stockLevels.find((l) => l.productId === ids.teapot)?.product).toEqual({ id: ids.teapot, name: 'Teapot 1l', skuCode: 'A-POT-001', unit: 'pcs' });
  });

  it('does not let the 3PL name a stored product as a link counterpart by id, nor list it as its own', async () => {
    const own = await w.createProduct('LOGI-E');
    const proposed = await w.gql<{ proposeLink: { __typename: string; errorCode?: string } }>(
      'LOGI-E',
      `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { __typename ... on CatalogError { errorCode } } }`,
      { input: { myProductId: own.id, mySide: 'DOWNSTREAM', counterpart: { productId: ids.giftBox } } },
    );
    expect(proposed.proposeLink).toEqual({ __typename: 'ProductNotFound', errorCode: 'PRODUCT_NOT_FOUND' });
    const { products } = await w.gql<{ products: { edges: { node: { id: string } }[] } }>('LOGI-E', `{ products(first: 100) { edges { node { id } } } }`);
    expect(products.edges.map((e) => e.node.id)).toEqual([own.id]);
  });

  it.each(['TRADER-B', 'SHOP-D'] as const)('stay hidden from %s unless a link names them', async (code) => {
    await expectLikeUnknown(code, PRODUCT_QUERY, ids.giftBox);
  });
});

describe('a new 3PL warehouse', () => {
  it('makes its owner and operator visible to each other, and to nobody else', async () => {
    await expectLikeUnknown('SHOP-D', PARTNER_QUERY, PARTNER['LOGI-E']);
    await expectLikeUnknown('LOGI-E', PARTNER_QUERY, PARTNER['SHOP-D']);
    const warehouse = await w.createWarehouse('SHOP-D', { operatorCode: 'LOGI-E', regions: ['DE-HB'] });
    expect(warehouse).toMatchObject({ kind: 'THIRD_PARTY', operator: { id: PARTNER['LOGI-E'] } });
    expect(await partnerAs('SHOP-D', PARTNER['LOGI-E'])).toMatchObject({ code: 'LOGI-E', name: 'Logistics E Fulfilment', kinds: null });
    expect(await partnerAs('LOGI-E', PARTNER['SHOP-D'])).toMatchObject({ code: 'SHOP-D', name: 'Shop D Boutique', kinds: null });
    // Not transitive: SHOP-A and SHOP-D, both served by LOGI-E, still do not see each other.
    await expectLikeUnknown('SHOP-A', PARTNER_QUERY, PARTNER['SHOP-D']);
    await expectLikeUnknown('SHOP-D', PARTNER_QUERY, PARTNER['SHOP-A']);
    // Nor does SHOP-D's 3PL see SHOP-D's products before any is stored with it.
    const cup = await w.demoProductId('SHOP-D', 'D-CUP-001');
    await expectLikeUnknown('LOGI-E', PRODUCT_QUERY, cup);
    ok(await w.receive('SHOP-D', warehouse.id, [{ productId: cup, quantity: 4 }]), 'Receipt');
    expect(await productAs('LOGI-E', cup)).toMatchObject({ name: 'Espresso Cup', owner: { code: 'SHOP-D' }, status: null });
    // SHOP-A's 3PL view is unchanged by it: the cup is not SHOP-A's to see.
    await expectLikeUnknown('SHOP-A', PRODUCT_QUERY, cup);
  });
});

describe('a transfer between the owner’s own warehouse and its 3PL warehouse', () => {
  it('shows the owner both warehouses and the operator the one it runs, with no error (the other is null)', async () => {
    await w.received('SHOP-A', ids.ber, [{ productId: ids.teapot, quantity: 3 }]);
    const created = ok<{ id: string }>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: ids.ber, toWarehouseId: ids.ham, lines: [{ productId: ids.teapot, quantity: 2 }] } }),
      'Transfer',
    );
    const QUERY = `{ transfers(first: 100) { edges { node { id from { id } to { id } } } } }`;
    type Seen = { transfers: { edges: { node: { id: string; from: { id: string } | null; to: { id: string } | null } }[] } };
    const find = (data: Seen) => data.transfers.edges.map((e) => e.node).find((t) => t.id === created.id);
    expect(find(await w.gql<Seen>('SHOP-A', QUERY))).toEqual({ id: created.id, from: { id: ids.ber }, to: { id: ids.ham } });
    // Before, the operator's whole list answered data: null (a null on the non-null `from`).
    expect(find(await w.gql<Seen>('LOGI-E', QUERY))).toEqual({ id: created.id, from: null, to: { id: ids.ham } });
  });
});
