import { ErrorCode, apiError, inTenantTransaction, liveLogPosition, type SubscriptionContext } from '@redthread/kit';
import { sellableQuantities } from './queries';

/**
 * The event that a product's sellable quantity may have moved. Appended by database triggers
 * (migration 0028) in the transaction of the change itself: whenever a stock slot's available units
 * move, and whenever an ACTIVE link's status or share rule changes, for the products concerned and
 * every product downstream of them through ACTIVE links. Entity: the product; audience: the partners
 * entitled to read its sellable quantity (its owner, and the downstream parties of ACTIVE links
 * naming it); payload: `{ productId }` only, so it says nothing of the hop whose stock moved.
 */
export const SELLABLE_CHANGED = 'sellable.changed';

/** How many products one `sellableQuantityChanged` subscription may watch. */
export const MAX_WATCHED_PRODUCTS = 500;

/**
 * A catalog product as inventory's part of it (`sellableQuantity`) receives it: the federation
 * reference, by id; catalog answers every other field of it under the caller's visibility.
 */
export interface ProductReference {
  id: string;
}

/** One value delivered by `sellableQuantityChanged`. */
export interface SellableQuantityChange {
  productId: string;
  /** What the subscriber can sell now (see {@link sellableQuantities}). */
  sellableQuantity: number;
  /** True for the current values sent when the subscription starts, false for a change. */
  snapshot: boolean;
  /** When the value was read; for a change, when the change that moved it committed. */
  at: Date;
}

/**
 * The sellable quantities of `productIds` for the subscriber, kept in step: first the current value
 * of every product it may read, then each change of the value *it* reads. Every `sellable.changed`
 * event of a watched product (the hub delivers only those whose audience names the subscriber) is
 * re-evaluated under the subscriber's own identity, in a short transaction of its own, and pushed
 * only when that value differs from the last one pushed: a receipt at the top of the chain reaches
 * SHOP-A as SHOP-A's new value of its own product, never as the stock that moved. A product that
 * becomes unreadable (link suspended) goes quiet; it speaks again, with its value, once readable.
 *
 * The log position is taken before the current values are read and the live stream starts behind
 * it, so a change that commits while the subscription starts is delivered (or found unchanged), not
 * lost. Refuses (BAD_USER_INPUT, before anything is read) an empty list or more than
 * {@link MAX_WATCHED_PRODUCTS} ids.
 */
export function sellableQuantityChanges(ctx: SubscriptionContext, productIds: readonly string[]): AsyncGenerator<SellableQuantityChange> {
  const watched = [...new Set(productIds)];
  if (watched.length === 0 || watched.length > MAX_WATCHED_PRODUCTS) {
    throw apiError(ErrorCode.BAD_USER_INPUT, `Watch from 1 to ${MAX_WATCHED_PRODUCTS} products per subscription.`, { argument: 'productIds' });
  }
  return watch(ctx, watched);
}

async function* watch(ctx: SubscriptionContext, watched: readonly string[]): AsyncGenerator<SellableQuantityChange> {
  const read = (ids: readonly string[]) => inTenantTransaction(ctx.db, ctx.identity, (tx) => sellableQuantities(tx, ctx.identity.partnerId, ids));
  const from = await liveLogPosition(ctx.db);
  const current = await read(watched);
  const pushed = new Map<string, number | null>();
  const readAt = new Date();
  for (const productId of watched) {
    const quantity = current.get(productId) ?? null;
    pushed.set(productId, quantity);
    if (quantity !== null) yield { productId, sellableQuantity: quantity, snapshot: true, at: readAt };
  }
  const wanted = new Set(watched);
  const events = ctx.live.subscribe({
    partnerId: ctx.identity.partnerId,
    topics: [SELLABLE_CHANGED],
    after: from,
    accept: (event) => wanted.has(event.entityId),
    signal: ctx.signal,
  });
  for await (const event of events) {
    const productId = event.entityId;
    const quantity = (await read([productId])).get(productId) ?? null;
    if (quantity === pushed.get(productId)) continue;
    pushed.set(productId, quantity);
    if (quantity !== null) yield { productId, sellableQuantity: quantity, snapshot: false, at: event.createdAt };
  }
}
