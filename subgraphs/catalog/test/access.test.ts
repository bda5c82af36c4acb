import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { DEV_JWT_SECRET, connectDatabase, type Database, type SessionGrant } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';
import { everyNode } from '../../../test/world';
import { mintDevToken } from '../../../scripts/lib/tokens';
import { DEMO_PASSWORD, demoId, demoPartnerId } from '../../../scripts/demo/world';
import { AccessError, type AccessErrorCode } from '../src/access/errors';
import { redeemInvitation, type RedeemInput } from '../src/access/onboarding';
import { changePassword, listenForAccessChanges, refreshSession, resolveAccess, signIn, signOut, pruneAccessRecords } from '../src/access/sessions';

/**
 * Access: invitations and members through the gateway (dev tokens), and sign-in, sessions and
 * redemption through the store on the `redthread_auth` connection, as the gateway calls it.
 * Every scenario uses its own emails and partners, except where a demo user is named: each demo
 * user below serves one test only, so the tests do not depend on each other's order.
 */

let db: TestDatabase;
let api: TestPlatform;
let auth: Database;
let admin: postgres.Sql;
let shopA: string;
let shopD: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  auth = connectDatabase(db.authUrl, { max: 4 });
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
  shopA = await api.tokenFor('SHOP-A', ['admin']);
  shopD = await api.tokenFor('SHOP-D', ['admin']);
});
afterAll(async () => {
  await admin?.end();
  await auth?.close();
  await api?.close();
  await db?.drop();
});

