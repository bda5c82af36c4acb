import { changeEnvelope, eventSubscription } from '@redthread/kit';
import type {
  SubscriptionShipmentQueueChangedArgs,
  SubscriptionStockChangedArgs,
  TypeResolvers,
} from '../generated/resolvers';
import { stockChangedEvent } from '../services/ledger';
import { stockSlot } from '../services/queries';
import { sellableQuantityChanges, type SellableQuantityChange as SellableChange } from '../services/sellable';
import { SHIPMENT_QUEUE_TOPICS, shipmentQueueEvent } from '../services/shipments';
import { reference } from './refs';

/**
 * Live stock, shipment queue and sellable-quantity changes. Each event is parsed against the
 * event catalogue as it is delivered, so StockChange and ShipmentQueueChange read typed fields.
 */
export const Subscription: TypeResolvers<'Subscription'> = {
  stockChanged: {
    ...eventSubscription<SubscriptionStockChangedArgs>(['stock.changed'], ({ filter }) =>
      filter?.warehouseId || filter?.productId
        ? (event) =>
            (!filter.warehouseId || event.payload['warehouseId'] === filter.warehouseId) &&
            (!filter.productId || event.payload['productId'] === filter.productId)
        : undefined,
    ),
    resolve: stockChangedEvent,
  },
  shipmentQueueChanged: {
    ...eventSubscription<SubscriptionShipmentQueueChangedArgs>(SHIPMENT_QUEUE_TOPICS, ({ warehouseId }) => (event) => event.payload['warehouseId'] === warehouseId),
    resolve: shipmentQueueEvent,
  },
  sellableQuantityChanged: {
    subscribe: (_, a, ctx) => sellableQuantityChanges(ctx, a.productIds),
    // The generated type leaves the event of a subscription untyped: it is what `subscribe` yields.
    resolve: (change: SellableChange) => change,
  },
};

/** One committed stock movement, as `stockChanged` delivers it. */
export const StockChange: TypeResolvers<'StockChange'> = {
  ...changeEnvelope,
  kind: (e) => e.payload.kind,
  delta: (e) => e.payload.delta,
  productId: (e) => e.payload.productId,
  product: (e) => reference(e.payload.productId),
  warehouse: (e, _, ctx) => ctx.loaders.warehouse.load(e.payload.warehouseId),
  level: async (e, _, ctx) =>
    stockSlot(await ctx.tx(), {
      warehouseId: e.payload.warehouseId,
      locationId: e.payload.locationId,
      productId: e.payload.productId,
      batchId: e.payload.batchId,
    }),
};

/** A product's new sellable quantity for the subscriber. */
export const SellableQuantityChange: TypeResolvers<'SellableQuantityChange'> = {
  product: (change) => reference(change.productId),
};

/** One change to a warehouse's shipment queue. */
export const ShipmentQueueChange: TypeResolvers<'ShipmentQueueChange'> = {
  ...changeEnvelope,
  shipmentId: (e) => e.entityId,
  status: (e) => e.payload.status,
  shipment: (e, _, ctx) => ctx.loaders.shipment.load(e.entityId),
};
