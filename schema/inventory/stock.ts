import { bigserial, check, index, integer, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { batches, inventorySchema, locations, warehouses } from './warehouses';

/**
 * Stock per (warehouse, location, product, batch). `on_hand` changes only through the movement
 * ledger (a trigger applies each movement), so on-hand always equals the sum of movements;
 * CHECK constraints keep 0 ≤ reserved ≤ on_hand, which makes overselling impossible.
 */
export const stock = inventorySchema.table(
  'stock',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    warehouseId: uuid('warehouse_id')
      .notNull()
      .references(() => warehouses.id),
    locationId: uuid('location_id')
      .notNull()
      .references(() => locations.id),
    productId: uuid('product_id').notNull(),
    batchId: uuid('batch_id').references(() => batches.id),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    onHand: integer('on_hand').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('stock_slot_unique').on(t.warehouseId, t.locationId, t.productId, t.batchId).nullsNotDistinct(),
    index('stock_product_idx').on(t.ownerPartnerId, t.productId),
    check('stock_on_hand_not_negative', sql`${t.onHand} >= 0`),
    check('stock_reserved_range', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
  ],
);

export const movementKind = inventorySchema.enum('movement_kind', [
  'PURCHASE_RECEIPT',
  'FREE_RECEIPT',
  'RETURN_RECEIPT',
  'TRANSFER_OUT',
  'TRANSFER_IN',
  'COUNT_ADJUSTMENT',
  'SHIPMENT',
]);

/** The append-only ledger that explains every on-hand quantity. */
export const movements = inventorySchema.table(
  'movements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    warehouseId: uuid('warehouse_id').notNull(),
    locationId: uuid('location_id').notNull(),
    productId: uuid('product_id').notNull(),
    batchId: uuid('batch_id'),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    kind: movementKind('kind').notNull(),
    /** Signed: receipts add, shipments and transfers out subtract. */
    quantity: integer('quantity').notNull(),
    /** What caused it: `order:<id>`, `transfer:<id>`, `count:<id>`, `shipment:<id>`, `return:<id>`. */
    reference: text('reference'),
    actorPartnerId: uuid('actor_partner_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('movements_slot_idx').on(t.warehouseId, t.productId, t.at),
    check('movements_quantity_not_zero', sql`${t.quantity} <> 0`),
  ],
);

/** Allocation state of one own-fulfilment order line (one row per line, upserted). */
export const allocationStatus = inventorySchema.enum('allocation_status', ['ALLOCATED', 'BACKORDERED', 'RELEASED', 'SHIPPED']);

export const allocations = inventorySchema.table(
  'allocations',
  {
    orderLineId: uuid('order_line_id').primaryKey(),
    orderId: uuid('order_id').notNull(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    productId: uuid('product_id').notNull(),
    regionCode: text('region_code'),
    requested: integer('requested').notNull(),
    allocated: integer('allocated').notNull().default(0),
    status: allocationStatus('status').notNull(),
    /** When the line was first allocated: backorders are served oldest first. */
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('allocations_backorders_idx').on(t.ownerPartnerId, t.productId).where(sql`status = 'BACKORDERED'`),
    check('allocations_range', sql`${t.allocated} >= 0 and ${t.allocated} <= ${t.requested}`),
  ],
);

/** Units of one stock slot held for one order line. */
export const reservations = inventorySchema.table(
  'reservations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderLineId: uuid('order_line_id').notNull(),
    orderId: uuid('order_id').notNull(),
    stockId: uuid('stock_id')
      .notNull()
      .references(() => stock.id),
    warehouseId: uuid('warehouse_id').notNull(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    quantity: integer('quantity').notNull(),
    shipmentId: uuid('shipment_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reservations_line_idx').on(t.orderLineId), check('reservations_quantity_positive', sql`${t.quantity} > 0`)],
);
