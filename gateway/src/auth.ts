import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { ErrorCode, ROLES, requestError, bearerToken, secretKey, type Identity } from '@redthread/kit';

/** How client tokens are verified: a shared HS256 secret, or a JWKS (RS256/ES256). */
export interface ClientTokenConfig {
  jwtSecret: string;
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

const clientClaims = z.object({
  sub: z.string().min(1),
  pid: z.string().uuid(),
  roles: z.array(z.enum(ROLES)).default([]),
});

/**
 * Returns a verifier for the `Authorization` header of client requests. Missing, malformed,
 * forged, expired or claim-less tokens all raise UNAUTHENTICATED (HTTP 401) with a message that
 * says what to do, never why a forgery failed.
 */
export function clientTokenVerifier(config: ClientTokenConfig): (authorization: string | undefined) => Promise<Identity> {
  const key: Uint8Array | JWTVerifyGetKey = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : secretKey(config.jwtSecret);
  const algorithms = config.jwksUrl ? ['RS256', 'ES256'] : ['HS256'];
  return async (authorization) => {
    const token = bearerToken(authorization);
    if (!token) {
      throw requestError(
        ErrorCode.UNAUTHENTICATED,
        'Sign in first: send "Authorization: Bearer <token>". In development, `npm run token -- --partner SHOP-A` prints one.',
      );
    }
    try {
      const options = {
        algorithms,
        ...(config.issuer ? { issuer: config.issuer } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
      };
      const { payload } =
        key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      const claims = clientClaims.parse(payload);
      return { subject: claims.sub, partnerId: claims.pid, roles: claims.roles };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw requestError(ErrorCode.UNAUTHENTICATED, 'Your token has expired. Sign in again for a new one.', { reason: 'expired' });
      }
      if (error instanceof joseErrors.JOSEError || error instanceof z.ZodError) {
        throw requestError(ErrorCode.UNAUTHENTICATED, 'Your token is not valid. Sign in again for a new one.', { reason: 'invalid' });
      }
      throw error;
    }
  };
}
