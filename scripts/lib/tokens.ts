import { SignJWT } from 'jose';
import { ROLES, secretKey, type Role } from '@redthread/kit';

/** Roles a development token carries when none are asked for: everything but `viewer`. */
export const DEFAULT_DEV_ROLES: readonly Role[] = ['admin', 'sales', 'reviewer', 'finance', 'warehouse'];

/** What a development token says about its bearer. */
export interface DevTokenClaims {
  partnerId: string;
  partnerCode: string;
  roles?: readonly Role[];
  /** Who the token names; must start with `dev:`. Default `dev:<code>` (one user per partner). */
  subject?: `dev:${string}`;
  /** jose duration, e.g. `1h`, `30m`, `7d`. Default `12h`. */
  ttl?: string;
}

/**
 * Mints a client JWT signed with the gateway's HS256 secret, as Redthread's own sign-in would:
 * subject `dev:<code>` (or `subject`), partner id in `pid`, roles in `roles`.
 */
export async function mintDevToken(claims: DevTokenClaims, jwtSecret: string): Promise<string> {
  return new SignJWT({ pid: claims.partnerId, pcode: claims.partnerCode, roles: claims.roles ?? DEFAULT_DEV_ROLES })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? `dev:${claims.partnerCode}`)
    .setIssuedAt()
    .setExpirationTime(claims.ttl ?? '12h')
    .sign(secretKey(jwtSecret));
}

/** Parses a comma-separated role list, rejecting unknown roles with the list of valid ones. */
export function parseRoles(list: string): Role[] {
  const roles = list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`Unknown role(s): ${unknown.join(', ')}. Valid roles: ${ROLES.join(', ')}.`);
  return roles as Role[];
}
