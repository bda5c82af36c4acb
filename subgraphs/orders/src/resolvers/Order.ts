import { missingRow } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';

const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });
const reference = (id: string) => ({ id });
const optionalReference = (id: string | null) => (id ? { id } : null);

/** Order fields and its federation reference resolver. */
export const Order: TypeResolvers<'Order'> = {
  /** Reloads by key under the caller's scope; an order the caller is no party of resolves to null. */
  __resolveReference: (ref, ctx) => ctx.loaders.order.load(ref.id),
  seller: (order) => reference(order.sellerPartnerId),
  buyer: (order) => optionalReference(order.buyerPartnerId),
  customer: (order, _, ctx) =>
    order.customerId && order.sellerPartnerId === ctx.identity.partnerId ? ctx.loaders.customer.load(order.customerId) : null,
  channel: (order, _, ctx) =>
    order.channelId && order.sellerPartnerId === ctx.identity.partnerId ? ctx.loaders.channel.load(order.channelId) : null,
  total: (order) => money(order.totalMinor, order.currency),
  lines: async (order, _, ctx) =>
    (await ctx.loaders.linesOfOrder.load(order.id)).map((line) => ({ ...line, currency: order.currency })),
  timeline: (order, _, ctx) => ctx.loaders.timelineOfOrder.load(order.id),
  customFields: (order) => Object.entries(order.customFields).map(([key, value]) => ({ key, value: String(value) })),
  parentOrder: (order, _, ctx) => (order.parentOrderId ? ctx.loaders.order.load(order.parentOrderId) : null),
  childOrders: (order, _, ctx) => ctx.loaders.childrenOfOrder.load(order.id),
  returns: (order, _, ctx) => ctx.loaders.returnsOfOrder.load(order.id),
};

/** Order line fields; Product and ProductLink are references catalog resolves under the caller's scope. */
export const OrderLine: TypeResolvers<'OrderLine'> = {
  product: (line) => reference(line.productId),
  buyerProduct: (line) => optionalReference(line.buyerProductId),
  link: (line) => optionalReference(line.linkId),
  unitPrice: (line) => money(line.unitPriceMinor, line.currency),
  lineTotal: (line) => money(line.unitPriceMinor * BigInt(line.quantity), line.currency),
};

/** Timeline entries. */
export const TimelineEntry: TypeResolvers<'TimelineEntry'> = {
  actor: (entry) => reference(entry.actorPartnerId),
  from: (entry) => entry.fromStatus,
  to: (entry) => entry.toStatus,
};

/** Returns. */
export const Return: TypeResolvers<'Return'> = {
  order: async (row, _, ctx) => (await ctx.loaders.order.load(row.orderId)) ?? missingRow('order', row.orderId),
  note: (row) => row.decisionNote,
};

/** Customers: reference resolver reloads under the caller's scope. */
export const Customer: TypeResolvers<'Customer'> = {
  __resolveReference: (ref, ctx) => ctx.loaders.customer.load(ref.id),
};

/** Channels: reference resolver reloads under the caller's scope. */
export const Channel: TypeResolvers<'Channel'> = {
  __resolveReference: (ref, ctx) => ctx.loaders.channel.load(ref.id),
};
