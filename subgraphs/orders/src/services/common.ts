import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { orderLines, orders, orderTimeline } from '@redthread/schema';
import { appendEvents, type Identity, type NewEvent, type OrderEventFields, type PayloadOf, type StatusChangeFields, type TopicOf, type Tx } from '@redthread/kit';
import { isUuid } from '@redthread/kit';

export type OrderRow = typeof orders.$inferSelect;
export type LineRow = typeof orderLines.$inferSelect;
/** A line as the OrderLine type resolves it: with its order's currency, for the money fields. */
export type PricedLineRow = LineRow & { currency: string };
export type OrderStatus = OrderRow['status'];
export type TimelineRow = typeof orderTimeline.$inferSelect;

/**
 * The partners allowed to see an order and its events: its seller and buyer — except a DRAFT
 * purchase order, which is the buyer's alone until it is submitted.
 */
export function orderAudience(order: Pick<OrderRow, 'sellerPartnerId' | 'buyerPartnerId'> & { status?: OrderRow['status'] }): string[] {
  if (order.status === 'DRAFT' && order.buyerPartnerId) return [order.buyerPartnerId];
  return order.buyerPartnerId ? [order.sellerPartnerId, order.buyerPartnerId] : [order.sellerPartnerId];
}

/** The caller's role in an order. */
export function roleIn(order: OrderRow, identity: Identity): 'SELLER' | 'BUYER' {
  return order.sellerPartnerId === identity.partnerId ? 'SELLER' : 'BUYER';
}

/**
 * Takes the chain lock of an order (`orders.lock_order_chain`: a transaction lock on the root order
 * of its drop-ship chain, whoever can see it). Everything that changes what ships in a chain —
 * cancel, adjust, confirm a shipment, dispatch — takes it first, before any row lock, so they
 * serialise per chain and whoever waits reads the winner's committed outcome. A malformed id locks
 * nothing (the caller answers "not found").
 */
export async function lockOrderChain(tx: Tx, orderId: string): Promise<void> {
  if (!isUuid(orderId)) return;
  await tx.execute(sql`select orders.lock_order_chain(${orderId}::uuid)`);
}

/**
 * Whether goods of these lines have left anywhere in the chain: shipped units on them or on any line
 * routed from them, or a dispatched shipment holding units of one of them. Answers only the boolean
 * (`orders.chain_shipment_started`), nothing of the hops the caller cannot see.
 */
export async function chainShipmentStarted(tx: Tx, lineIds: readonly string[]): Promise<boolean> {
  if (lineIds.length === 0) return false;
  const [row] = await tx.execute<{ started: boolean }>(
    sql`select orders.chain_shipment_started(${`{${lineIds.join(',')}}`}::uuid[]) as started`,
  );
  return Boolean(row?.started);
}

/**
 * Whether any of these lines, or a line they were routed from, is cancelled (`orders.chain_cancelled`):
 * the goods must not leave.
 */
export async function chainCancelled(tx: Tx, lineIds: readonly string[]): Promise<boolean> {
  if (lineIds.length === 0) return false;
  const [row] = await tx.execute<{ cancelled: boolean }>(sql`select orders.chain_cancelled(${`{${lineIds.join(',')}}`}::uuid[]) as cancelled`);
  return Boolean(row?.cancelled);
}

/** Locks an order the caller may see; undefined when missing or foreign. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | undefined> {
  if (!isUuid(orderId)) return undefined;
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return order;
}

/** Locks the orders the caller may see among `orderIds`, in id order; missing and foreign ones are left out. */
export async function lockOrders(tx: Tx, orderIds: readonly string[]): Promise<OrderRow[]> {
  const ids = orderIds.filter(isUuid);
  if (ids.length === 0) return [];
  return tx.select().from(orders).where(inArray(orders.id, ids)).orderBy(orders.id).for('update');
}

/** The lines of an order, by line number, locked for update. */
export async function lockLines(tx: Tx, orderId: string): Promise<LineRow[]> {
  return tx.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(orderLines.lineNo).for('update');
}

/** The `order.*` topics whose payload carries the {@link OrderEventFields} (see {@link appendOrderEvent}). */
export type OrderTopic = { [T in TopicOf<'Order'>]: PayloadOf<T> extends OrderEventFields ? T : never }[TopicOf<'Order'>];

/** What an `order.*` event carries besides the {@link OrderEventFields}. */
export type OrderExtra<T extends OrderTopic> = Omit<PayloadOf<T>, keyof OrderEventFields>;

/** The topics of an order's status change (see {@link changeStatus}). */
export type StatusTopic = { [T in OrderTopic]: PayloadOf<T> extends StatusChangeFields ? T : never }[OrderTopic];

/** What a status change's event carries besides the {@link StatusChangeFields}. */
export type StatusExtra<T extends StatusTopic> = Omit<PayloadOf<T>, keyof StatusChangeFields>;

/**
 * Changes an order's status, writes the timeline entry (actor, time, from → to, reason) and
 * appends `order.<topic>` — all in the caller's transaction.
 */
export async function changeStatus<T extends StatusTopic>(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  to: OrderStatus,
  topic: T,
  reason: string | null,
  ...extra: {} extends StatusExtra<T> ? [payload?: StatusExtra<T>] : [payload: StatusExtra<T>]
): Promise<OrderRow> {
  const [updated] = await changeStatuses(tx, identity, topic, [{ order, to, reason, ...(extra[0] ? { payload: extra[0] } : {}) }]);
  return updated!;
}

