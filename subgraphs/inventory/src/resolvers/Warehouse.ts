import type { TypeResolvers } from '../generated/resolvers';
import { batchOf, locationOfRow, optionalReference, reference, warehouseOfRow } from './refs';

/** A warehouse (its owner and, for a 3PL warehouse, its operator see it). */
export const Warehouse: TypeResolvers<'Warehouse'> = {
  __resolveReference: (ref, ctx) => ctx.loaders.warehouse.load(ref.id),
  // Only the owner and the operator see a warehouse, and catalog shows each to the other, so
  // neither reference can name a partner the caller may not see.
  owner: (w) => reference(w.ownerPartnerId),
  operator: (w) => optionalReference(w.operatorPartnerId),
  locations: (w, _, ctx) => ctx.loaders.locationsOfWarehouse.load(w.id),
};

/** Stock in one slot (warehouse, location, product, batch). */
export const StockLevel: TypeResolvers<'StockLevel'> = {
  warehouse: (s, _, ctx) => warehouseOfRow(ctx, s.warehouseId),
  location: (s, _, ctx) => locationOfRow(ctx, s.locationId),
  // A slot holds its owner's product (receipts take no other): catalog shows it to the owner in
  // full and to the warehouse's operator as the operator's view (name, codes, unit).
  product: (s) => reference(s.productId),
  batch: batchOf,
  available: (s) => s.onHand - s.reserved,
};

/** One entry of the movement ledger. */
export const Movement: TypeResolvers<'Movement'> = {
  id: (m) => String(m.id),
  warehouse: (m, _, ctx) => warehouseOfRow(ctx, m.warehouseId),
  location: (m, _, ctx) => locationOfRow(ctx, m.locationId),
  product: (m) => reference(m.productId),
  batch: batchOf,
};
