import type { Role } from './identity';

/**
 * What sign-in hands the gateway, shared by the catalog's access store (which produces it) and
 * the gateway (which turns it into tokens), so neither depends on the other.
 */

/** A partner a signed-in user may act for, with the membership's roles. */
export interface PartnerChoice {
  id: string;
  code: string;
  name: string;
  roles: Role[];
}

/** A new or refreshed session. */
export interface SessionGrant {
  userId: string;
  sessionId: string;
  /** The partner the session acts for. */
  partner: PartnerChoice;
  /** Every partner the user belongs to (for a partner picker). */
  partners: PartnerChoice[];
  /** Shown once; only its hash is stored. Spent by the next refresh. */
  refreshToken: string;
}

/** The partner and roles a request acts with, resolved from the user's membership. */
export interface ResolvedAccess {
  partnerId: string;
  roles: Role[];
}
