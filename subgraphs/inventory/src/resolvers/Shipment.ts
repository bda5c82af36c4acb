import type { TypeResolvers } from '../generated/resolvers';
import { lastMismatchOf } from '../services/shipments';
import { batchOf, locationOfRow, reference, warehouseOfRow } from './refs';

/** An outbound shipment of one order from one warehouse. */
export const Shipment: TypeResolvers<'Shipment'> = {
  __resolveReference: (ref, ctx) => ctx.loaders.shipment.load(ref.id),
  warehouse: (s, _, ctx) => warehouseOfRow(ctx, s.warehouseId),
  order: (s, _, ctx) => (s.ownerPartnerId === ctx.identity.partnerId ? reference(s.orderId) : null),
  lines: (s, _, ctx) => ctx.loaders.pickLines.load(s),
  lastMismatch: (s) => lastMismatchOf(s),
};

/** A pick-list line of a shipment. */
export const ShipmentLine: TypeResolvers<'ShipmentLine'> = {
  product: (l) => reference(l.productId),
  location: (l, _, ctx) => locationOfRow(ctx, l.locationId),
  batch: batchOf,
};
