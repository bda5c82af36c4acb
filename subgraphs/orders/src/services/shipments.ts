import type { ResultOf, ConfirmShipmentInput } from '../generated/resolvers';
import { eq, sql } from 'drizzle-orm';
import { orderLines, orders } from '@redthread/schema';
import { isRoutedOrderStatus, type Identity, type Tx } from '@redthread/kit';
import { invalidInput, invalidTransition, notPermittedForRole, orderNotFound } from '../errors';
import { appendOrderEvent, chainCancelled, type OrderExtra, changeStatus, lockLines, lockOrder, lockOrderChain, roleIn, type LineRow, type OrderRow } from './common';

/** The SDL's input types, generated (`npm run codegen`). */
export type { ConfirmShipmentInput };


/**
 * The seller reports units it shipped from its own stock (its ERP, a third-party warehouse, or
 * inventory's dispatch). Only own-fulfilment lines, at most what remains of each. The order becomes
 * PARTIALLY_SHIPPED or SHIPPED, and `order.lines_shipped` carries the shipment down the chain.
 */
export async function confirmShipment(tx: Tx, identity: Identity, input: ConfirmShipmentInput): Promise<ResultOf<'OrderResult'>> {
  // The chain lock first, as cancelOrder takes it: a cancellation and a shipment never both succeed.
  await lockOrderChain(tx, input.orderId);
  const order = await lockOrder(tx, input.orderId);
  if (!order) return orderNotFound();
  if (roleIn(order, identity) !== 'SELLER') return notPermittedForRole('Only the seller ships an order.');
  if (!isRoutedOrderStatus(order.status)) return invalidTransition(order.status, 'shipped');
  if (input.lines.length === 0) return invalidInput('lines', 'Name at least one shipped line.');
  const carrier = input.carrier?.trim() || null;
  const trackingNumber = input.trackingNumber?.trim() || null;
  const lines = await lockLines(tx, order.id);
  const shipped: { line: LineRow; quantity: number }[] = [];
  // What this confirmation ships of each line so far: a line may be named more than once.
  const namedBefore = new Map<string, number>();
  for (const [index, item] of input.lines.entries()) {
    const line = lines.find((l) => l.id === item.lineId);
    const path = `lines[${index}]`;
    if (!line) return invalidInput(`${path}.lineId`, 'No such line in this order.');
    if (line.status !== 'ROUTED' || line.fulfilment !== 'OWN') {
      return invalidInput(`${path}.lineId`, 'Only routed own-fulfilment lines ship from here; drop-shipped lines ship from the supplier.');
    }
    const remaining = line.quantity - line.shippedQuantity - (namedBefore.get(line.id) ?? 0);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > remaining) {
      return invalidInput(`${path}.quantity`, remaining > 0 ? `Ship between 1 and ${remaining} unit(s) of this line.` : 'Nothing of this line is left to ship.');
    }
    namedBefore.set(line.id, (namedBefore.get(line.id) ?? 0) + item.quantity);
    shipped.push({ line, quantity: item.quantity });
  }
  if (await chainCancelled(tx, shipped.map((s) => s.line.id))) {
    return invalidTransition(order.status, 'shipped', 'The order these lines were routed from was cancelled; do not ship them.');
  }
  return recordShipped(tx, identity, order, shipped, { carrier, trackingNumber });
}

/**
 * Adds shipped units to lines, marks fully shipped lines SHIPPED, moves the order to
 * PARTIALLY_SHIPPED or SHIPPED (timeline entry) and appends `order.lines_shipped` with each line's
 * parent line, so the workflow can apply the shipment to the order one level down.
 */
export async function recordShipped(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  shipped: readonly { line: LineRow; quantity: number }[],
  details: Omit<OrderExtra<'order.lines_shipped'>, 'lines'>,
): Promise<OrderRow> {
  // One statement for every line shipped (a line named several times ships the sum).
  const perLine = new Map<string, number>();
  for (const { line, quantity } of shipped) perLine.set(line.id, (perLine.get(line.id) ?? 0) + quantity);
  if (perLine.size) {
    const given = [...perLine].map(([lineId, quantity]) => sql`(${lineId}::uuid, ${quantity}::int)`);
    await tx.execute(sql`
      update orders.order_lines as line
      set shipped_quantity = line.shipped_quantity + given.quantity,
          status = case when line.shipped_quantity + given.quantity >= line.quantity then 'SHIPPED'::orders.line_status else line.status end
      from (values ${sql.join(given, sql`, `)}) as given (id, quantity)
      where line.id = given.id`);
  }
  const lines = await tx.select().from(orderLines).where(eq(orderLines.orderId, order.id));
  const open = lines.filter((l) => l.status !== 'CANCELLED');
  const complete = open.length > 0 && open.every((l) => l.shippedQuantity >= l.quantity);
  const payload = {
    ...details,
    lines: shipped.map(({ line, quantity }) => ({ lineId: line.id, quantity })),
  };
  const target = complete ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
  if (order.status === target) {
    await appendOrderEvent(tx, order, 'order.lines_shipped', payload);
    return order;
  }
  const updated = await changeStatus(tx, identity, order, target, 'order.status_changed', shippedReason(shipped), {});
  await appendOrderEvent(tx, updated, 'order.lines_shipped', payload);
  return updated;
}

function shippedReason(shipped: readonly { quantity: number }[]): string {
  const units = shipped.reduce((sum, s) => sum + s.quantity, 0);
  return `${units} unit(s) shipped`;
}

/**
 * The order a child order was routed from and its lines' parent lines, read as the child's buyer
 * (who is the parent's seller) — the events of the child never name them, since its seller must
 * not learn the order below. Undefined when the order has no parent or is not the caller's.
 */
export async function parentOfChild(tx: Tx, childOrderId: string): Promise<{ parentOrderId: string; parentLineOf: Map<string, string | null> } | undefined> {
  const [child] = await tx.select({ parentOrderId: orders.parentOrderId }).from(orders).where(eq(orders.id, childOrderId));
  if (!child?.parentOrderId) return undefined;
  const lines = await tx.select({ id: orderLines.id, parentLineId: orderLines.parentLineId }).from(orderLines).where(eq(orderLines.orderId, childOrderId));
  return { parentOrderId: child.parentOrderId, parentLineOf: new Map(lines.map((l) => [l.id, l.parentLineId])) };
}

/**
 * Workflow step: a supplier shipped lines of `childOrderId`; apply them to the order they were
 * routed from (acting for the child's buyer, who is that order's seller).
 */
export async function applySupplierShipment(
  tx: Tx,
  identity: Identity,
  childOrderId: string,
  shipped: readonly { lineId: string; quantity: number }[],
): Promise<void> {
  const routedFrom = await parentOfChild(tx, childOrderId);
  if (!routedFrom) return;
  const parent = await lockOrder(tx, routedFrom.parentOrderId);
  if (!parent || parent.status === 'CANCELLED') return;
  const lines = await lockLines(tx, parent.id);
  const applied: { line: LineRow; quantity: number }[] = [];
  for (const item of shipped) {
    const line = lines.find((l) => l.id === routedFrom.parentLineOf.get(item.lineId));
    if (!line) continue;
    const quantity = Math.min(item.quantity, line.quantity - line.shippedQuantity);
    if (quantity > 0) applied.push({ line, quantity });
  }
  if (applied.length === 0) return;
  await recordShipped(tx, identity, parent, applied, { shippedBy: 'supplier' });
}
