import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { products } from '@redthread/schema';
import { RequestTransaction, connectDatabase, type Database, type Identity } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';
import { DEMO_PARTNERS, demoPartnerId } from '../../../scripts/demo/world';

let db: TestDatabase;
let api: TestPlatform;
let app: Database;
let productIdsByPartner: Map<string, string[]>;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  app = connectDatabase(db.appUrl, { max: 2 });
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  const rows = await admin`select p.id, o.code from catalog.products p join catalog.partners o on o.id = p.owner_partner_id`;
  await admin.end();
  productIdsByPartner = new Map();
  for (const row of rows) {
    const list = productIdsByPartner.get(row['code']) ?? [];
    list.push(row['id']);
    productIdsByPartner.set(row['code'], list);
  }
});
afterAll(async () => {
  await app?.close();
  await api?.close();
  await db?.drop();
});

const identityOf = (code: string): Identity => ({ subject: `dev:${code}`, partnerId: demoPartnerId(code), roles: ['admin'] });

describe('a foreign object is indistinguishable from a missing one', () => {
  const PROBE = `query($id: ID!) { product(id: $id) { id skuCode name } partner(id: $id) { id code } }`;

  it('SHOP-D reading SHOP-A products by id gets exactly what a random id gets', async () => {
    const shopD = await api.tokenFor('SHOP-D');
    const random = await api.query(shopD, PROBE, { id: randomUUID() });
    expect(random).toEqual({ status: 200, data: { product: null, partner: null } });
    for (const id of productIdsByPartner.get('SHOP-A')!) {
      expect(await api.query(shopD, PROBE, { id })).toEqual(random);
    }
    expect(await api.query(shopD, PROBE, { id: demoPartnerId('SHOP-A') })).toEqual(random);
    expect(await api.query(shopD, PROBE, { id: 'not-a-uuid' })).toEqual(random);
  });

  it('updating a foreign product answers like updating a missing one, and changes nothing', async () => {
    const shopD = await api.tokenFor('SHOP-D');
    const UPDATE = `mutation($id: ID!) { updateProduct(input: { id: $id, name: "Hijacked" }) {
      __typename ... on CatalogError { errorCode message } } }`;
    const missing = await api.query(shopD, UPDATE, { id: randomUUID() });
    expect(missing.data).toEqual({
      updateProduct: { __typename: 'ProductNotFound', errorCode: 'PRODUCT_NOT_FOUND', message: expect.any(String) },
    });
    const foreignId = productIdsByPartner.get('SHOP-A')![0]!;
    expect(await api.query(shopD, UPDATE, { id: foreignId })).toEqual(missing);
    const shopA = await api.tokenFor('SHOP-A');
    const still = await api.query<{ product: { name: string } }>(shopA, `query($id: ID!) { product(id: $id) { name } }`, { id: foreignId });
    expect(still.data?.product.name).not.toBe('Hijacked');
  });

  it('each demo partner lists exactly its own products', async () => {
    for (const partner of DEMO_PARTNERS) {
      const token = await api.tokenFor(partner.code);
      const response = await api.query<{ products: { edges: { node: { skuCode: string; owner: { code: string } } }[] } }>(
        token,
        '{ products(first: 100) { edges { node { skuCode owner { code } } } } }',
      );
      const nodes = response.data!.products.edges.map((e) => e.node);
      expect(nodes.map((n) => n.skuCode).sort()).toEqual(partner.products.map((p) => p.skuCode).sort());
      expect(nodes.every((n) => n.owner.code === partner.code)).toBe(true);
    }
  });
});

describe('row-level security is the last line', () => {
  it('holds when a service query forgets its tenant filter', async () => {
    const request = new RequestTransaction(app.db, identityOf('SHOP-D'));
    const tx = await request.get();
    // Deliberately unfiltered, as a buggy service might write them:
    const everything = await tx.select().from(products);
    const renamed = await tx.update(products).set({ name: sql`${products.name} || ' (touched)'` }).returning();
    const partners = await tx.execute(sql`select code from catalog.partners`);
    const deleted = await tx.delete(products).where(sql`true`).returning();
    await request.end(false);

    const own = new Set(productIdsByPartner.get('SHOP-D'));
    expect(everything.length).toBe(own.size);
    expect(everything.every((p) => own.has(p.id))).toBe(true);
    expect(renamed.every((p) => own.has(p.id))).toBe(true);
    expect(deleted.every((p) => own.has(p.id))).toBe(true);
    expect([...partners].map((p) => p['code'])).toEqual(['SHOP-D']);
  });

  it('refuses to write a row for another tenant', async () => {
    const request = new RequestTransaction(app.db, identityOf('SHOP-D'));
    const tx = await request.get();
    const attempt = await tx
      .insert(products)
      .values({ ownerPartnerId: demoPartnerId('SHOP-A'), skuCode: 'PLANTED', name: 'Planted' })
      .catch((error: unknown) => error);
    await request.end(false);
    expect((attempt as { cause?: { code?: string } }).cause?.code).toBe('42501');
  });

  it('shows nothing at all without a tenant in the transaction', async () => {
    const rows = await app.db.transaction((tx) => tx.select().from(products));
    expect(rows).toEqual([]);
  });

  it('keeps every table of every tenant schema under forced RLS, owned by someone other than the app role', async () => {
    const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    const tables = await admin`
      select n.nspname as schema, c.relname as table, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
             pg_get_userbyid(c.relowner) as owner
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and n.nspname in ('catalog', 'orders', 'inventory', 'finance', 'events')`;
    const [role] = await admin`select rolbypassrls, rolsuper from pg_roles where rolname = 'redthread_app'`;
    await admin.end();
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      expect({ ...table, enabled: table['enabled'], forced: table['forced'] }).toMatchObject({ enabled: true, forced: true });
      expect(table['owner']).not.toBe('redthread_app');
    }
    expect(role).toEqual({ rolbypassrls: false, rolsuper: false });
  });
});
