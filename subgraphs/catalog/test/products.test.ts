import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';
import { demoPartnerId } from '../../../scripts/demo/world';

let db: TestDatabase;
let api: TestPlatform;
let statements = 0;
let shopA: string;
let shopD: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db, { onQuery: () => (statements += 1) });
  shopA = await api.tokenFor('SHOP-A');
  shopD = await api.tokenFor('SHOP-D');
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) {
  __typename
  ... on Product { id skuCode name barcode unit status owner { code } }
  ... on CatalogError { errorCode message }
  ... on InvalidInput { field }
  ... on SkuCodeTaken { skuCode } } }`;
const UPDATE = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) {
  __typename
  ... on Product { id skuCode name barcode unit status }
  ... on CatalogError { errorCode message }
  ... on InvalidInput { field } } }`;

type Result = Record<string, unknown> & { __typename: string };

async function create(token: string, input: Record<string, unknown>) {
  const response = await api.query<{ createProduct: Result }>(token, CREATE, { input });
  expect(response.errors).toBeUndefined();
  return response.data!.createProduct;
}

async function eventsFor(entityId: string) {
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  const rows = await admin`select topic, audience::text[] as audience from events.event_log where entity_id = ${entityId} order by id`;
  await admin.end();
  return rows.map((r) => ({ topic: r['topic'], audience: r['audience'] }));
}

describe('createProduct', () => {
  it('creates a product owned by the caller, trimmed, with a product.created event for the owner only', async () => {
    const product = await create(shopA, { skuCode: '  A-NEW-001 ', name: ' New Tea ', barcode: '12345670' });
    expect(product).toMatchObject({
      __typename: 'Product',
      skuCode: 'A-NEW-001',
      name: 'New Tea',
      barcode: '12345670',
      unit: 'pcs',
      status: 'ACTIVE',
      owner: { code: 'SHOP-A' },
    });
    expect(await eventsFor(product['id'] as string)).toEqual([
      { topic: 'product.created', audience: [demoPartnerId('SHOP-A')] },
    ]);
  });

  it('refuses a SKU code the caller already uses, but not one another partner uses', async () => {
    expect(await create(shopA, { skuCode: 'A-TEA-002', name: 'Duplicate' })).toMatchObject({
      __typename: 'SkuCodeTaken',
      errorCode: 'SKU_CODE_TAKEN',
      skuCode: 'A-TEA-002',
    });
    expect(await create(shopD, { skuCode: 'A-TEA-002', name: 'Same code, other owner' })).toMatchObject({
      __typename: 'Product',
      owner: { code: 'SHOP-D' },
    });
  });

  it('names the offending field of invalid input and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ skuCode: '', name: 'x' }, 'skuCode'],
      [{ skuCode: '-starts-with-dash', name: 'x' }, 'skuCode'],
      [{ skuCode: 'A'.repeat(65), name: 'x' }, 'skuCode'],
      [{ skuCode: 'A-OK-1', name: '   ' }, 'name'],
      [{ skuCode: 'A-OK-1', name: 'x', barcode: '12ab' }, 'barcode'],
      [{ skuCode: 'A-OK-1', name: 'x', unit: '' }, 'unit'],
    ];
    for (const [input, field] of cases) {
      expect(await create(shopA, input), JSON.stringify(input)).toMatchObject({
        __typename: 'InvalidInput',
        errorCode: 'INVALID_INPUT',
        field,
      });
    }
    const listed = await api.query<{ products: { edges: unknown[] } }>(shopA, '{ products(filter: { skuCodes: ["A-OK-1"] }) { edges { cursor } } }');
    expect(listed.data!.products.edges).toEqual([]);
  });

  it('is refused to a viewer with FORBIDDEN', async () => {
    const viewer = await api.tokenFor('SHOP-A', ['viewer']);
    const response = await api.query(viewer, CREATE, { input: { skuCode: 'A-VIEW-1', name: 'x' } });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(response.data ?? null).toBeNull();
  });

  it('lets exactly one of two racing creates of the same SKU code win', async () => {
    const results = await Promise.all([
      create(shopA, { skuCode: 'A-RACE-1', name: 'first' }),
      create(shopA, { skuCode: 'A-RACE-1', name: 'second' }),
    ]);
    expect(results.map((r) => r.__typename).sort()).toEqual(['Product', 'SkuCodeTaken']);
  });
});

