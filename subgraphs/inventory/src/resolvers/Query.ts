import type { TypeResolvers } from '../generated/resolvers';
import { listWarehouses } from '../services/warehouses';
import { listMovements, listShipments, listStockCounts, listTransfers, stockLevels } from '../services/queries';

/** Root queries: warehouses, stock, movements, transfers, counts and the shipment queue. */
export const Query: TypeResolvers<'Query'> = {
  warehouses: async (_, __, ctx) => listWarehouses(await ctx.tx()),
  warehouse: (_, a, ctx) => ctx.loaders.warehouse.load(a.id),
  stockLevels: async (_, a, ctx) => stockLevels(await ctx.tx(), a.filter, a),
  movements: async (_, a, ctx) => listMovements(await ctx.tx(), a.filter, a),
  transfers: async (_, a, ctx) => listTransfers(await ctx.tx(), a.status, a),
  stockCounts: async (_, a, ctx) => listStockCounts(await ctx.tx(), a.warehouseId, a),
  shipments: async (_, a, ctx) => listShipments(await ctx.tx(), a.filter, a),
  shipment: (_, a, ctx) => ctx.loaders.shipment.load(a.id),
};
