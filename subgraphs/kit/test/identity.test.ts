import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { INTERNAL_ISSUER, TokenCache, secretKey, signInternalIdentity, verifyInternalIdentity, type Identity } from '@redthread/kit';

/** The gateway's signed identity as a subgraph checks it, with verified tokens remembered until they expire. */

const secret = secretKey('identity-test-secret-0123456789-0123456789');
const identity: Identity = { subject: 'user:1', partnerId: '0b0b0b0b-0000-4000-8000-000000000001', roles: ['admin'] };
const refused = { extensions: { code: 'UNAUTHENTICATED' } };

describe('verifyInternalIdentity', () => {
  it('answers a token verified before from memory, and still refuses a changed byte, another audience and another secret', async () => {
    const token = await signInternalIdentity(identity, 'orders', secret);
    expect(await verifyInternalIdentity(`Bearer ${token}`, 'orders', secret)).toEqual(identity);
    expect(await verifyInternalIdentity(`Bearer ${token}`, 'orders', secret)).toEqual(identity);
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(verifyInternalIdentity(`Bearer ${forged}`, 'orders', secret)).rejects.toMatchObject(refused);
    await expect(verifyInternalIdentity(`Bearer ${token}`, 'catalog', secret)).rejects.toMatchObject(refused);
    await expect(verifyInternalIdentity(`Bearer ${token}`, 'orders', secretKey('another-secret-0123456789-0123456789-01'))).rejects.toMatchObject(refused);
  });

  it('refuses a remembered token once it has expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ pid: identity.partnerId, roles: identity.roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(identity.subject)
      .setIssuer(INTERNAL_ISSUER)
      .setAudience('orders')
      .setIssuedAt(now)
      .setExpirationTime(now + 1)
      .sign(secret);
    expect(await verifyInternalIdentity(`Bearer ${token}`, 'orders', secret)).toEqual(identity);
    await new Promise((resolve) => setTimeout(resolve, (now + 1) * 1000 - Date.now() + 50));
    await expect(verifyInternalIdentity(`Bearer ${token}`, 'orders', secret)).rejects.toMatchObject(refused);
  });
});

describe('TokenCache', () => {
  it('forgets entries at their expiry and the oldest when full', () => {
    const cache = new TokenCache<number>(2);
    cache.set('a', 1, 1_000);
    cache.set('b', 2, 5_000);
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1_000)).toBeUndefined();
    cache.set('c', 3, 5_000);
    cache.set('d', 4, 5_000);
    expect([cache.get('b', 0), cache.get('c', 0), cache.get('d', 0)]).toEqual([undefined, 3, 4]);
    expect(cache.size).toBe(2);
  });
});
