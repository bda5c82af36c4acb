import type { InventoryContext } from '../context';

import { createLocation, createWarehouse, visibleWarehouse, type CreateWarehouseInput } from '../services/warehouses';
import { receiveReturn, receiveStock, type ReceiveStockInput } from '../services/receipts';
import { createTransfer, receiveTransfer, shipTransfer, type CreateTransferInput } from '../services/transfers';
import { openStockCount, postStockCount, recordCount } from '../services/counts';
import { dispatchShipment, inspectShipment } from '../services/shipments';

/** The request context every resolver receives. */
type Ctx = InventoryContext;

/** Mutations: each unpacks its arguments and calls one service in the request's transaction. */
export const Mutation = {
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
};
