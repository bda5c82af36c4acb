import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';
import type { PermissionRules } from './generated/resolvers';

const admin = hasAnyRole('admin');
const warehouse = hasAnyRole('admin', 'warehouse');

/**
 * Inventory field rules. Which warehouses a caller sees (owner, or 3PL operator) is decided by
 * row-level security; these rules decide which roles may change what. Unlisted fields are denied.
 */
export const permissions: PermissionRules = {
  Query: {
    warehouses: isCaller,
    warehouse: isCaller,
    stockLevels: isCaller,
    movements: isCaller,
    transfers: isCaller,
    stockCounts: isCaller,
    shipments: isCaller,
    shipment: isCaller,
  },
  Subscription: { stockChanged: isCaller, shipmentQueueChanged: isCaller, sellableQuantityChanged: isCaller },
  Mutation: {
    createWarehouse: admin,
    createLocation: warehouse,
    receiveStock: warehouse,
    receiveReturnStock: warehouse,
    createTransfer: warehouse,
    shipTransfer: warehouse,
    receiveTransfer: warehouse,
    openStockCount: warehouse,
    recordCount: warehouse,
    postStockCount: warehouse,
    inspectShipment: warehouse,
    dispatchShipment: warehouse,
  },
  // Every other type: its fields are readable by whoever may read the field that led to it.
  StockChange: allow,
  ShipmentQueueChange: allow,
  SellableQuantityChange: allow,
  Partner: allow,
  Order: allow,
  Product: allow,
  Warehouse: allow,
  Location: allow,
  Batch: allow,
  StockLevel: allow,
  Movement: allow,
  MovementConnection: allow,
  MovementEdge: allow,
  StockLevelConnection: allow,
  StockLevelEdge: allow,
  TransferConnection: allow,
  TransferEdge: allow,
  StockCountConnection: allow,
  StockCountEdge: allow,
  ShipmentConnection: allow,
  ShipmentEdge: allow,
  PageInfo: allow,
  Transfer: allow,
  TransferLine: allow,
  StockCount: allow,
  StockCountLine: allow,
  Shipment: allow,
  ShipmentLine: allow,
  InspectionDifference: allow,
  Receipt: allow,
  InventoryNotFound: allow,
  InvalidInventoryInput: allow,
  InvalidInventoryTransition: allow,
  InsufficientStock: allow,
  Inspection: allow,
  CodeTaken: allow,
};
