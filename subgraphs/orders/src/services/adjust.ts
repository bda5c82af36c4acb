import type { FailureOf, ResultOf, AdjustOrderInput } from '../generated/resolvers';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { orderLines, orders } from '@redthread/schema';
import { LONG_MAX, isFinalOrderStatus, isRoutedOrderStatus, orderMoveAllowed, setTenant, type Identity, type Tx } from '@redthread/kit';
import { alreadyPickedUpstream, invalidInput, invalidTransition, isFailure, notPermittedForRole, orderNotFound } from '../errors';
import { normaliseAddress } from './channels';
import {
  appendOrderEvent,
  chainShipmentStarted,
  childOrdersBoughtBy,
  cleanReason,
  lockLines,
  lockOrder,
  lockOrderChain,
  refreshTotal,
  roleIn,
  writeTimeline,
  type LineRow,
  type OrderRow,
} from './common';
import { validateLines } from './intake';
import { requestOwnFulfilment, routeOpenLines } from './routing';
import { cancel } from './status';

/** The SDL's input types, generated (`npm run codegen`). */
export type { AdjustOrderInput };


/**
 * Changes a sales order before anything ships: quantities (0 cancels a line), product
 * substitutions (re-validated against the caller's catalog), ship-to address, delivery method.
 * Takes the chain lock first (`lockOrderChain`, as cancel and dispatch do), so an adjustment and a
 * cancellation, dispatch or shipment of the same chain never interleave.
 *
 * On a routed order, a change of quantities only is made in place, level by level up the chain
 * (see {@link adjustQuantitiesInPlace}) — refused with `AlreadyPickedUpstream` once a supplier has
 * begun picking a changed line. Any other change re-routes: the order's unshipped distribution
 * orders are cancelled (the cancellation cascades up the chain), its lines go back to OPEN and are
 * routed again, and `order.adjusted` (`rerouted`) tells inventory to release and re-allocate.
 */
