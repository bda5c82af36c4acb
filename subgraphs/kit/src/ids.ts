const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` is a well-formed UUID. Malformed ids are answered exactly like unknown ones (null,
 * or the same typed not-found), so probing reveals nothing; checking first also keeps them out of
 * SQL, where they would be a cast error.
 */
export function isUuid(id: string | null | undefined): id is string {
  return typeof id === 'string' && UUID.test(id);
}
