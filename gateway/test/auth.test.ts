import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { DEV_JWT_SECRET, secretKey } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { postGraphQL, startTestPlatform, type TestPlatform } from '../../test/platform';
import { demoPartnerId } from '../../scripts/demo/world';

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

const ME = '{ me { code } }';

function token(claims: Record<string, unknown>, secret = DEV_JWT_SECRET, expiresAt: string | number = '1h') {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('dev:test')
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(secretKey(secret));
}

describe('gateway authentication', () => {
  it('answers a valid SHOP-A token with SHOP-A', async () => {
    const response = await api.query(await api.tokenFor('SHOP-A'), ME);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ me: { code: 'SHOP-A' } });
  });

  it('refuses a request without a token with UNAUTHENTICATED and 401', async () => {
    const response = await api.query(undefined, ME);
    expect(response.status).toBe(401);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toMatch(/Authorization: Bearer/);
  });

  it('refuses a token signed with another secret', async () => {
    const forged = await token({ pid: demoPartnerId('SHOP-A'), roles: ['admin'] }, 'some-other-secret-that-is-long-enough-000');
    const response = await api.query(forged, ME);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token and says so', async () => {
    const expired = await token({ pid: demoPartnerId('SHOP-A'), roles: ['admin'] }, DEV_JWT_SECRET, Math.floor(Date.now() / 1000) - 10);
    const response = await api.query(expired, ME);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
  });

  it('refuses a token without a partner claim, a malformed header and an unsigned (alg none) token', async () => {
    const noPartner = await token({ roles: ['admin'] });
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ sub: 'x', pid: demoPartnerId('SHOP-A'), roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url');
    for (const authorization of [`Bearer ${noPartner}`, 'Basic abc', `Bearer ${header}.${payload}.`, 'Bearer']) {
      const response = await postGraphQL(api.gatewayUrl, authorization, ME);
      expect(response.status, authorization).toBe(401);
      expect(response.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
  });

  it('does not forward client headers: a client cannot smuggle an identity to the subgraph', async () => {
    const shopD = await api.tokenFor('SHOP-D');
    const response = await fetch(api.gatewayUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${shopD}`,
        'x-partner-id': demoPartnerId('SHOP-A'),
        'x-request-id': 'client-chosen',
      },
      body: JSON.stringify({ query: ME }),
    });
    expect(await response.json()).toEqual({ data: { me: { code: 'SHOP-D' } } });
  });

  it('serves /healthz without a token, and /readyz listing every subgraph that answers', async () => {
    const base = api.platform.gateway.url;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; subgraphs: { name: string; ok: boolean }[] };
    expect(body.status).toBe('ready');
    expect(body.subgraphs.map((s) => s.name)).toEqual(['catalog', 'orders', 'inventory', 'finance']);
    expect(body.subgraphs.every((s) => s.ok)).toBe(true);
  });
});
