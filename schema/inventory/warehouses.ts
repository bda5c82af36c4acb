import { check, date, index, integer, pgSchema, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** `inventory.*`: warehouses, bins, batches, stock, the movement ledger, allocation, shipments. */
export const inventorySchema = pgSchema('inventory');

export const warehouseKind = inventorySchema.enum('warehouse_kind', ['OWN', 'THIRD_PARTY']);

/**
 * A warehouse of an owner partner. THIRD_PARTY warehouses are run by an operator partner (a 3PL),
 * which sees and operates them. `regions` is the delivery coverage (region codes such as DE-BE);
 * lower `priority` is preferred.
 */
export const warehouses = inventorySchema.table(
  'warehouses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: warehouseKind('kind').notNull(),
    regions: text('regions').array().notNull().default(sql`'{}'::text[]`),
    priority: integer('priority').notNull().default(100),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('warehouses_owner_code_unique').on(t.ownerPartnerId, t.code),
    check(
      'warehouses_operator_kind',
      sql`(${t.kind} = 'OWN' and ${t.operatorPartnerId} is null) or (${t.kind} = 'THIRD_PARTY' and ${t.operatorPartnerId} is not null and ${t.operatorPartnerId} <> ${t.ownerPartnerId})`,
    ),
    check('warehouses_priority_range', sql`${t.priority} between 0 and 10000`),
  ],
);

/** A bin location inside a warehouse. Every warehouse has a `DEFAULT` one. */
export const locations = inventorySchema.table(
  'locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    warehouseId: uuid('warehouse_id')
      .notNull()
      .references(() => warehouses.id),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    code: text('code').notNull(),
  },
  (t) => [unique('locations_warehouse_code_unique').on(t.warehouseId, t.code)],
);

/** A lot of a product, with production and expiry dates (FEFO picks the earliest expiry first). */
export const batches = inventorySchema.table(
  'batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    productId: uuid('product_id').notNull(),
    lotNumber: text('lot_number').notNull(),
    producedOn: date('produced_on'),
    expiresOn: date('expires_on'),
  },
  (t) => [
    uniqueIndex('batches_owner_product_lot_unique').on(t.ownerPartnerId, t.productId, t.lotNumber),
    index('batches_product_expiry_idx').on(t.productId, t.expiresOn),
  ],
);
