import type postgres from 'postgres';
import {
  EventConsumer,
  createLogger,
  distinctRuns,
  eventHandlers,
  perTenant,
  inBatches,
  isFinalOrderStatus,
  lineMoveAllowed,
  orderMoveAllowed,
  setTenant,
  type Db,
  type Identity,
  type ParsedPayloadOf,
  type Tx,
} from '@redthread/kit';
import { orderLines } from '@redthread/schema';
import { and, eq, inArray } from 'drizzle-orm';
import { appendOrderEvent, changeStatus, changeStatuses, childOrdersBoughtBy, lockLines, lockOrder, lockOrders, refreshTotal, writeTimeline } from './services/common';
import { advanceReturn, passReturnUpstream } from './services/returns';
import { applySupplierShipment, parentOfChild, recordShipped } from './services/shipments';
import { cancel } from './services/status';

/** Durable name of the orders workflow consumer (its cursor in events.consumer_cursors). */
export const ORDER_WORKFLOW_CONSUMER = 'orders.chain';

/** The identity a workflow step acts under: the partner whose order it changes. */
function actingFor(partnerId: string): Identity {
  return { subject: 'workflow:orders.chain', partnerId, roles: ['admin'] };
}

/**
 * Carries changes along the order chain, one level per event, each step acting for the partner
 * whose order it changes (so row-level security applies as for a user of that partner):
 * - a supplier's shipment (`order.lines_shipped` on an order with a parent) ships the parent's lines;
 * - a supplier's rejection (`order.rejected`) leaves the buyer's parent lines NEEDS_DECISION;
 * - a cancellation (`order.cancelled`) cancels the unshipped orders routed from it, and the
 *   unshipped lines of partly shipped ones (`order.lines_cancelled` carries that further up);
 * - an approved return of a drop-shipped line (`return.approved`) is requested from the supplier;
 * - inventory's allocation result (`inventory.allocation_changed`) makes the order ALLOCATED or BACKORDERED;
 * - a dispatched shipment (`shipment.dispatched`) ships its order lines;
 * - a purchase order received in full (`stock.purchase_received`) becomes DELIVERED.
 * Steps are idempotent and run in the consumer's transaction with its cursor: exactly once.
 */
