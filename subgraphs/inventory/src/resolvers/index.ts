import { DateTimeScalar } from '@redthread/kit';
import { Mutation } from './Mutation';
import { Product } from './Product';
import { Query } from './Query';
import { Shipment, ShipmentLine } from './Shipment';
import { StockCount, StockCountLine } from './StockCount';
import { SellableQuantityChange, ShipmentQueueChange, StockChange, Subscription } from './Subscription';
import { Transfer, TransferLine } from './Transfer';
import { Movement, Receipt, StockLevel, Warehouse } from './Warehouse';

const resultType = (success: string) => ({ __resolveType: (v: { __typename?: string }) => v.__typename ?? success });

/** Every inventory resolver, by type (one file per type). Thin: each calls one service. */
export const resolvers = {
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
  Receipt,
  WarehouseResult: resultType('Warehouse'),
  ReceiptResult: resultType('Receipt'),
  TransferResult: resultType('Transfer'),
  StockCountResult: resultType('StockCount'),
  ShipmentResult: resultType('Shipment'),
  InspectShipmentResult: resultType('Inspection'),
  InventoryError: { __resolveType: (v: { __typename: string }) => v.__typename },
};
