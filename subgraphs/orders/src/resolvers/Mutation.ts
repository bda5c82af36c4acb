import { withInput } from '@redthread/kit';
import type { TypeResolvers } from '../generated/resolvers';
import { adjustOrder } from '../services/adjust';
import { createChannel, createCustomer } from '../services/channels';
import { importOrders, placeOrder } from '../services/intake';
import { createPurchaseOrder, submitPurchaseOrder } from '../services/purchase';
import { advanceReturn, requestReturn } from '../services/returns';
import { confirmShipment } from '../services/shipments';
import {
  acceptOrder,
  cancelOrder,
  completeOrder,
  confirmDelivery,
  decideLines,
  financeReviewOrder,
  holdOrder,
  rejectOrder,
  releaseOrder,
  reviewOrder,
} from '../services/status';

/** Orders mutations; each returns a result union (the object or a typed failure). */
export const Mutation: TypeResolvers<'Mutation'> = {
  createChannel: withInput(createChannel),
  createCustomer: withInput(createCustomer),
  placeOrder: withInput(placeOrder),
  importOrders: async (_, a, ctx) => {
    const results = await importOrders(await ctx.tx(), ctx.identity, a.orders);
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    return { created: count('CREATED'), duplicates: count('DUPLICATE'), errors: count('ERROR'), results };
  },
  reviewOrder: async (_, a, ctx) => reviewOrder(await ctx.tx(), ctx.identity, a.id, a.decision, a.reason),
  financeReviewOrder: async (_, a, ctx) =>
    financeReviewOrder(await ctx.tx(), ctx.identity, a.id, a.decision, a.reason),
  holdOrder: async (_, a, ctx) => holdOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  releaseOrder: async (_, a, ctx) =>
    releaseOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  cancelOrder: async (_, a, ctx) => cancelOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  adjustOrder: withInput(adjustOrder),
  acceptDistributionOrder: async (_, a, ctx) => acceptOrder(await ctx.tx(), ctx.identity, a.id),
  rejectDistributionOrder: async (_, a, ctx) =>
    rejectOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  decideLines: withInput(decideLines),
  confirmShipment: withInput(confirmShipment),
  confirmDelivery: async (_, a, ctx) => confirmDelivery(await ctx.tx(), ctx.identity, a.id),
  completeOrder: async (_, a, ctx) => completeOrder(await ctx.tx(), ctx.identity, a.id),
  createPurchaseOrder: withInput(createPurchaseOrder),
  submitPurchaseOrder: async (_, a, ctx) => submitPurchaseOrder(await ctx.tx(), ctx.identity, a.id),
  requestReturn: withInput(requestReturn),
  approveReturn: async (_, a, ctx) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'approve', a.note),
  rejectReturn: async (_, a, ctx) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'reject', a.note),
  receiveReturn: async (_, a, ctx) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'receive', a.note),
  settleReturn: async (_, a, ctx) =>
    advanceReturn(await ctx.tx(), ctx.identity, a.id, a.outcome === 'REFUND' ? 'refund' : 'credit', a.note),
};
