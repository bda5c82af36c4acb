import type { FinanceContext } from '../context';
import { money } from './shared';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** Finance's part of a catalog product: its cost for the caller. */
export const Product = {
  __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
  cost: async (product: { id: string }, _: unknown, ctx: Ctx) => {
    const cost = await ctx.loaders.productCost.load(product.id);
    if (!cost || cost.units === 0) return null;
    return { average: money(cost.averageMinor, cost.currency), units: cost.units, value: money(cost.valueMinor, cost.currency) };
  },
};
