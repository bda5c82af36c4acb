import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { apiKeys } from '@redthread/schema';
import { appendEvent, isUuid, keysetPage, type Connection, type Identity, type PageArgs, type Tx } from '@redthread/kit';
import type { CreateApiKeyInput, ResultOf } from '../generated/resolvers';
import { invalidInput, isFailure, type Failure } from '../errors';
import { checkRoles, knownRoles } from './roles';

/** The SDL's input types, generated (`npm run codegen`). */
export type { CreateApiKeyInput };

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** The SHA-256 of a presented key, as stored: the key itself is never kept. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Creates an API key for the caller's partner with `roles` (a subset of the known roles). The
 * secret (`rt_<prefix>_<random>`, 32 random bytes) is returned once; only its hash is stored.
 */
export async function createApiKey(
  tx: Tx,
  identity: Identity,
  input: CreateApiKeyInput,
): Promise<ResultOf<'CreateApiKeyResult'>> {
  const name = input.name.trim();
  if (!name || name.length > 100) return invalidInput('name', 'The name must be 1–100 characters.');
  const roles = checkRoles('roles', input.roles);
  if (isFailure(roles)) return roles;
  const prefix = randomBytes(4).toString('hex');
  const secret = `rt_${prefix}_${randomBytes(32).toString('base64url')}`;
  const [apiKey] = await tx
    .insert(apiKeys)
    .values({ partnerId: identity.partnerId, name, roles, keyPrefix: `rt_${prefix}`, keyHash: hashApiKey(secret), createdBy: identity.subject })
    .returning();
  await appendEvent(tx, {
    topic: 'access.api_key_created',
    entityType: 'ApiKey',
    entityId: apiKey!.id,
    audience: [identity.partnerId],
    payload: { name, roles, by: identity.subject },
  });
  return { __typename: 'CreatedApiKey', apiKey: apiKey!, secret };
}

/** Revokes one of the caller's keys; a foreign or unknown id answers ApiKeyNotFound. */
export async function revokeApiKey(tx: Tx, identity: Identity, id: string): Promise<ResultOf<'ApiKeyResult'>> {
  const notFound: Failure<'ApiKeyNotFound'> = { __typename: 'ApiKeyNotFound', errorCode: 'API_KEY_NOT_FOUND', message: 'No API key with this id among yours.' };
  if (!isUuid(id)) return notFound;
  const [revoked] = await tx
    .update(apiKeys)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.partnerId, identity.partnerId), isNull(apiKeys.revokedAt)))
    .returning();
  if (!revoked) {
    const [already] = await tx.select().from(apiKeys).where(and(eq(apiKeys.id, id), eq(apiKeys.partnerId, identity.partnerId)));
    return already ?? notFound;
  }
  await appendEvent(tx, {
    topic: 'access.api_key_revoked',
    entityType: 'ApiKey',
    entityId: revoked.id,
    audience: [identity.partnerId],
    payload: { name: revoked.name, by: identity.subject },
  });
  return revoked;
}

/** The caller's keys (revoked ones too), newest first (creation time, ties by id), as a connection; one statement per page. */
export async function listApiKeys(tx: Tx, identity: Identity, args: PageArgs): Promise<Connection<ApiKeyRow>> {
  const page = keysetPage('api-keys', args, [
    { column: apiKeys.createdAt, type: 'timestamptz', descending: true },
    { column: apiKeys.id, type: 'uuid', descending: true },
  ]);
  return page.rowsOf(tx, apiKeys, eq(apiKeys.partnerId, identity.partnerId));
}

/**
 * The identity behind a presented API key (subject `apikey:<id>`, the key's partner and roles), or
 * undefined for an unknown or revoked key. Stamps the key's last use. Runs outside any tenant.
 */
export async function authenticateApiKey(tx: Tx, secret: string): Promise<Identity | undefined> {
  const [row] = await tx.execute<{ key_id: string; partner_id: string; roles: string[] }>(
    sql`select key_id, partner_id, roles from catalog.authenticate_api_key(${hashApiKey(secret)})`,
  );
  if (!row) return undefined;
  return { subject: `apikey:${row.key_id}`, partnerId: row.partner_id, roles: knownRoles(row.roles) };
}
