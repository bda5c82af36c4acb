import type { CatalogContext } from '../context';
import type { LinkStatus } from '../services/links';
import { isStoredProductView, type VisibleProduct } from '../services/products';

/**
 * Product fields and its federation reference resolver. A 3PL operator gets the operator's view
 * of a product stored in a warehouse it operates: name, SKU code, barcode, unit and owner; the
 * view carries no status or dates (so they answer null) and the product has no links for it.
 */
export const Product = {
  /** Reloads by key under the caller's scope; never trusts the representation's other fields. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.product.load(reference.id),
  owner: (product: VisibleProduct, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(product.ownerPartnerId),
  links: async (product: VisibleProduct, args: { status?: LinkStatus[] | null }, ctx: CatalogContext) => {
    if (isStoredProductView(product)) return [];
    const links = await ctx.loaders.linksOfProduct.load(product.id);
    return args.status?.length ? links.filter((link) => args.status!.includes(link.status)) : links;
  },
};