export async function adjustOrder(tx: Tx, identity: Identity, input: AdjustOrderInput): Promise<ResultOf<'OrderResult'>> {
  const reason = cleanReason(input.reason);
  if (!reason) return invalidInput('reason', 'Say why the order is adjusted (1–1000 characters).');
  await lockOrderChain(tx, input.orderId);
  const order = await lockOrder(tx, input.orderId);
  if (!order) return orderNotFound();
  if (order.kind !== 'SALES') return invalidTransition(order.status, 'adjusted', 'Only sales orders are adjusted; distribution orders follow them.');
  if (roleIn(order, identity) !== 'SELLER') return notPermittedForRole('Only the seller adjusts an order.');
  if (!orderMoveAllowed('adjust', order.status, order.kind)) return invalidTransition(order.status, 'adjusted');
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
    const valid = await validateLines(tx, identity, [{ productId: change.productId, quantity: 1, unitPriceMinor: 0n }]);
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
  const adjustedTotal = remaining.reduce((sum, l) => sum + BigInt(lineUpdates.get(l.id)?.quantity ?? l.quantity) * l.unitPriceMinor, 0n);
  if (adjustedTotal > LONG_MAX) {
    return invalidInput('quantities', `With these quantities the order total would exceed ${LONG_MAX} minor units, the most an amount can carry.`);
  }

  const routed = isRoutedOrderStatus(order.status) || (order.status === 'ON_HOLD' && isRoutedOrderStatus(order.heldFromStatus!));
  if (routed && !substitutions.length && !input.shipTo && input.deliveryMethod === undefined) {
    const changes = new Map([...lineUpdates].map(([lineId, update]) => [lineId, update.quantity!]));
    return adjustQuantitiesInPlace(tx, identity, order, lines, changes, reason);
  }
  if (routed) {
    // A supplier (at any level) may have shipped before the shipment reached this order: too late.
    if (await chainShipmentStarted(tx, lines.map((l) => l.id))) {
      return invalidTransition(order.status, 'adjusted', 'A supplier has already shipped part of this order; it can no longer be adjusted.');
    }
    for (const child of await childOrdersBoughtBy(tx, order.id, identity.partnerId)) {
      if (orderMoveAllowed('cascadeCancel', child.status, child.kind)) await cancel(tx, identity, child, `order adjusted: ${reason}`);
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

/** A typed failure found part-way through an in-place adjustment: its savepoint is rolled back. */
class AdjustmentRefused extends Error {
  constructor(readonly failure: FailureOf<'OrderResult'>) {
    super(failure.message);
  }
}

/**
 * Whether a supplier up the chain has begun fulfilling a line the caller is party to: picked,
 * inspected, dispatched or shipped anywhere above it (`orders.line_picked_upstream`, which answers
 * only this boolean about hops the caller cannot see).
 */
export async function linePickedUpstream(tx: Tx, lineId: string): Promise<boolean> {
  const [row] = await tx.execute<{ picked: boolean }>(sql`select orders.line_picked_upstream(${lineId}::uuid) as picked`);
  return Boolean(row?.picked);
}

/** The identity an in-place adjustment acts under on an order up the chain: that order's buyer. */
function upstreamActor(partnerId: string): Identity {
  return { subject: 'workflow:orders.adjust-upstream', partnerId, roles: ['admin'] };
}

/**
 * Changes the quantities of a routed sales order's lines in place, and with them every order up the
 * chain that was routed from them — instead of cancelling those orders and routing anew, which
 * would lose the suppliers' acceptances, allocations and places in their queues.
 *
 * First, for each changed drop-shipped line, whether a supplier above has begun picking it
 * ({@link linePickedUpstream}): then nothing changes and the answer is `AlreadyPickedUpstream`.
 * Then, level by level, each order routed from a changed line gets the new quantity on its line
 * (0 cancels the line; an order left without lines is cancelled), its total, a timeline entry and
 * `order.adjusted` (`inPlace`) for its two parties. Each level acts for that order's buyer — the
 * partner whose order it is, as the chain workflow does — so row-level security applies as for
 * that partner; all levels commit together, under the chain lock, with the caller's change. Where
 * a changed line is fulfilled from stock (at any level), `order.adjusted` says `rerouted` and the
 * order's own lines are requested anew: inventory releases what it holds and allocates again.
 * The caller's reason reaches the order one level up (its supplier, as for a cancellation);
 * further up the entry only says the order below changed.
 */
async function adjustQuantitiesInPlace(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  lines: readonly LineRow[],
  quantities: ReadonlyMap<string, number>,
  reason: string,
): Promise<ResultOf<'OrderResult'>> {
  const changed = lines.filter((l) => l.status !== 'CANCELLED' && quantities.has(l.id) && quantities.get(l.id) !== l.quantity);
  for (const line of changed) {
    if (line.fulfilment === 'DISTRIBUTED' && (await linePickedUpstream(tx, line.id))) return alreadyPickedUpstream(line.id);
  }
  // A dispatch that committed before the chain lock was ours shows only in inventory (shipped
  // quantities follow through the workflow): a line with goods on their way is too late.
  if (await chainShipmentStarted(tx, changed.map((l) => l.id))) {
    return invalidTransition(order.status, 'adjusted', 'Goods of a changed line have already been dispatched; it can no longer be adjusted (request a return instead).');
  }
  try {
    await tx.transaction(async (savepoint) => {
      await applyQuantities(savepoint, identity, identity, order, changed, quantities, `adjusted: ${reason}`, `quantity adjusted by the buyer: ${reason}`);
      // The levels above acted for other partners: the rest of the request is the caller's again.
      await setTenant(savepoint, identity);
    });
  } catch (error) {
    if (error instanceof AdjustmentRefused) return error.failure;
    throw error;
  }
  return (await lockOrder(tx, order.id))!;
}

/**
 * One level of an in-place adjustment: sets the new quantities of `changed` lines of `order` (acting
 * as `actor`), carries the change of its drop-shipped lines to the lines routed from them one level
 * up (acting for this order's seller, their buyer), then records the change on this order: total,
 * one timeline entry, one `order.adjusted`, and a new request for its own-fulfilment lines when one
 * of those changed. `caller` is who adjusted the sales order (it acts itself on its own orders).
 */
async function applyQuantities(
  tx: Tx,
  caller: Identity,
  actor: Identity,
  order: OrderRow,
  changed: readonly LineRow[],
  quantities: ReadonlyMap<string, number>,
  reason: string,
  reasonAbove: string,
): Promise<void> {
  for (const line of changed) {
    const quantity = quantities.get(line.id)!;
    await tx
      .update(orderLines)
      .set(quantity === 0 ? { status: 'CANCELLED' } : { quantity })
      .where(eq(orderLines.id, line.id));
  }
  const passedOn = changed.filter((l) => l.status === 'ROUTED' && l.fulfilment === 'DISTRIBUTED');
  if (passedOn.length) {
    await carryUp(tx, caller, order.sellerPartnerId, new Map(passedOn.map((l) => [l.id, quantities.get(l.id)!])), reasonAbove);
    await setTenant(tx, actor);
  }
  const lines = await lockLines(tx, order.id);
  const live = lines.filter((l) => l.status !== 'CANCELLED');
  if (live.length === 0) {
    // Only up the chain: the caller's own order always keeps a line (checked before).
    await cancel(tx, actor, order, reason);
    return;
  }
  const total = live.reduce((sum, l) => sum + BigInt(l.quantity) * BigInt(l.unitPriceMinor), 0n);
  if (total > LONG_MAX) {
    throw new AdjustmentRefused(invalidInput('quantities', `With these quantities an order up the chain would exceed ${LONG_MAX} minor units, the most an amount can carry.`));
  }
  await refreshTotal(tx, order.id);
  const [current] = await tx.select().from(orders).where(eq(orders.id, order.id));
  await writeTimeline(tx, actor, current!, current!.status, current!.status, reason);
  const restock = changed.some((l) => l.fulfilment === 'OWN');
  await appendOrderEvent(tx, current!, 'order.adjusted', {
    // Inventory releases what it holds for the order on `rerouted`; the request below re-allocates.
    rerouted: restock,
    inPlace: true,
    lineIds: changed.map((l) => l.id),
    shipToChanged: false,
  });
  if (restock) {
    const own = live.filter((l) => l.status === 'ROUTED' && l.fulfilment === 'OWN' && l.quantity > l.shippedQuantity);
    if (own.length) await requestOwnFulfilment(tx, current!, own);
  }
}

/**
 * Carries new quantities of lines (by id) to the live lines routed from them, one level up: each
 * order there is edited once with all of its changed lines, acting for `buyerPartnerId` (the seller
 * of the lines below, whose own orders these are), in order id order.
 */
async function carryUp(tx: Tx, caller: Identity, buyerPartnerId: string, below: ReadonlyMap<string, number>, reason: string): Promise<void> {
  const actor = buyerPartnerId === caller.partnerId ? caller : upstreamActor(buyerPartnerId);
  await setTenant(tx, actor);
  // Orders first, then their lines, as every other writer locks them (no lock-order inversion).
  const upstreamOrderIds = await tx
    .selectDistinct({ orderId: orderLines.orderId })
    .from(orderLines)
    .where(and(inArray(orderLines.parentLineId, [...below.keys()]), eq(orderLines.buyerPartnerId, buyerPartnerId), ne(orderLines.status, 'CANCELLED')))
    .orderBy(orderLines.orderId);
  for (const { orderId } of upstreamOrderIds) {
    const order = await lockOrder(tx, orderId);
    if (!order || isFinalOrderStatus(order.status)) continue;
    const lines = await tx
      .select()
      .from(orderLines)
      .where(and(eq(orderLines.orderId, orderId), inArray(orderLines.parentLineId, [...below.keys()]), ne(orderLines.status, 'CANCELLED')))
      .orderBy(orderLines.lineNo)
      .for('update');
    const quantities = new Map(lines.map((l) => [l.id, below.get(l.parentLineId!)!]));
    const changed = lines.filter((l) => quantities.get(l.id) !== l.quantity);
    if (changed.length === 0) continue;
    await applyQuantities(tx, caller, actor, order, changed, quantities, reason, 'quantity adjusted: the order it was routed from changed');
  }
}
