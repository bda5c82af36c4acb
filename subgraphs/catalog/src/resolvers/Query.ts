import { ErrorCode, apiError, missingRow } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';
import { listLinks, relationships } from '../services/links';
import { listOwnProducts } from '../services/products';
import type { accessQueries } from './access';

/** Root queries of the catalog; the access queries (API keys, members, ...) are in ./access. */
export const Query: Omit<TypeResolvers<'Query'>, keyof typeof accessQueries> = {
  me: async (_, __, ctx) => {
    const partner = await ctx.loaders.partner.load(ctx.identity.partnerId);
    if (!partner) {
      throw apiError(ErrorCode.UNAUTHENTICATED, 'The partner in your token does not exist. Sign in again.');
    }
    return partner;
  },
  partner: (_, args, ctx) => ctx.loaders.partner.load(args.id),
  product: (_, args, ctx) => ctx.loaders.product.load(args.id),
  products: async (_, args, ctx) => listOwnProducts(await ctx.tx(), ctx.identity, args.filter, args),
  productLink: (_, args, ctx) => ctx.loaders.link.load(args.id),
  productLinks: async (_, args, ctx) => listLinks(await ctx.tx(), ctx.identity, args.filter, args),
  relationships: async (_, args, ctx) => relationships(await ctx.tx(), ctx.identity, args.direction, args),
};

/**
 * A relationship line: its partner comes from the loader, visible through the live links counted
 * (a missing one is a broken invariant).
 */
export const Relationship: TypeResolvers<'Relationship'> = {
  partner: async (row, _, ctx) => (await ctx.loaders.partner.load(row.partnerId)) ?? missingRow('partner', row.partnerId),
};
