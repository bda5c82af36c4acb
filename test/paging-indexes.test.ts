import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTenantTransaction, type Identity } from '@redthread/kit';
import { linkPagesOfProducts, listLinks } from '@redthread/catalog/services/links';
import { customerPaymentPages } from '@redthread/finance/services/rules';
import { freshDatabase, type TestDatabase } from './database';
import { demoPartnerId } from '../scripts/demo/world';

/**
 * The nested lists paged per parent walk an index to their page, whatever the size of the table:
 * each statement is explained as the service sends it, with sequential scans (and, where the
 * index can give the page order, sorts) priced out, so a plan that still holds one has no index
 * to use.
 */

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

let db: TestDatabase;
let client: postgres.Sql;
const sent: { query: string; parameters: unknown[] }[] = [];
const shopA: Identity = { subject: 'test', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };

beforeAll(async () => {
  db = await freshDatabase();
  client = postgres(db.appUrl, { max: 1, onnotice: () => {}, debug: (_connection, query, parameters) => sent.push({ query, parameters: parameters as unknown[] }) });
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** The statement `service` sends that reads `table`, explained under the caller's tenant with `settings`. */
async function planOf(table: string, service: Parameters<typeof inTenantTransaction>[2], settings: string[]): Promise<PlanNode[]> {
  const database = drizzle({ client });
  sent.length = 0;
  await inTenantTransaction(database, shopA, service);
  const statement = sent.find((s) => s.query.includes(`"${table}"`));
  if (!statement) throw new Error(`no statement read ${table}: ${sent.map((s) => s.query).join('\n')}`);
  return client.begin(async (tx) => {
    // The tenant as setTenant sets it (row-level security shapes the plan).
    await tx.unsafe(`select set_config('app.partner_id', $1, true), set_config('app.roles', $2, true), set_config('app.subject', $3, true)`, [
      shopA.partnerId,
      shopA.roles.join(','),
      shopA.subject,
    ]);
    for (const setting of settings) await tx.unsafe(`set local ${setting} = off`);
    const [row] = await tx.unsafe(`explain (format json) ${statement.query}`, statement.parameters as never[]);

    return nodesOf((row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
  }) as Promise<PlanNode[]>;
}

/** The per-parent page of a LATERAL list: the subtree under its Limit. */
function pagePlan(plan: PlanNode[]): PlanNode[] {
  const limit = plan.find((node) => node['Node Type'] === 'Limit');
  if (!limit) throw new Error(`no Limit in the plan: ${plan.map((node) => node['Node Type']).join(', ')}`);
  return nodesOf(limit);
}

describe('paging indexes', () => {
  it('Product.links: each product’s links are found by its id from either end, not among all of the partner’s links', async () => {
    const productIds = ['7b0c4c3a-3f57-4f0e-9a39-1c2b6a1d4e01', '7b0c4c3a-3f57-4f0e-9a39-1c2b6a1d4e02'];
    const page = pagePlan(await planOf('product_links', (tx) => linkPagesOfProducts(tx, productIds, null, { first: 20 }), ['enable_seqscan']));
    expect(page.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(page.map((node) => node['Index Name']).filter(Boolean).sort()).toEqual(['product_links_downstream_product_page', 'product_links_upstream_product_page']);
  });

  it('productLinks: a page is the newest of one index-ordered keyset page per side, never a sort of all the partner’s links', async () => {
    const plan = await planOf('product_links', (tx) => listLinks(tx, shopA, null, { first: 20 }), ['enable_seqscan', 'enable_bitmapscan']);
    const sides = plan.filter((node) => node['Node Type'] === 'Limit').slice(1);
    expect(sides).toHaveLength(2);
    for (const side of sides) {
      expect(nodesOf(side).map((node) => node['Node Type'])).not.toContain('Sort');
    }
    expect(sides.flatMap((side) => nodesOf(side).map((node) => node['Index Name']).filter(Boolean)).sort()).toEqual([
      'product_links_downstream_partner_page',
      'product_links_upstream_partner_page',
    ]);
  });

  it('Customer.payments: a customer’s page is read in page order from an index (no sort, no full scan)', async () => {
    const customerIds = ['5e4d3c2b-1a09-4f8e-8d7c-6b5a4f3e2d01'];
    const page = pagePlan(await planOf('customer_entries', (tx) => customerPaymentPages(tx, customerIds, { first: 20 }), ['enable_seqscan', 'enable_sort', 'enable_bitmapscan']));
    expect(page.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    expect(page.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(page.map((node) => node['Index Name']).filter(Boolean)).toEqual(['customer_entries_payments_page']);
  });
});
