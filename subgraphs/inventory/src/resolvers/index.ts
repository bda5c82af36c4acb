import { DateTimeScalar, namedByTypename, resultUnion } from '@redthread/kit';
import type { SubgraphResolvers } from '../generated/resolvers';
import { Mutation } from './Mutation';
import { Product } from './Product';
import { Query } from './Query';
import { Shipment, ShipmentLine } from './Shipment';
import { StockCount, StockCountLine } from './StockCount';
import { SellableQuantityChange, ShipmentQueueChange, StockChange, Subscription } from './Subscription';
import { Transfer, TransferLine } from './Transfer';
import { Movement, StockLevel, Warehouse } from './Warehouse';

/** Every inventory resolver, by type (one file per type). Thin: each calls one service. */
export const resolvers: SubgraphResolvers = {
  DateTime: DateTimeScalar,
  Query,
  Mutation,
  Subscription,
  StockChange,
  SellableQuantityChange,
  ShipmentQueueChange,
  Product,
  Warehouse,
  StockLevel,
  Movement,
  Transfer,
  TransferLine,
  StockCount,
  StockCountLine,
  Shipment,
  ShipmentLine,
  WarehouseResult: resultUnion('Warehouse'),
  ReceiptResult: resultUnion('Receipt'),
  TransferResult: resultUnion('Transfer'),
  StockCountResult: resultUnion('StockCount'),
  ShipmentResult: resultUnion('Shipment'),
  InspectShipmentResult: resultUnion('Inspection'),
  InventoryError: namedByTypename,
};
