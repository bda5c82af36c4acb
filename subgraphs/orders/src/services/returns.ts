import type { ResultOf, RequestReturnInput } from '../generated/resolvers';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { orderLines, orderReturns } from '@redthread/schema';
import { appendEvent, type Identity, type PayloadOf, type ReturnEventFields, type TopicOf, type Tx } from '@redthread/kit';
import { invalidInput, invalidTransition, notPermittedForRole, orderNotFound, returnNotFound } from '../errors';
import { cleanReason, lockOrder, orderAudience, roleIn, type OrderRow } from './common';
import { isUuid } from '@redthread/kit';

/** The SDL's input types, generated (`npm run codegen`). */
export type { RequestReturnInput };

export type ReturnRow = typeof orderReturns.$inferSelect;
type ReturnStatus = ReturnRow['status'];


/**
 * Requests the return of shipped units of a line: on a SALES order by its seller (recording the
 * customer's request), on a DISTRIBUTION or PURCHASE order by its buyer. At most the shipped units
 * not already in a (non-rejected) return.
 */
export async function requestReturn(tx: Tx, identity: Identity, input: RequestReturnInput): Promise<ResultOf<'ReturnResult'>> {
  const reason = cleanReason(input.reason);
  if (!reason) return invalidInput('reason', 'Say why the units come back (1–1000 characters).');
  const order = await lockOrder(tx, input.orderId);
  if (!order) return orderNotFound();
  const requester = order.kind === 'SALES' ? 'SELLER' : 'BUYER';
  if (roleIn(order, identity) !== requester) {
    return notPermittedForRole(order.kind === 'SALES' ? 'The seller records returns of a sales order.' : 'The buyer requests returns of this order.');
  }
  return createReturn(tx, order, input.lineId, input.quantity, reason, null);
}

async function createReturn(
  tx: Tx,
  order: OrderRow,
  lineId: string,
  quantity: number,
  reason: string,
  parentReturnId: string | null,
): Promise<ResultOf<'ReturnResult'>> {
  if (!isUuid(lineId)) return invalidInput('lineId', 'No such line in this order.');
  const [line] = await tx
    .select()
    .from(orderLines)
    .where(and(eq(orderLines.id, lineId), eq(orderLines.orderId, order.id)))
    .for('update');
  if (!line) return invalidInput('lineId', 'No such line in this order.');
  const [taken] = await tx.execute<{ units: number }>(sql`
    select coalesce(sum(quantity), 0)::int as units from orders.order_returns where line_id = ${line.id} and status <> 'REJECTED'`);
  const returnable = line.shippedQuantity - (taken?.units ?? 0);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > returnable) {
    return invalidInput('quantity', returnable > 0 ? `Return between 1 and ${returnable} unit(s) of this line.` : 'No shipped units of this line are left to return.');
  }
  const [created] = await tx
    .insert(orderReturns)
    .values({
      orderId: order.id,
      lineId: line.id,
      sellerPartnerId: order.sellerPartnerId,
      buyerPartnerId: order.buyerPartnerId,
      quantity,
      reason,
      parentReturnId,
    })
    .returning();
  await appendReturnEvent(tx, created!, 'return.requested', { fulfilment: line.fulfilment });
  return created!;
}

const RETURN_STEPS: Record<
  'approve' | 'reject' | 'receive' | 'refund' | 'credit',
  { from: ReturnStatus; to: ReturnStatus; topic: 'return.approved' | 'return.rejected' | 'return.received' | 'return.refunded' | 'return.credited' }
> = {
  approve: { from: 'REQUESTED', to: 'APPROVED', topic: 'return.approved' },
  reject: { from: 'REQUESTED', to: 'REJECTED', topic: 'return.rejected' },
  receive: { from: 'APPROVED', to: 'RECEIVED', topic: 'return.received' },
  refund: { from: 'RECEIVED', to: 'REFUNDED', topic: 'return.refunded' },
  credit: { from: 'RECEIVED', to: 'CREDITED', topic: 'return.credited' },
};

