import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';

const admin = hasAnyRole('admin');
const warehouse = hasAnyRole('admin', 'warehouse');

/**
 * Inventory field rules. Which warehouses a caller sees (owner, or 3PL operator) is decided by
 * row-level security; these rules decide which roles may change what. Unlisted fields are denied.
 */
export const permissions = {
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
  ...Object.fromEntries(
    [
      'StockChange', 'ShipmentQueueChange', 'SellableQuantityChange', 'Partner', 'Order', 'Product', 'Warehouse', 'Location', 'Batch', 'StockLevel', 'Movement', 'MovementConnection',
      'MovementEdge', 'StockLevelConnection', 'StockLevelEdge', 'TransferConnection', 'TransferEdge', 'StockCountConnection', 'StockCountEdge',
      'ShipmentConnection', 'ShipmentEdge', 'PageInfo', 'Transfer', 'TransferLine', 'StockCount', 'StockCountLine', 'Shipment', 'ShipmentLine',
      'InspectionDifference', 'Receipt', 'InventoryNotFound', 'InvalidInventoryInput', 'InvalidInventoryTransition',
      'InsufficientStock', 'Inspection', 'CodeTaken',
    ].map((type) => [type, allow]),
  ),
};
