import type { OrderFilter } from '../generated/resolvers';
import { eq, inArray, or, type SQL } from 'drizzle-orm';
import { orderLines, orders, orderTimeline } from '@redthread/schema';
import { keysetPage, type Connection, type Identity, type PageArgs, type Tx } from '@redthread/kit';
import type { LineRow, OrderRow, TimelineRow } from './common';
import { isUuid } from '@redthread/kit';

/** The SDL's input types, generated (`npm run codegen`). */
export type { OrderFilter };


/**
 * The orders the caller sells or buys, newest first (placed at, ties by id), as a Relay
 * connection. One statement per page; lines, products and partners come from batched loaders.
 */
export async function listOrders(
  tx: Tx,
  identity: Identity,
  filter: OrderFilter | null | undefined,
  args: PageArgs,
): Promise<Connection<OrderRow>> {
  const page = keysetPage('orders', args, [
    { column: orders.placedAt, type: 'timestamptz', descending: true },
    { column: orders.id, type: 'uuid', descending: true },
  ]);
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
    if (!isUuid(filter.channelId)) return page.empty();
    conditions.push(eq(orders.channelId, filter.channelId));
  }
  if (filter?.externalNumber) conditions.push(eq(orders.externalNumber, filter.externalNumber));
  return page.rowsOf(tx, orders, ...conditions);
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
