import { missingRow } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';
import { productLinksPage } from '../services/links';
import { isStoredProductView } from '../services/products';

/**
 * Product fields and its federation reference resolver. A 3PL operator gets the operator's view
 * of a product stored in a warehouse it operates: name, SKU code, barcode, unit and owner; the
 * view carries no status or dates (so they answer null) and the product has no links for it.
 */
export const Product: TypeResolvers<'Product'> = {
  /** Reloads by key under the caller's scope; never trusts the representation's other fields. */
  __resolveReference: (reference, ctx) => ctx.loaders.product.load(reference.id),
  /** Whoever sees a product sees its owner: itself, a party of a link naming it, or its 3PL warehouse's owner. */
  owner: async (product, _, ctx) => (await ctx.loaders.partner.load(product.ownerPartnerId)) ?? missingRow('partner', product.ownerPartnerId),
  status: (product) => (isStoredProductView(product) ? null : product.status),
  createdAt: (product) => (isStoredProductView(product) ? null : product.createdAt),
  updatedAt: (product) => (isStoredProductView(product) ? null : product.updatedAt),
  /** One page of the links naming the product, batched over every product of the response. */
  links: (product, args, ctx) => {
    // The arguments are checked for the operator too, so a bad `first` is refused the same way.
    if (isStoredProductView(product)) return productLinksPage(args).empty();
    return ctx.loaders.linksOfProduct.load({ parentId: product.id, args });
  },
};
