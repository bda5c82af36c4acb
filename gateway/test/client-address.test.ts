import type { IncomingMessage } from 'node:http';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';
import { DEMO_PASSWORD } from '../../scripts/demo/world';
import { clientAddress } from '../src/client-address';
import { loadGatewayEnv } from '../src/env';
import { MAX_FAILED_ATTEMPTS } from '@redthread/catalog/access/sessions';

/**
 * Sign-in throttling behind a load balancer: the balancer is every client's TCP peer, so unless
 * the gateway believes its `X-Forwarded-For`, one guesser's failures lock an email out for all.
 */

function request(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress([])(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('is the nearest untrusted address of X-Forwarded-For behind a trusted proxy, never one the client wrote in front', () => {
    const behindBalancer = clientAddress(['loopback', '10.0.0.0/8']);
    expect(behindBalancer(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    // The client sent "X-Forwarded-For: 192.0.2.1"; the balancer appended the address it saw.
    expect(behindBalancer(request('127.0.0.1', '192.0.2.1, 203.0.113.7'))).toBe('203.0.113.7');
    // Two trusted hops (an edge proxy at 10.1.2.3 in front of the balancer).
    expect(behindBalancer(request('127.0.0.1', '203.0.113.7, 10.1.2.3'))).toBe('203.0.113.7');
    // A peer that is not a trusted proxy is the client, its header notwithstanding.
    expect(behindBalancer(request('198.51.100.4', '203.0.113.7'))).toBe('198.51.100.4');
  });

  it('gives IPv4-mapped IPv6 addresses as IPv4, so a dual-stack listener counts one client once', () => {
    expect(clientAddress([])(request('::ffff:198.51.100.4'))).toBe('198.51.100.4');
    expect(clientAddress(['loopback'])(request('::ffff:127.0.0.1', '::ffff:203.0.113.7'))).toBe('203.0.113.7');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address, a range or a known name, naming it', () => {
    expect(loadGatewayEnv({ TRUSTED_PROXIES: ' loopback, 10.0.0.0/8 ,' }).TRUSTED_PROXIES).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadGatewayEnv({}).TRUSTED_PROXIES).toEqual([]);
    expect(() => loadGatewayEnv({ TRUSTED_PROXIES: 'loopback,balancer.internal' })).toThrow(/TRUSTED_PROXIES.*balancer\.internal/s);
  });
});

describe('sign-in through a trusted load balancer', () => {
  let db: TestDatabase;
  let api: TestPlatform;
  let admin: postgres.Sql;

  beforeAll(async () => {
    db = await freshDatabase();
    // The test's requests come from 127.0.0.1, as they would from a balancer on this host.
    api = await startTestPlatform(db, { trustedProxies: ['loopback'] });
    admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await admin?.end();
    await api?.close();
    await db?.drop();
  });

  const signIn = (email: string, password: string, forwardedFor: string) =>
    api.auth<{ error?: { code: string } }>('/auth/sign-in', { email, password }, { 'x-forwarded-for': forwardedFor });

  it("counts a guesser's failures against the guesser's address: the owner signs in from another", async () => {
    const email = 'reviewer@shop-a.example';
    for (let attempt = 1; attempt <= MAX_FAILED_ATTEMPTS; attempt += 1) {
      expect((await signIn(email, `guess ${attempt}`, '203.0.113.7')).status).toBe(401);
    }
    expect(await signIn(email, DEMO_PASSWORD, '203.0.113.7')).toMatchObject({ status: 429, body: { error: { code: 'TOO_MANY_ATTEMPTS' } } });
    // Naming another address in front of the balancer's entry changes nothing for the guesser.
    expect((await signIn(email, DEMO_PASSWORD, '198.51.100.2, 203.0.113.7')).status).toBe(429);
    expect((await signIn(email, DEMO_PASSWORD, '198.51.100.2')).status).toBe(200);

    const recorded = await admin`select client, succeeded from catalog.sign_in_attempts where email = ${email} order by at`;
    expect(recorded.map((row) => row['client'])).toEqual([...Array<string>(MAX_FAILED_ATTEMPTS).fill('203.0.113.7'), '198.51.100.2']);
    expect(recorded.at(-1)!['succeeded']).toBe(true);
  });
});
