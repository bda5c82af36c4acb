import type { InventoryContext } from '../context';

import type { TransferRow, TransferLineRow } from '../services/transfers';
import { batchOf } from './refs';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** A transfer between two warehouses. */
export const Transfer = {
  from: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(t.fromWarehouseId),
  to: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(t.toWarehouseId),
  lines: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.transferLines.load(t.id),
};

/** A line of a transfer. */
export const TransferLine = {
  batch: batchOf,
  difference: (l: TransferLineRow) => (l.receivedQuantity === null ? null : l.receivedQuantity - l.quantity),
};
