import DataLoader from 'dataloader';
import { rowsByKey, rowsGroupedByKey, type LoaderScope } from '@redthread/kit';
import { linesOfCounts } from './services/counts';
import { batchesByIds, type BatchRow } from './services/ledger';
import { sellableQuantities, shipmentsByIds } from './services/queries';
import { pickLinesOf, type PickLine, type ShipmentRow } from './services/shipments';
import { linesOfTransfers, type TransferLineRow } from './services/transfers';
import { locationsByIds, locationsByWarehouseIds, warehousesByIds, type LocationRow, type WarehouseRow } from './services/warehouses';

/** The inventory subgraph's DataLoaders: one statement per batch, per request. */
export interface InventoryLoaders {
  warehouse: DataLoader<string, WarehouseRow | null>;
  location: DataLoader<string, LocationRow | null>;
  locationsOfWarehouse: DataLoader<string, LocationRow[]>;
  batch: DataLoader<string, BatchRow | null>;
  shipment: DataLoader<string, ShipmentRow | null>;
  pickLines: DataLoader<ShipmentRow, PickLine[], string>;
  transferLines: DataLoader<string, TransferLineRow[]>;
  countLines: DataLoader<string, Awaited<ReturnType<typeof linesOfCounts>>>;
  sellable: DataLoader<string, number | null>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createInventoryLoaders(scope: LoaderScope): InventoryLoaders {
  const tx = () => scope.tx();
  return {
    warehouse: new DataLoader(async (ids) => rowsByKey(ids, await warehousesByIds(await tx(), ids), (r) => r.id)),
    location: new DataLoader(async (ids) => rowsByKey(ids, await locationsByIds(await tx(), ids), (r) => r.id)),
    locationsOfWarehouse: new DataLoader(async (ids) => rowsGroupedByKey(ids, await locationsByWarehouseIds(await tx(), ids), (r) => r.warehouseId)),
    batch: new DataLoader(async (ids) => rowsByKey(ids, await batchesByIds(await tx(), ids), (r) => r.id)),
    shipment: new DataLoader(async (ids) => rowsByKey(ids, await shipmentsByIds(await tx(), ids), (r) => r.id)),
    pickLines: new DataLoader(
      async (rows) => {
        const lines = await pickLinesOf(await tx(), rows);
        return rows.map((row) => lines.get(row.id) ?? []);
      },
      { cacheKeyFn: (row) => row.id },
    ),
    transferLines: new DataLoader(async (ids) => rowsGroupedByKey(ids, await linesOfTransfers(await tx(), ids), (r) => r.transferId)),
    countLines: new DataLoader(async (ids) => rowsGroupedByKey(ids, await linesOfCounts(await tx(), ids), (r) => r.countId)),
    sellable: new DataLoader(async (ids) => {
      const quantities = await sellableQuantities(await tx(), scope.identity.partnerId, ids);
      return ids.map((id) => quantities.get(id) ?? null);
    }),
  };
}
