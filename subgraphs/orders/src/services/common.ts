import { and, eq, inArray, sql } from 'drizzle-orm';
import { orderLines, orders, orderTimeline } from '@redthread/schema';
import { appendEvent, type Identity, type Tx } from '@redthread/kit';
import { isUuid } from '@redthread/kit';

export type OrderRow = typeof orders.$inferSelect;
export type LineRow = typeof orderLines.$inferSelect;
export type OrderStatus = OrderRow['status'];
export type TimelineRow = typeof orderTimeline.$inferSelect;

/** Statuses from which an order may still be held, cancelled or adjusted (nothing shipped yet). */
export const OPEN_STATUSES: readonly OrderStatus[] = [
  'DRAFT',
  'PENDING_REVIEW',
  'PENDING_FINANCE_REVIEW',
  'PENDING_ACCEPTANCE',
  'APPROVED',
  'ALLOCATED',
  'BACKORDERED',
];

/** Statuses after which nothing changes any more. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['COMPLETED', 'CANCELLED', 'REJECTED'];

/**
 * The partners allowed to see an order and its events: its seller and buyer — except a DRAFT
 * purchase order, which is the buyer's alone until it is submitted.
 */
export function orderAudience(order: Pick<OrderRow, 'sellerPartnerId' | 'buyerPartnerId'> & { status?: OrderRow['status'] }): string[] {
  if (order.status === 'DRAFT' && order.buyerPartnerId) return [order.buyerPartnerId];
  return order.buyerPartnerId ? [order.sellerPartnerId, order.buyerPartnerId] : [order.sellerPartnerId];
}

/** The caller's role in an order. */
export function roleIn(order: OrderRow, identity: Identity): 'SELLER' | 'BUYER' {
  return order.sellerPartnerId === identity.partnerId ? 'SELLER' : 'BUYER';
}

/** Locks an order the caller may see; undefined when missing or foreign. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | undefined> {
  if (!isUuid(orderId)) return undefined;
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return order;
}

/** The lines of an order, by line number, locked for update. */
export async function lockLines(tx: Tx, orderId: string): Promise<LineRow[]> {
  return tx.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(orderLines.lineNo).for('update');
}

/**
 * Changes an order's status, writes the timeline entry (actor, time, from → to, reason) and
 * appends `order.<topic>` — all in the caller's transaction.
 */
export async function changeStatus(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  to: OrderStatus,
  topic: string,
  reason: string | null,
  payload: Record<string, unknown> = {},
): Promise<OrderRow> {
  const [updated] = await tx
    .update(orders)
    .set({
      status: to,
      heldFromStatus: to === 'ON_HOLD' ? order.status : null,
      updatedAt: sql`now()`,
    })
    .where(eq(orders.id, order.id))
    .returning();
  await writeTimeline(tx, identity, updated!, order.status, to, reason);
  await appendOrderEvent(tx, updated!, topic, { from: order.status, to, reason, ...payload });
  return updated!;
}

/** Appends a timeline entry for an order. */
export async function writeTimeline(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  from: OrderStatus | null,
  to: OrderStatus,
  reason: string | null,
): Promise<void> {
  await tx.insert(orderTimeline).values({
    orderId: order.id,
    sellerPartnerId: order.sellerPartnerId,
    buyerPartnerId: order.buyerPartnerId,
    actorPartnerId: identity.partnerId,
    actorSubject: identity.subject,
    fromStatus: from,
    toStatus: to,
    reason,
  });
}

/** Appends an `order.*` event addressed to the order's parties. */
export async function appendOrderEvent(tx: Tx, order: OrderRow, topic: string, payload: Record<string, unknown> = {}): Promise<void> {
  await appendEvent(tx, {
    topic,
    entityType: 'Order',
    entityId: order.id,
    audience: orderAudience(order),
    payload: {
      kind: order.kind,
      status: order.status,
      sellerPartnerId: order.sellerPartnerId,
      buyerPartnerId: order.buyerPartnerId,
      parentOrderId: order.parentOrderId,
      ...payload,
    },
  });
}

/** Recomputes an order's total from its non-cancelled lines. */
export async function refreshTotal(tx: Tx, orderId: string): Promise<void> {
  await tx.execute(sql`update orders.orders o set total_minor = coalesce((
      select sum(l.quantity::bigint * l.unit_price_minor) from orders.order_lines l
      where l.order_id = o.id and l.status <> 'CANCELLED'), 0), updated_at = now()
    where o.id = ${orderId}`);
}

/** Sets the status of some lines. */
export async function setLineStatus(tx: Tx, lineIds: readonly string[], status: LineRow['status']): Promise<void> {
  if (lineIds.length === 0) return;
  await tx.update(orderLines).set({ status }).where(inArray(orderLines.id, [...lineIds]));
}

/** Trims a free-text reason; undefined when too long (callers report the field). */
export function cleanReason(reason: string | null | undefined): string | null | undefined {
  const trimmed = reason?.trim() || null;
  if (trimmed && trimmed.length > 1000) return undefined;
  return trimmed;
}

/** Orders routed from `parentOrderId` that the caller buys (its own orders to its suppliers). */
export async function childOrdersBoughtBy(tx: Tx, parentOrderId: string, buyerPartnerId: string): Promise<OrderRow[]> {
  return tx
    .select()
    .from(orders)
    .where(and(eq(orders.parentOrderId, parentOrderId), eq(orders.buyerPartnerId, buyerPartnerId)))
    .for('update');
}
