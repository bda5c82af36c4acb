import { index, text, timestamp, unique, uuid, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { catalogSchema, partners } from './partners';

/** ACTIVE products can be ordered and linked; ARCHIVED ones are kept for history only. */
export const productStatus = catalogSchema.enum('product_status', ['ACTIVE', 'ARCHIVED']);

/** A product in one partner's catalog. The SKU code is unique per owner. */
export const products = catalogSchema.table(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerPartnerId: uuid('owner_partner_id')
      .notNull()
      .references(() => partners.id),
    skuCode: text('sku_code').notNull(),
    barcode: text('barcode'),
    name: text('name').notNull(),
    unit: text('unit').notNull().default('pcs'),
    status: productStatus('status').notNull().default('ACTIVE'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('products_owner_sku_unique').on(t.ownerPartnerId, t.skuCode),
    // Target of the links' composite foreign keys (a link's product belongs to the link's party).
    unique('products_id_owner_unique').on(t.id, t.ownerPartnerId),
    index('products_owner_name_idx').on(t.ownerPartnerId, t.name),
    check('products_sku_code_not_blank', sql`length(btrim(${t.skuCode})) > 0`),
    check('products_name_not_blank', sql`length(btrim(${t.name})) > 0`),
  ],
);
