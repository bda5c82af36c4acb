import type { CatalogContext } from '../context';

/** Partner fields and its federation reference resolver. */
export const Partner = {
  /** Reloads by key under the caller's scope; a partner the caller may not see resolves to null. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.partner.load(reference.id),
};
