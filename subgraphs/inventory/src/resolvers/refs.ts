import { missingRow } from '@redthread/kit';
import type { InventoryContext } from '../context';
import type { LocationRow, WarehouseRow } from '../services/warehouses';

/** A federated reference by id; the owning subgraph resolves it under the caller's visibility. */
export const reference = (id: string) => ({ id });

/** A federated reference by an id that may be absent (`null` for none). */
export const optionalReference = (id: string | null) => (id ? { id } : null);

/** The batch of a row, batched through the request's loader; null for a row without one. */
export const batchOf = (row: { batchId: string | null }, _: unknown, ctx: InventoryContext) => (row.batchId ? ctx.loaders.batch.load(row.batchId) : null);

/**
 * The warehouse of a warehouse-scoped row (a stock slot, movement, count or shipment). Such rows
 * carry their warehouse's owner and operator, and row-level security shows both to exactly those
 * partners: whoever reads the row sees its warehouse, so a missing one is a broken invariant.
 */
export async function warehouseOfRow(ctx: InventoryContext, warehouseId: string): Promise<WarehouseRow> {
  return (await ctx.loaders.warehouse.load(warehouseId)) ?? missingRow('warehouse', warehouseId);
}

/** The location of a warehouse-scoped row: visible to the same partners as the row (see {@link warehouseOfRow}). */
export async function locationOfRow(ctx: InventoryContext, locationId: string): Promise<LocationRow> {
  return (await ctx.loaders.location.load(locationId)) ?? missingRow('location', locationId);
}
