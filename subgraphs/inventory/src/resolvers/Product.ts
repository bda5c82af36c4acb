import type { InventoryContext } from '../context';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** Inventory's part of a catalog product: what it can sell. */
export const Product = {
  __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
  sellableQuantity: (product: { id: string }, _: unknown, ctx: Ctx) => ctx.loaders.sellable.load(product.id),
};
