import type { OrdersContext } from '../context';
import { adjustOrder, type AdjustOrderInput } from '../services/adjust';
import { createChannel, createCustomer, type CreateChannelInput, type CreateCustomerInput } from '../services/channels';
import { importOrders, placeOrder, type PlaceOrderInput } from '../services/intake';
import { createPurchaseOrder, submitPurchaseOrder, type CreatePurchaseOrderInput } from '../services/purchase';
import { advanceReturn, requestReturn, type RequestReturnInput } from '../services/returns';
import { confirmShipment, type ConfirmShipmentInput } from '../services/shipments';
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
  type LineDecision,
  type ReviewDecision,
} from '../services/status';

type Id = { id: string };
type Review = Id & { decision: ReviewDecision; reason?: string | null };
type Note = Id & { note?: string | null };

/** Orders mutations; each returns a result union (the object or a typed failure). */
export const Mutation = {
  createChannel: async (_: unknown, a: { input: CreateChannelInput }, ctx: OrdersContext) => createChannel(await ctx.tx(), ctx.identity, a.input),
  createCustomer: async (_: unknown, a: { input: CreateCustomerInput }, ctx: OrdersContext) =>
    createCustomer(await ctx.tx(), ctx.identity, a.input),
  placeOrder: async (_: unknown, a: { input: PlaceOrderInput }, ctx: OrdersContext) => placeOrder(await ctx.tx(), ctx.identity, a.input),
  importOrders: async (_: unknown, a: { orders: PlaceOrderInput[] }, ctx: OrdersContext) => {
    const results = await importOrders(await ctx.tx(), ctx.identity, a.orders);
    const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
    return { created: count('CREATED'), duplicates: count('DUPLICATE'), errors: count('ERROR'), results };
  },
  reviewOrder: async (_: unknown, a: Review, ctx: OrdersContext) => reviewOrder(await ctx.tx(), ctx.identity, a.id, a.decision, a.reason),
  financeReviewOrder: async (_: unknown, a: Review, ctx: OrdersContext) =>
    financeReviewOrder(await ctx.tx(), ctx.identity, a.id, a.decision, a.reason),
  holdOrder: async (_: unknown, a: Id & { reason: string }, ctx: OrdersContext) => holdOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  releaseOrder: async (_: unknown, a: Id & { reason?: string | null }, ctx: OrdersContext) =>
    releaseOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  cancelOrder: async (_: unknown, a: Id & { reason: string }, ctx: OrdersContext) => cancelOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  adjustOrder: async (_: unknown, a: { input: AdjustOrderInput }, ctx: OrdersContext) => adjustOrder(await ctx.tx(), ctx.identity, a.input),
  acceptDistributionOrder: async (_: unknown, a: Id, ctx: OrdersContext) => acceptOrder(await ctx.tx(), ctx.identity, a.id),
  rejectDistributionOrder: async (_: unknown, a: Id & { reason: string }, ctx: OrdersContext) =>
    rejectOrder(await ctx.tx(), ctx.identity, a.id, a.reason),
  decideLines: async (
    _: unknown,
    a: { input: { orderId: string; lineIds: string[]; decision: LineDecision; reason?: string | null } },
    ctx: OrdersContext,
  ) => decideLines(await ctx.tx(), ctx.identity, a.input),
  confirmShipment: async (_: unknown, a: { input: ConfirmShipmentInput }, ctx: OrdersContext) =>
    confirmShipment(await ctx.tx(), ctx.identity, a.input),
  confirmDelivery: async (_: unknown, a: Id, ctx: OrdersContext) => confirmDelivery(await ctx.tx(), ctx.identity, a.id),
  completeOrder: async (_: unknown, a: Id, ctx: OrdersContext) => completeOrder(await ctx.tx(), ctx.identity, a.id),
  createPurchaseOrder: async (_: unknown, a: { input: CreatePurchaseOrderInput }, ctx: OrdersContext) =>
    createPurchaseOrder(await ctx.tx(), ctx.identity, a.input),
  submitPurchaseOrder: async (_: unknown, a: Id, ctx: OrdersContext) => submitPurchaseOrder(await ctx.tx(), ctx.identity, a.id),
  requestReturn: async (_: unknown, a: { input: RequestReturnInput }, ctx: OrdersContext) =>
    requestReturn(await ctx.tx(), ctx.identity, a.input),
  approveReturn: async (_: unknown, a: Note, ctx: OrdersContext) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'approve', a.note),
  rejectReturn: async (_: unknown, a: Note, ctx: OrdersContext) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'reject', a.note),
  receiveReturn: async (_: unknown, a: Note, ctx: OrdersContext) => advanceReturn(await ctx.tx(), ctx.identity, a.id, 'receive', a.note),
  settleReturn: async (_: unknown, a: Note & { outcome: 'REFUND' | 'CREDIT' }, ctx: OrdersContext) =>
    advanceReturn(await ctx.tx(), ctx.identity, a.id, a.outcome === 'REFUND' ? 'refund' : 'credit', a.note),
};
