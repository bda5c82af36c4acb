import type { ResultOf, ReviewDecision, LineDecision } from '../generated/resolvers';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { orderLines } from '@redthread/schema';
import { ORDER_TRANSITIONS, cancellingParty, isRoutedOrderStatus, lineStatusesFor, orderMoveAllowed, type Identity, type OrderMove, type Transition, type Tx } from '@redthread/kit';
import { creditLimitExceeded, invalidInput, invalidTransition, isFailure, notPermittedForRole, orderNotFound, type Failure } from '../errors';
import {
  appendOrderEvent,
  chainShipmentStarted,
  changeStatus,
  cleanReason,
  lockLines,
  lockOrder,
  lockOrderChain,
  refreshTotal,
  roleIn,
  setLineStatus,
  writeTimeline,
  type OrderRow,
  type OrderStatus,
} from './common';
import { requestOwnFulfilment, routeOpenLines } from './routing';

/** The SDL's input types, generated (`npm run codegen`). */
export type { ReviewDecision, LineDecision };


/**
 * Takes the chain lock, loads and locks an order and checks `move` against the order life cycle (`ORDER_TRANSITIONS`):
 * the order's kind, the caller's party and the status it may start from.
 */
async function orderFor(tx: Tx, identity: Identity, orderId: string, move: OrderMove, action: string): Promise<ResultOf<'OrderResult'>> {
  // Every move takes the chain lock before the order's row, as cancel, adjust and dispatch do: one
  // lock order for the whole chain, so moves of one chain serialise instead of deadlocking.
  await lockOrderChain(tx, orderId);
  const order = await lockOrder(tx, orderId);
  if (!order) return orderNotFound();
  const rule: Transition<OrderStatus> = ORDER_TRANSITIONS[move];
  if (rule.kinds && !rule.kinds.includes(order.kind)) {
    return invalidTransition(order.status, action, `A ${order.kind} order cannot be ${action}.`);
  }
  if ((rule.by === 'SELLER' || rule.by === 'BUYER') && roleIn(order, identity) !== rule.by) {
    return notPermittedForRole(`Only the ${rule.by.toLowerCase()} of this order can do this.`);
  }
  if (!orderMoveAllowed(move, order.status)) return invalidTransition(order.status, action);
  return order;
}

/** First review of a sales order: APPROVE → PENDING_FINANCE_REVIEW, REJECT → CANCELLED. */
export async function reviewOrder(
  tx: Tx,
  identity: Identity,
  orderId: string,
  decision: ReviewDecision,
  reason?: string | null,
): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (note === undefined) return invalidInput('reason', 'The reason must be at most 1000 characters.');
  const order = await orderFor(tx, identity, orderId, 'review', 'reviewed');
  if (isFailure(order)) return order;
  if (decision === 'REJECT') return cancel(tx, identity, order, note ?? 'rejected in review');
  return changeStatus(tx, identity, order, 'PENDING_FINANCE_REVIEW', 'order.reviewed', note);
}

/** Finance review: APPROVE → APPROVED and the lines are routed; REJECT → CANCELLED. */
export async function financeReviewOrder(
  tx: Tx,
  identity: Identity,
  orderId: string,
  decision: ReviewDecision,
  reason?: string | null,
): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (note === undefined) return invalidInput('reason', 'The reason must be at most 1000 characters.');
  const order = await orderFor(tx, identity, orderId, 'approve', 'finance-reviewed');
  if (isFailure(order)) return order;
  if (decision === 'REJECT') return cancel(tx, identity, order, note ?? 'rejected in finance review');
  const credit = await creditCheck(tx, order);
  if (credit && !note) return credit;
  return approveAndRoute(tx, identity, order, 'order.approved', credit ? `credit limit exceeded; approved by finance: ${note}` : note);
}

/** The seller accepts a DISTRIBUTION or PURCHASE order: APPROVED, and its lines route further up. */
export async function acceptOrder(tx: Tx, identity: Identity, orderId: string): Promise<ResultOf<'OrderResult'>> {
  const order = await orderFor(tx, identity, orderId, 'accept', 'accepted');
  if (isFailure(order)) return order;
  return approveAndRoute(tx, identity, order, 'order.accepted', null);
}

/**
 * The customer's credit (finance's published `customer_credit_status`): a failure when unpaid
 * shipped value plus this order would exceed the limit; undefined when within it or no limit is set.
 */
