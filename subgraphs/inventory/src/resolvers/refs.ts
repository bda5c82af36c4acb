import type { InventoryContext } from '../context';

/** A federated reference by id (`null` for none); the owning subgraph resolves it under the caller's visibility. */
export const ref = (id: string | null) => (id ? { id } : null);

/** The batch of a row, batched through the request's loader. */
export const batchOf = (row: { batchId: string | null }, _: unknown, ctx: InventoryContext) => (row.batchId ? ctx.loaders.batch.load(row.batchId) : null);
