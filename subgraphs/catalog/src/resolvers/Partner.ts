import type { CatalogContext } from '../context';
import type { PartnerRow } from '../services/partners';

/** Partner fields and its federation reference resolver. */
export const Partner = {
  /** Reloads by key under the caller's scope; a partner the caller may not see resolves to null. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.partner.load(reference.id),
  /** Other partners show only code and name. */
  kinds: (partner: PartnerRow, _: unknown, ctx: CatalogContext) => (partner.id === ctx.identity.partnerId ? partner.kinds : null),
};
