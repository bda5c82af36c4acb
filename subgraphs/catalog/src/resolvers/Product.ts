import type { CatalogContext } from '../context';
import type { LinkStatus } from '../services/links';
import type { ProductRow } from '../services/products';

/** Product fields and its federation reference resolver. */
export const Product = {
  /** Reloads by key under the caller's scope; never trusts the representation's other fields. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.product.load(reference.id),
  owner: (product: ProductRow, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(product.ownerPartnerId),
  links: async (product: ProductRow, args: { status?: LinkStatus[] | null }, ctx: CatalogContext) => {
    const links = await ctx.loaders.linksOfProduct.load(product.id);
    return args.status?.length ? links.filter((link) => args.status!.includes(link.status)) : links;
  },
};
