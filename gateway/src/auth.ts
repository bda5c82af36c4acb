import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ErrorCode, ROLES, TokenCache, requestError, bearerToken, secretKey, type Identity, type ResolvedAccess, type SessionGrant } from '@redthread/kit';
import { AccessCache, isAccessRefusal, type AccessDirectory } from './access';

/** How client tokens are verified: a shared HS256 secret, or a JWKS (RS256/ES256). */
export interface ClientTokenConfig {
  jwtSecret: string;
  jwksUrl?: string | undefined;
  /** JWKS deployments: the identity provider's issuer and audience, checked when set. */
  issuer?: string | undefined;
  audience?: string | undefined;
  /**
   * Development tokens (`npm run token`, subject `dev:<code>`) carry their partner and roles
   * themselves. Default true; off in production.
   */
  acceptDevTokens?: boolean;
}

/** Issuer of the access tokens Redthread's own sign-in mints. */
export const ACCESS_TOKEN_ISSUER = 'redthread';
/** Default lifetime of an access token; refresh tokens renew it. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/** A signed-in user's access token: user (`sub`), partner (`pid`) and session (`sid`), no roles. */
const sessionClaims = z.object({ sub: z.string().uuid(), pid: z.string().uuid(), sid: z.string().uuid() });
/** A development token: it names its partner and roles itself. */
const devClaims = z.object({
  sub: z.string().startsWith('dev:'),
  pid: z.string().uuid(),
  roles: z.array(z.enum(ROLES)).default([]),
});

/** A verified client token and what its claims make it (parsed once per token, not per request). */
interface VerifiedToken {
  payload: JWTPayload;
  session: z.infer<typeof sessionClaims> | undefined;
  dev: z.infer<typeof devClaims> | undefined;
}