/** One order's status change for {@link changeStatuses}. */
export interface StatusChange<T extends StatusTopic> {
  order: OrderRow;
  to: OrderStatus;
  reason: string | null;
  payload?: StatusExtra<T>;
}

/**
 * {@link changeStatus} for many orders (each at most once) in three statements: one update of the
 * orders, one insert of their timeline entries, one append of their events (in the order given).
 * Answers the updated rows in that order.
 */
export async function changeStatuses<T extends StatusTopic>(tx: Tx, identity: Identity, topic: T, changes: readonly StatusChange<T>[]): Promise<OrderRow[]> {
  if (changes.length === 0) return [];
  const byId = (column: SQL, value: (change: StatusChange<T>) => OrderStatus | null): SQL =>
    sql`case ${column} ${sql.join(
      changes.map((change) => sql`when ${change.order.id}::uuid then ${value(change)}::orders.order_status`),
      sql` `,
    )} end`;
  const rows = await tx
    .update(orders)
    .set({
      status: sql`${byId(sql`${orders.id}`, (change) => change.to)}`,
      heldFromStatus: sql`${byId(sql`${orders.id}`, (change) => (change.to === 'ON_HOLD' ? change.order.status : null))}`,
      updatedAt: sql`now()`,
    })
    .where(
      inArray(
        orders.id,
        changes.map((change) => change.order.id),
      ),
    )
    .returning();
  const updated = new Map(rows.map((row) => [row.id, row]));
  const done = changes.map((change) => ({ change, row: updated.get(change.order.id)! }));
  await tx.insert(orderTimeline).values(done.map(({ change, row }) => timelineEntry(identity, row, change.order.status, change.to, change.reason)));
  await appendEvents(
    tx,
    done.map(({ change, row }) => orderEvent(row, topic, { from: change.order.status, to: change.to, reason: change.reason, ...(change.payload ?? {}) } as OrderExtra<T>)),
  );
  return done.map(({ row }) => row);
}

/** Appends a timeline entry for an order. */
export async function writeTimeline(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  from: OrderStatus | null,
  to: OrderStatus,
  reason: string | null,
): Promise<void> {
  await tx.insert(orderTimeline).values(timelineEntry(identity, order, from, to, reason));
}

function timelineEntry(identity: Identity, order: OrderRow, from: OrderStatus | null, to: OrderStatus, reason: string | null): typeof orderTimeline.$inferInsert {
  return {
    orderId: order.id,
    sellerPartnerId: order.sellerPartnerId,
    buyerPartnerId: order.buyerPartnerId,
    actorPartnerId: identity.partnerId,
    actorSubject: identity.subject,
    fromStatus: from,
    toStatus: to,
    reason,
  };
}

/**
 * Appends an `order.*` event addressed to the order's parties (or to a narrower `audience`). The
 * payload names only what both parties may see: never the order it was routed from (its buyer's
 * business) nor another hop's lines; workflows read those from the rows.
 */
export async function appendOrderEvent<T extends OrderTopic>(
  tx: Tx,
  order: OrderRow,
  topic: T,
  payload: OrderExtra<T>,
  audience: string[] = orderAudience(order),
): Promise<void> {
  await appendEvents(tx, [orderEvent(order, topic, payload, audience)]);
}

/** The `order.*` event {@link appendOrderEvent} appends. */
function orderEvent<T extends OrderTopic>(order: OrderRow, topic: T, payload: OrderExtra<T>, audience: string[] = orderAudience(order)): NewEvent<OrderTopic> {
  return {
    topic,
    entityType: 'Order',
    entityId: order.id,
    audience,
    payload: {
      kind: order.kind,
      status: order.status,
      sellerPartnerId: order.sellerPartnerId,
      buyerPartnerId: order.buyerPartnerId,
      ...payload,
    } as PayloadOf<T>,
  };
}

/** Recomputes an order's total from its non-cancelled lines. */
export async function refreshTotal(tx: Tx, orderId: string): Promise<void> {
  await tx.execute(sql`update orders.orders o set total_minor = coalesce((
      select sum(l.quantity::bigint * l.unit_price_minor) from orders.order_lines l
      where l.order_id = o.id and l.status <> 'CANCELLED'), 0), updated_at = now()
    where o.id = ${orderId}`);
}

/** Sets the status of some lines. */
export async function setLineStatus(tx: Tx, lineIds: readonly string[], status: LineRow['status']): Promise<void> {
  if (lineIds.length === 0) return;
  await tx.update(orderLines).set({ status }).where(inArray(orderLines.id, [...lineIds]));
}

/** Trims a free-text reason; undefined when too long (callers report the field). */
export function cleanReason(reason: string | null | undefined): string | null | undefined {
  const trimmed = reason?.trim() || null;
  if (trimmed && trimmed.length > 1000) return undefined;
  return trimmed;
}

/** Orders routed from `parentOrderId` that the caller buys (its own orders to its suppliers). */
export async function childOrdersBoughtBy(tx: Tx, parentOrderId: string, buyerPartnerId: string): Promise<OrderRow[]> {
  return tx
    .select()
    .from(orders)
    .where(and(eq(orders.parentOrderId, parentOrderId), eq(orders.buyerPartnerId, buyerPartnerId)))
    .for('update');
}
