import { ROLES, type Role } from '@redthread/kit';
import { invalidInput, type CatalogFailure } from '../errors';

/** Validates a role list (trimmed, deduplicated, one or more known roles) for `field`. */
export function checkRoles(field: string, input: readonly string[]): Role[] | CatalogFailure {
  const roles = [...new Set(input.map((r) => r.trim()))];
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length) {
    return invalidInput(field, `Give one or more of: ${ROLES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}.`);
  }
  return roles as Role[];
}

/** Keeps the known roles of a stored list (a role removed from the code is simply dropped). */
export function knownRoles(stored: readonly string[]): Role[] {
  return stored.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
}