async function creditCheck(tx: Tx, order: OrderRow): Promise<Failure<'CreditLimitExceeded'> | undefined> {
  if (!order.customerId) return undefined;
  const [credit] = await tx.execute<{ limit_minor: string; outstanding_minor: string; currency: string }>(
    sql`select limit_minor, outstanding_minor, currency from finance.customer_credit_status where customer_id = ${order.customerId}`,
  );
  if (!credit) return undefined;
  // postgres.js returns bigint columns as decimal strings: read them exactly.
  const limit = BigInt(credit.limit_minor);
  const outstanding = BigInt(credit.outstanding_minor);
  // An order in another currency than the credit file cannot be checked: finance decides (reason).
  if (credit.currency === order.currency && outstanding + order.totalMinor <= limit) return undefined;
  return creditLimitExceeded(
    { amountMinor: limit, currency: credit.currency },
    { amountMinor: outstanding, currency: credit.currency },
    { amountMinor: order.totalMinor, currency: order.currency },
  );
}

async function approveAndRoute(tx: Tx, identity: Identity, order: OrderRow, topic: 'order.approved' | 'order.accepted', note: string | null): Promise<OrderRow> {
  const approved = await changeStatus(tx, identity, order, 'APPROVED', topic, note);
  const routing = await routeOpenLines(tx, identity, approved);
  // Where the lines went (the seller's own orders to its suppliers) is the seller's business only.
  await appendOrderEvent(
    tx,
    approved,
    'order.routed',
    {
      distributionOrderIds: routing.distributionOrders.map((o) => o.id),
      ownLineIds: routing.ownLines.map((l) => l.id),
      undecidedLineIds: routing.undecidedLines.map((l) => l.id),
    },
    [approved.sellerPartnerId],
  );
  return approved;
}

/**
 * The seller rejects a DISTRIBUTION or PURCHASE order it has not accepted yet. Its lines are
 * cancelled; the buyer's lines they came from become NEEDS_DECISION (a workflow acting for the
 * buyer does that from `order.rejected`), so nothing is lost.
 */
export async function rejectOrder(tx: Tx, identity: Identity, orderId: string, reason: string): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (!note) return invalidInput('reason', 'Say why (1–1000 characters): the buyer has to decide what to do with the lines.');
  const order = await orderFor(tx, identity, orderId, 'reject', 'rejected');
  if (isFailure(order)) return order;
  const lines = await lockLines(tx, order.id);
  await setLineStatus(tx, lines.map((l) => l.id), 'CANCELLED');
  return changeStatus(tx, identity, order, 'REJECTED', 'order.rejected', note, {
    lines: lines.map((l) => ({ lineId: l.id })),
  });
}

/** Puts an open order on hold; `releaseOrder` returns it to where it was. */
export async function holdOrder(tx: Tx, identity: Identity, orderId: string, reason: string): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (!note) return invalidInput('reason', 'Say why the order is held (1–1000 characters).');
  const order = await orderFor(tx, identity, orderId, 'hold', 'held');
  if (isFailure(order)) return order;
  return changeStatus(tx, identity, order, 'ON_HOLD', 'order.held', note);
}

/** Releases a held order back to the status it was held in. */
export async function releaseOrder(tx: Tx, identity: Identity, orderId: string, reason?: string | null): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (note === undefined) return invalidInput('reason', 'The reason must be at most 1000 characters.');
  const order = await orderFor(tx, identity, orderId, 'release', 'released');
  if (isFailure(order)) return order;
  const released = await changeStatus(tx, identity, order, order.heldFromStatus!, 'order.released', note);
  // Lines adjusted while held on a routed order are routed now.
  if (isRoutedOrderStatus(released.status)) await routeOpenLines(tx, identity, released);
  return released;
}

/**
 * Cancels an order nothing of which has shipped anywhere in its chain: a SALES order by its seller,
 * a DISTRIBUTION or PURCHASE order by its buyer. Takes the chain lock first (`lockOrderChain`), the
 * lock dispatch takes too, so a cancellation and a dispatch of the same chain never both succeed:
 * whichever commits first wins and the other is refused. Emits `order.cancelled`: inventory
 * releases reservations, and the orders workflow cancels the orders routed from it, level by level
 * up the chain.
 */
