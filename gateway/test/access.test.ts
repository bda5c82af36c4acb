import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { postGraphQL, startTestPlatform, type TestPlatform } from '../../test/platform';
import { DEMO_PASSWORD } from '../../scripts/demo/world';

/**
 * Issue 9's acceptance, end to end through the gateway: onboarding by invitation with a link
 * proposal, sign-in with rotating refresh tokens, membership-resolved roles that change and
 * vanish on the next request, and identity-provider (JWKS) tokens that carry only a subject.
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

interface Tokens {
  accessToken: string;
  refreshToken: string;
  userId: string;
  partner: { id: string; code: string; roles: string[] };
}

async function signIn(email: string, password = DEMO_PASSWORD, partner?: string): Promise<Tokens> {
  const response = await api.auth<Tokens>('/auth/sign-in', { email, password, ...(partner ? { partner } : {}) });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const gql = <Data = Record<string, unknown>>(accessToken: string, query: string, variables?: Record<string, unknown>) =>
  api.query<Data>(accessToken, query, variables);

const INVITE_PARTNER = `mutation($input: InvitePartnerInput!) { invitePartner(input: $input) {
  __typename ... on CreatedInvitation { secret invitation { id status kind linkProposal { side product { skuCode } } } } } }`;
const INVITE_USER = `mutation($input: InviteUserInput!) { inviteUser(input: $input) {
  __typename ... on CreatedInvitation { secret invitation { id } } } }`;
const PROPOSALS = `{ productLinks(filter: { status: [PROPOSED] }) { edges { node { id mySide proposedBy { code } downstreamProduct { skuCode } upstreamProduct { skuCode } } } } }`;

async function productId(accessToken: string, skuCode: string): Promise<string> {
  const response = await gql<{ products: { edges: { node: { id: string; skuCode: string } }[] } }>(
    accessToken,
    `query($s: String) { products(filter: { search: $s }, first: 5) { edges { node { id skuCode } } } }`,
    { s: skuCode },
  );
  return response.data!.products.edges.find((e) => e.node.skuCode === skuCode)!.node.id;
}

async function inviteUser(adminToken: string, email: string, roles: string[]): Promise<string> {
  const invited = await gql<{ inviteUser: { secret: string } }>(adminToken, INVITE_USER, { input: { email, roles } });
  expect(invited.data?.inviteUser).toMatchObject({ __typename: 'CreatedInvitation' });
  return invited.data!.inviteUser.secret;
}

describe('onboarding a supplier by invitation, through the gateway', () => {
  it('SHOP-A invites a supplier with a link proposal; the invitee redeems, signs in and accepts; SHOP-D sees none of it', async () => {
    const shopA = await signIn('admin@shop-a.example');
    const teapot = await productId(shopA.accessToken, 'A-POT-001');
    const invited = await gql<{ invitePartner: { secret: string; invitation: { id: string } } }>(shopA.accessToken, INVITE_PARTNER, {
      input: {
        email: 'Owner@Potters-F.example',
        companyName: 'Potters F',
        kinds: ['SUPPLIER'],
        linkProposal: { myProductId: teapot, mySide: 'DOWNSTREAM' },
      },
    });
    expect(invited.data?.invitePartner).toMatchObject({
      __typename: 'CreatedInvitation',
      invitation: { status: 'PENDING', kind: 'PARTNER', linkProposal: { side: 'DOWNSTREAM', product: { skuCode: 'A-POT-001' } } },
    });
    const { secret, invitation } = invited.data!.invitePartner;

    const redeemed = await api.auth<Tokens>('/auth/redeem', {
      invitation: secret,
      password: 'a long enough secret',
      displayName: 'Fiona Potter',
      partner: { code: 'potters-f' },
      product: { skuCode: 'F-TEAPOT', name: 'Stoneware teapot 1l' },
    });
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(200);
    expect(redeemed.body.partner).toMatchObject({ code: 'POTTERS-F', roles: ['admin'] });

    // The invitation is spent: a second redemption changes nothing.
    const again = await api.auth('/auth/redeem', { invitation: secret, password: 'another long secret', displayName: 'Mallory', partner: { code: 'MALLORY' } });
    expect(again).toMatchObject({ status: 410, body: { error: { code: 'INVITATION_USED' } } });

    const invitee = await signIn('owner@potters-f.example', 'a long enough secret');
    expect(await gql(invitee.accessToken, '{ me { code name kinds } myRoles }')).toMatchObject({
      data: { me: { code: 'POTTERS-F', name: 'Potters F', kinds: ['SUPPLIER'] }, myRoles: ['admin'] },
    });
    const proposals = await gql<{ productLinks: { edges: { node: { id: string } }[] } }>(invitee.accessToken, PROPOSALS);
    expect(proposals.data?.productLinks.edges).toEqual([
      {
        node: {
          id: expect.any(String),
          mySide: 'UPSTREAM',
          proposedBy: { code: 'SHOP-A' },
          downstreamProduct: { skuCode: 'A-POT-001' },
          upstreamProduct: { skuCode: 'F-TEAPOT' },
        },
      },
    ]);
    const linkId = proposals.data!.productLinks.edges[0]!.node.id;
    const accepted = await gql(invitee.accessToken, `mutation($id: ID!) { acceptLink(id: $id) { __typename ... on ProductLink { status } } }`, { id: linkId });
    expect(accepted.data).toEqual({ acceptLink: { __typename: 'ProductLink', status: 'ACTIVE' } });

    const issuerView = await gql<{ invitations: { edges: { node: unknown }[] } }>(shopA.accessToken, `{ invitations(first: 100) { edges { node { id status redeemedPartner { code } } } } }`);
    expect(issuerView.data?.invitations.edges.map((e) => e.node)).toContainEqual({ id: invitation.id, status: 'REDEEMED', redeemedPartner: { code: 'POTTERS-F' } });

    const shopD = await signIn('admin@shop-d.example');
    const outsider = await gql<{ invitations: { edges: unknown[] }; productLinks: { edges: unknown[] }; link: unknown; partner: unknown }>(
      shopD.accessToken,
      `query($link: ID!, $partner: ID!) { invitations { edges { node { id } } } productLinks { edges { node { id } } } link: productLink(id: $link) { id } partner(id: $partner) { code } }`,
      { link: linkId, partner: redeemed.body.partner.id },
    );
    expect(outsider.data).toEqual({ invitations: { edges: [] }, productLinks: { edges: [] }, link: null, partner: null });
  });

  it('refuses an expired invitation, a revoked one and an unknown secret, and creates nothing', async () => {
    const shopA = await signIn('admin@shop-a.example');
    const expiring = await inviteUser(shopA.accessToken, 'late@shop-a.example', ['viewer']);
    const sql = (await import('postgres')).default(db.adminUrl, { max: 1, onnotice: () => {} });
    await sql`update catalog.invitations set expires_at = now() - interval '1 minute' where email = 'late@shop-a.example'`;
    const revoked = await gql<{ inviteUser: { invitation: { id: string }; secret: string } }>(shopA.accessToken, INVITE_USER, {
      input: { email: 'gone@shop-a.example', roles: ['viewer'] },
    });
    await gql(shopA.accessToken, `mutation($id: ID!) { revokeInvitation(id: $id) { __typename } }`, { id: revoked.data!.inviteUser.invitation.id });

    const redeem = (invitation: string) => api.auth('/auth/redeem', { invitation, password: 'a long enough secret', displayName: 'Late' });
    expect(await redeem(expiring)).toMatchObject({ status: 410, body: { error: { code: 'INVITATION_EXPIRED' } } });
    expect(await redeem(revoked.data!.inviteUser.secret)).toMatchObject({ status: 410, body: { error: { code: 'INVITATION_REVOKED' } } });
    expect(await redeem('rti_not-a-real-secret')).toMatchObject({ status: 404, body: { error: { code: 'INVITATION_INVALID' } } });
    const users = await sql`select count(*)::int as n from catalog.users where email in ('late@shop-a.example', 'gone@shop-a.example')`;
    await sql.end();
    expect(users[0]!['n']).toBe(0);
  });
});

/**
 * Opens a live subscription with `authorization`, runs `change` once it is connected, and resolves
 * with how the gateway closed the socket.
 */
