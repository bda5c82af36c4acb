import type { PageArgs } from '@redthread/kit';
import type { InventoryContext } from '../context';

import { listWarehouses } from '../services/warehouses';
import type { TransferRow } from '../services/transfers';
import { listMovements, listShipments, listStockCounts, listTransfers, stockLevels, type MovementFilter, type ShipmentFilter, type StockFilter } from '../services/queries';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** Root queries: warehouses, stock, movements, transfers, counts and the shipment queue. */
export const Query = {
  warehouses: async (_: unknown, __: unknown, ctx: Ctx) => listWarehouses(await ctx.tx()),
  warehouse: (_: unknown, a: { id: string }, ctx: Ctx) => ctx.loaders.warehouse.load(a.id),
  stockLevels: async (_: unknown, a: PageArgs & { filter?: StockFilter | null }, ctx: Ctx) => stockLevels(await ctx.tx(), a.filter, a),
  movements: async (_: unknown, a: PageArgs & { filter?: MovementFilter | null }, ctx: Ctx) => listMovements(await ctx.tx(), a.filter, a),
  transfers: async (_: unknown, a: PageArgs & { status?: TransferRow['status'][] | null }, ctx: Ctx) => listTransfers(await ctx.tx(), a.status, a),
  stockCounts: async (_: unknown, a: PageArgs & { warehouseId?: string | null }, ctx: Ctx) => listStockCounts(await ctx.tx(), a.warehouseId, a),
  shipments: async (_: unknown, a: PageArgs & { filter?: ShipmentFilter | null }, ctx: Ctx) => listShipments(await ctx.tx(), a.filter, a),
  shipment: (_: unknown, a: { id: string }, ctx: Ctx) => ctx.loaders.shipment.load(a.id),
};
