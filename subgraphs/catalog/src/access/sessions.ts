import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, inArray, isNull, min, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { memberships, partners, refreshTokens, sessions, signInAttempts, users } from '@redthread/schema';
import { type Db, type PartnerChoice, type ResolvedAccess, type SessionGrant, type Tx } from '@redthread/kit';
import { knownRoles } from '../services/roles';
import { UNKNOWN_USER_HASH, hashPassword, normaliseEmail, passwordProblem, verifyPassword } from './passwords';
import { AccessError, badRequest } from './errors';

/**
 * Sign-in, sessions and membership lookups. Everything here runs on the `redthread_auth`
 * connection (migration 0021): before sign-in there is no tenant, so these are the only functions
 * that read users and memberships across partners. The gateway calls them; GraphQL never does.
 * Invitations and new partners are in `onboarding.ts`.
 */
/** How long a session lasts at most, refreshes included. */
export const SESSION_DAYS = 30;
/**
 * Failed password attempts allowed in {@link ATTEMPT_WINDOW_MINUTES} for one email from one client
 * address before sign-in from there is refused, and from all addresses together (distributed
 * guessing). Someone guessing from elsewhere therefore cannot lock the user out.
 */
export const MAX_FAILED_ATTEMPTS = 5;
export const MAX_FAILED_ATTEMPTS_ALL_CLIENTS = 50;
export const ATTEMPT_WINDOW_MINUTES = 15;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export async function partnersOf(executor: Db | Tx, userId: string): Promise<PartnerChoice[]> {
  const rows = await executor
    .select({ id: partners.id, code: partners.code, name: partners.name, roles: memberships.roles })
    .from(memberships)
    .innerJoin(partners, eq(partners.id, memberships.partnerId))
    .where(eq(memberships.userId, userId))
    .orderBy(partners.code);
  return rows.map((row) => ({ ...row, roles: knownRoles(row.roles) }));
}

/** Picks the partner a user acts for: the one asked for (id or code), or the only one. */
function choosePartner(choices: PartnerChoice[], wanted: string | null | undefined): PartnerChoice {
  if (choices.length === 0) {
    throw new AccessError('NO_MEMBERSHIP', 'You are not a member of any partner. Ask a partner admin to invite you.', 403);
  }
  if (wanted) {
    const chosen = choices.find((c) => c.id === wanted || c.code === wanted.trim().toUpperCase());
    if (!chosen) {
      throw new AccessError('NO_MEMBERSHIP', `You are not a member of ${wanted}.`, 403, { partners: choices.map((c) => c.code) });
    }
    return chosen;
  }
  if (choices.length > 1) {
    throw new AccessError('PARTNER_REQUIRED', `You belong to several partners; say which one: ${choices.map((c) => c.code).join(', ')}.`, 400, {
      partners: choices.map((c) => c.code),
    });
  }
  return choices[0]!;
}

export async function openSession(tx: Tx, userId: string, choices: PartnerChoice[], partner: PartnerChoice): Promise<SessionGrant> {
  const [session] = await tx
    .insert(sessions)
    .values({ userId, partnerId: partner.id, expiresAt: sql`now() + make_interval(days => ${SESSION_DAYS})` })
    .returning({ id: sessions.id });
  const refreshToken = await issueRefreshToken(tx, session!.id);
  return { userId, sessionId: session!.id, partner, partners: choices, refreshToken };
}

export async function issueRefreshToken(tx: Tx, sessionId: string): Promise<string> {
  const token = `rtr_${randomBytes(32).toString('base64url')}`;
  await tx.insert(refreshTokens).values({ tokenHash: hashToken(token), sessionId });
  return token;
}

/**
 * Refuses, saying when to try again, when the email had {@link MAX_FAILED_ATTEMPTS} failures from
 * this client address in the window, or {@link MAX_FAILED_ATTEMPTS_ALL_CLIENTS} from all of them.
 * Counts only failures since the email's last success.
 */
