import { eq } from 'drizzle-orm';
import { orderLines, orders } from '@redthread/schema';
import type { Identity, Tx } from '@redthread/kit';
import { invalidInput, invalidTransition, isFailure, notPermittedForRole, orderNotFound, type OrdersFailure } from '../errors';
import { normaliseAddress, type AddressInput } from './channels';
import { appendOrderEvent, childOrdersBoughtBy, cleanReason, lockLines, lockOrder, refreshTotal, roleIn, writeTimeline, type OrderRow, type OrderStatus } from './common';
import { validateLines } from './intake';
import { routeOpenLines } from './routing';
import { cancel } from './status';

/** Input of `adjustOrder`. */
export interface AdjustOrderInput {
  orderId: string;
  quantities?: { lineId: string; quantity: number }[] | null;
  substitutions?: { lineId: string; productId: string }[] | null;
  shipTo?: AddressInput | null;
  deliveryMethod?: string | null;
  reason: string;
}

const ADJUSTABLE: readonly OrderStatus[] = ['PENDING_REVIEW', 'PENDING_FINANCE_REVIEW', 'APPROVED', 'ALLOCATED', 'BACKORDERED', 'ON_HOLD'];
const ROUTED_STATUSES: readonly OrderStatus[] = ['APPROVED', 'ALLOCATED', 'BACKORDERED'];
const SHIPPED_STATUSES: readonly OrderStatus[] = ['PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED'];

/**
 * Changes a sales order before anything ships: quantities (0 cancels a line), product
 * substitutions (re-validated against the caller's catalog), ship-to address, delivery method.
 * An order already routed is re-routed: its unshipped distribution orders are cancelled (the
 * cancellation cascades up the chain), its lines go back to OPEN and are routed again, and
 * `order.adjusted` tells inventory to release and re-allocate.
 */
export async function adjustOrder(tx: Tx, identity: Identity, input: AdjustOrderInput): Promise<OrderRow | OrdersFailure> {
  const reason = cleanReason(input.reason);
  if (!reason) return invalidInput('reason', 'Say why the order is adjusted (1–1000 characters).');
  const order = await lockOrder(tx, input.orderId);
  if (!order) return orderNotFound();
  if (order.kind !== 'SALES') return invalidTransition(order.status, 'adjusted', 'Only sales orders are adjusted; distribution orders follow them.');
  if (roleIn(order, identity) !== 'SELLER') return notPermittedForRole('Only the seller adjusts an order.');
  if (!ADJUSTABLE.includes(order.status)) return invalidTransition(order.status, 'adjusted');
  const lines = await lockLines(tx, order.id);
  if (lines.some((l) => l.shippedQuantity > 0)) {
    return invalidTransition(order.status, 'adjusted', 'Part of this order has shipped; it can no longer be adjusted.');
  }
  const quantities = input.quantities ?? [];
  const substitutions = input.substitutions ?? [];
  if (!quantities.length && !substitutions.length && !input.shipTo && input.deliveryMethod === undefined) {
    return invalidInput('orderId', 'Nothing to adjust: give quantities, substitutions, shipTo or deliveryMethod.');
  }

  const lineUpdates = new Map<string, { quantity?: number; productId?: string }>();
  for (const [index, change] of quantities.entries()) {
    const line = lines.find((l) => l.id === change.lineId && l.status !== 'CANCELLED');
    if (!line) return invalidInput(`quantities[${index}].lineId`, 'No such open line in this order.');
    if (!Number.isInteger(change.quantity) || change.quantity < 0 || change.quantity > 1_000_000) {
      return invalidInput(`quantities[${index}].quantity`, 'The quantity must be a whole number from 0 (cancel the line) to 1,000,000.');
    }
    lineUpdates.set(line.id, { ...lineUpdates.get(line.id), quantity: change.quantity });
  }
  for (const [index, change] of substitutions.entries()) {
    const line = lines.find((l) => l.id === change.lineId && l.status !== 'CANCELLED');
    if (!line) return invalidInput(`substitutions[${index}].lineId`, 'No such open line in this order.');
    const valid = await validateLines(tx, identity, [{ productId: change.productId, quantity: 1, unitPriceMinor: 0 }]);
    if (isFailure(valid)) return invalidInput(`substitutions[${index}].productId`, valid.message);
    lineUpdates.set(line.id, { ...lineUpdates.get(line.id), productId: valid[0]!.productId });
  }
  let shipTo = order.shipTo;
  if (input.shipTo) {
    const address = normaliseAddress(input.shipTo, 'shipTo');
    if (isFailure(address)) return address;
    shipTo = address;
  }
  const remaining = lines.filter((l) => l.status !== 'CANCELLED' && lineUpdates.get(l.id)?.quantity !== 0);
  if (remaining.length === 0) return invalidInput('quantities', 'An adjustment cannot cancel every line; cancel the order instead.');

  const routed = ROUTED_STATUSES.includes(order.status) || (order.status === 'ON_HOLD' && ROUTED_STATUSES.includes(order.heldFromStatus!));
  if (routed) {
    const children = await childOrdersBoughtBy(tx, order.id, identity.partnerId);
    // A supplier may have shipped before the shipment reached this order: then it is too late.
    if (children.some((child) => SHIPPED_STATUSES.includes(child.status))) {
      return invalidTransition(order.status, 'adjusted', 'A supplier has already shipped part of this order; it can no longer be adjusted.');
    }
    for (const child of children) {
      if (!['CANCELLED', 'REJECTED', 'COMPLETED'].includes(child.status)) await cancel(tx, identity, child, `order adjusted: ${reason}`);
    }
  }
  for (const line of lines) {
    const update = lineUpdates.get(line.id);
    if (line.status === 'CANCELLED') continue;
    if (update?.quantity === 0) {
      await tx.update(orderLines).set({ status: 'CANCELLED' }).where(eq(orderLines.id, line.id));
      continue;
    }
    await tx
      .update(orderLines)
      .set({
        ...(update?.quantity !== undefined ? { quantity: update.quantity } : {}),
        ...(update?.productId ? { productId: update.productId } : {}),
        ...(routed ? { status: 'OPEN' as const, fulfilment: null, linkId: null } : {}),
      })
      .where(eq(orderLines.id, line.id));
  }
  const [updated] = await tx
    .update(orders)
    .set({
      shipTo,
      ...(input.deliveryMethod !== undefined ? { deliveryMethod: input.deliveryMethod?.trim() || null } : {}),
    })
    .where(eq(orders.id, order.id))
    .returning();
  await refreshTotal(tx, order.id);
  await writeTimeline(tx, identity, updated!, order.status, order.status, `adjusted: ${reason}`);
  await appendOrderEvent(tx, updated!, 'order.adjusted', {
    rerouted: routed,
    lineIds: [...lineUpdates.keys()],
    shipToChanged: Boolean(input.shipTo),
  });
  if (routed && updated!.status !== 'ON_HOLD') await routeOpenLines(tx, identity, updated!);
  return (await lockOrder(tx, order.id))!;
}
