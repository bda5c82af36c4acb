import type { TypeResolvers } from '../generated/resolvers';
import { batchOf, locationOfRow, warehouseOfRow } from './refs';

/** A stock count of one warehouse. */
export const StockCount: TypeResolvers<'StockCount'> = {
  warehouse: (c, _, ctx) => warehouseOfRow(ctx, c.warehouseId),
  lines: async (c, _, ctx) => (await ctx.loaders.countLines.load(c.id)).map((line) => ({ ...line, posted: c.status === 'POSTED' })),
};

/** A counted slot; expected and variance only once posted (counting is blind). */
export const StockCountLine: TypeResolvers<'StockCountLine'> = {
  location: (l, _, ctx) => locationOfRow(ctx, l.locationId),
  batch: batchOf,
  expected: (l) => (l.posted ? l.expected : null),
  variance: (l) => (l.posted && l.counted !== null ? l.counted - l.expected : null),
};