async function closedAfter(authorization: string, change: () => Promise<unknown>): Promise<{ code?: number; reason?: string }> {
  const client = createClient({ url: api.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization } });
  try {
    const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const ended = new Promise<{ code?: number; reason?: string }>((resolve) =>
      client.subscribe({ query: 'subscription { orderChanged { cursor } }' }, { next: () => {}, error: (e) => resolve(e as never), complete: () => resolve({}) }),
    );
    await connected;
    await change();
    return await ended;
  } finally {
    await client.dispose();
  }
}

describe('users and roles, through the gateway', () => {
  it('a role change takes effect on the next request, and a removed member loses access on the next request', async () => {
    const admin = await signIn('admin@shop-a.example');
    const secret = await inviteUser(admin.accessToken, 'clerk@shop-a.example', ['sales']);
    const joined = await api.auth<Tokens>('/auth/redeem', { invitation: secret, password: 'clerk password 1', displayName: 'Clara Clerk' });
    expect(joined.status).toBe(200);
    const clerk = joined.body;

    expect(await gql(clerk.accessToken, '{ me { code } myRoles }')).toMatchObject({ data: { me: { code: 'SHOP-A' }, myRoles: ['sales'] } });
    const create = `mutation($sku: String!) { createProduct(input: { skuCode: $sku, name: "Clerk's product" }) { __typename } }`;
    expect((await gql(clerk.accessToken, create, { sku: 'CLERK-1' })).data).toEqual({ createProduct: { __typename: 'Product' } });
    // Warm the membership cache, then change the roles: the very next request sees the change.
    const changed = await gql(admin.accessToken, `mutation($u: ID!) { changeMemberRoles(userId: $u, roles: ["reviewer"]) { __typename ... on Member { roles } } }`, {
      u: clerk.userId,
    });
    expect(changed.data, JSON.stringify(changed.errors)).toEqual({ changeMemberRoles: { __typename: 'Member', roles: ['reviewer'] } });
    expect((await gql(clerk.accessToken, '{ myRoles }')).data).toEqual({ myRoles: ['reviewer'] });
    expect((await gql(clerk.accessToken, create, { sku: 'CLERK-2' })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    const removed = await gql(admin.accessToken, `mutation($u: ID!) { removeMember(userId: $u) { __typename } }`, { u: clerk.userId });
    expect(removed.data).toEqual({ removeMember: { __typename: 'Member' } });
    const refused = await gql(clerk.accessToken, '{ me { code } }');
    expect(refused.status).toBe(403);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NO_MEMBERSHIP' });
    expect(await api.auth('/auth/refresh', { refreshToken: clerk.refreshToken })).toMatchObject({ status: 403, body: { error: { code: 'NO_MEMBERSHIP' } } });

    const log = await gql<{ accessLog: { edges: { node: { topic: string; entityId: string } }[] } }>(admin.accessToken, '{ accessLog(first: 10) { edges { node { topic entityId actor } } } }');
    const topics = log.data!.accessLog.edges.filter((e) => e.node.entityId === clerk.userId).map((e) => e.node.topic);
    expect(topics).toEqual(['access.member_removed', 'access.member_roles_changed', 'access.member_added']);
  });

  it('closes a removed member’s live subscription with 4403', async () => {
    const admin = await signIn('admin@shop-a.example');
    const secret = await inviteUser(admin.accessToken, 'screen@shop-a.example', ['warehouse']);
    const screen = (await api.auth<Tokens>('/auth/redeem', { invitation: secret, password: 'screen password', displayName: 'Screen' })).body;
    const closed = await closedAfter(`Bearer ${screen.accessToken}`, () =>
      gql(admin.accessToken, `mutation($u: ID!) { removeMember(userId: $u) { __typename } }`, { u: screen.userId }),
    );
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/no longer a member|not a member/i);
  });

  it('closes the live subscription of a revoked API key with 4403', async () => {
    const admin = await signIn('admin@shop-a.example');
    const created = await gql<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      admin.accessToken,
      `mutation { createApiKey(input: { name: "wall screen", roles: ["warehouse"] }) { ... on CreatedApiKey { secret apiKey { id } } } }`,
    );
    const { secret, apiKey } = created.data!.createApiKey;
    const closed = await closedAfter(`ApiKey ${secret}`, () => gql(admin.accessToken, `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`, { id: apiKey.id }));
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/revoked/i);
  });

  it('the last admin can neither be demoted nor removed', async () => {
    const admin = await signIn('admin@shop-d.example');
    const demote = await gql(admin.accessToken, `mutation($u: ID!) { changeMemberRoles(userId: $u, roles: ["sales"]) { __typename ... on LastAdmin { errorCode } } }`, {
      u: admin.userId,
    });
    expect(demote.data).toEqual({ changeMemberRoles: { __typename: 'LastAdmin', errorCode: 'LAST_ADMIN' } });
    const remove = await gql(admin.accessToken, `mutation($u: ID!) { removeMember(userId: $u) { __typename } }`, { u: admin.userId });
    expect(remove.data).toEqual({ removeMember: { __typename: 'LastAdmin' } });
    expect((await gql(admin.accessToken, '{ myRoles }')).data).toEqual({ myRoles: ['admin'] });
  });
});

