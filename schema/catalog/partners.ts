import { pgSchema, text, timestamp, uuid, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** `catalog.*`: partners, products, links, supply prices. Owned by the catalog subgraph. */
export const catalogSchema = pgSchema('catalog');

/** What a partner does in the supply chain; a partner may be several. */
export const partnerKind = catalogSchema.enum('partner_kind', ['CHANNEL', 'TRADER', 'SUPPLIER', 'LOGISTICS']);

/** A company with its own Redthread account: a channel partner, a trader or a supplier. */
export const partners = catalogSchema.table(
  'partners',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Short public handle, unique, upper case (e.g. SHOP-A). */
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    kinds: partnerKind('kinds').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('partners_code_format', sql`${t.code} ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'`),
    check('partners_kinds_not_empty', sql`cardinality(${t.kinds}) > 0`),
  ],
);
