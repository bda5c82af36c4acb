import type { TypeResolvers } from '../generated/resolvers';
import { createLocation, createWarehouse, visibleWarehouse } from '../services/warehouses';
import { receiveReturn, receiveStock } from '../services/receipts';
import { createTransfer, receiveTransfer, shipTransfer } from '../services/transfers';
import { openStockCount, postStockCount, recordCount } from '../services/counts';
import { dispatchShipment, inspectShipment } from '../services/shipments';

/** Mutations: each unpacks its arguments and calls one service in the request's transaction. */
export const Mutation: TypeResolvers<'Mutation'> = {
  createWarehouse: async (_, a, ctx) => createWarehouse(await ctx.tx(), ctx.identity, a.input),
  createLocation: async (_, a, ctx) => createLocation(await ctx.tx(), a.input),
  receiveStock: async (_, a, ctx) => receiveStock(await ctx.tx(), ctx.identity, a.input),
  receiveReturnStock: async (_, a, ctx) => receiveReturn(await ctx.tx(), ctx.identity, a.input),
  createTransfer: async (_, a, ctx) => createTransfer(await ctx.tx(), ctx.identity, a.input),
  shipTransfer: async (_, a, ctx) => shipTransfer(await ctx.tx(), ctx.identity, a.id),
  receiveTransfer: async (_, a, ctx) => receiveTransfer(await ctx.tx(), ctx.identity, a.input),
  openStockCount: async (_, a, ctx) => openStockCount(await ctx.tx(), ctx.identity, a.warehouseId),
  recordCount: async (_, a, ctx) => recordCount(await ctx.tx(), ctx.identity, a.input),
  postStockCount: async (_, a, ctx) => postStockCount(await ctx.tx(), ctx.identity, a.id),
  inspectShipment: async (_, a, ctx) => inspectShipment(await ctx.tx(), ctx.identity, a.input),
  dispatchShipment: async (_, a, ctx) => {
    const tx = await ctx.tx();
    return dispatchShipment(tx, ctx.identity, a.input, (id) => visibleWarehouse(tx, id));
  },
};