/**
 * Moves a return along REQUESTED → APPROVED → RECEIVED → REFUNDED | CREDITED (or REQUESTED →
 * REJECTED). Only the order's seller decides, receives and settles. `return.<step>` events follow;
 * an approved return of a drop-shipped line is passed up the chain by the orders workflow.
 */
export async function advanceReturn(
  tx: Tx,
  identity: Identity,
  returnId: string,
  step: keyof typeof RETURN_STEPS,
  note?: string | null,
): Promise<ResultOf<'ReturnResult'>> {
  const cleaned = cleanReason(note);
  if (cleaned === undefined) return invalidInput('note', 'The note must be at most 1000 characters.');
  if (step === 'reject' && !cleaned) return invalidInput('note', 'Say why the return is rejected.');
  if (!isUuid(returnId)) return returnNotFound();
  const [row] = await tx.select().from(orderReturns).where(eq(orderReturns.id, returnId)).for('update');
  if (!row) return returnNotFound();
  if (row.sellerPartnerId !== identity.partnerId) return notPermittedForRole('Only the seller of the order handles its returns.');
  const rule = RETURN_STEPS[step];
  if (row.status !== rule.from) return invalidTransition(row.status, step, `A ${row.status} return cannot be ${step === 'receive' ? 'received' : `${step}ed`}.`);
  const [updated] = await tx
    .update(orderReturns)
    .set({ status: rule.to, decisionNote: cleaned ?? row.decisionNote, updatedAt: sql`now()` })
    .where(eq(orderReturns.id, row.id))
    .returning();
  const [line] = await tx.select({ fulfilment: orderLines.fulfilment }).from(orderLines).where(eq(orderLines.id, row.lineId));
  await appendReturnEvent(tx, updated!, rule.topic, { note: cleaned, fulfilment: line?.fulfilment ?? null });
  return updated!;
}

/**
 * Workflow step: an approved return of a drop-shipped line becomes a return request on the
 * supplier's line it was routed to (acting for the approving seller, who bought that line).
 */
export async function passReturnUpstream(tx: Tx, identity: Identity, returnId: string): Promise<void> {
  const [approved] = await tx.select().from(orderReturns).where(eq(orderReturns.id, returnId));
  if (!approved) return;
  const [already] = await tx.select({ id: orderReturns.id }).from(orderReturns).where(eq(orderReturns.parentReturnId, approved.id));
  if (already) return;
  const [childLine] = await tx
    .select()
    .from(orderLines)
    .where(and(eq(orderLines.parentLineId, approved.lineId), eq(orderLines.buyerPartnerId, identity.partnerId), ne(orderLines.status, 'CANCELLED')));
  if (!childLine) return;
  const childOrder = await lockOrder(tx, childLine.orderId);
  if (!childOrder) return;
  await createReturn(tx, childOrder, childLine.id, Math.min(approved.quantity, childLine.shippedQuantity), `passed on: ${approved.reason}`, approved.id);
}

/** Returns of these orders (visible to the caller); one statement. */
export async function returnsByOrderIds(tx: Tx, orderIds: readonly string[]): Promise<ReturnRow[]> {
  if (orderIds.length === 0) return [];
  return tx.select().from(orderReturns).where(inArray(orderReturns.orderId, [...orderIds])).orderBy(orderReturns.createdAt);
}

/** Appends a `return.*` event to the return's two parties; it names nothing of the hops below or above. */
async function appendReturnEvent<T extends TopicOf<'Return'> & `return.${string}`>(
  tx: Tx,
  row: ReturnRow,
  topic: T,
  payload: Omit<PayloadOf<T>, keyof ReturnEventFields>,
): Promise<void> {
  await appendEvent<TopicOf<'Return'>>(tx, {
    topic,
    entityType: 'Return',
    entityId: row.id,
    audience: orderAudience({ sellerPartnerId: row.sellerPartnerId, buyerPartnerId: row.buyerPartnerId }),
    payload: {
      orderId: row.orderId,
      lineId: row.lineId,
      quantity: row.quantity,
      status: row.status,
      sellerPartnerId: row.sellerPartnerId,
      buyerPartnerId: row.buyerPartnerId,
      ...payload,
    } as PayloadOf<T>,
  });
}
