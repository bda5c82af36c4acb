import { index, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { catalogSchema, partners } from './partners';

/**
 * API keys of a partner's integrations (ERP, shop connectors). Only a SHA-256 hash of the key is
 * stored; the key itself is shown once, at creation. `Authorization: ApiKey <key>` at the gateway
 * acts as the partner with the key's roles until the key is revoked.
 */
export const apiKeys = catalogSchema.table(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    name: text('name').notNull(),
    roles: text('roles').array().notNull(),
    /** The key's first characters, to recognise it in lists. */
    keyPrefix: text('key_prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_partner_idx').on(t.partnerId)],
);
