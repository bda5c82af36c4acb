import type { TypeResolvers } from '../generated/resolvers';
import { batchOf } from './refs';

/** A transfer between two warehouses. */
export const Transfer: TypeResolvers<'Transfer'> = {
  // The owner sees both warehouses; a 3PL operator only the one it runs (null for the other side).
  from: (t, _, ctx) => ctx.loaders.warehouse.load(t.fromWarehouseId),
  to: (t, _, ctx) => ctx.loaders.warehouse.load(t.toWarehouseId),
  lines: (t, _, ctx) => ctx.loaders.transferLines.load(t.id),
};

/** A line of a transfer. */
export const TransferLine: TypeResolvers<'TransferLine'> = {
  batch: batchOf,
  difference: (l) => (l.receivedQuantity === null ? null : l.receivedQuantity - l.quantity),
};