/** Mints the access token of a session: HS256 with the client secret, 15 minutes unless told otherwise. */
export async function mintAccessToken(grant: SessionGrant, jwtSecret: string, ttlSeconds = ACCESS_TOKEN_TTL_SECONDS): Promise<string> {
  return new SignJWT({ pid: grant.partner.id, sid: grant.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(grant.userId)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secretKey(jwtSecret));
}

/**
 * Verifies an identity provider's token against its JWKS (RS256/ES256): signature, expiry (required),
 * a subject (required), and the configured issuer and audience.
 */
export function identityProviderVerifier(config: ClientTokenConfig & { jwksUrl: string }): (token: string) => Promise<JWTPayload> {
  const keys = createRemoteJWKSet(new URL(config.jwksUrl));
  return async (token) =>
    (
      await jwtVerify(token, keys, {
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['exp', 'sub'],
        ...(config.issuer ? { issuer: config.issuer } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
      })
    ).payload;
}

/** What {@link clientTokenVerifier} needs to resolve users into partners and roles. */
export interface MembershipResolution {
  directory: AccessDirectory;
  cache: AccessCache;
}

/** Verifies a client's `Authorization` header and, for users, which partner (`x-redthread-partner`) they act for. */
export type ClientTokenVerifier = (authorization: string | undefined, partner?: string) => Promise<Identity>;

const invalidToken = () =>
  requestError(ErrorCode.UNAUTHENTICATED, 'Your token is not valid. Sign in again for a new one.', { reason: 'invalid' });

/**
 * Returns a verifier for the `Authorization` header of client requests. Missing, malformed,
 * forged, expired or claim-less tokens all raise UNAUTHENTICATED (HTTP 401) with a message that
 * says what to do, never why a forgery failed.
 *
 * - Redthread sign-in tokens (HS256, `sid`): the session must be live and the roles come from the
 *   user's membership in the token's partner, looked up through `access` (cached).
 * - Identity-provider tokens (JWKS): only the subject counts; it must be linked to a user, whose
 *   partner is the one named by `partner` (or the only one), with that membership's roles.
 * - Development tokens (HS256, subject `dev:<code>`) carry partner and roles, unless turned off.
 */
export function clientTokenVerifier(config: ClientTokenConfig, access?: MembershipResolution): ClientTokenVerifier {
  const secret = secretKey(config.jwtSecret);
  const verifyWithProvider = config.jwksUrl ? identityProviderVerifier({ ...config, jwksUrl: config.jwksUrl }) : undefined;
  const acceptDevTokens = config.acceptDevTokens ?? true;
  const externalUsers = new Map<string, { userId: string; expires: number }>();

  // A client repeats its token on every request: its signature and claims are checked once, then
  // remembered until the token expires (expired, it is verified again, which refuses it as expired).
  const verified = new TokenCache<VerifiedToken>();
  const verify = async (token: string): Promise<VerifiedToken> => {
    const known = verified.get(token);
    if (known) return known;
    const payload = verifyWithProvider ? await verifyWithProvider(token) : (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload;
    const session = payload.iss === ACCESS_TOKEN_ISSUER ? sessionClaims.safeParse(payload) : undefined;
    const dev = devClaims.safeParse(payload);
    const claims: VerifiedToken = { payload, session: session?.success ? session.data : undefined, dev: dev.success ? dev.data : undefined };
    if (typeof payload.exp === 'number') verified.set(token, claims, payload.exp * 1000);
    return claims;
  };

  const resolved = async (userId: string, cacheKey: string, request: Parameters<AccessDirectory['resolve']>[0]): Promise<Identity> => {
    if (!access) throw invalidToken();
    let result: ResolvedAccess;
    try {
      result = await access.cache.get(userId, cacheKey, () => access.directory.resolve(request));
    } catch (error) {
      if (!isAccessRefusal(error)) throw error;
      const code = error.status === 401 ? ErrorCode.UNAUTHENTICATED : error.status === 403 ? ErrorCode.FORBIDDEN : ErrorCode.BAD_USER_INPUT;
      throw requestError(code, error.message, { reason: error.code, ...error.details });
    }
    return { subject: `user:${userId}`, partnerId: result.partnerId, roles: result.roles };
  };

  const externalUser = async (subject: string): Promise<string> => {
    const cached = externalUsers.get(subject);
    if (cached && cached.expires > Date.now()) return cached.userId;
    const userId = await access?.directory.userIdForExternalSubject(subject);
    if (!userId) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'No Redthread account is linked to this sign-in yet. Redeem your invitation first (POST /auth/redeem).', {
        reason: 'no_account',
      });
    }
    if (externalUsers.size > 50_000) externalUsers.clear();
    externalUsers.set(subject, { userId, expires: Date.now() + 60_000 });
    return userId;
  };

  /** Partners known to exist, with when to ask again (a partner is never deleted, but a token can be minted for any id). */
  const knownPartners = new Map<string, number>();
  const assertPartnerExists = async (partnerId: string) => {
    if (!access || (knownPartners.get(partnerId) ?? 0) > Date.now()) return;
    if (!(await access.directory.partnerExists(partnerId))) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'This token names a partner that does not exist. Mint a token for a registered partner, or sign in.', {
        reason: 'unknown_partner',
      });
    }
    if (knownPartners.size > 50_000) knownPartners.clear();
    knownPartners.set(partnerId, Date.now() + 60_000);
  };

  return async (authorization, partner) => {
    const token = bearerToken(authorization);
    if (!token && authorization?.trim()) {
      const bare = /^[\w-]+\.[\w-]+\.[\w-]+$/.test(authorization.trim());
      throw requestError(
        ErrorCode.UNAUTHENTICATED,
        bare
          ? 'The Authorization header holds a bare token: send it as "Authorization: Bearer <token>" (the word Bearer, a space, then the token).'
          : 'The Authorization header is not understood: send "Authorization: Bearer <token>" (or "ApiKey <secret>" for an API key).',
        { reason: 'malformed_header' },
      );
    }
    if (!token) {
      throw requestError(
        ErrorCode.UNAUTHENTICATED,
        'Sign in first (POST /auth/sign-in) and send "Authorization: Bearer <accessToken>". In development, `npm run token -- --partner SHOP-A` prints one.',
      );
    }
    let claims: VerifiedToken;
    try {
      claims = await verify(token);
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw requestError(ErrorCode.UNAUTHENTICATED, 'Your token has expired. Refresh it (POST /auth/refresh) or sign in again.', { reason: 'expired' });
      }
      if (error instanceof joseErrors.JOSEError) throw invalidToken();
      throw error;
    }
    if (config.jwksUrl) {
      const subject = claims.payload.sub;
      if (typeof subject !== 'string' || !subject) throw invalidToken();
      const userId = await externalUser(subject);
      return resolved(userId, `partner:${partner ?? ''}`, { userId, partner: partner ?? null });
    }
    if (claims.session) {
      const { sub: userId, pid, sid } = claims.session;
      return resolved(userId, `session:${sid}`, { userId, sessionId: sid, partner: pid });
    }
    if (claims.dev && acceptDevTokens) {
      await assertPartnerExists(claims.dev.pid);
      return { subject: claims.dev.sub, partnerId: claims.dev.pid, roles: claims.dev.roles };
    }
    throw invalidToken();
  };
}
