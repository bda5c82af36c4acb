import { DateTimeScalar, changeEnvelope, eventSubscription, type LoggedEvent, type PageArgs, type SubscriptionContext } from '@redthread/kit';
import { stockSlot } from '../services/queries';
import type { InventoryContext } from '../context';
import { createLocation, createWarehouse, listWarehouses, visibleWarehouse, type CreateWarehouseInput, type WarehouseRow } from '../services/warehouses';
import { receiveReturn, receiveStock, type ReceiveStockInput } from '../services/receipts';
import { createTransfer, receiveTransfer, shipTransfer, type CreateTransferInput, type TransferRow, type TransferLineRow } from '../services/transfers';
import { openStockCount, postStockCount, recordCount, type StockCountRow } from '../services/counts';
import { dispatchShipment, inspectShipment, type PickLine, type ShipmentRow } from '../services/shipments';
import { listMovements, listShipments, listStockCounts, listTransfers, stockLevels, type MovementFilter, type ShipmentFilter, type StockFilter } from '../services/queries';
import type { MovementRow, StockRow } from '../services/ledger';
import { sellableQuantityChanges, type SellableQuantityChange } from '../services/sellable';

type Ctx = InventoryContext;
const ref = (id: string | null) => (id ? { id } : null);
const resultType = (success: string) => ({ __resolveType: (v: { __typename?: string }) => v.__typename ?? success });
const batchOf = (row: { batchId: string | null }, _: unknown, ctx: Ctx) => (row.batchId ? ctx.loaders.batch.load(row.batchId) : null);