export const handleChainEvents = eventHandlers({
  'order.lines_shipped': async (tx, event) => {
    // The buyer of the shipped order is the seller of the order it was routed from (if any).
    const buyer = event.payload.buyerPartnerId;
    if (!buyer) return;
    const identity = actingFor(buyer);
    await setTenant(tx, identity);
    await applySupplierShipment(tx, identity, event.entityId, event.payload.lines);
  },
  'order.rejected': async (tx, event) => {
    const buyer = event.payload.buyerPartnerId;
    if (!buyer) return;
    const identity = actingFor(buyer);
    await setTenant(tx, identity);
    await returnLinesForDecision(tx, identity, event.entityId, event.payload.lines, event.payload.reason);
  },
  'order.cancelled': async (tx, event) => {
    // The seller of the cancelled order is the buyer of the orders routed from it.
    const seller = event.payload.sellerPartnerId;
    const identity = actingFor(seller);
    await setTenant(tx, identity);
    for (const child of await childOrdersBoughtBy(tx, event.entityId, seller)) {
      if (child.status === 'PARTIALLY_SHIPPED') await cancelUnshippedLines(tx, identity, child.id);
      if (!orderMoveAllowed('cascadeCancel', child.status)) continue;
      await cancel(tx, identity, child, 'the order it was routed from was cancelled');
    }
  },
  'stock.return_received': async (tx, event) => {
    // The seller's warehouse received (and inspected) the returned units.
    const identity = actingFor(event.payload.sellerPartnerId);
    await setTenant(tx, identity);
    await advanceReturn(tx, identity, event.payload.returnId, 'receive', `received: ${event.payload.outcome.toLowerCase()}`);
  },
  'order.lines_cancelled': async (tx, event) => {
    // Lines of a partly shipped order were cancelled: cancel what was routed from them alone.
    const seller = event.payload.sellerPartnerId;
    const identity = actingFor(seller);
    await setTenant(tx, identity);
    const cancelledLineIds = new Set(event.payload.lineIds);
    for (const child of await childOrdersBoughtBy(tx, event.entityId, seller)) {
      const childLines = await lockLines(tx, child.id);
      const fromCancelled = childLines.filter((l) => l.parentLineId && cancelledLineIds.has(l.parentLineId));
      if (fromCancelled.length === 0) continue;
      if (fromCancelled.length === childLines.length && childLines.every((l) => l.shippedQuantity === 0)) {
        if (orderMoveAllowed('cascadeCancel', child.status)) {
          await cancel(tx, identity, child, 'the lines it was routed from were cancelled');
        }
      } else {
        await cancelUnshippedLines(tx, identity, child.id, fromCancelled.map((l) => l.id));
      }
    }
  },
  'return.approved': async (tx, event) => {
    if (event.payload.fulfilment === 'OWN') return;
    const identity = actingFor(event.payload.sellerPartnerId);
    await setTenant(tx, identity);
    await passReturnUpstream(tx, identity, event.entityId);
  },
  // A storm's allocation results come in runs: each run's status changes are written together.
  'inventory.allocation_changed': inBatches((tx, events) =>
    perTenant(tx, events, (event) => event.payload.sellerPartnerId, actingFor, (identity, ofSeller) =>
      applyAllocations(
        tx,
        identity,
        ofSeller.map((event) => ({ orderId: event.entityId, fullyAllocated: event.payload.fullyAllocated })),
      ),
    ),
  ),
  'shipment.dispatched': async (tx, event) => {
    const identity = actingFor(event.payload.sellerPartnerId);
    await setTenant(tx, identity);
    await applyDispatch(tx, identity, event.payload);
  },
  'stock.purchase_received': async (tx, event) => {
    if (!event.payload.fullyReceived) return;
    const identity = actingFor(event.payload.buyerPartnerId);
    await setTenant(tx, identity);
    const order = await lockOrder(tx, event.entityId);
    if (order && orderMoveAllowed('receivePurchase', order.status, order.kind)) {
      await changeStatus(tx, identity, order, 'DELIVERED', 'order.delivered', 'received in full into the warehouse');
    }
  },
});

/** The topics the chain workflow reacts to. */
export const ORDER_WORKFLOW_TOPICS = handleChainEvents.topics;

/**
 * Cancels the not-yet-shipped lines of a partly shipped order (all, or only `onlyLineIds`) and
 * appends `order.lines_cancelled`, so the cancellation continues to what was routed from them.
 */
async function cancelUnshippedLines(tx: Tx, identity: Identity, orderId: string, onlyLineIds?: readonly string[]): Promise<void> {
  const order = await lockOrder(tx, orderId);
  if (!order) return;
  const lines = await lockLines(tx, order.id);
  const cancellable = lines.filter(
    (l) => l.shippedQuantity === 0 && lineMoveAllowed('cancel', l.status) && (!onlyLineIds || onlyLineIds.includes(l.id)),
  );
  if (cancellable.length === 0) return;
  await tx.update(orderLines).set({ status: 'CANCELLED' }).where(inArray(orderLines.id, cancellable.map((l) => l.id)));
  await refreshTotal(tx, order.id);
  await writeTimeline(tx, identity, order, order.status, order.status, `${cancellable.length} unshipped line(s) cancelled: the order above was cancelled`);
  await appendOrderEvent(tx, order, 'order.lines_cancelled', { lineIds: cancellable.map((l) => l.id) });
}

/**
 * Inventory reserved stock for orders' own lines: each becomes ALLOCATED, or BACKORDERED while
 * short, where its status allows. Results are applied in the order given; an order's second result
 * (a backorder served later in the same batch) starts the next pass, after the first took effect.
 */
