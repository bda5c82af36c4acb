/**
 * catalog-read: how fast a partner pages through its catalog through the whole stack
 * (client → gateway → catalog subgraph → PostgreSQL under RLS), against the same SQL issued
 * directly in a tenant transaction as a baseline. Options: --requests N (default 2000),
 * --concurrency N (default 16), --products N (default 2000), --page N (default 50).
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { DEV_JWT_SECRET, connectDatabase, inTenantTransaction, type Identity } from '@redthread/kit';
import { listOwnProducts } from '@redthread/catalog/services/products';
import { visiblePartnersByIds } from '@redthread/catalog/services/partners';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, startBenchPlatform, machine, percentiles, runConcurrently, writeResults } from '../lib';

const QUERY = `query($first: Int!, $after: String) { products(first: $first, after: $after) {
  edges { node { id skuCode name unit status owner { code name } } } pageInfo { hasNextPage endCursor } } }`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      products: { type: 'string', default: '2000' },
      page: { type: 'string', default: '50' },
    },
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const productCount = Number(values.products);
  const page = Number(values.page);
  const log = (message: string) => process.stdout.write(`[catalog-read] ${message}\n`);

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const shopA = demoPartnerId('SHOP-A');
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  await admin`insert into catalog.products (owner_partner_id, sku_code, name)
    select ${shopA}, 'BENCH-' || lpad(n::text, 6, '0'), 'Bench item ' || n from generate_series(1, ${productCount}) n`;
  await admin`analyze`;
  await admin.end();
  log(`${productCount} products added to SHOP-A`);

  const platform = await startBenchPlatform(db);
  const token = await mintDevToken({ partnerId: shopA, partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);
  const pages = Math.ceil(productCount / page);
  const cursors: (string | null)[] = [null];

  // Warm up, collecting real cursors so requests spread over the whole catalog.
  for (let i = 0; i < pages; i += 1) {
    const response = await fetch(platform.gateway.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY, variables: { first: page, after: cursors[i] } }),
    });
    const body = (await response.json()) as { data: { products: { pageInfo: { endCursor: string | null } } } };
    cursors.push(body.data.products.pageInfo.endCursor);
  }

  log(`gateway: ${requests} requests, concurrency ${concurrency}, ${page} products each`);
  let failures = 0;
  const gateway = await runConcurrently(
    requests,
    concurrency,
    async (i) => {
      const response = await fetch(platform.gateway.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY, variables: { first: page, after: cursors[i % pages] } }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (!response.ok || body.errors) failures += 1;
    },
    (done) => log(`  ${done}/${requests}`),
  );

  log('baseline: the same service SQL in a tenant transaction, no GraphQL');
  const direct = connectDatabase(db.appUrl, { max: concurrency });
  const identity: Identity = { subject: 'bench', partnerId: shopA, roles: ['admin'] };
  const baseline = await runConcurrently(requests, concurrency, async (i) => {
    await inTenantTransaction(direct.db, identity, async (tx) => {
      const connection = await listOwnProducts(tx, identity, null, { first: page, after: cursors[i % pages] });
      await visiblePartnersByIds(tx, [...new Set(connection.edges.map((e) => e.node.ownerPartnerId))]);
    });
  });
  await direct.close();
  await platform.stop();
  await db.close();

  const summarise = (r: { latencies: number[]; wallMs: number }) => ({
    requestsPerSecond: Math.round((requests / r.wallMs) * 1000),
    latencyMs: percentiles(r.latencies),
  });
  const result = {
    benchmark: 'catalog-read',
    at: new Date().toISOString(),
    machine: await machine(),
    parameters: { requests, concurrency, productCount, page },
    gateway: { ...summarise(gateway), failures },
    directSql: summarise(baseline),
  };
  const g = result.gateway;
  const d = result.directSql;
  const markdown = `# catalog-read

${result.at} · ${JSON.stringify(result.machine)}

${requests} requests of \`products(first: ${page})\` with owners, concurrency ${concurrency}, ${productCount} products.

| path | req/s | p50 ms | p90 ms | p99 ms | max ms | failures |
|---|---|---|---|---|---|---|
| client → gateway → catalog → PostgreSQL | ${g.requestsPerSecond} | ${g.latencyMs.p50} | ${g.latencyMs.p90} | ${g.latencyMs.p99} | ${g.latencyMs.max} | ${failures} |
| same SQL, direct (baseline) | ${d.requestsPerSecond} | ${d.latencyMs.p50} | ${d.latencyMs.p90} | ${d.latencyMs.p99} | ${d.latencyMs.max} | 0 |
`;
  const files = await writeResults('catalog-read', result, markdown);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  if (failures > 0) throw new Error(`${failures} gateway requests failed`);
}
