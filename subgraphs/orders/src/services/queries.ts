import { and, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { orderLines, orders, orderTimeline } from '@redthread/schema';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type Identity, type PageArgs, type Tx } from '@redthread/kit';
import type { LineRow, OrderRow, TimelineRow } from './common';
import { isUuid } from '@redthread/kit';

/** Filters of `orders(filter:)`. */
export interface OrderFilter {
  kind?: readonly OrderRow['kind'][] | null;
  status?: readonly OrderRow['status'][] | null;
  role?: 'SELLER' | 'BUYER' | null;
  channelId?: string | null;
  externalNumber?: string | null;
}

/**
 * The orders the caller sells or buys, newest first, as a Relay connection (keyset on
 * placed_at, id). One statement; lines, products and partners come from batched loaders.
 */
export async function listOrders(
  tx: Tx,
  identity: Identity,
  filter: OrderFilter | null | undefined,
  page: PageArgs,
): Promise<Connection<OrderRow>> {
  const first = pageSize(page.first);
  const me = identity.partnerId;
  const conditions: SQL[] = [
    filter?.role === 'SELLER'
      ? eq(orders.sellerPartnerId, me)
      : filter?.role === 'BUYER'
        ? eq(orders.buyerPartnerId, me)
        : or(eq(orders.sellerPartnerId, me), eq(orders.buyerPartnerId, me))!,
  ];
  if (filter?.kind?.length) conditions.push(inArray(orders.kind, [...filter.kind]));
  if (filter?.status?.length) conditions.push(inArray(orders.status, [...filter.status]));
  if (filter?.channelId) {
    if (!isUuid(filter.channelId)) return toConnection([], first, () => '');
    conditions.push(eq(orders.channelId, filter.channelId));
  }
  if (filter?.externalNumber) conditions.push(eq(orders.externalNumber, filter.externalNumber));
  // Keyset on (placed_at to the millisecond, id): cursors carry JavaScript dates, which have
  // millisecond precision, so ordering and comparing at PostgreSQL's microseconds would skip rows.
  const placedMs = sql`date_trunc('milliseconds', ${orders.placedAt})`;
  if (page.after) {
    const [placedAt, id] = decodeCursor('orders', page.after, 2) as [string, string];
    conditions.push(sql`(${placedMs}, ${orders.id}) < (${placedAt}::timestamptz, ${id}::uuid)`);
  }
  const rows = await tx
    .select()
    .from(orders)
    .where(and(...conditions))
    .orderBy(desc(placedMs), desc(orders.id))
    .limit(first + 1);
  return toConnection(rows, first, (row) => encodeCursor('orders', [row.placedAt.toISOString(), row.id]));
}

/** Orders by id that the caller may see; one statement. */
export async function visibleOrdersByIds(tx: Tx, ids: readonly string[]): Promise<OrderRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(orders).where(inArray(orders.id, wellFormed)) : [];
}

/** Lines of these orders, by line number; one statement. */
export async function linesByOrderIds(tx: Tx, orderIds: readonly string[]): Promise<LineRow[]> {
  if (orderIds.length === 0) return [];
  return tx.select().from(orderLines).where(inArray(orderLines.orderId, [...orderIds])).orderBy(orderLines.lineNo);
}

/** Timeline entries of these orders, oldest first; one statement. */
export async function timelineByOrderIds(tx: Tx, orderIds: readonly string[]): Promise<TimelineRow[]> {
  if (orderIds.length === 0) return [];
  return tx.select().from(orderTimeline).where(inArray(orderTimeline.orderId, [...orderIds])).orderBy(orderTimeline.at, orderTimeline.id);
}

/** Orders routed from these orders that the caller may see; one statement. */
export async function childOrdersByParentIds(tx: Tx, parentIds: readonly string[]): Promise<OrderRow[]> {
  if (parentIds.length === 0) return [];
  return tx.select().from(orders).where(inArray(orders.parentOrderId, [...parentIds])).orderBy(orders.placedAt);
}
