import type { OrdersContext } from '../context';
import { listChannels, listCustomers } from '../services/channels';
import { listOrders, type OrderFilter } from '../services/queries';

type Page = { first?: number | null; after?: string | null };

/** Root queries of the orders subgraph. */
export const Query = {
  orders: async (_: unknown, args: Page & { filter?: OrderFilter | null }, ctx: OrdersContext) =>
    listOrders(await ctx.tx(), ctx.identity, args.filter, args),
  order: (_: unknown, args: { id: string }, ctx: OrdersContext) => ctx.loaders.order.load(args.id),
  channels: async (_: unknown, __: unknown, ctx: OrdersContext) => listChannels(await ctx.tx(), ctx.identity),
  customers: async (_: unknown, args: Page & { search?: string | null }, ctx: OrdersContext) =>
    listCustomers(await ctx.tx(), ctx.identity, args.search, args),
  customer: (_: unknown, args: { id: string }, ctx: OrdersContext) => ctx.loaders.customer.load(args.id),
};
