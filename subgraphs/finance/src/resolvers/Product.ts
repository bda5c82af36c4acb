import type { TypeResolvers } from '../generated/resolvers';
import { money } from './shared';

/** Finance's part of a catalog product: its cost for the caller. */
export const Product: TypeResolvers<'Product'> = {
  __resolveReference: (ref) => ({ id: ref.id }),
  cost: async (product, _, ctx) => {
    const cost = await ctx.loaders.productCost.load(product.id);
    if (!cost || cost.units === 0) return null;
    return { average: money(cost.averageMinor, cost.currency), units: cost.units, value: money(cost.valueMinor, cost.currency) };
  },
};
