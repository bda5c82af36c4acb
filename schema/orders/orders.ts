import { bigint, char, check, foreignKey, index, integer, jsonb, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { channels, customers, ordersSchema, type Address } from './channels';

export const orderKind = ordersSchema.enum('order_kind', ['SALES', 'DISTRIBUTION', 'PURCHASE']);

/**
 * Order statuses. SALES: PENDING_REVIEW → PENDING_FINANCE_REVIEW → APPROVED → ALLOCATED |
 * BACKORDERED → PARTIALLY_SHIPPED → SHIPPED → DELIVERED → COMPLETED. DISTRIBUTION and PURCHASE
 * start at PENDING_ACCEPTANCE (the supplier accepts → APPROVED, or rejects → REJECTED); PURCHASE
 * starts as a DRAFT until submitted. CANCELLED and ON_HOLD from the open states.
 */
export const orderStatus = ordersSchema.enum('order_status', [
  'DRAFT',
  'PENDING_REVIEW',
  'PENDING_FINANCE_REVIEW',
  'PENDING_ACCEPTANCE',
  'APPROVED',
  'ALLOCATED',
  'BACKORDERED',
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'DELIVERED',
  'COMPLETED',
  'ON_HOLD',
  'CANCELLED',
  'REJECTED',
]);

/**
 * One order type for the three kinds. `seller_partner_id` and `buyer_partner_id` decide visibility
 * (row-level security): a SALES order has no buyer partner (its buyer is a customer) and is seen
 * by its seller only; DISTRIBUTION and PURCHASE orders are seen by both parties.
 */
export const orders = ordersSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: orderKind('kind').notNull(),
    sellerPartnerId: uuid('seller_partner_id').notNull(),
    buyerPartnerId: uuid('buyer_partner_id'),
    channelId: uuid('channel_id'),
    customerId: uuid('customer_id'),
    externalNumber: text('external_number'),
    /** The order one level down the chain this one was routed from (DISTRIBUTION). */
    parentOrderId: uuid('parent_order_id'),
    /** The buyer's warehouse a PURCHASE order is delivered into (inventory's id). */
    warehouseId: uuid('warehouse_id'),
    status: orderStatus('status').notNull(),
    /** The status to return to on release, while ON_HOLD. */
    heldFromStatus: orderStatus('held_from_status'),
    currency: char('currency', { length: 3 }).notNull(),
    totalMinor: bigint('total_minor', { mode: 'bigint' }).notNull().default(0n),
    shipTo: jsonb('ship_to').$type<Address>(),
    deliveryMethod: text('delivery_method'),
    customFields: jsonb('custom_fields').$type<Record<string, string | number>>().notNull().default({}),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: 'orders_channel_fk', columns: [t.channelId, t.sellerPartnerId], foreignColumns: [channels.id, channels.partnerId] }),
    foreignKey({ name: 'orders_customer_fk', columns: [t.customerId, t.sellerPartnerId], foreignColumns: [customers.id, customers.partnerId] }),
    foreignKey({ name: 'orders_parent_fk', columns: [t.parentOrderId], foreignColumns: [t.id] }),
    uniqueIndex('orders_channel_external_unique').on(t.channelId, t.externalNumber).where(sql`external_number is not null`),
    uniqueIndex('orders_idempotency_unique').on(t.sellerPartnerId, t.idempotencyKey).where(sql`idempotency_key is not null`),
    index('orders_seller_idx').on(t.sellerPartnerId, t.placedAt),
    index('orders_buyer_idx').on(t.buyerPartnerId, t.placedAt),
    index('orders_parent_idx').on(t.parentOrderId),
    check(
      'orders_kind_shape',
      sql`(${t.kind} = 'SALES' and ${t.buyerPartnerId} is null and ${t.channelId} is not null)
        or (${t.kind} <> 'SALES' and ${t.buyerPartnerId} is not null and ${t.buyerPartnerId} <> ${t.sellerPartnerId})`,
    ),
    check('orders_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('orders_total_not_negative', sql`${t.totalMinor} >= 0`),
    check('orders_held_from', sql`(${t.status} = 'ON_HOLD') = (${t.heldFromStatus} is not null)`),
  ],
);

/** How a line is fulfilled: from the seller's own stock, or passed up a link to a supplier. */
export const lineFulfilment = ordersSchema.enum('line_fulfilment', ['OWN', 'DISTRIBUTED']);

/**
 * OPEN: not routed yet (before approval). ROUTED: own fulfilment, or passed to a supplier.
 * NEEDS_DECISION: the supplier rejected it; the seller decides. SHIPPED, CANCELLED: final.
 */
export const lineStatus = ordersSchema.enum('line_status', ['OPEN', 'ROUTED', 'NEEDS_DECISION', 'SHIPPED', 'CANCELLED']);

/**
 * A line of an order: `product_id` is the seller's product. On DISTRIBUTION and PURCHASE lines,
 * `buyer_product_id` is the buyer's product it stands for and `parent_line_id` the line one level
 * down. Seller and buyer are copied from the order for row-level security.
 */
export const orderLines = ordersSchema.table(
  'order_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    sellerPartnerId: uuid('seller_partner_id').notNull(),
    buyerPartnerId: uuid('buyer_partner_id'),
    lineNo: integer('line_no').notNull(),
    productId: uuid('product_id').notNull(),
    buyerProductId: uuid('buyer_product_id'),
    quantity: integer('quantity').notNull(),
    shippedQuantity: integer('shipped_quantity').notNull().default(0),
    unitPriceMinor: bigint('unit_price_minor', { mode: 'bigint' }).notNull(),
    status: lineStatus('status').notNull().default('OPEN'),
    fulfilment: lineFulfilment('fulfilment'),
    /** The catalog link a DISTRIBUTED line went through. */
    linkId: uuid('link_id'),
    parentLineId: uuid('parent_line_id'),
  },
  (t) => [
    foreignKey({ name: 'order_lines_order_fk', columns: [t.orderId], foreignColumns: [orders.id] }),
    foreignKey({ name: 'order_lines_parent_fk', columns: [t.parentLineId], foreignColumns: [t.id] }),
    uniqueIndex('order_lines_order_line_no').on(t.orderId, t.lineNo),
    index('order_lines_parent_idx').on(t.parentLineId),
    index('order_lines_product_idx').on(t.productId),
    check('order_lines_quantity_positive', sql`${t.quantity} > 0`),
    check('order_lines_shipped_range', sql`${t.shippedQuantity} between 0 and ${t.quantity}`),
    check('order_lines_price_not_negative', sql`${t.unitPriceMinor} >= 0`),
  ],
);

/** Every status change of an order: who, when, from → to, why. Append-only. */
export const orderTimeline = ordersSchema.table(
  'order_timeline',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    sellerPartnerId: uuid('seller_partner_id').notNull(),
    buyerPartnerId: uuid('buyer_partner_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorPartnerId: uuid('actor_partner_id').notNull(),
    actorSubject: text('actor_subject').notNull(),
    fromStatus: orderStatus('from_status'),
    toStatus: orderStatus('to_status').notNull(),
    reason: text('reason'),
  },
  (t) => [
    foreignKey({ name: 'order_timeline_order_fk', columns: [t.orderId], foreignColumns: [orders.id] }),
    index('order_timeline_order_idx').on(t.orderId, t.at),
  ],
);
