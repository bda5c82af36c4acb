import type { TypeResolvers } from '../generated/resolvers';
import { listChannels, listCustomers } from '../services/channels';
import { listOrders } from '../services/queries';

/** Root queries of the orders subgraph. */
export const Query: TypeResolvers<'Query'> = {
  orders: async (_, args, ctx) =>
    listOrders(await ctx.tx(), ctx.identity, args.filter, args),
  order: (_, args, ctx) => ctx.loaders.order.load(args.id),
  channels: async (_, __, ctx) => listChannels(await ctx.tx(), ctx.identity),
  customers: async (_, args, ctx) =>
    listCustomers(await ctx.tx(), ctx.identity, args.search, args),
  customer: (_, args, ctx) => ctx.loaders.customer.load(args.id),
};
