import { withInput } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';
import { createLocation, createWarehouse, visibleWarehouse } from '../services/warehouses';
import { receiveReturn, receiveStock } from '../services/receipts';
import { createTransfer, receiveTransfer, shipTransfer } from '../services/transfers';
import { openStockCount, postStockCount, recordCount } from '../services/counts';
import { dispatchShipment, inspectShipment } from '../services/shipments';

/** Mutations: each unpacks its arguments and calls one service in the request's transaction. */
export const Mutation: TypeResolvers<'Mutation'> = {
  createWarehouse: withInput(createWarehouse),
  createLocation: async (_, a, ctx) => createLocation(await ctx.tx(), a.input),
  receiveStock: withInput(receiveStock),
  receiveReturnStock: withInput(receiveReturn),
  createTransfer: withInput(createTransfer),
  shipTransfer: async (_, a, ctx) => shipTransfer(await ctx.tx(), ctx.identity, a.id),
  receiveTransfer: withInput(receiveTransfer),
  openStockCount: async (_, a, ctx) => openStockCount(await ctx.tx(), ctx.identity, a.warehouseId),
  recordCount: withInput(recordCount),
  postStockCount: async (_, a, ctx) => postStockCount(await ctx.tx(), ctx.identity, a.id),
  inspectShipment: withInput(inspectShipment),
  dispatchShipment: async (_, a, ctx) => {
    const tx = await ctx.tx();
    return dispatchShipment(tx, ctx.identity, a.input, (id) => visibleWarehouse(tx, id));
  },
};