export async function cancelOrder(tx: Tx, identity: Identity, orderId: string, reason: string): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(reason);
  if (!note) return invalidInput('reason', 'Say why the order is cancelled (1–1000 characters).');
  await lockOrderChain(tx, orderId);
  const order = await lockOrder(tx, orderId);
  if (!order) return orderNotFound();
  const canceller = cancellingParty(order.kind);
  if (roleIn(order, identity) !== canceller) {
    return notPermittedForRole(
      order.kind === 'SALES' ? 'Only the seller can cancel a sales order.' : 'Only the buyer can cancel this order; the seller may reject it.',
    );
  }
  if (!orderMoveAllowed('cancel', order.status)) return invalidTransition(order.status, 'cancelled');
  const lines = await lockLines(tx, order.id);
  if (await chainShipmentStarted(tx, lines.map((l) => l.id))) {
    return invalidTransition(
      order.status,
      'cancelled',
      'Goods of this order have already been dispatched (here or by a supplier); cancel the remaining lines with adjustOrder or request a return.',
    );
  }
  return cancel(tx, identity, order, note);
}

/** Cancels an order and its lines (no checks): used by cancel, review rejection and the cascade. */
export async function cancel(tx: Tx, identity: Identity, order: OrderRow, reason: string): Promise<OrderRow> {
  await tx
    .update(orderLines)
    .set({ status: 'CANCELLED' })
    .where(and(eq(orderLines.orderId, order.id), inArray(orderLines.status, [...lineStatusesFor('cancel')])));
  return changeStatus(tx, identity, order, 'CANCELLED', 'order.cancelled', reason);
}


/** Decides lines left NEEDS_DECISION by a supplier's rejection (or by a link without a price). */
export async function decideLines(
  tx: Tx,
  identity: Identity,
  input: { orderId: string; lineIds: readonly string[]; decision: LineDecision; reason?: string | null },
): Promise<ResultOf<'OrderResult'>> {
  const note = cleanReason(input.reason);
  if (note === undefined) return invalidInput('reason', 'The reason must be at most 1000 characters.');
  const order = await orderFor(tx, identity, input.orderId, 'decideLines', 'decided');
  if (isFailure(order)) return order;
  const lines = await lockLines(tx, order.id);
  const chosen = input.lineIds.map((id) => lines.find((l) => l.id === id));
  const index = chosen.findIndex((l) => !l || l.status !== 'NEEDS_DECISION');
  if (input.lineIds.length === 0) return invalidInput('lineIds', 'Name at least one line.');
  if (index >= 0) return invalidInput(`lineIds[${index}]`, 'This line of the order is not waiting for a decision.');
  const decided = chosen as NonNullable<(typeof chosen)[number]>[];
  if (input.decision === 'CANCEL') {
    await setLineStatus(tx, decided.map((l) => l.id), 'CANCELLED');
    await refreshTotal(tx, order.id);
    const remaining = lines.filter((l) => !decided.includes(l) && l.status !== 'CANCELLED');
    if (remaining.length === 0) return cancel(tx, identity, order, note ?? 'all lines cancelled');
  } else if (input.decision === 'FULFIL_OWN') {
    // A sales line leaves its link; a distribution line keeps the link it came through.
    await tx
      .update(orderLines)
      .set({ status: 'ROUTED', fulfilment: 'OWN', ...(order.kind === 'SALES' ? { linkId: null } : {}) })
      .where(inArray(orderLines.id, decided.map((l) => l.id)));
    await requestOwnFulfilment(tx, order, decided);
  } else {
    await setLineStatus(tx, decided.map((l) => l.id), 'OPEN');
    await routeOpenLines(tx, identity, order, decided.map((l) => l.id));
  }
  await writeTimeline(tx, identity, order, order.status, order.status, `${decided.length} line(s): ${input.decision}${note ? ` — ${note}` : ''}`);
  await appendOrderEvent(tx, order, 'order.lines_decided', { decision: input.decision, lineIds: decided.map((l) => l.id) });
  return (await lockOrder(tx, order.id))!;
}

/** SHIPPED → DELIVERED, by either party. */
export async function confirmDelivery(tx: Tx, identity: Identity, orderId: string): Promise<ResultOf<'OrderResult'>> {
  const order = await orderFor(tx, identity, orderId, 'deliver', 'delivered');
  if (isFailure(order)) return order;
  return changeStatus(tx, identity, order, 'DELIVERED', 'order.delivered', null);
}

/** DELIVERED → COMPLETED, by the seller. */
export async function completeOrder(tx: Tx, identity: Identity, orderId: string): Promise<ResultOf<'OrderResult'>> {
  const order = await orderFor(tx, identity, orderId, 'complete', 'completed');
  if (isFailure(order)) return order;
  return changeStatus(tx, identity, order, 'COMPLETED', 'order.completed', null);
}
