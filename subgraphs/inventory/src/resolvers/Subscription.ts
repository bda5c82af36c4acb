import { changeEnvelope, eventSubscription, type LoggedEvent, type SubscriptionContext } from '@redthread/kit';
import type { InventoryContext } from '../context';

import { stockSlot } from '../services/queries';
import { sellableQuantityChanges, type SellableQuantityChange as SellableChange } from '../services/sellable';
import { ref } from './refs';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** Live stock, shipment queue and sellable-quantity changes. */
export const Subscription = {
  stockChanged: eventSubscription<{ after?: string | null; filter?: { warehouseId?: string | null; productId?: string | null } | null }>(
    ['stock.changed'],
    ({ filter }) =>
      filter?.warehouseId || filter?.productId
        ? (event) =>
            (!filter.warehouseId || event.payload['warehouseId'] === filter.warehouseId) &&
            (!filter.productId || event.payload['productId'] === filter.productId)
        : undefined,
  ),
  shipmentQueueChanged: eventSubscription<{ after?: string | null; warehouseId: string }>(
    ['shipment.*'],
    ({ warehouseId }) => (event) => event.payload['warehouseId'] === warehouseId,
  ),
  sellableQuantityChanged: {
    subscribe: (_: unknown, a: { productIds: string[] }, ctx: SubscriptionContext) => sellableQuantityChanges(ctx, a.productIds),
    resolve: (change: SellableChange) => change,
  },
};

/** One committed stock movement, as `stockChanged` delivers it. */
export const StockChange = {
  ...changeEnvelope,
  kind: (e: LoggedEvent) => e.payload['kind'],
  delta: (e: LoggedEvent) => e.payload['delta'],
  productId: (e: LoggedEvent) => e.payload['productId'],
  product: (e: LoggedEvent) => ref(e.payload['productId'] as string),
  warehouse: (e: LoggedEvent, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(e.payload['warehouseId'] as string),
  level: async (e: LoggedEvent, _: unknown, ctx: Ctx) =>
    stockSlot(await ctx.tx(), {
      warehouseId: e.payload['warehouseId'] as string,
      locationId: e.payload['locationId'] as string,
      productId: e.payload['productId'] as string,
      batchId: (e.payload['batchId'] as string | null) ?? null,
    }),
};

/** A product's new sellable quantity for the subscriber. */
export const SellableQuantityChange = {
  product: (change: SellableChange) => ref(change.productId),
};

/** One change to a warehouse's shipment queue. */
export const ShipmentQueueChange = {
  ...changeEnvelope,
  shipmentId: (e: LoggedEvent) => e.entityId,
  status: (e: LoggedEvent) => e.payload['status'],
  shipment: (e: LoggedEvent, _: unknown, ctx: Ctx) => ctx.loaders.shipment.load(e.entityId),
};
