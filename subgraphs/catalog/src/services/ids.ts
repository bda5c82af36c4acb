const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` is a well-formed UUID. Malformed ids are answered exactly like unknown ones
 * (null, not an error), so probing reveals nothing.
 */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
