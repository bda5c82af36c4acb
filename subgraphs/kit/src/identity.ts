import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ErrorCode, requestError } from './errors';
import { TokenCache } from './token-cache';

/** The roles a partner membership can carry (DESIGN.md §2). */
export const ROLES = ['admin', 'sales', 'reviewer', 'finance', 'warehouse', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: a user (or API key) acting for one partner with a set of roles. */
export interface Identity {
  /** The user id, or `apikey:<id>` for machine clients, or `dev:<code>` for development tokens. */
  readonly subject: string;
  /** The partner the caller acts for; every tenant rule is keyed on it. */
  readonly partnerId: string;
  readonly roles: readonly Role[];
}

/** Issuer of the gateway's internal identity tokens. */
export const INTERNAL_ISSUER = 'redthread-gateway';
/** Lifetime of an internal identity token. DESIGN.md caps it at 60 s. */
export const INTERNAL_TOKEN_TTL_SECONDS = 60;

const uuid = z.string().uuid();
const identityClaims = z.object({
  sub: z.string().min(1),
  pid: uuid,
  roles: z.array(z.enum(ROLES)),
});

/**
 * Signs the identity the gateway forwards to one subgraph: HS256 with the internal secret,
 * audience = the subgraph's name, valid for 60 s. Subgraphs accept nothing else.
 */
export async function signInternalIdentity(identity: Identity, audience: string, secret: Uint8Array): Promise<string> {
  return new SignJWT({ pid: identity.partnerId, roles: identity.roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.subject)
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${INTERNAL_TOKEN_TTL_SECONDS}s`)
    .sign(secret);
}

/**
 * The signed identities one audience (subgraph) receives, by who they name: one signature per
 * caller and 30 s (half a token's lifetime, so a reused token always has 30 s left), not one per
 * request.
 */
export class InternalIdentitySigner {
  readonly #minted = new TokenCache<Promise<string>>();

  constructor(
    private readonly audience: string,
    private readonly secret: Uint8Array,
  ) {}

  sign(identity: Identity): Promise<string> {
    const key = `${identity.subject} ${identity.partnerId} ${[...identity.roles].sort().join(',')}`;
    const known = this.#minted.get(key);
    if (known) return known;
    const token = signInternalIdentity(identity, this.audience, this.secret);
    this.#minted.set(key, token, Date.now() + (INTERNAL_TOKEN_TTL_SECONDS * 1000) / 2);
    token.catch(() => this.#minted.set(key, token, 0));
    return token;
  }
}

/** Identities already verified, per secret (tests run several) and audience. */
const verifiedIdentities = new WeakMap<Uint8Array, TokenCache<Identity>>();

/**
 * Verifies a gateway-signed identity for `audience`. Any failure (absent, forged, expired, for
 * another subgraph, malformed claims) raises UNAUTHENTICATED with HTTP 401 and no detail that
 * would help a forger. A token verified once is answered from memory until it expires (the
 * gateway reuses one per partner and subgraph for half its lifetime; see {@link TokenCache}).
 */
export async function verifyInternalIdentity(
  authorization: string | undefined,
  audience: string,
  secret: Uint8Array,
): Promise<Identity> {
  const token = bearerToken(authorization);
  if (!token) throw requestError(ErrorCode.UNAUTHENTICATED, 'This service only answers requests signed by the Redthread gateway.');
  let cache = verifiedIdentities.get(secret);
  if (!cache) verifiedIdentities.set(secret, (cache = new TokenCache<Identity>()));
  const key = `${audience} ${token}`;
  const known = cache.get(key);
  if (known) return known;
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: INTERNAL_ISSUER,
      audience,
      maxTokenAge: `${INTERNAL_TOKEN_TTL_SECONDS + 5}s`,
    });
    const claims = identityClaims.parse(payload);
    const identity: Identity = { subject: claims.sub, partnerId: claims.pid, roles: claims.roles };
    // Valid until it expires or grows older than the age jwtVerify allows, whichever comes first.
    const until = Math.min((payload.exp ?? 0) * 1000, ((payload.iat ?? 0) + INTERNAL_TOKEN_TTL_SECONDS + 5) * 1000);
    cache.set(key, identity, until);
    return identity;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof z.ZodError) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'This service only answers requests signed by the Redthread gateway.');
    }
    throw error;
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` header value. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Encodes a shared secret for jose's HS256 functions. */
export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
