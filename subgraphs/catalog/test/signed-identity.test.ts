import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { DEV_INTERNAL_SECRET, DEV_JWT_SECRET, secretKey, signInternalIdentity, type Identity } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { postGraphQL, startTestPlatform, type TestPlatform } from '../../../test/platform';
import { demoPartnerId } from '../../../scripts/demo/world';

let db: TestDatabase;
let api: TestPlatform;
let catalogUrl: string;
const shopA: Identity = { subject: 'dev:SHOP-A', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  catalogUrl = api.platform.subgraphs.find((s) => s.name === 'catalog')!.graphqlUrl;
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const OPERATIONS = {
  me: '{ me { code } }',
  service: '{ _service { sdl } }',
  entities: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { code name } } }`,
};
const entityVariables = { r: [{ __typename: 'Partner', id: demoPartnerId('SHOP-A') }] };

async function internalToken(options: { secret?: string; audience?: string; expiresAt?: number; issuer?: string } = {}) {
  const builder = new SignJWT({ pid: shopA.partnerId, roles: shopA.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(shopA.subject)
    .setIssuer(options.issuer ?? 'redthread-gateway')
    .setAudience(options.audience ?? 'catalog')
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? '60s');
  return builder.sign(secretKey(options.secret ?? DEV_INTERNAL_SECRET));
}

describe('a subgraph answers only the gateway', () => {
  it('answers a request carrying the gateway-signed identity (control)', async () => {
    const token = await signInternalIdentity(shopA, 'catalog', secretKey(DEV_INTERNAL_SECRET));
    const response = await postGraphQL(catalogUrl, `Bearer ${token}`, OPERATIONS.entities, entityVariables);
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ _entities: [{ code: 'SHOP-A', name: 'Shop A Online' }] });
  });

  const refusals: [string, () => Promise<string | undefined>][] = [
    ['no identity at all', async () => undefined],
    ['an identity signed with another secret', async () => `Bearer ${await internalToken({ secret: 'x'.repeat(48) })}`],
    ['an identity for another subgraph', async () => `Bearer ${await internalToken({ audience: 'orders' })}`],
    ['an expired identity', async () => `Bearer ${await internalToken({ expiresAt: Math.floor(Date.now() / 1000) - 5 })}`],
    ['an identity from another issuer', async () => `Bearer ${await internalToken({ issuer: 'someone-else' })}`],
    ['a client token (signed with the client secret)', async () => `Bearer ${await internalToken({ secret: DEV_JWT_SECRET })}`],
    ['a client header claiming a partner', async () => `Partner ${shopA.partnerId}`],
  ];

  for (const [name, authorization] of refusals) {
    for (const [operation, query] of Object.entries(OPERATIONS)) {
      it(`refuses ${name} on ${operation} with 401 UNAUTHENTICATED and no data`, async () => {
        const response = await postGraphQL(catalogUrl, await authorization(), query, operation === 'entities' ? entityVariables : undefined);
        expect(response.status).toBe(401);
        expect(response.data ?? null).toBeNull();
        expect(response.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
      });
    }
  }
});
