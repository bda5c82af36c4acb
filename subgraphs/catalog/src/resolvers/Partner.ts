import type { TypeResolvers } from '../generated/resolvers';

/** Partner fields and its federation reference resolver. */
export const Partner: TypeResolvers<'Partner'> = {
  /** Reloads by key under the caller's scope; a partner the caller may not see resolves to null. */
  __resolveReference: (reference, ctx) => ctx.loaders.partner.load(reference.id),
  /** Other partners show only code and name. */
  kinds: (partner, _, ctx) => (partner.id === ctx.identity.partnerId ? partner.kinds : null),
};