describe('sign-in sessions, through the gateway', () => {
  it('rotates refresh tokens, ends the session when a spent one is replayed, and signs out', async () => {
    const first = await signIn('admin@logi-e.example');
    const rotated = await api.auth<Tokens>('/auth/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
    expect((await gql(rotated.body.accessToken, '{ me { code } }')).data).toEqual({ me: { code: 'LOGI-E' } });
    const latest = await api.auth<Tokens>('/auth/refresh', { refreshToken: rotated.body.refreshToken });
    expect(latest.status).toBe(200);

    // Replaying a spent token whose successor was used looks like theft: the session ends.
    expect(await api.auth('/auth/refresh', { refreshToken: first.refreshToken })).toMatchObject({
      status: 401,
      body: { error: { code: 'REFRESH_TOKEN_REUSED' } },
    });
    expect(await api.auth('/auth/refresh', { refreshToken: latest.body.refreshToken })).toMatchObject({ status: 401, body: { error: { code: 'SESSION_ENDED' } } });
    expect((await gql(latest.body.accessToken, '{ me { code } }')).status).toBe(401);

    const second = await signIn('admin@logi-e.example');
    expect((await gql(second.accessToken, '{ me { code } }')).status).toBe(200);
    expect((await api.auth('/auth/sign-out', { refreshToken: second.refreshToken })).status).toBe(204);
    const after = await gql(second.accessToken, '{ me { code } }');
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' });
  });

  it('asks which partner when the user has several, and acts for the one chosen', async () => {
    expect(await api.auth('/auth/sign-in', { email: 'admin@trader-b.example', password: DEMO_PASSWORD })).toMatchObject({
      status: 400,
      body: { error: { code: 'PARTNER_REQUIRED', partners: ['SUPPLIER-C', 'TRADER-B'] } },
    });
    const asSupplier = await signIn('admin@trader-b.example', DEMO_PASSWORD, 'SUPPLIER-C');
    expect((await gql(asSupplier.accessToken, '{ me { code } myRoles }')).data).toEqual({ me: { code: 'SUPPLIER-C' }, myRoles: ['viewer'] });
  });

  it('rate-limits wrong passwords per email with 429 and Retry-After, and says the same for unknown emails', async () => {
    const wrong = await api.auth('/auth/sign-in', { email: 'reviewer@shop-a.example', password: 'not the password' });
    const unknown = await api.auth('/auth/sign-in', { email: 'nobody@nowhere.example', password: 'not the password' });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS' } } });
    expect(unknown.body).toEqual(wrong.body);
    for (let attempt = 2; attempt <= 5; attempt += 1) {
      await api.auth('/auth/sign-in', { email: 'reviewer@shop-a.example', password: `wrong ${attempt}` });
    }
    const limited = await api.auth<{ error: { code: string; retryAfterSeconds: number } }>('/auth/sign-in', {
      email: 'reviewer@shop-a.example',
      password: DEMO_PASSWORD,
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api.auth('/auth/sign-in', { email: 'sales@shop-a.example', password: DEMO_PASSWORD })).status).toBe(200);
  });

  it('answers malformed requests with 400 and a message, and only POST', async () => {
    expect(await api.auth('/auth/sign-in', { email: 'admin@shop-a.example' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const get = await fetch(`${api.platform.gateway.url}/auth/sign-in`);
    expect(get.status).toBe(405);
    expect((await api.auth('/auth/nothing', {})).status).toBe(404);
    expect(await api.auth('/auth/redeem', { invitation: 'rti_x', password: 'long enough password', displayName: 42 })).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: expect.stringContaining('displayName') } },
    });
    expect((await api.auth('/auth/redeem', { invitation: 'rti_x', pasword: 'typo' })).body).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});

describe('identity-provider tokens (JWKS)', () => {
  let jwks: Server;
  let idp: TestPlatform;
  let privateKey: CryptoKey;
  const ISSUER = 'https://idp.test/';
  const AUDIENCE = 'redthread-api';

  beforeAll(async () => {
    const keys = await generateKeyPair('ES256');
    privateKey = keys.privateKey;
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    jwks = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const port = (jwks.address() as AddressInfo).port;
    idp = await startTestPlatform(db, { clientTokens: { jwksUrl: `http://127.0.0.1:${port}/jwks`, issuer: ISSUER, audience: AUDIENCE } });
  });
  afterAll(async () => {
    await idp?.close();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const idpToken = (claims: Record<string, unknown>, subject: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject(subject)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  it('links the provider subject at redemption, then takes only the subject from its tokens: partner and roles come from the membership', async () => {
    const admin = await signIn('admin@shop-a.example');
    const secret = await inviteUser(admin.accessToken, 'sso-user@shop-a.example', ['viewer']);
    // The token claims admin roles and another partner: both are ignored.
    const token = await idpToken({ roles: ['admin'], pid: '00000000-0000-4000-8000-000000000000' }, 'idp|sso-user');
    const redeemed = await idp.auth('/auth/redeem', { invitation: secret, displayName: 'Single Sign-On' }, { authorization: `Bearer ${token}` });
    expect(redeemed).toMatchObject({ status: 200, body: { partner: { code: 'SHOP-A', roles: ['viewer'] } } });
    expect(redeemed.body).not.toHaveProperty('accessToken');

    expect((await idp.query(token, '{ me { code } myRoles }')).data).toEqual({ me: { code: 'SHOP-A' }, myRoles: ['viewer'] });
    expect((await idp.query(token, `mutation { createProduct(input: { skuCode: "SSO-1", name: "x" }) { __typename } }`)).errors?.[0]?.extensions?.['code']).toBe(
      'FORBIDDEN',
    );
    const stranger = await idp.query(await idpToken({}, 'idp|stranger'), '{ me { code } }');
    expect(stranger.status).toBe(401);
    expect(stranger.errors?.[0]?.extensions?.['reason']).toBe('no_account');
    // A token of the same provider for another application (audience) counts for nothing here.
    const otherApp = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setSubject('idp|sso-user')
      .setIssuer(ISSUER)
      .setAudience('another-app')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await idp.query(otherApp, '{ me { code } }')).status).toBe(401);
    // The same provider account cannot be linked to a second Redthread user.
    const secondSecret = await inviteUser(admin.accessToken, 'sso-other@shop-a.example', ['viewer']);
    expect(await idp.auth('/auth/redeem', { invitation: secondSecret, displayName: 'Other' }, { authorization: `Bearer ${token}` })).toMatchObject({
      status: 409,
      body: { error: { code: 'SUBJECT_LINKED' } },
    });
    // Redthread's own sign-in is off when an identity provider is configured.
    expect((await idp.auth('/auth/sign-in', { email: 'admin@shop-a.example', password: DEMO_PASSWORD })).body).toMatchObject({
      error: { code: 'USE_IDENTITY_PROVIDER' },
    });
  });

  it('lets a user with several memberships choose the partner with x-redthread-partner', async () => {
    const token = await idpToken({}, 'idp|sso-user');
    const trader = await signIn('admin@trader-b.example', DEMO_PASSWORD, 'TRADER-B');
    const secret = await inviteUser(trader.accessToken, 'sso-user@shop-a.example', ['sales']);
    expect((await idp.auth('/auth/redeem', { invitation: secret, displayName: 'Single Sign-On' }, { authorization: `Bearer ${token}` })).status).toBe(200);
    const ambiguous = await idp.query(token, '{ me { code } }');
    expect(ambiguous.errors?.[0]?.extensions).toMatchObject({ reason: 'PARTNER_REQUIRED', partners: ['SHOP-A', 'TRADER-B'] });
    const chosen = await postGraphQL(idp.gatewayUrl, `Bearer ${token}`, '{ me { code } myRoles }');
    expect(chosen.status).toBe(400);
    const response = await fetch(idp.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-redthread-partner': 'TRADER-B' },
      body: JSON.stringify({ query: '{ me { code } myRoles }' }),
    });
    expect(await response.json()).toEqual({ data: { me: { code: 'TRADER-B' }, myRoles: ['sales'] } });
  });
});
