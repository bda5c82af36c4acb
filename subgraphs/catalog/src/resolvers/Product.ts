import type { CatalogContext } from '../context';
import type { ProductRow } from '../services/products';

/** Product fields and its federation reference resolver. */
export const Product = {
  /** Reloads by key under the caller's scope; never trusts the representation's other fields. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.product.load(reference.id),
  owner: (product: ProductRow, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(product.ownerPartnerId),
  createdAt: (product: ProductRow) => product.createdAt.toISOString(),
  updatedAt: (product: ProductRow) => product.updatedAt.toISOString(),
};