/** Every inventory resolver, by type. Thin: each calls one service. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    warehouses: async (_: unknown, __: unknown, ctx: Ctx) => listWarehouses(await ctx.tx()),
    warehouse: (_: unknown, a: { id: string }, ctx: Ctx) => ctx.loaders.warehouse.load(a.id),
    stockLevels: async (_: unknown, a: PageArgs & { filter?: StockFilter | null }, ctx: Ctx) => stockLevels(await ctx.tx(), a.filter, a),
    movements: async (_: unknown, a: PageArgs & { filter?: MovementFilter | null }, ctx: Ctx) => listMovements(await ctx.tx(), a.filter, a),
    transfers: async (_: unknown, a: PageArgs & { status?: TransferRow['status'][] | null }, ctx: Ctx) => listTransfers(await ctx.tx(), a.status, a),
    stockCounts: async (_: unknown, a: PageArgs & { warehouseId?: string | null }, ctx: Ctx) => listStockCounts(await ctx.tx(), a.warehouseId, a),
    shipments: async (_: unknown, a: PageArgs & { filter?: ShipmentFilter | null }, ctx: Ctx) => listShipments(await ctx.tx(), a.filter, a),
    shipment: (_: unknown, a: { id: string }, ctx: Ctx) => ctx.loaders.shipment.load(a.id),
  },
  Mutation: {
    createWarehouse: async (_: unknown, a: { input: CreateWarehouseInput }, ctx: Ctx) => createWarehouse(await ctx.tx(), ctx.identity, a.input),
    createLocation: async (_: unknown, a: { input: { warehouseId: string; code: string } }, ctx: Ctx) => createLocation(await ctx.tx(), a.input),
    receiveStock: async (_: unknown, a: { input: ReceiveStockInput }, ctx: Ctx) => {
      const result = await receiveStock(await ctx.tx(), ctx.identity, a.input);
      return 'errorCode' in result ? result : { __typename: 'Receipt', ...result };
    },
    receiveReturnStock: async (_: unknown, a: { input: Parameters<typeof receiveReturn>[2] }, ctx: Ctx) => {
      const result = await receiveReturn(await ctx.tx(), ctx.identity, a.input);
      return 'errorCode' in result ? result : { __typename: 'Receipt', ...result };
    },
    createTransfer: async (_: unknown, a: { input: CreateTransferInput }, ctx: Ctx) => createTransfer(await ctx.tx(), ctx.identity, a.input),
    shipTransfer: async (_: unknown, a: { id: string }, ctx: Ctx) => shipTransfer(await ctx.tx(), ctx.identity, a.id),
    receiveTransfer: async (_: unknown, a: { input: Parameters<typeof receiveTransfer>[2] }, ctx: Ctx) =>
      receiveTransfer(await ctx.tx(), ctx.identity, a.input),
    openStockCount: async (_: unknown, a: { warehouseId: string }, ctx: Ctx) => openStockCount(await ctx.tx(), ctx.identity, a.warehouseId),
    recordCount: async (_: unknown, a: { input: Parameters<typeof recordCount>[2] }, ctx: Ctx) => recordCount(await ctx.tx(), ctx.identity, a.input),
    postStockCount: async (_: unknown, a: { id: string }, ctx: Ctx) => postStockCount(await ctx.tx(), ctx.identity, a.id),
    inspectShipment: async (_: unknown, a: { input: Parameters<typeof inspectShipment>[2] }, ctx: Ctx) =>
      inspectShipment(await ctx.tx(), ctx.identity, a.input),
    dispatchShipment: async (_: unknown, a: { input: Parameters<typeof dispatchShipment>[2] }, ctx: Ctx) => {
      const tx = await ctx.tx();
      return dispatchShipment(tx, ctx.identity, a.input, (id) => visibleWarehouse(tx, id));
    },
  },
  Subscription: {
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
      resolve: (change: SellableQuantityChange) => change,
    },
  },
  StockChange: {
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
  },
  SellableQuantityChange: {
    product: (change: SellableQuantityChange) => ref(change.productId),
  },
  ShipmentQueueChange: {
    ...changeEnvelope,
    shipmentId: (e: LoggedEvent) => e.entityId,
    status: (e: LoggedEvent) => e.payload['status'],
    shipment: (e: LoggedEvent, _: unknown, ctx: Ctx) => ctx.loaders.shipment.load(e.entityId),
  },
  Product: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    sellableQuantity: (product: { id: string }, _: unknown, ctx: Ctx) => ctx.loaders.sellable.load(product.id),
  },
  Warehouse: {
    __resolveReference: (reference: { id: string }, ctx: Ctx) => ctx.loaders.warehouse.load(reference.id),
    // Only the owner and the operator see a warehouse, and catalog shows each to the other, so
    // neither reference can name a partner the caller may not see.
    owner: (w: WarehouseRow) => ref(w.ownerPartnerId),
    operator: (w: WarehouseRow) => ref(w.operatorPartnerId),
    locations: (w: WarehouseRow, _: unknown, ctx: Ctx) => ctx.loaders.locationsOfWarehouse.load(w.id),
  },
  StockLevel: {
    warehouse: (s: StockRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(s.warehouseId),
    location: (s: StockRow, _: unknown, ctx: Ctx) => ctx.loaders.location.load(s.locationId),
    // A slot holds its owner's product (receipts take no other): catalog shows it to the owner in
    // full and to the warehouse's operator as the operator's view (name, codes, unit).
    product: (s: StockRow) => ref(s.productId),
    batch: batchOf,
    available: (s: StockRow) => s.onHand - s.reserved,
  },
  Movement: {
    id: (m: MovementRow) => String(m.id),
    warehouse: (m: MovementRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(m.warehouseId),
    location: (m: MovementRow, _: unknown, ctx: Ctx) => ctx.loaders.location.load(m.locationId),
    product: (m: MovementRow) => ref(m.productId),
    batch: batchOf,
  },
  Transfer: {
    from: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(t.fromWarehouseId),
    to: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(t.toWarehouseId),
    lines: (t: TransferRow, _: unknown, ctx: Ctx) => ctx.loaders.transferLines.load(t.id),
  },
  TransferLine: {
    batch: batchOf,
    difference: (l: TransferLineRow) => (l.receivedQuantity === null ? null : l.receivedQuantity - l.quantity),
  },
  StockCount: {
    warehouse: (c: StockCountRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(c.warehouseId),
    lines: async (c: StockCountRow, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.countLines.load(c.id)).map((line) => ({ ...line, posted: c.status === 'POSTED' })),
  },
  StockCountLine: {
    location: (l: { locationId: string }, _: unknown, ctx: Ctx) => ctx.loaders.location.load(l.locationId),
    batch: batchOf,
    expected: (l: { expected: number; posted: boolean }) => (l.posted ? l.expected : null),
    variance: (l: { expected: number; counted: number | null; posted: boolean }) => (l.posted && l.counted !== null ? l.counted - l.expected : null),
  },
  Shipment: {
    __resolveReference: (reference: { id: string }, ctx: Ctx) => ctx.loaders.shipment.load(reference.id),
    warehouse: (s: ShipmentRow, _: unknown, ctx: Ctx) => ctx.loaders.warehouse.load(s.warehouseId),
    order: (s: ShipmentRow, _: unknown, ctx: Ctx) => (s.ownerPartnerId === ctx.identity.partnerId ? ref(s.orderId) : null),
    lines: (s: ShipmentRow, _: unknown, ctx: Ctx) => ctx.loaders.pickLines.load(s),
    lastMismatch: (s: ShipmentRow) => s.lastMismatch ?? null,
  },
  ShipmentLine: {
    product: (l: PickLine) => ref(l.productId),
    location: (l: PickLine, _: unknown, ctx: Ctx) => ctx.loaders.location.load(l.locationId),
    batch: batchOf,
  },
  Receipt: {
    warehouse: (r: { warehouse: WarehouseRow }) => r.warehouse,
  },
  WarehouseResult: resultType('Warehouse'),
  ReceiptResult: resultType('Receipt'),
  TransferResult: resultType('Transfer'),
  StockCountResult: resultType('StockCount'),
  ShipmentResult: resultType('Shipment'),
  InspectShipmentResult: resultType('Inspection'),
  InventoryError: { __resolveType: (v: { __typename: string }) => v.__typename },
};