async function checkAttempts(tx: Tx, email: string, client: string): Promise<void> {
  // One password check per email at a time: guesses sent at once must not all pass the count
  // before any of them has recorded its failure.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`sign-in:${email}`}))`);
  const [row] = await tx
    .select({
      failures: count(),
      oldest: min(signInAttempts.at),
      fromClient: sql<number>`count(*) filter (where ${signInAttempts.client} = ${client})`.mapWith(Number),
      oldestFromClient: sql<string | null>`min(${signInAttempts.at}) filter (where ${signInAttempts.client} = ${client})`,
    })
    .from(signInAttempts)
    .where(
      and(
        eq(signInAttempts.email, email),
        eq(signInAttempts.succeeded, false),
        gt(signInAttempts.at, sql`now() - make_interval(mins => ${ATTEMPT_WINDOW_MINUTES})`),
        sql`${signInAttempts.at} > coalesce((select max(s.at) from catalog.sign_in_attempts s where s.email = ${email} and s.succeeded), '-infinity')`,
      ),
    );
  const limited = row && (row.fromClient >= MAX_FAILED_ATTEMPTS ? row.oldestFromClient : row.failures >= MAX_FAILED_ATTEMPTS_ALL_CLIENTS ? row.oldest : null);
  if (limited) {
    const retryAfterSeconds = Math.max(1, Math.ceil((new Date(limited).getTime() + ATTEMPT_WINDOW_MINUTES * 60_000 - Date.now()) / 1000));
    throw new AccessError(
      'TOO_MANY_ATTEMPTS',
      `Too many failed sign-in attempts for this email. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
      429,
      { retryAfterSeconds },
    );
  }
}

/**
 * Checks an email and password, rate-limited per email and client address. Every attempt is
 * recorded, also failed ones (which is why a failure is returned from the transaction and thrown
 * after its commit).
 */
export async function checkPassword(db: Db, emailInput: string, password: string, client = ''): Promise<{ id: string; email: string }> {
  const email = normaliseEmail(emailInput ?? '');
  if (!email || typeof password !== 'string' || !password) throw badRequest('email', 'Send "email" and "password".');
  const outcome = await db.transaction(async (tx) => {
    await checkAttempts(tx, email, client);
    const [user] = await tx.select({ id: users.id, passwordHash: users.passwordHash }).from(users).where(eq(users.email, email));
    const ok = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
    await tx.insert(signInAttempts).values({ email, succeeded: ok, client });
    return ok && user ? { id: user.id, email } : undefined;
  });
  if (!outcome) throw new AccessError('INVALID_CREDENTIALS', 'The email or password is wrong.', 401);
  return outcome;
}

/** Email + password sign-in for one partner (`partner`: code or id; optional when the user has one). */
export async function signIn(db: Db, input: { email: string; password: string; partner?: string | null; client?: string }): Promise<SessionGrant> {
  const user = await checkPassword(db, input.email, input.password, input.client);
  return db.transaction(async (tx) => {
    const choices = await partnersOf(tx, user.id);
    return openSession(tx, user.id, choices, choosePartner(choices, input.partner));
  });
}

/**
 * Spends a refresh token and issues the next one of the same session (rotation). Presenting a
 * token that was already spent means it leaked, and the whole session is revoked — unless it is a
 * retry of a refresh whose answer was lost (see {@link isRetry}), which rotates again.
 */
export async function refreshSession(db: Db, presented: string): Promise<SessionGrant> {
  if (typeof presented !== 'string' || !presented) throw badRequest('refreshToken', 'Send "refreshToken".');
  const result = await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ token: refreshTokens, session: sessions })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, hashToken(presented)))
      .for('update');
    if (!row) return new AccessError('INVALID_REFRESH_TOKEN', 'This refresh token is not valid. Sign in again.', 401);
    const { token, session } = row;
    if (session.revokedAt) return new AccessError('SESSION_ENDED', 'This session has ended (signed out or password changed). Sign in again.', 401);
    if (session.expiresAt <= new Date()) return new AccessError('SESSION_ENDED', `Sessions last ${SESSION_DAYS} days. Sign in again.`, 401);
    const retried = token.spentAt !== null && (await isRetry(tx, token.tokenHash, token.spentAt));
    if (token.spentAt && !retried) {
      await revokeSessions(tx, eq(sessions.id, session.id), 'refresh token reused');
      return new AccessError(
        'REFRESH_TOKEN_REUSED',
        'This refresh token was already used, so it may have leaked: the session has been ended. Sign in again.',
        401,
        {},
        session.userId,
      );
    }
    const choices = await partnersOf(tx, session.userId);
    const partner = choices.find((c) => c.id === session.partnerId);
    if (!partner) {
      await revokeSessions(tx, eq(sessions.id, session.id), 'membership removed');
      return new AccessError('NO_MEMBERSHIP', 'You are no longer a member of this partner.', 403, {}, session.userId);
    }
    // A retry also spends the successor its lost answer carried. The presented token is (re)spent
    // now, so that the token issued here is its successor.
    if (retried) await tx.update(refreshTokens).set({ spentAt: sql`now()` }).where(and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.spentAt)));
    await tx.update(refreshTokens).set({ spentAt: sql`now()` }).where(eq(refreshTokens.tokenHash, token.tokenHash));
    const refreshToken = await issueRefreshToken(tx, session.id);
    return { userId: session.userId, sessionId: session.id, partner, partners: choices, refreshToken } satisfies SessionGrant;
  });
  if (result instanceof AccessError) throw result;
  return result;
}

/** How long after a refresh the same refresh token may be presented again, as a retry. */
export const REFRESH_RETRY_SECONDS = 30;

/**
 * Whether a spent refresh token presented again is a client retrying a refresh whose answer it
 * never got (a dropped connection), not a leaked token being replayed: it was spent within
 * {@link REFRESH_RETRY_SECONDS}, and its successor (issued in the same transaction, hence created
 * at the very moment it was spent) was never used.
 */
async function isRetry(tx: Tx, tokenHash: string, spentAt: Date): Promise<boolean> {
  if (spentAt.getTime() < Date.now() - REFRESH_RETRY_SECONDS * 1000) return false;
  const rows = await tx.execute(sql`
    select 1 from catalog.refresh_tokens presented
    join catalog.refresh_tokens successor
      on successor.session_id = presented.session_id and successor.created_at = presented.spent_at and successor.spent_at is null
    where presented.token_hash = ${tokenHash}`);
  return [...rows].length > 0;
}

async function revokeSessions(tx: Tx, where: ReturnType<typeof eq>, reason: string): Promise<void> {
  await tx.update(sessions).set({ revokedAt: sql`now()`, revokedReason: reason }).where(and(where, isNull(sessions.revokedAt)));
}

/**
 * Ends the session a refresh token belongs to and returns its user. Unknown tokens are ignored
 * (signing out twice is fine).
 */
export async function signOut(db: Db, presented: string): Promise<string | undefined> {
  if (typeof presented !== 'string' || !presented) throw badRequest('refreshToken', 'Send "refreshToken".');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ sessionId: refreshTokens.sessionId, userId: sessions.userId })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, hashToken(presented)));
    if (row) await revokeSessions(tx, eq(sessions.id, row.sessionId), 'signed out');
    return row?.userId;
  });
}

/** Changes a password (the current one is checked, rate-limited), ends every session of the user and returns the user. */
export async function changePassword(db: Db, input: { email: string; currentPassword: string; newPassword: string; client?: string }): Promise<string> {
  const problem = typeof input.newPassword === 'string' ? passwordProblem(input.newPassword) : 'Send "newPassword".';
  if (problem) throw badRequest('newPassword', problem);
  const user = await checkPassword(db, input.email, input.currentPassword, input.client);
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, passwordChangedAt: sql`now()` }).where(eq(users.id, user.id));
    await revokeSessions(tx, eq(sessions.userId, user.id), 'password changed');
  });
  return user.id;
}

/**
 * The partner and roles of a user for one request: the session (when given) must be live, and the
 * roles come from the membership, never from the token. `partner` is an id or a code; without it
 * the user must belong to exactly one partner.
 */
export async function resolveAccess(db: Db, request: { userId: string; sessionId?: string; partner?: string | null }): Promise<ResolvedAccess> {
  if (request.sessionId) {
    const [session] = await db
      .select({ revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.id, request.sessionId), eq(sessions.userId, request.userId)));
    if (!session || session.revokedAt || session.expiresAt <= new Date()) {
      throw new AccessError('SESSION_ENDED', 'This session has ended (signed out or password changed). Sign in again.', 401);
    }
  }
  const chosen = choosePartner(await partnersOf(db, request.userId), request.partner);
  return { partnerId: chosen.id, roles: chosen.roles };
}

/** How long ended sessions and sign-in attempts are kept (for support and forensics) before pruning. */
export const KEEP_ENDED_SESSIONS_DAYS = 30;
export const KEEP_SIGN_IN_ATTEMPTS_DAYS = 7;

/**
 * Deletes sign-in attempts older than {@link KEEP_SIGN_IN_ATTEMPTS_DAYS} (the rate limit looks at
 * 15 minutes) and sessions that ended (expired or revoked) more than
 * {@link KEEP_ENDED_SESSIONS_DAYS} ago, with their refresh tokens. Returns what it deleted.
 */
export async function pruneAccessRecords(db: Db): Promise<{ signInAttempts: number; sessions: number; refreshTokens: number }> {
  return db.transaction(async (tx) => {
    const attempts = await tx
      .delete(signInAttempts)
      .where(sql`${signInAttempts.at} < now() - make_interval(days => ${KEEP_SIGN_IN_ATTEMPTS_DAYS})`)
      .returning({ id: signInAttempts.id });
    const ended = tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(sql`least(${sessions.expiresAt}, coalesce(${sessions.revokedAt}, 'infinity')) < now() - make_interval(days => ${KEEP_ENDED_SESSIONS_DAYS})`);
    const tokens = await tx.delete(refreshTokens).where(inArray(refreshTokens.sessionId, ended)).returning({ hash: refreshTokens.tokenHash });
    const gone = await tx.delete(sessions).where(inArray(sessions.id, ended)).returning({ id: sessions.id });
    return { signInAttempts: attempts.length, sessions: gone.length, refreshTokens: tokens.length };
  });
}

/** The user linked to an external identity provider's subject, if any. */
export async function userIdForExternalSubject(db: Db, subject: string): Promise<string | undefined> {
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.externalSubject, subject));
  return user?.id;
}

/** Whether a partner with this id is registered (development tokens name theirs themselves). */
export async function partnerExists(db: Db, partnerId: string): Promise<boolean> {
  const [partner] = await db.select({ id: partners.id }).from(partners).where(eq(partners.id, partnerId));
  return partner !== undefined;
}

/**
 * Calls `onChange(userId)` whenever a membership, session or external subject of a user changes,
 * `onChange('apikey:<id>')` when an API key is revoked (NOTIFY at commit, migration 0021), and
 * `onChange(null)` after every (re)connection, when notifications may have been missed.
 */
export async function listenForAccessChanges(client: postgres.Sql, onChange: (userId: string | null) => void): Promise<() => Promise<void>> {
  const { unlisten } = await client.listen(
    'redthread_access',
    (payload) => onChange(payload || null),
    () => onChange(null),
  );
  return unlisten;
}