async function applyAllocations(tx: Tx, identity: Identity, results: readonly { orderId: string; fullyAllocated: boolean }[]): Promise<void> {
  for (const pass of distinctRuns(results, (result) => result.orderId)) {
    const locked = new Map((await lockOrders(tx, pass.map((result) => result.orderId))).map((order) => [order.id, order]));
    const changes = pass.flatMap(({ orderId, fullyAllocated }) => {
      const order = locked.get(orderId);
      if (!order || !orderMoveAllowed(fullyAllocated ? 'allocate' : 'backorder', order.status)) return [];
      return [{ order, to: fullyAllocated ? ('ALLOCATED' as const) : ('BACKORDERED' as const), reason: fullyAllocated ? 'stock reserved' : 'waiting for stock' }];
    });
    await changeStatuses(tx, identity, 'order.status_changed', changes);
  }
}


/** A warehouse dispatched units of the order's own lines: ship them (and so down the chain). */
async function applyDispatch(tx: Tx, identity: Identity, dispatch: ParsedPayloadOf<'shipment.dispatched'>): Promise<void> {
  const order = await lockOrder(tx, dispatch.orderId);
  if (!order || isFinalOrderStatus(order.status)) return;
  const lines = await lockLines(tx, order.id);
  const shipped = dispatch.lines
    .map((item) => {
      const line = lines.find((l) => l.id === item.orderLineId);
      return line ? { line, quantity: Math.min(item.quantity, line.quantity - line.shippedQuantity) } : undefined;
    })
    .filter((item): item is { line: (typeof lines)[number]; quantity: number } => Boolean(item && item.quantity > 0));
  if (shipped.length === 0) return;
  await recordShipped(tx, identity, order, shipped, { carrier: dispatch.carrier, trackingNumber: dispatch.trackingNumber, shipmentId: dispatch.shipmentId });
}

/** A supplier rejected `rejectedOrderId`: the lines it was routed from wait for the buyer's decision. */
async function returnLinesForDecision(
  tx: Tx,
  identity: Identity,
  rejectedOrderId: string,
  rejectedLines: readonly { lineId: string }[],
  reason: string | null,
): Promise<void> {
  const routedFrom = await parentOfChild(tx, rejectedOrderId);
  if (!routedFrom) return;
  const parent = await lockOrder(tx, routedFrom.parentOrderId);
  if (!parent || isFinalOrderStatus(parent.status)) return;
  const parentLineIds = rejectedLines
    .map((l) => routedFrom.parentLineOf.get(l.lineId))
    .filter((id): id is string => Boolean(id));
  if (parentLineIds.length === 0) return;
  const changed = await tx
    .update(orderLines)
    // A sales line forgets the link it was routed through; a line of a distribution order keeps the
    // link it came through (its buyer's), whatever happens further up.
    .set({ status: 'NEEDS_DECISION', fulfilment: null, ...(parent.buyerPartnerId ? {} : { linkId: null }) })
    .where(and(inArray(orderLines.id, parentLineIds), eq(orderLines.orderId, parent.id), eq(orderLines.status, 'ROUTED')))
    .returning({ id: orderLines.id });
  if (changed.length === 0) return;
  await writeTimeline(tx, identity, parent, parent.status, parent.status, `supplier rejected ${changed.length} line(s)${reason ? `: ${reason}` : ''}; decide with decideLines`);
  await appendOrderEvent(tx, parent, 'order.lines_need_decision', { lineIds: changed.map((l) => l.id) });
}

/** Starts the chain workflow on a worker-role connection. */
export function startOrderWorkflows(options: { db: Db; listenClient: postgres.Sql; pollIntervalMs?: number }): EventConsumer {
  const consumer = new EventConsumer({
    name: ORDER_WORKFLOW_CONSUMER,
    db: options.db,
    listenClient: options.listenClient,
    topics: ORDER_WORKFLOW_TOPICS,
    handle: handleChainEvents,
    logger: createLogger('orders.workflow'),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
  return consumer;
}
