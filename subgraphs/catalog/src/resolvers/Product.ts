import type { CatalogContext } from '../context';
import type { ProductLinksArgs } from '../loaders';
import { productLinksPage } from '../services/links';
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
  /** One page of the links naming the product, batched over every product of the response. */
  links: (product: VisibleProduct, args: ProductLinksArgs, ctx: CatalogContext) => {
    // The arguments are checked for the operator too, so a bad `first` is refused the same way.
    if (isStoredProductView(product)) return productLinksPage(args).empty();
    return ctx.loaders.linksOfProduct.load({ parentId: product.id, args });
  },
};
