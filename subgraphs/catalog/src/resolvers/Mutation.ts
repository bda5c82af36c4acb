import type { CatalogContext } from '../context';
import { createProduct, updateProduct, type CreateProductInput, type UpdateProductInput } from '../services/products';

/** Catalog mutations; each returns a result union (the object or a typed failure). */
export const Mutation = {
  createProduct: async (_: unknown, args: { input: CreateProductInput }, ctx: CatalogContext) =>
    createProduct(await ctx.tx(), ctx.identity, args.input),
  updateProduct: async (_: unknown, args: { input: UpdateProductInput }, ctx: CatalogContext) =>
    updateProduct(await ctx.tx(), ctx.identity, args.input),
};
