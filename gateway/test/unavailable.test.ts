import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

/** A subgraph that cannot be reached (a replica gone, a balancer with none left). */

let db: TestDatabase;
let api: TestPlatform;

beforeAll(async () => {
  db = await freshDatabase('demo');
  api = await startTestPlatform(db);
});
afterAll(async () => {
  await api?.close().catch(() => {});
  await db?.drop();
});

describe('a subgraph that cannot be reached', () => {
  it('answers SERVICE_UNAVAILABLE naming it (a retry is safe), not an internal error; the other subgraphs still answer', async () => {
    const token = await api.tokenFor('SHOP-A');
    await api.platform.subgraphs.find((s) => s.name === 'orders')!.close();
    const answer = await api.query(token, '{ orders(first: 1) { edges { node { id } } } }');
    expect(answer.errors?.map((e) => [e.extensions?.['code'], e.message])).toEqual([
      ['SERVICE_UNAVAILABLE', 'The orders service is unavailable right now; retry in a moment.'],
    ]);
    expect((await api.query(token, '{ me { code } }')).data).toEqual({ me: { code: 'SHOP-A' } });
  });
});
