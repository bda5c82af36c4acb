import { check, index, integer, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { inventorySchema } from './warehouses';

/** TO_PICK → (inspectShipment matches) READY → DISPATCHED; CANCELLED when the order is. */
export const shipmentStatus = inventorySchema.enum('shipment_status', ['TO_PICK', 'READY', 'DISPATCHED', 'CANCELLED']);

/** An outbound shipment of one order from one warehouse, built from its reservations. */
export const shipments = inventorySchema.table(
  'shipments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    warehouseId: uuid('warehouse_id').notNull(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    operatorPartnerId: uuid('operator_partner_id'),
    orderId: uuid('order_id').notNull(),
    status: shipmentStatus('status').notNull().default('TO_PICK'),
    /** The differences found by the last failed inspection. */
    lastMismatch: jsonb('last_mismatch'),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('shipments_warehouse_status_idx').on(t.warehouseId, t.status), index('shipments_order_idx').on(t.orderId)],
);

export const transferStatus = inventorySchema.enum('transfer_status', ['CREATED', 'IN_TRANSIT', 'RECEIVED', 'CANCELLED']);

/** Stock moved between two warehouses of one owner: created → shipped (in transit) → received. */
export const transfers = inventorySchema.table('transfers', {
  id: uuid('id').primaryKey().defaultRandom(),
  ownerPartnerId: uuid('owner_partner_id').notNull(),
  fromWarehouseId: uuid('from_warehouse_id').notNull(),
  toWarehouseId: uuid('to_warehouse_id').notNull(),
  /** Operators of the two warehouses (3PLs see transfers touching theirs). */
  fromOperatorPartnerId: uuid('from_operator_partner_id'),
  toOperatorPartnerId: uuid('to_operator_partner_id'),
  status: transferStatus('status').notNull().default('CREATED'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const transferLines = inventorySchema.table(
  'transfer_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    transferId: uuid('transfer_id').notNull(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    productId: uuid('product_id').notNull(),
    batchId: uuid('batch_id'),
    fromLocationId: uuid('from_location_id').notNull(),
    quantity: integer('quantity').notNull(),
    receivedQuantity: integer('received_quantity'),
  },
  (t) => [check('transfer_lines_quantity_positive', sql`${t.quantity} > 0`)],
);

export const countStatus = inventorySchema.enum('count_status', ['OPEN', 'COUNTED', 'POSTED']);

/** A stock count of one warehouse: open → blind counts recorded → posted (variances adjust stock). */
export const stockCounts = inventorySchema.table('stock_counts', {
  id: uuid('id').primaryKey().defaultRandom(),
  warehouseId: uuid('warehouse_id').notNull(),
  ownerPartnerId: uuid('owner_partner_id').notNull(),
  operatorPartnerId: uuid('operator_partner_id'),
  status: countStatus('status').notNull().default('OPEN'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  postedAt: timestamp('posted_at', { withTimezone: true }),
});

/** One counted slot: the expected quantity is frozen at opening and hidden from counters (blind). */
export const stockCountLines = inventorySchema.table('stock_count_lines', {
  id: uuid('id').primaryKey().defaultRandom(),
  countId: uuid('count_id').notNull(),
  ownerPartnerId: uuid('owner_partner_id').notNull(),
  operatorPartnerId: uuid('operator_partner_id'),
  stockId: uuid('stock_id').notNull(),
  expected: integer('expected').notNull(),
  counted: integer('counted'),
});
