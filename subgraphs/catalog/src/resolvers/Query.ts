import { ErrorCode, apiError } from '@redthread/kit';
import type { CatalogContext } from '../context';
import { listOwnProducts, type ProductFilter } from '../services/products';

/** Root queries of the catalog. */
export const Query = {
  me: async (_: unknown, __: unknown, ctx: CatalogContext) => {
    const partner = await ctx.loaders.partner.load(ctx.identity.partnerId);
    if (!partner) {
      throw apiError(ErrorCode.UNAUTHENTICATED, 'The partner in your token does not exist. Sign in again.');
    }
    return partner;
  },
  partner: (_: unknown, args: { id: string }, ctx: CatalogContext) => ctx.loaders.partner.load(args.id),
  product: (_: unknown, args: { id: string }, ctx: CatalogContext) => ctx.loaders.product.load(args.id),
  products: async (
    _: unknown,
    args: { filter?: ProductFilter | null; first?: number | null; after?: string | null },
    ctx: CatalogContext,
  ) => listOwnProducts(await ctx.tx(), ctx.identity, args.filter, args),
};
