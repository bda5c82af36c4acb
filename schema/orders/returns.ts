import { foreignKey, index, integer, text, timestamp, uuid, check } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { ordersSchema } from './channels';
import { orderLines, orders } from './orders';

/** REQUESTED → APPROVED → RECEIVED → REFUNDED | CREDITED; REQUESTED → REJECTED. */
export const returnStatus = ordersSchema.enum('return_status', ['REQUESTED', 'APPROVED', 'REJECTED', 'RECEIVED', 'REFUNDED', 'CREDITED']);

/**
 * A return of shipped units of one order line. A return of a drop-shipped line is passed up the
 * chain as a return on the supplier's line (`parent_return_id` points one level down).
 */
export const orderReturns = ordersSchema.table(
  'order_returns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull(),
    lineId: uuid('line_id').notNull(),
    sellerPartnerId: uuid('seller_partner_id').notNull(),
    buyerPartnerId: uuid('buyer_partner_id'),
    quantity: integer('quantity').notNull(),
    reason: text('reason').notNull(),
    status: returnStatus('status').notNull().default('REQUESTED'),
    parentReturnId: uuid('parent_return_id'),
    decisionNote: text('decision_note'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: 'order_returns_order_fk', columns: [t.orderId], foreignColumns: [orders.id] }),
    foreignKey({ name: 'order_returns_line_fk', columns: [t.lineId], foreignColumns: [orderLines.id] }),
    foreignKey({ name: 'order_returns_parent_fk', columns: [t.parentReturnId], foreignColumns: [t.id] }),
    index('order_returns_line_idx').on(t.lineId),
    check('order_returns_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
