import type { TypeResolvers } from '../generated/resolvers';

/** Inventory's part of a catalog product: what it can sell. */
export const Product: TypeResolvers<'Product'> = {
  __resolveReference: (ref) => ({ id: ref.id }),
  sellableQuantity: (product, _, ctx) => ctx.loaders.sellable.load(product.id),
};