const PASSWORD = 'a long enough password';
const uniqueEmail = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}@example.com`;
const uniqueCode = () => `NEW-${randomBytes(3).toString('hex').toUpperCase()}`;

type Result = Record<string, unknown> & { __typename: string };
type Created = { id: string; secret: string };

const INVITE_USER = `mutation($input: InviteUserInput!) { result: inviteUser(input: $input) { __typename
  ... on CreatedInvitation { secret invitation { id status roles } } ... on CatalogError { errorCode } ... on InvalidInput { field } } }`;
const INVITE_PARTNER = `mutation($input: InvitePartnerInput!) { result: invitePartner(input: $input) { __typename
  ... on CreatedInvitation { secret invitation { id status } } ... on CatalogError { errorCode } ... on InvalidInput { field } } }`;
const REVOKE = `mutation($id: ID!) { result: revokeInvitation(id: $id) { __typename ... on Invitation { status } ... on CatalogError { errorCode message } } }`;
const CHANGE_ROLES = `mutation($userId: ID!, $roles: [String!]!) { result: changeMemberRoles(userId: $userId, roles: $roles) {
  __typename ... on Member { roles } ... on CatalogError { errorCode } } }`;
const REMOVE = `mutation($userId: ID!) { result: removeMember(userId: $userId) { __typename ... on CatalogError { errorCode } } }`;

/** Runs a mutation aliased `result` and returns its union member. */
async function mutate(token: string, mutation: string, variables: Record<string, unknown>): Promise<Result> {
  const response = await api.query<{ result: Result }>(token, mutation, variables);
  expect(response.errors).toBeUndefined();
  return response.data!.result;
}

/** Issues an invitation that must succeed; returns its id and secret. */
async function issue(token: string, mutation: string, input: Record<string, unknown>): Promise<Created> {
  const result = await mutate(token, mutation, { input });
  expect(result.__typename).toBe('CreatedInvitation');
  return { id: (result['invitation'] as { id: string }).id, secret: result['secret'] as string };
}

const inviteUser = (token: string, roles: string[], email = uniqueEmail('user')) => issue(token, INVITE_USER, { email, roles });
const redeem = (secret: string, extra: Partial<RedeemInput> = {}) =>
  redeemInvitation(auth.db, { invitation: secret, displayName: 'New Person', password: PASSWORD, ...extra });

/** A new member of the partner behind `token`, joined through an invitation. */
async function newMember(token: string, roles: string[]): Promise<SessionGrant> {
  return redeem((await inviteUser(token, roles)).secret);
}

/** A partner registered through a SHOP-A invitation, its first admin and a dev admin token for it. */
async function newPartner(): Promise<{ grant: SessionGrant; token: string }> {
  const code = uniqueCode();
  const { secret } = await issue(shopA, INVITE_PARTNER, { email: uniqueEmail('founder'), companyName: `${code} Ltd`, kinds: ['SUPPLIER'] });
  const grant = await redeem(secret, { partner: { code } });
  return { grant, token: await mintDevToken({ partnerId: grant.partner.id, partnerCode: code, roles: ['admin'] }, DEV_JWT_SECRET) };
}

/** The AccessError `work` fails with, checked against `code` (and `status` when given). */
async function refusal(work: Promise<unknown>, code: AccessErrorCode, status?: number): Promise<AccessError> {
  const error: unknown = await work.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AccessError);
  expect((error as AccessError).code).toBe(code);
  if (status !== undefined) expect((error as AccessError).status).toBe(status);
  return error as AccessError;
}

const countOf = async (rows: Promise<postgres.RowList<postgres.Row[]>>) => Number((await rows)[0]!['n']);
const usersWithEmail = (email: string) => countOf(admin`select count(*) as n from catalog.users where email = ${email}`);
const invitationCount = () => countOf(admin`select count(*) as n from catalog.invitations`);
const shopAAccess = (roles: string[]) => ({ partnerId: demoPartnerId('SHOP-A'), roles });
const statusOf = async (token: string, id: string) =>
  (await everyNode<{ id: string; status: string }>(api, token, 'invitations', 'id status')).find((i) => i.id === id)?.status;

describe('issuing invitations', () => {
  it('returns the secret once and stores only its SHA-256 hash', async () => {
    const email = uniqueEmail('Clerk').toUpperCase();
    const user = await mutate(shopA, INVITE_USER, { input: { email, roles: ['sales', 'finance'], expiresInHours: 48 } });
    const partner = await issue(shopA, INVITE_PARTNER, { email: uniqueEmail('supplier'), companyName: 'Tea Growers', kinds: ['SUPPLIER'] });
    const created = { id: (user['invitation'] as { id: string }).id, secret: user['secret'] as string };
    expect(user['invitation']).toMatchObject({ status: 'PENDING', roles: ['sales', 'finance'] });

    for (const { id, secret } of [created, partner]) {
      expect(secret).toMatch(/^rti_[A-Za-z0-9_-]{40,}$/);
      const [row] = await admin`select * from catalog.invitations where id = ${id}`;
      expect(row!['token_hash']).toBe(createHash('sha256').update(secret).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(secret.slice(4));
    }
    const [stored] = await admin`select email, expires_at from catalog.invitations where id = ${created.id}`;
    expect(stored!['email']).toBe(email.toLowerCase());
    expect(Math.abs(new Date(stored!['expires_at']).getTime() - Date.now() - 48 * 3600_000)).toBeLessThan(60_000);
    const listed = await everyNode(api, shopA, 'invitations', 'id kind email status roles');
    expect(listed.length).toBeGreaterThan(0);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(await statusOf(shopA, partner.id)).toBe('PENDING');
  });

  it('are seen and revoked by the issuer only: a foreign id answers like a random one', async () => {
    const { id } = await inviteUser(shopA, ['viewer']);
    const seenByD = await everyNode<{ id: string }>(api, shopD, 'invitations', 'id');
    expect(seenByD.map((i) => i.id)).not.toContain(id);
    const foreign = await mutate(shopD, REVOKE, { id });
    expect(foreign).toEqual(await mutate(shopD, REVOKE, { id: randomUUID() }));
    expect(foreign).toMatchObject({ __typename: 'InvitationNotFound', errorCode: 'INVITATION_NOT_FOUND' });
    expect(await statusOf(shopA, id)).toBe('PENDING');
    expect(await mutate(shopA, REVOKE, { id })).toEqual({ __typename: 'Invitation', status: 'REVOKED' });
  });

  it('refuses bad input with typed errors and creates nothing', async () => {
    const before = await invitationCount();
    const user = (input: Record<string, unknown>) => mutate(shopA, INVITE_USER, { input: { email: uniqueEmail('x'), roles: ['sales'], ...input } });
    expect(await user({ email: 'not-an-email' })).toMatchObject({ __typename: 'InvalidInput', field: 'email' });
    expect(await user({ email: 'sales@shop-a.example' })).toMatchObject({ __typename: 'InvalidInput', field: 'email' });
    expect(await user({ roles: ['superuser'] })).toMatchObject({ __typename: 'InvalidInput', field: 'roles' });
    expect(await user({ roles: [] })).toMatchObject({ __typename: 'InvalidInput', field: 'roles' });
    expect(await user({ expiresInHours: 0 })).toMatchObject({ __typename: 'InvalidInput', field: 'expiresInHours' });
    expect(await user({ expiresInHours: 1000 })).toMatchObject({ __typename: 'InvalidInput', field: 'expiresInHours' });

    const [shopDProduct] = await admin`select id from catalog.products where owner_partner_id = ${demoPartnerId('SHOP-D')} limit 1`;
    const partner = (myProductId: string) =>
      mutate(shopA, INVITE_PARTNER, {
        input: { email: uniqueEmail('p'), companyName: 'Mugs & Co', kinds: ['SUPPLIER'], linkProposal: { myProductId, mySide: 'DOWNSTREAM' } },
      });
    const foreign = await partner(shopDProduct!['id']);
    expect(foreign).toMatchObject({ __typename: 'ProductNotFound', errorCode: 'PRODUCT_NOT_FOUND' });
    expect(await partner(randomUUID())).toEqual(foreign);
    expect(await invitationCount()).toBe(before);
  });
});

describe('redeeming invitations', () => {
  it('a USER invitation adds a member with the invited roles and a session, once', async () => {
    const email = uniqueEmail('clerk');
    const { id, secret } = await inviteUser(shopA, ['sales', 'finance'], email);
    const grant = await redeem(secret, { displayName: 'Carla Clerk' });
    expect(grant.partner).toMatchObject({ code: 'SHOP-A', roles: ['sales', 'finance'] });
    expect(grant.partners.map((p) => p.code)).toEqual(['SHOP-A']);
    expect(grant.refreshToken).toMatch(/^rtr_/);
    expect(await resolveAccess(auth.db, { userId: grant.userId, sessionId: grant.sessionId })).toEqual(shopAAccess(['sales', 'finance']));
    const members = await everyNode<{ email: string; displayName: string; roles: string[] }>(api, shopA, 'members', 'email displayName roles');
    expect(members).toContainEqual({ email, displayName: 'Carla Clerk', roles: ['sales', 'finance'] });
    expect(await statusOf(shopA, id)).toBe('REDEEMED');

    await refusal(redeem(secret, { password: 'another long password' }), 'INVITATION_USED', 410);
    expect(await usersWithEmail(email)).toBe(1);
  });

  it('expired, revoked and unknown invitations are refused and create nothing', async () => {
    const expired = await inviteUser(shopA, ['viewer'], uniqueEmail('late'));
    await admin`update catalog.invitations set expires_at = now() - interval '1 minute' where id = ${expired.id}`;
    await refusal(redeem(expired.secret), 'INVITATION_EXPIRED', 410);
    const revoked = await inviteUser(shopA, ['viewer'], uniqueEmail('withdrawn'));
    await mutate(shopA, REVOKE, { id: revoked.id });
    await refusal(redeem(revoked.secret), 'INVITATION_REVOKED', 410);
    await refusal(redeem(`rti_${randomBytes(32).toString('base64url')}`), 'INVITATION_INVALID', 404);
    const [rows] = await admin`select count(*) as n from catalog.invitations where id in ${admin([expired.id, revoked.id])} and redeemed_at is not null`;
    expect(Number(rows!['n'])).toBe(0);
    expect(await countOf(admin`select count(*) as n from catalog.users where email like 'late-%' or email like 'withdrawn-%'`)).toBe(0);
  });

  it('a too-short password creates nothing and the invitation can still be redeemed', async () => {
    const email = uniqueEmail('short');
    const { id, secret } = await inviteUser(shopA, ['viewer'], email);
    const error = await refusal(redeem(secret, { password: 'short' }), 'BAD_REQUEST', 400);
    expect(error.details).toEqual({ field: 'password' });
    expect(await usersWithEmail(email)).toBe(0);
    expect(await statusOf(shopA, id)).toBe('PENDING');
    expect((await redeem(secret)).partner.roles).toEqual(['viewer']);
  });

  it('a PARTNER invitation registers the partner, the invitee’s product and the issuer’s proposal', async () => {
    const CREATE = `mutation($sku: String!) { result: createProduct(input: { skuCode: $sku, name: "Jasmine Tea" }) { __typename ... on Product { id } } }`;
    const product = await mutate(shopA, CREATE, { sku: `A-JAS-${randomBytes(3).toString('hex')}` });
    const email = uniqueEmail('grower');
    const { id, secret } = await issue(shopA, INVITE_PARTNER, {
      email,
      companyName: 'Jasmine Growers',
      kinds: ['SUPPLIER'],
      linkProposal: { myProductId: product['id'], mySide: 'DOWNSTREAM' },
    });
    const code = uniqueCode();
    const grant = await redeem(secret, { partner: { code: code.toLowerCase() }, product: { skuCode: 'JAS-1', name: 'Jasmine, loose' } });
    expect(grant.partner).toMatchObject({ code, name: 'Jasmine Growers', roles: ['admin'] });

    const [upstream] = await admin`select id from catalog.products where owner_partner_id = ${grant.partner.id} and sku_code = 'JAS-1'`;
    const links = await admin`select status, proposed_by_partner_id, downstream_partner_id, upstream_partner_id, upstream_product_id
      from catalog.product_links where downstream_product_id = ${product['id'] as string}`;
    expect(links).toEqual([
      {
        status: 'PROPOSED',
        proposed_by_partner_id: demoPartnerId('SHOP-A'),
        downstream_partner_id: demoPartnerId('SHOP-A'),
        upstream_partner_id: grant.partner.id,
        upstream_product_id: upstream!['id'],
      },
    ]);
    const listed = await everyNode<{ id: string }>(api, shopA, 'invitations', 'id status redeemedPartner { code }');
    expect(listed.find((i) => i.id === id)).toEqual({ id, status: 'REDEEMED', redeemedPartner: { code } });
  });

  it('a PARTNER invitation without a proposal: the issuer sees the partner it onboarded, nobody else does', async () => {
    const { id, secret } = await issue(shopA, INVITE_PARTNER, { email: uniqueEmail('plain'), companyName: 'Plain Partner', kinds: ['CHANNEL'] });
    const code = uniqueCode();
    const grant = await redeem(secret, { partner: { code } });
    const listed = await everyNode<{ id: string }>(api, shopA, 'invitations', 'id status redeemedPartner { code }');
    expect(listed.find((i) => i.id === id)).toEqual({ id, status: 'REDEEMED', redeemedPartner: { code } });
    const byOthers = await api.query(await api.tokenFor('SHOP-D'), 'query($id: ID!) { partner(id: $id) { code } }', { id: grant.partner.id });
    expect(byOthers.data).toEqual({ partner: null });
  });

  it('two redemptions at once: exactly one wins', async () => {
    const { secret } = await inviteUser(shopA, ['viewer']);
    const results = await Promise.allSettled([redeem(secret), redeem(secret, { password: 'another long password' })]);
    expect(results.map((r) => (r.status === 'fulfilled' ? 'OK' : (r.reason as AccessError).code)).sort()).toEqual(['INVITATION_USED', 'OK']);
  });

  it('a taken partner code is refused and creates nothing', async () => {
    const email = uniqueEmail('copycat');
    const { id, secret } = await issue(shopA, INVITE_PARTNER, { email, companyName: 'Copycat', kinds: ['CHANNEL'] });
    const partnersBefore = await countOf(admin`select count(*) as n from catalog.partners`);
    await refusal(redeem(secret, { partner: { code: 'SHOP-D' } }), 'PARTNER_CODE_TAKEN', 409);
    expect(await usersWithEmail(email)).toBe(0);
    expect(await countOf(admin`select count(*) as n from catalog.partners`)).toBe(partnersBefore);
    expect(await statusOf(shopA, id)).toBe('PENDING');
  });

  it('an existing user proves their password, then belongs to both partners', async () => {
    const email = 'admin@shop-d.example';
    const { secret } = await inviteUser(shopA, ['viewer'], email);
    await refusal(redeem(secret, { password: 'not the password' }), 'INVALID_CREDENTIALS', 401);
    // Missing fields are refused before the account is looked up, exactly as for a new email.
    await refusal(redeem(secret, { password: null }), 'BAD_REQUEST', 400);
    await refusal(redeem(secret, { password: DEMO_PASSWORD, displayName: null }), 'BAD_REQUEST', 400);
    const grant = await redeem(secret, { password: DEMO_PASSWORD });
    expect(grant.userId).toBe(demoId(`user:${email}`));
    expect(grant.partner).toMatchObject({ code: 'SHOP-A', roles: ['viewer'] });
    expect(grant.partners.map((p) => [p.code, p.roles])).toEqual([
      ['SHOP-A', ['viewer']],
      ['SHOP-D', ['admin']],
    ]);
    await refusal(signIn(auth.db, { email, password: DEMO_PASSWORD }), 'PARTNER_REQUIRED', 400);
    expect((await signIn(auth.db, { email, password: DEMO_PASSWORD, partner: 'SHOP-A' })).partner.roles).toEqual(['viewer']);
    expect((await signIn(auth.db, { email, password: DEMO_PASSWORD, partner: demoPartnerId('SHOP-D') })).partner.roles).toEqual(['admin']);
  });
});

describe('signing in', () => {
  it('opens a session with the membership’s roles; a wrong password and an unknown email look alike', async () => {
    const grant = await signIn(auth.db, { email: ' Sales@Shop-A.example ', password: DEMO_PASSWORD });
    expect(grant).toMatchObject({ userId: demoId('user:sales@shop-a.example'), partner: { code: 'SHOP-A', roles: ['sales'] } });
    expect(await resolveAccess(auth.db, { userId: grant.userId, sessionId: grant.sessionId })).toEqual(shopAAccess(['sales']));
    const wrong = await refusal(signIn(auth.db, { email: 'sales@shop-a.example', password: 'not-the-password' }), 'INVALID_CREDENTIALS', 401);
    const unknown = await refusal(signIn(auth.db, { email: uniqueEmail('nobody'), password: 'not-the-password' }), 'INVALID_CREDENTIALS', 401);
    expect([unknown.message, unknown.details]).toEqual([wrong.message, wrong.details]);
    await refusal(signIn(auth.db, { email: 'sales@shop-a.example', password: DEMO_PASSWORD, partner: 'SHOP-D' }), 'NO_MEMBERSHIP', 403);
  });

  it('five failures within the window lock the email, even for the right password; other emails are unaffected', async () => {
    const email = 'reviewer@shop-a.example';
    for (let attempt = 0; attempt < 5; attempt++) {
      await refusal(signIn(auth.db, { email, password: `wrong guess ${attempt}` }), 'INVALID_CREDENTIALS');
    }
    const locked = await refusal(signIn(auth.db, { email, password: DEMO_PASSWORD }), 'TOO_MANY_ATTEMPTS', 429);
    expect(locked.details['retryAfterSeconds']).toBeGreaterThan(0);
    expect(locked.details['retryAfterSeconds']).toBeLessThanOrEqual(15 * 60);
    expect((await signIn(auth.db, { email: 'admin@shop-a.example', password: DEMO_PASSWORD })).partner.code).toBe('SHOP-A');
    await admin`update catalog.sign_in_attempts set at = at - interval '16 minutes' where email = ${email}`;
    expect((await signIn(auth.db, { email, password: DEMO_PASSWORD })).partner.roles).toEqual(['reviewer']);
  });

  // Failures are counted under a per-email lock, so guesses in flight at once cannot all pass the count.
  it('guesses sent at once are limited too: at most five passwords are checked per window', async () => {
    const email = 'admin@trader-b.example';
    const guesses = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => signIn(auth.db, { email, password: `parallel guess ${i}` })));
    const checked = guesses.filter((g) => g.status === 'rejected' && (g.reason as AccessError).code === 'INVALID_CREDENTIALS');
    expect(checked.length).toBeLessThanOrEqual(5);
  });

  it('limits guesses per email and client address: guessing from elsewhere does not lock the user out', async () => {
    const member = await newMember(shopA, ['viewer']);
    const [{ email }] = (await admin`select email from catalog.users where id = ${member.userId}`) as unknown as [{ email: string }];
    for (let i = 0; i < 5; i += 1) await refusal(signIn(auth.db, { email, password: `guess ${i}`, client: '203.0.113.7' }), 'INVALID_CREDENTIALS');
    await refusal(signIn(auth.db, { email, password: PASSWORD, client: '203.0.113.7' }), 'TOO_MANY_ATTEMPTS', 429);
    expect((await signIn(auth.db, { email, password: PASSWORD, client: '198.51.100.2' })).userId).toBe(member.userId);
    // Many addresses together: fifty failures in the window lock the email everywhere.
    await admin`insert into catalog.sign_in_attempts (email, succeeded, client) select ${email}, false, '192.0.2.' || n from generate_series(1, 50) n`;
    await refusal(signIn(auth.db, { email, password: PASSWORD, client: '198.51.100.2' }), 'TOO_MANY_ATTEMPTS', 429);
  });

  it('wrong passwords given when redeeming count like sign-in attempts, also sent at once', async () => {
    const member = await newMember(shopA, ['viewer']);
    const [{ email }] = (await admin`select email from catalog.users where id = ${member.userId}`) as unknown as [{ email: string }];
    const { secret } = await inviteUser(shopD, ['viewer'], email);
    const guesses = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => redeem(secret, { password: `parallel guess ${i}` })));
    const codes = guesses.map((g) => (g.status === 'rejected' ? (g.reason as AccessError).code : 'REDEEMED'));
    expect(codes.filter((c) => c === 'INVALID_CREDENTIALS').length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS').length).toBeGreaterThanOrEqual(7);
    expect(codes).not.toContain('REDEEMED');
    await refusal(redeem(secret, { password: PASSWORD }), 'TOO_MANY_ATTEMPTS', 429);
  });
});

describe('sessions', () => {
  it('refreshing rotates the token; presenting a spent one ends the whole session', async () => {
    const first = await signIn(auth.db, { email: 'admin@logi-e.example', password: DEMO_PASSWORD });
    const second = await refreshSession(auth.db, first.refreshToken);
    expect(second).toMatchObject({ userId: first.userId, sessionId: first.sessionId, partner: { code: 'LOGI-E', roles: ['admin'] } });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await refreshSession(auth.db, second.refreshToken);
    // `first` was spent and its successor used since: replaying it is theft.
    await refusal(refreshSession(auth.db, first.refreshToken), 'REFRESH_TOKEN_REUSED', 401);
    await refusal(refreshSession(auth.db, third.refreshToken), 'SESSION_ENDED', 401);
    await refusal(resolveAccess(auth.db, { userId: first.userId, sessionId: first.sessionId }), 'SESSION_ENDED', 401);
    await refusal(refreshSession(auth.db, 'rtr_unknown'), 'INVALID_REFRESH_TOKEN', 401);
  });

  it('a refresh retried because its answer was lost rotates again; the lost token is spent, and a late replay ends the session', async () => {
    const grant = await newMember(shopA, ['viewer']);
    const lost = await refreshSession(auth.db, grant.refreshToken);
    const retried = await refreshSession(auth.db, grant.refreshToken);
    expect(retried).toMatchObject({ sessionId: grant.sessionId });
    expect(new Set([grant.refreshToken, lost.refreshToken, retried.refreshToken]).size).toBe(3);
    // A second retry works too (its successor, `retried`, is still unused)…
    const again = await refreshSession(auth.db, grant.refreshToken);
    // …and the answer that did arrive carries on.
    const next = await refreshSession(auth.db, again.refreshToken);
    expect(next.sessionId).toBe(grant.sessionId);
    // The lost pair is worthless now; presenting it after its successor was used ends the session.
    await refusal(refreshSession(auth.db, lost.refreshToken), 'REFRESH_TOKEN_REUSED', 401);
    await refusal(refreshSession(auth.db, next.refreshToken), 'SESSION_ENDED', 401);
  });

  it('a spent token presented again after the retry window ends the session', async () => {
    const grant = await newMember(shopA, ['viewer']);
    await refreshSession(auth.db, grant.refreshToken);
    await admin`update catalog.refresh_tokens set spent_at = spent_at - interval '31 seconds', created_at = created_at - interval '31 seconds' where session_id = ${grant.sessionId}`;
    await refusal(refreshSession(auth.db, grant.refreshToken), 'REFRESH_TOKEN_REUSED', 401);
  });

  it('signing out ends the session, and signing out twice is fine', async () => {
    const grant = await signIn(auth.db, { email: 'admin@logi-e.example', password: DEMO_PASSWORD });
    await signOut(auth.db, grant.refreshToken);
    await refusal(resolveAccess(auth.db, { userId: grant.userId, sessionId: grant.sessionId }), 'SESSION_ENDED', 401);
    await refusal(refreshSession(auth.db, grant.refreshToken), 'SESSION_ENDED');
    await signOut(auth.db, grant.refreshToken);
    await signOut(auth.db, 'rtr_unknown');
  });

  it('changing the password needs the current one, swaps the passwords and ends earlier sessions', async () => {
    const email = 'admin@supplier-c.example';
    const before = await signIn(auth.db, { email, password: DEMO_PASSWORD });
    const newPassword = 'a brand new passphrase';
    await refusal(changePassword(auth.db, { email, currentPassword: 'not the password', newPassword }), 'INVALID_CREDENTIALS', 401);
    const short = await refusal(changePassword(auth.db, { email, currentPassword: DEMO_PASSWORD, newPassword: 'too-short' }), 'BAD_REQUEST', 400);
    expect(short.details).toEqual({ field: 'newPassword' });
    const refreshed = await refreshSession(auth.db, before.refreshToken);

    await changePassword(auth.db, { email, currentPassword: DEMO_PASSWORD, newPassword });
    await refusal(signIn(auth.db, { email, password: DEMO_PASSWORD }), 'INVALID_CREDENTIALS');
    expect((await signIn(auth.db, { email, password: newPassword })).partner.code).toBe('SUPPLIER-C');
    await refusal(refreshSession(auth.db, refreshed.refreshToken), 'SESSION_ENDED', 401);
    await refusal(resolveAccess(auth.db, { userId: before.userId, sessionId: before.sessionId }), 'SESSION_ENDED');
  });
});

describe('pruning', () => {
  it('deletes week-old sign-in attempts and sessions ended a month ago, and keeps the rest', async () => {
    const old = await newMember(shopA, ['viewer']);
    const live = await newMember(shopA, ['viewer']);
    await signOut(auth.db, old.refreshToken);
    await admin`update catalog.sessions set revoked_at = now() - interval '31 days' where id = ${old.sessionId}`;
    const email = uniqueEmail('pruned');
    await admin`insert into catalog.sign_in_attempts (email, succeeded, at) values (${email}, false, now() - interval '8 days'), (${email}, false, now())`;

    const deleted = await pruneAccessRecords(auth.db);
    expect(deleted.sessions).toBeGreaterThanOrEqual(1);
    expect(deleted.refreshTokens).toBeGreaterThanOrEqual(1);
    expect(await countOf(admin`select count(*) as n from catalog.sessions where id = ${old.sessionId}`)).toBe(0);
    expect(await countOf(admin`select count(*) as n from catalog.sign_in_attempts where email = ${email}`)).toBe(1);
    // The live session and its refresh token are untouched.
    expect((await refreshSession(auth.db, live.refreshToken)).sessionId).toBe(live.sessionId);
  });
});

describe('members and roles', () => {
  const membersOf = async (token: string) =>
    everyNode<{ userId: string; roles: string[] }>(api, token, 'members', 'userId roles');

  it('the last admin can be neither demoted nor removed', async () => {
    const { grant, token } = await newPartner();
    expect(await mutate(token, CHANGE_ROLES, { userId: grant.userId, roles: ['sales'] })).toMatchObject({ __typename: 'LastAdmin', errorCode: 'LAST_ADMIN' });
    expect(await mutate(token, REMOVE, { userId: grant.userId })).toMatchObject({ __typename: 'LastAdmin', errorCode: 'LAST_ADMIN' });
    const promoted = await mutate(token, CHANGE_ROLES, { userId: grant.userId, roles: ['admin', 'finance'] });
    expect(promoted).toEqual({ __typename: 'Member', roles: ['admin', 'finance'] });
    expect(await membersOf(token)).toEqual([{ userId: grant.userId, roles: ['admin', 'finance'] }]);
  });

  it('two admins removing or demoting each other at once leave exactly one admin', async () => {
    for (const mutation of [REMOVE, CHANGE_ROLES]) {
      const { grant: first, token } = await newPartner();
      const second = await newMember(token, ['admin']);
      const results = await Promise.all([first, second].map((member) => mutate(token, mutation, { userId: member.userId, roles: ['viewer'] })));
      expect(results.map((r) => r.__typename).sort()).toEqual(['LastAdmin', 'Member']);
      expect((await membersOf(token)).filter((m) => m.roles.includes('admin'))).toHaveLength(1);
    }
  });

  it('a role change or removal takes effect at once and is announced to listeners', async () => {
    const member = await newMember(shopA, ['sales']);
    const heard: (string | null)[] = [];
    let announce: () => void = () => {};
    const stopListening = await listenForAccessChanges(auth.client, (userId) => {
      heard.push(userId);
      if (userId === member.userId) announce();
    });
    const announced = () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification for ${member.userId}; heard ${heard.join(', ')}`)), 5_000);
        announce = () => (clearTimeout(timer), resolve());
      });
    try {
      let heardChange = announced();
      expect(await mutate(shopA, CHANGE_ROLES, { userId: member.userId, roles: ['viewer'] })).toEqual({ __typename: 'Member', roles: ['viewer'] });
      await heardChange;
      expect(await resolveAccess(auth.db, { userId: member.userId, sessionId: member.sessionId })).toEqual(shopAAccess(['viewer']));

      heardChange = announced();
      expect((await mutate(shopA, REMOVE, { userId: member.userId })).__typename).toBe('Member');
      await heardChange;
      await refusal(resolveAccess(auth.db, { userId: member.userId }), 'NO_MEMBERSHIP', 403);
      await refusal(refreshSession(auth.db, member.refreshToken), 'NO_MEMBERSHIP', 403);
      expect(await mutate(shopA, REMOVE, { userId: member.userId })).toMatchObject({ __typename: 'MemberNotFound' });
    } finally {
      await stopListening();
    }
  });
});

