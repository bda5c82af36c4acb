import type { OrdersContext } from '../context';
import type { LineRow, OrderRow, TimelineRow } from '../services/common';
import type { ReturnRow } from '../services/returns';

const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });
const reference = (id: string | null) => (id ? { id } : null);

/** Order fields and its federation reference resolver. */
export const Order = {
  /** Reloads by key under the caller's scope; an order the caller is no party of resolves to null. */
  __resolveReference: (ref: { id: string }, ctx: OrdersContext) => ctx.loaders.order.load(ref.id),
  seller: (order: OrderRow) => reference(order.sellerPartnerId),
  buyer: (order: OrderRow) => reference(order.buyerPartnerId),
  customer: (order: OrderRow, _: unknown, ctx: OrdersContext) =>
    order.customerId && order.sellerPartnerId === ctx.identity.partnerId ? ctx.loaders.customer.load(order.customerId) : null,
  channel: (order: OrderRow, _: unknown, ctx: OrdersContext) =>
    order.channelId && order.sellerPartnerId === ctx.identity.partnerId ? ctx.loaders.channel.load(order.channelId) : null,
  total: (order: OrderRow) => money(order.totalMinor, order.currency),
  lines: async (order: OrderRow, _: unknown, ctx: OrdersContext) =>
    (await ctx.loaders.linesOfOrder.load(order.id)).map((line) => ({ ...line, currency: order.currency })),
  timeline: (order: OrderRow, _: unknown, ctx: OrdersContext) => ctx.loaders.timelineOfOrder.load(order.id),
  customFields: (order: OrderRow) => Object.entries(order.customFields).map(([key, value]) => ({ key, value: String(value) })),
  parentOrder: (order: OrderRow, _: unknown, ctx: OrdersContext) => (order.parentOrderId ? ctx.loaders.order.load(order.parentOrderId) : null),
  childOrders: (order: OrderRow, _: unknown, ctx: OrdersContext) => ctx.loaders.childrenOfOrder.load(order.id),
  returns: (order: OrderRow, _: unknown, ctx: OrdersContext) => ctx.loaders.returnsOfOrder.load(order.id),
};

/** Order line fields; Product and ProductLink are references catalog resolves under the caller's scope. */
export const OrderLine = {
  product: (line: LineRow) => reference(line.productId),
  buyerProduct: (line: LineRow) => reference(line.buyerProductId),
  link: (line: LineRow) => reference(line.linkId),
  unitPrice: (line: LineRow & { currency: string }) => money(line.unitPriceMinor, line.currency),
  lineTotal: (line: LineRow & { currency: string }) => money(line.unitPriceMinor * BigInt(line.quantity), line.currency),
};

/** Timeline entries. */
export const TimelineEntry = {
  actor: (entry: TimelineRow) => reference(entry.actorPartnerId),
  from: (entry: TimelineRow) => entry.fromStatus,
  to: (entry: TimelineRow) => entry.toStatus,
};

/** Returns. */
export const Return = {
  order: (row: ReturnRow, _: unknown, ctx: OrdersContext) => ctx.loaders.order.load(row.orderId),
  note: (row: ReturnRow) => row.decisionNote,
};

/** Customers: reference resolver reloads under the caller's scope. */
export const Customer = {
  __resolveReference: (ref: { id: string }, ctx: OrdersContext) => ctx.loaders.customer.load(ref.id),
};

/** Channels: reference resolver reloads under the caller's scope. */
export const Channel = {
  __resolveReference: (ref: { id: string }, ctx: OrdersContext) => ctx.loaders.channel.load(ref.id),
};
