import type { InventoryContext } from '../context';

import type { PickLine, ShipmentRow } from '../services/shipments';
import { batchOf, ref } from './refs';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** An outbound shipment of one order from one warehouse. */
export const Shipment = {
  __resolveReference: (reference: { id: string }, ctx: Ctx) => ctx.loaders.shipment.load(reference.id),
  warehouse: (s: ShipmentRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(s.warehouseId),
  order: (s: ShipmentRow, _: unknown, ctx: Ctx) => (s.ownerPartnerId === ctx.identity.partnerId ? ref(s.orderId) : null),
  lines: (s: ShipmentRow, _: unknown, ctx: Ctx) => ctx.loaders.pickLines.load(s),
  lastMismatch: (s: ShipmentRow) => s.lastMismatch ?? null,
};

/** A pick-list line of a shipment. */
export const ShipmentLine = {
  product: (l: PickLine) => ref(l.productId),
  location: (l: PickLine, _: unknown, ctx: Ctx) => ctx.loaders.location.load(l.locationId),
  batch: batchOf,
};
