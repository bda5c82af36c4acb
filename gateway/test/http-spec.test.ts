/**
 * The gateway against graphql-http's server audits (the GraphQL-over-HTTP spec), with a client
 * token on every request: every MUST and every SHOULD passes. GET works for queries, never for
 * mutations, under CSRF prevention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverAudits } from 'graphql-http';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

let db: TestDatabase;
let api: TestPlatform;
let token: string;

beforeAll(async () => {
  db = await freshDatabase();
  // The audits query `__type` to test variables: introspection on, as in development.
  api = await startTestPlatform(db);
  token = await api.tokenFor('SHOP-A');
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

describe('GraphQL over HTTP (graphql-http audits)', () => {
  const withToken = (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  const audits = serverAudits({ url: () => api.gatewayUrl, fetchFn: withToken });

  it('has audits to run', () => {
    expect(audits.filter((audit) => audit.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it.each(audits.filter((audit) => !audit.name.startsWith('MAY')).map((audit) => [audit.id, audit.name, audit] as const))(
    '%s %s',
    async (_id, _name, audit) => {
      const result = await audit.fn();
      expect(result.status, 'reason' in result ? `${result.reason}` : '').toBe('ok');
    },
  );

  it('serves queries over GET with the token (a header no cross-site form can send) and refuses mutations over GET', async () => {
    const query = await withToken(`${api.gatewayUrl}?query=${encodeURIComponent('{ me { code } }')}`);
    expect(query.status).toBe(200);
    // A partner's own data, over GET too: no shared cache may keep it.
    expect(query.headers.get('cache-control')).toBe('no-store');
    expect(await query.json()).toEqual({ data: { me: { code: 'SHOP-A' } } });
    const mutation = await withToken(`${api.gatewayUrl}?query=${encodeURIComponent('mutation { createProduct(input: { skuCode: "GET-1", name: "x" }) { __typename } }')}`);
    expect(mutation.status).toBe(405);
    expect(await mutation.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    // Without any non-simple header, a GET might come from a cross-site page: refused before anything runs.
    const bare = await fetch(`${api.gatewayUrl}?query=${encodeURIComponent('{ me { code } }')}`);
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });
});
