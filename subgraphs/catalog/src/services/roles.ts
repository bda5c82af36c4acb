import { ROLES, type Role } from '@redthread/kit';
import { invalidInput, type Failure } from '../errors';

const isRole = (role: string): role is Role => (ROLES as readonly string[]).includes(role);

/** Validates a role list (trimmed, deduplicated, one or more known roles) for `field`. */
export function checkRoles(field: string, input: readonly string[]): Role[] | Failure<'InvalidInput'> {
  const roles = [...new Set(input.map((r) => r.trim()))];
  const known = roles.filter(isRole);
  const unknown = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || unknown.length) {
    return invalidInput(field, `Give one or more of: ${ROLES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}.`);
  }
  return known;
}

/** Keeps the known roles of a stored list (a role removed from the code is simply dropped). */
export function knownRoles(stored: readonly string[]): Role[] {
  return stored.filter(isRole);
}