describe('updateProduct', () => {
  it('changes the given fields only, removes a barcode with null, and archives', async () => {
    const created = await create(shopA, { skuCode: 'A-UPD-1', name: 'Before', barcode: '12345670', unit: 'kg' });
    const response = await api.query<{ updateProduct: Result }>(shopA, UPDATE, {
      input: { id: created['id'], name: 'After', barcode: null, status: 'ARCHIVED' },
    });
    expect(response.data!.updateProduct).toMatchObject({
      __typename: 'Product',
      skuCode: 'A-UPD-1',
      name: 'After',
      barcode: null,
      unit: 'kg',
      status: 'ARCHIVED',
    });
    expect((await eventsFor(created['id'] as string)).map((e) => e.topic)).toEqual(['product.created', 'product.updated']);
  });

  it('refuses to rename a SKU code onto a taken one, and the request changes nothing', async () => {
    const created = await create(shopA, { skuCode: 'A-UPD-2', name: 'Keep me' });
    const response = await api.query<{ updateProduct: Result }>(shopA, UPDATE, {
      input: { id: created['id'], skuCode: 'A-TEA-001', name: 'Changed' },
    });
    expect(response.data!.updateProduct).toMatchObject({ __typename: 'SkuCodeTaken', errorCode: 'SKU_CODE_TAKEN' });
    const after = await api.query<{ product: { name: string; skuCode: string } }>(shopA, `query($id: ID!) { product(id: $id) { name skuCode } }`, {
      id: created['id'],
    });
    expect(after.data!.product).toEqual({ name: 'Keep me', skuCode: 'A-UPD-2' });
  });
});

describe('products connection', () => {
  beforeAll(async () => {
    // 150 extra products for SHOP-A to page through.
    const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    await admin`insert into catalog.products (owner_partner_id, sku_code, name)
      select ${demoPartnerId('SHOP-A')}, 'Z-BULK-' || lpad(n::text, 4, '0'), 'Bulk item ' || n from generate_series(1, 150) n`;
    await admin.end();
  });

  it('pages through every product once, in SKU order, with opaque cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const response: Awaited<ReturnType<typeof api.query<{ products: { edges: { node: { skuCode: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> =
        await api.query(shopA, `query($after: String) { products(first: 40, after: $after, filter: { search: "bulk" }) {
          edges { node { skuCode } } pageInfo { hasNextPage endCursor } } }`, { after });
      const connection = response.data!.products;
      seen.push(...connection.edges.map((e) => e.node.skuCode));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen.length).toBe(150);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(150);
  });

  it('rejects a forged cursor and an out-of-range page size with BAD_USER_INPUT', async () => {
    for (const args of ['first: 0', 'first: 101', 'after: "bm9wZQ"']) {
      const response = await api.query(shopA, `{ products(${args}) { edges { cursor } } }`);
      expect(response.errors?.[0]?.extensions?.['code'], args).toBe('BAD_USER_INPUT');
    }
  });

  it('costs the same number of SQL statements for 100 products with owners as for 10', async () => {
    const LIST = `query($first: Int!) { products(first: $first) { edges { node { id skuCode name owner { code name } } } } }`;
    const count = async (first: number) => {
      statements = 0;
      const response = await api.query<{ products: { edges: unknown[] } }>(shopA, LIST, { first });
      expect(response.data!.products.edges.length).toBe(first);
      return statements;
    };
    const ten = await count(10);
    const hundred = await count(100);
    expect(hundred).toBe(ten);
    expect(ten).toBeLessThanOrEqual(6);
  });
});
