import { ErrorCode, apiError } from '@redthread/kit';
import type { CatalogContext } from '../context';
import { listLinks, relationships, type LinkFilter } from '../services/links';
import { listOwnProducts, type ProductFilter } from '../services/products';

type Page = { first?: number | null; after?: string | null };

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
  products: async (_: unknown, args: Page & { filter?: ProductFilter | null }, ctx: CatalogContext) =>
    listOwnProducts(await ctx.tx(), ctx.identity, args.filter, args),
  productLink: (_: unknown, args: { id: string }, ctx: CatalogContext) => ctx.loaders.link.load(args.id),
  productLinks: async (_: unknown, args: Page & { filter?: LinkFilter | null }, ctx: CatalogContext) =>
    listLinks(await ctx.tx(), ctx.identity, args.filter, args),
  relationships: async (_: unknown, args: Page & { direction: 'UPSTREAM' | 'DOWNSTREAM' }, ctx: CatalogContext) =>
    relationships(await ctx.tx(), ctx.identity, args.direction, args),
};

/** A relationship line: its partner comes from the loader (visible through the links counted). */
export const Relationship = {
  partner: (row: { partnerId: string }, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(row.partnerId),
};
