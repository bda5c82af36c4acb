import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

/**
 * A gateway is ready while it can take requests. A subgraph that does not answer is reported but
 * does not take the gateway out of its balancer: that would cut every query, also the ones that
 * never touch the missing subgraph.
 */

let db: TestDatabase;
let api: TestPlatform;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

async function firstProductId(token: string): Promise<string> {
  const answer = await api.query<{ products: { edges: { node: { id: string } }[] } }>(token, '{ products(first: 1) { edges { node { id } } } }');
  return answer.data!.products.edges[0]!.node.id;
}

interface Readiness {
  status: string;
  unavailable?: string[];
  subgraphs: { name: string; ok: boolean }[];
}

/** Runs `statement` on the cluster's `postgres` database (the test database may refuse connections). */
async function onCluster(statement: string): Promise<void> {
  const url = new URL(db.adminUrl);
  url.pathname = '/postgres';
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

const statusOf = (url: string) => fetch(url).then((response) => response.status, () => 0);

describe('gateway readiness', () => {
  it('is not ready while the database refuses connections, and both it and the subgraphs recover without a restart', async () => {
    const token = await api.tokenFor('SHOP-A');
    const catalog = api.platform.subgraphs.find((subgraph) => subgraph.name === 'catalog')!;
    const LIST = '{ products(first: 5) { edges { node { skuCode } } } }';
    expect((await api.query(token, LIST)).errors).toBeUndefined();
    // Every connection to this test's database cut, and no new one let in.
    await onCluster(`alter database "${db.name}" allow_connections false`);
    try {
      await onCluster(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${db.name}'`);
      expect(await statusOf(`${catalog.url}/readyz`)).toBe(503);
      expect(await statusOf(`${api.platform.gateway.url}/readyz`)).toBe(503);
      const refused = await api.query(token, LIST);
      expect(refused.data?.products ?? null).toBeNull();
      expect(refused.errors?.length).toBeGreaterThan(0);
    } finally {
      await onCluster(`alter database "${db.name}" allow_connections true`);
    }
    await expect.poll(() => statusOf(`${catalog.url}/readyz`), { timeout: 15_000, interval: 100 }).toBe(200);
    await expect.poll(() => statusOf(`${api.platform.gateway.url}/readyz`), { timeout: 15_000, interval: 100 }).toBe(200);
    // The pools hold no dead connection: queries, a write and queries again all answer.
    for (let i = 0; i < 5; i += 1) expect((await api.query(token, LIST)).errors).toBeUndefined();
    const written = await api.query<{ updateProduct: { __typename: string; name?: string } }>(
      token,
      `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { __typename ... on Product { name } } }`,
      { input: { id: await firstProductId(token), name: 'Back again' } },
    );
    expect(written.data?.updateProduct).toEqual({ __typename: 'Product', name: 'Back again' });
    expect((await api.query(token, LIST)).errors).toBeUndefined();
  });

  it('stays ready (degraded) with a subgraph down, names it, and keeps answering what the others serve', async () => {
    const finance = api.platform.subgraphs.find((subgraph) => subgraph.name === 'finance')!;
    await finance.close();
    const response = await fetch(`${api.platform.gateway.url}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Readiness;
    expect(body).toMatchObject({ status: 'degraded', unavailable: ['finance'] });
    expect(body.subgraphs.filter((s) => s.ok).map((s) => s.name)).toEqual(['catalog', 'orders', 'inventory']);
    const answer = await api.query(await api.tokenFor('SHOP-A'), '{ me { code } }');
    expect(answer.data).toEqual({ me: { code: 'SHOP-A' } });
  });
});
