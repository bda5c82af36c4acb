import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

interface Readiness {
  status: string;
  unavailable?: string[];
  subgraphs: { name: string; ok: boolean }[];
}

describe('gateway readiness', () => {
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
