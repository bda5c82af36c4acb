import type { InventoryContext } from '../context';

import type { WarehouseRow } from '../services/warehouses';
import type { MovementRow, StockRow } from '../services/ledger';
import { batchOf, ref } from './refs';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** A warehouse (its owner and, for a 3PL warehouse, its operator see it). */
export const Warehouse = {
  __resolveReference: (reference: { id: string }, ctx: Ctx) => ctx.loaders.warehouse.load(reference.id),
  // Only the owner and the operator see a warehouse, and catalog shows each to the other, so
  // neither reference can name a partner the caller may not see.
  owner: (w: WarehouseRow) => ref(w.ownerPartnerId),
  operator: (w: WarehouseRow) => ref(w.operatorPartnerId),
  locations: (w: WarehouseRow, _: unknown, ctx: Ctx) => ctx.loaders.locationsOfWarehouse.load(w.id),
};

/** Stock in one slot (warehouse, location, product, batch). */
export const StockLevel = {
  warehouse: (s: StockRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(s.warehouseId),
  location: (s: StockRow, _: unknown, ctx: Ctx) => ctx.loaders.location.load(s.locationId),
  // A slot holds its owner's product (receipts take no other): catalog shows it to the owner in
  // full and to the warehouse's operator as the operator's view (name, codes, unit).
  product: (s: StockRow) => ref(s.productId),
  batch: batchOf,
  available: (s: StockRow) => s.onHand - s.reserved,
};

/** One entry of the movement ledger. */
export const Movement = {
  id: (m: MovementRow) => String(m.id),
  warehouse: (m: MovementRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(m.warehouseId),
  location: (m: MovementRow, _: unknown, ctx: Ctx) => ctx.loaders.location.load(m.locationId),
  product: (m: MovementRow) => ref(m.productId),
  batch: batchOf,
};

/** What a receipt booked. */
export const Receipt = {
  warehouse: (r: { warehouse: WarehouseRow }) => r.warehouse,
};
