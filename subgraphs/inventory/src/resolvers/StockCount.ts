import type { InventoryContext } from '../context';

import type { StockCountRow } from '../services/counts';
import { batchOf } from './refs';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** A stock count of one warehouse. */
export const StockCount = {
  warehouse: (c: StockCountRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(c.warehouseId),
  lines: async (c: StockCountRow, _: unknown, ctx: Ctx) =>
    (await ctx.loaders.countLines.load(c.id)).map((line) => ({ ...line, posted: c.status === 'POSTED' })),
};

/** A counted slot; expected and variance only once posted (counting is blind). */
export const StockCountLine = {
  location: (l: { locationId: string }, _: unknown, ctx: Ctx) => ctx.loaders.location.load(l.locationId),
  batch: batchOf,
  expected: (l: { expected: number; posted: boolean }) => (l.posted ? l.expected : null),
  variance: (l: { expected: number; counted: number | null; posted: boolean }) => (l.posted && l.counted !== null ? l.counted - l.expected : null),
};