describe('access log', () => {
  type Entry = { id: string; topic: string; entityId: string; actor: string | null; details: string };
  type Log = { edges: { cursor: string; node: Entry }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  const LOG = `query($first: Int, $after: String) { accessLog(first: $first, after: $after) {
    edges { cursor node { id topic entityId actor details } } pageInfo { hasNextPage endCursor } } }`;
  const logOf = async (token: string, first: number, after?: string | null) =>
    (await api.query<{ accessLog: Log }>(token, LOG, { first, after })).data!.accessLog;

  it('lists the issuer’s access changes newest first with the actor, to the issuer only, in pages', async () => {
    const invitation = await inviteUser(shopA, ['sales']);
    const member = await redeem(invitation.secret);
    await mutate(shopA, CHANGE_ROLES, { userId: member.userId, roles: ['finance'] });
    await mutate(shopA, REMOVE, { userId: member.userId });

    const log = await logOf(shopA, 100);
    const mine = log.edges.map((e) => e.node).filter((n) => [invitation.id, member.userId].includes(n.entityId));
    expect(mine.map((n) => n.topic)).toEqual([
      'access.member_removed',
      'access.member_roles_changed',
      'access.member_added',
      'access.invitation_redeemed',
      'access.invitation_created',
    ]);
    // The redeemed entry names no actor (its payload has no `by`); the others name who acted.
    const actors = mine.filter((n) => n.topic !== 'access.invitation_redeemed').map((n) => n.actor);
    expect(actors).toEqual(['dev:SHOP-A', 'dev:SHOP-A', `invitation:${invitation.id}`, 'dev:SHOP-A']);
    expect(JSON.parse(mine[1]!.details)).toMatchObject({ roles: ['finance'], previous: ['sales'] });
    expect(JSON.parse(mine[3]!.details)).toMatchObject({ kind: 'USER', partnerId: demoPartnerId('SHOP-A') });
    const ids = log.edges.map((e) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(log.edges[0]!.node.id).toBe(mine[0]!.id);

    const shopDIds = (await logOf(shopD, 100)).edges.map((e) => e.node.id);
    expect(shopDIds.filter((id) => ids.includes(Number(id)))).toEqual([]);

    const page1 = await logOf(shopA, 2);
    const page2 = await logOf(shopA, 3, page1.pageInfo.endCursor);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect([...page1.edges, ...page2.edges].map((e) => e.node.id)).toEqual(log.edges.slice(0, 5).map((e) => e.node.id));
  });
});

describe('row-level security on the app connection', () => {
  it('without a tenant, sessions are off limits and no user is visible', async () => {
    const app = postgres(db.appUrl, { max: 1, onnotice: () => {} });
    try {
      await expect(app`select * from catalog.sessions`).rejects.toThrow(/permission denied/);
      await expect(app`select * from catalog.refresh_tokens`).rejects.toThrow(/permission denied/);
      expect(await app`select id, email, display_name from catalog.users`).toEqual([]);
      await expect(app`select password_hash from catalog.users`).rejects.toThrow(/permission denied/);
      expect(await app`select * from catalog.memberships`).toEqual([]);
      expect(await app`select * from catalog.invitations`).toEqual([]);
    } finally {
      await app.end();
    }
  });

  it('a tenant can neither mark an invitation redeemed by another partner nor move a membership to another user', async () => {
    const app = postgres(db.appUrl, { max: 1, onnotice: () => {} });
    const asShopD = <T>(work: (sql: postgres.TransactionSql) => Promise<T>) =>
      app.begin(async (sql) => {
        await sql`select set_config('app.partner_id', ${demoPartnerId('SHOP-D')}, true)`;
        return work(sql);
      });
    try {
      await expect(
        asShopD((sql) => sql`insert into catalog.invitations (issuer_partner_id, kind, email, token_hash, expires_at, created_by, redeemed_partner_id)
          values (${demoPartnerId('SHOP-D')}, 'USER', 'x@example.com', ${randomUUID()}, now() + interval '1 day', 'test', ${demoPartnerId('TRADER-B')})`),
      ).rejects.toThrow(/row-level security/);
      expect(await asShopD((sql) => sql`select id from catalog.partners where id = ${demoPartnerId('TRADER-B')}`)).toEqual([]);
      await expect(
        asShopD((sql) => sql`update catalog.memberships set user_id = ${demoId('user:admin@shop-a.example')} where partner_id = ${demoPartnerId('SHOP-D')}`),
      ).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
  });
});
