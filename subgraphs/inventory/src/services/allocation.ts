import { and, eq, inArray, sql } from 'drizzle-orm';
import { allocations, reservations, shipments, stock } from '@redthread/schema';
import { appendEvents, distinctRuns, type AnyNewEvent, type Identity, type NewEvent, type Tx } from '@redthread/kit';
import { warehouseAudience } from './warehouses';
import { releaseReserved } from './ledger';

/** One own-fulfilment line to allocate (from `order.fulfilment_requested`). */
export interface LineToAllocate {
  orderId: string;
  lineId: string;
  productId: string;
  quantity: number;
  regionCode: string | null;
}

/** A stock slot of a product being allocated, locked, with what it still has available in memory. */
interface Slot {
  stockId: string;
  productId: string;
  warehouseId: string;
  ownerPartnerId: string;
  operatorPartnerId: string | null;
  available: number;
  regions: readonly string[];
  priority: number;
  expiresOn: string | null;
}

/** What allocation did for one order. */
export interface AllocationOutcome {
  orderId: string;
  lines: { lineId: string; requested: number; allocated: number }[];
  fullyAllocated: boolean;
}

/**
 * Reserves stock for own-fulfilment lines, as the owning partner, in a fixed number of statements
 * however many lines and orders there are. Lines are served in the order given (first come, first
 * served; callers pass each order's lines by product and line, backorders oldest first): each
 * takes from the warehouses covering its ship-to region first, then by priority, then by what the
 * warehouse has available of the product at that moment, batches first-expiry-first; a line may
 * split across warehouses. Every stock slot of the products is locked (in id order, one global
 * order, so concurrent allocations cannot deadlock) before anything is chosen, so the choice is
 * made on exact figures; the reservations are then written in one conditional update
 * (`on_hand − reserved ≥ take`) under CHECK (reserved ≤ on_hand): overselling is impossible by
 * construction. Lines with too little stock stay BACKORDERED and are retried when stock arrives.
 * Idempotent per line; a line given twice is served as if by two calls, one after the other.
 */
export async function allocateLines(tx: Tx, identity: Identity, lines: readonly LineToAllocate[]): Promise<AllocationOutcome[]> {
  const outcomes: AllocationOutcome[] = [];
  // A line given again (its order's fulfilment requested twice in one batch) starts the next pass.
  for (const pass of distinctRuns(lines, (line) => line.lineId)) outcomes.push(...(await allocateDistinctLines(tx, identity, pass)));
  return outcomes;
}

async function allocateDistinctLines(tx: Tx, identity: Identity, lines: readonly LineToAllocate[]): Promise<AllocationOutcome[]> {
  if (lines.length === 0) return [];
  const existing = new Map(
    (
      await tx
        .select()
        .from(allocations)
        .where(
          inArray(
            allocations.orderLineId,
            lines.map((line) => line.lineId),
          ),
        )
        .orderBy(allocations.orderLineId)
        .for('update')
    ).map((row) => [row.orderLineId, row]),
  );
  // ALLOCATED and SHIPPED lines are done; a RELEASED line (cancelled, or re-routed by an
  // adjustment) is allocated afresh; a BACKORDERED one continues from what it holds.
  const open = lines.filter((line) => {
    const status = existing.get(line.lineId)?.status;
    return status !== 'ALLOCATED' && status !== 'SHIPPED';
  });
  if (open.length === 0) return [];
  const slots = await lockSlots(tx, [...new Set(open.map((line) => line.productId))]);

  const takes: { line: LineToAllocate; slot: Slot; quantity: number }[] = [];
  const rows: (typeof allocations.$inferInsert)[] = [];
  const byOrder = new Map<string, AllocationOutcome>();
  for (const line of open) {
    const before = existing.get(line.lineId);
    const already = before?.status === 'BACKORDERED' ? before.allocated : 0;
    let remaining = Math.max(0, line.quantity - already);
    for (const slot of remaining > 0 ? preferredSlots(slots, line) : []) {
      const quantity = Math.min(remaining, slot.available);
      slot.available -= quantity;
      remaining -= quantity;
      takes.push({ line, slot, quantity });
      if (remaining === 0) break;
    }
    const taken = Math.max(0, line.quantity - already) - remaining;
    const allocated = already + taken;
    const status = allocated >= line.quantity ? ('ALLOCATED' as const) : ('BACKORDERED' as const);
    const unchanged =
      before !== undefined &&
      taken === 0 &&
      before.status === status &&
      before.allocated === allocated &&
      before.requested === line.quantity &&
      before.productId === line.productId &&
      before.regionCode === line.regionCode;
    if (unchanged) continue;
    rows.push({
      orderLineId: line.lineId,
      orderId: line.orderId,
      ownerPartnerId: identity.partnerId,
      productId: line.productId,
      regionCode: line.regionCode,
      requested: line.quantity,
      allocated,
      status,
    });
    if (!before || taken > 0) {
      const outcome = byOrder.get(line.orderId) ?? { orderId: line.orderId, lines: [], fullyAllocated: true };
      outcome.lines.push({ lineId: line.lineId, requested: line.quantity, allocated });
      byOrder.set(line.orderId, outcome);
    }
  }
  await reserve(tx, takes);
  if (rows.length > 0) {
    await tx
      .insert(allocations)
      .values(rows)
      .onConflictDoUpdate({
        target: allocations.orderLineId,
        set: {
          requested: sql`excluded.requested`,
          productId: sql`excluded.product_id`,
          regionCode: sql`excluded.region_code`,
          allocated: sql`excluded.allocated`,
          status: sql`excluded.status`,
          updatedAt: sql`now()`,
        },
      });
  }
  const orderIds = [...new Set(rows.map((row) => row.orderId))];
  const queued = await attachToShipments(tx, orderIds);
  const outcomes = [...byOrder.values()];
  if (outcomes.length > 0) {
    const open = await tx
      .select({ orderId: allocations.orderId, status: allocations.status })
      .from(allocations)
      .where(
        and(
          inArray(
            allocations.orderId,
            outcomes.map((outcome) => outcome.orderId),
          ),
          inArray(allocations.status, ['ALLOCATED', 'BACKORDERED']),
        ),
      );
    for (const row of open) if (row.status === 'BACKORDERED') byOrder.get(row.orderId)!.fullyAllocated = false;
  }
  // Each order's events as one order handled alone would write them: its shipments queued, then its allocation.
  await appendEvents(
    tx,
    orderIds.flatMap((orderId): AnyNewEvent[] => {
      const outcome = byOrder.get(orderId);
      return [
        ...(queued.get(orderId) ?? []),
        ...(outcome
          ? [
              {
                topic: 'inventory.allocation_changed' as const,
                entityType: 'Order' as const,
                entityId: orderId,
                audience: [identity.partnerId],
                payload: { orderId, sellerPartnerId: identity.partnerId, fullyAllocated: outcome.fullyAllocated, lines: outcome.lines },
              },
            ]
          : []),
      ];
    }),
  );
  return outcomes;
}

/**
 * Locks every stock slot of the owner's `productIds` in one fixed order (id) and reads what each
 * has available, with its warehouse's regions and priority and its batch's expiry.
 */
async function lockSlots(tx: Tx, productIds: readonly string[]): Promise<Slot[]> {
  const rows = await tx.execute<{
    stock_id: string;
    product_id: string;
    warehouse_id: string;
    owner_partner_id: string;
    operator_partner_id: string | null;
    available: number;
    regions: string[] | null;
    priority: number;
    expires_on: string | null;
  }>(sql`
    with locked as (
      select s.id, s.product_id, s.warehouse_id, s.owner_partner_id, s.operator_partner_id, s.on_hand - s.reserved as available, s.batch_id
      from inventory.stock s
      where s.product_id in (${sql.join(
        productIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) and s.owner_partner_id = app.current_partner_id()
      order by s.id
      for update of s
    )
    select l.id as stock_id, l.product_id, l.warehouse_id, l.owner_partner_id, l.operator_partner_id, l.available,
           w.regions, w.priority, b.expires_on::text as expires_on
    from locked l
    join inventory.warehouses w on w.id = l.warehouse_id
    left join inventory.batches b on b.id = l.batch_id
    where l.available > 0`);
  return [...rows].map((row) => ({
    stockId: row.stock_id,
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    ownerPartnerId: row.owner_partner_id,
    operatorPartnerId: row.operator_partner_id,
    available: Number(row.available),
    regions: row.regions ?? [],
    priority: Number(row.priority),
    expiresOn: row.expires_on,
  }));
}

/**
 * The slots of the line's product that have stock, best first: warehouses covering the line's
 * region, then by priority (lower first), then by what the warehouse has available of the product
 * now (more first), then by warehouse id; within a warehouse, batches first-expiry-first, then
 * unbatched stock, then by slot id.
 */
function preferredSlots(slots: readonly Slot[], line: LineToAllocate): Slot[] {
  const ofProduct = slots.filter((slot) => slot.productId === line.productId && slot.available > 0);
  const inWarehouse = new Map<string, number>();
  for (const slot of ofProduct) inWarehouse.set(slot.warehouseId, (inWarehouse.get(slot.warehouseId) ?? 0) + slot.available);
  const covers = (slot: Slot) => (line.regionCode !== null && slot.regions.includes(line.regionCode) ? 1 : 0);
  return ofProduct.sort(
    (a, b) =>
      covers(b) - covers(a) ||
      a.priority - b.priority ||
      inWarehouse.get(b.warehouseId)! - inWarehouse.get(a.warehouseId)! ||
      compareText(a.warehouseId, b.warehouseId) ||
      compareExpiry(a.expiresOn, b.expiresOn) ||
      compareText(a.stockId, b.stockId),
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Earlier expiry first; no expiry (unbatched, or a batch without a date) last. */
function compareExpiry(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareText(a, b);
}

/**
 * Writes the chosen takes: one conditional update of the slots (each must still have what is
 * taken from it) and one insert of the reservations. The slots are locked, so the condition holds;
 * if it ever did not, the whole allocation fails rather than record a reservation without stock.
 */
async function reserve(tx: Tx, takes: readonly { line: LineToAllocate; slot: Slot; quantity: number }[]): Promise<void> {
  if (takes.length === 0) return;
  const perSlot = new Map<string, number>();
  for (const take of takes) perSlot.set(take.slot.stockId, (perSlot.get(take.slot.stockId) ?? 0) + take.quantity);
  const updated = await tx.execute(sql`
    update inventory.stock s set reserved = s.reserved + t.quantity, updated_at = now()
    from (values ${sql.join(
      [...perSlot].map(([stockId, quantity]) => sql`(${stockId}::uuid, ${quantity}::int)`),
      sql`, `,
    )}) as t(id, quantity)
    where s.id = t.id and s.on_hand - s.reserved >= t.quantity
    returning s.id`);
  if ([...updated].length !== perSlot.size) throw new Error('allocation: a locked stock slot no longer had the units chosen from it');
  await tx.insert(reservations).values(
    takes.map(({ line, slot, quantity }) => ({
      orderLineId: line.lineId,
      orderId: line.orderId,
      stockId: slot.stockId,
      warehouseId: slot.warehouseId,
      ownerPartnerId: slot.ownerPartnerId,
      operatorPartnerId: slot.operatorPartnerId,
      quantity,
    })),
  );
}

/**
 * Puts the orders' unassigned reservations on each order's open (TO_PICK) shipment per warehouse,
 * creating the shipments that are missing, in one statement. Answers, by order, the
 * `shipment.queued` events of the shipments that received reservations (the caller appends them).
 */
async function attachToShipments(tx: Tx, orderIds: readonly string[]): Promise<Map<string, NewEvent<'shipment.queued'>[]>> {
  const events = new Map<string, NewEvent<'shipment.queued'>[]>();
  if (orderIds.length === 0) return events;
  const queued = await tx.execute<{ id: string; order_id: string; warehouse_id: string; owner_partner_id: string; operator_partner_id: string | null }>(sql`
    with loose as (
      select r.id, r.order_id, r.warehouse_id, r.owner_partner_id, r.operator_partner_id
      from inventory.reservations r
      where r.order_id in (${sql.join(
        orderIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )}) and r.shipment_id is null
    ),
    wh as (
      select distinct on (order_id, warehouse_id) order_id, warehouse_id, owner_partner_id, operator_partner_id
      from loose order by order_id, warehouse_id
    ),
    existing as (
      select distinct on (s.order_id, s.warehouse_id) s.id, s.order_id, s.warehouse_id, s.owner_partner_id, s.operator_partner_id
      from inventory.shipments s
      join wh on wh.order_id = s.order_id and wh.warehouse_id = s.warehouse_id
      where s.status = 'TO_PICK'
      order by s.order_id, s.warehouse_id, s.created_at, s.id
    ),
    created as (
      insert into inventory.shipments (warehouse_id, order_id, owner_partner_id, operator_partner_id)
      select wh.warehouse_id, wh.order_id, wh.owner_partner_id, wh.operator_partner_id
      from wh
      where not exists (select 1 from existing e where e.order_id = wh.order_id and e.warehouse_id = wh.warehouse_id)
      returning id, order_id, warehouse_id, owner_partner_id, operator_partner_id
    ),
    target as (select * from existing union all select * from created),
    attached as (
      update inventory.reservations r set shipment_id = t.id
      from loose l join target t on t.order_id = l.order_id and t.warehouse_id = l.warehouse_id
      where r.id = l.id
      returning t.id
    )
    select distinct t.id, t.order_id, t.warehouse_id, t.owner_partner_id, t.operator_partner_id
    from target t join attached a on a.id = t.id
    order by t.order_id, t.warehouse_id`);
  for (const shipment of queued) {
    const list = events.get(shipment.order_id) ?? [];
    list.push({
      topic: 'shipment.queued',
      entityType: 'Shipment',
      entityId: shipment.id,
      audience: warehouseAudience({ ownerPartnerId: shipment.owner_partner_id, operatorPartnerId: shipment.operator_partner_id }),
      payload: { warehouseId: shipment.warehouse_id, orderId: shipment.order_id, status: 'TO_PICK' },
    });
    events.set(shipment.order_id, list);
  }
  return events;
}

/**
 * Releases what an order holds: reservations not yet dispatched go back to available stock, open
 * shipments are cancelled, allocations become RELEASED. Used on cancellation and re-routing.
 * Answers the products whose units became available again, for {@link retryBackorders}.
 */
export async function releaseOrder(tx: Tx, orderId: string): Promise<string[]> {
  // Lock the order's shipments first, the lock dispatch takes too: a dispatch in flight finishes
  // (and its reservations are then consumed, not released twice) before this reads their status.
  await tx.select({ id: shipments.id }).from(shipments).where(eq(shipments.orderId, orderId)).orderBy(shipments.id).for('update');
  const held = await tx
    .select()
    .from(reservations)
    .where(eq(reservations.orderId, orderId))
    .orderBy(reservations.stockId)
    .for('update');
  const shipmentIds = [...new Set(held.map((r) => r.shipmentId).filter((id): id is string => Boolean(id)))];
  const dispatched = new Set(
    shipmentIds.length
      ? (
          await tx
            .select({ id: shipments.id })
            .from(shipments)
            .where(and(inArray(shipments.id, shipmentIds), eq(shipments.status, 'DISPATCHED')))
        ).map((s) => s.id)
      : [],
  );
  const released = held.filter((reservation) => !(reservation.shipmentId && dispatched.has(reservation.shipmentId)));
  // The slots locked in id order, as every writer of several slots locks them, before what the
  // released reservations held comes off them.
  const freedSlots = new Set(released.map((r) => r.stockId));
  if (freedSlots.size) {
    await tx.select({ id: stock.id }).from(stock).where(inArray(stock.id, [...freedSlots])).orderBy(stock.id).for('update');
    await releaseReserved(tx, released);
    await tx.delete(reservations).where(inArray(reservations.id, released.map((r) => r.id)));
  }
  const cancelled = await tx
    .update(shipments)
    .set({ status: 'CANCELLED', updatedAt: sql`now()` })
    .where(and(eq(shipments.orderId, orderId), inArray(shipments.status, ['TO_PICK', 'READY'])))
    .returning();
  await appendEvents(
    tx,
    cancelled.map((shipment) => ({
      topic: 'shipment.cancelled' as const,
      entityType: 'Shipment',
      entityId: shipment.id,
      audience: warehouseAudience(shipment),
      payload: { warehouseId: shipment.warehouseId, orderId, status: 'CANCELLED' as const },
    })),
  );
  await tx
    .update(allocations)
    .set({ status: 'RELEASED', allocated: 0, updatedAt: sql`now()` })
    .where(and(eq(allocations.orderId, orderId), inArray(allocations.status, ['ALLOCATED', 'BACKORDERED'])));
  if (freedSlots.size === 0) return [];
  const freed = await tx.selectDistinct({ productId: stock.productId }).from(stock).where(inArray(stock.id, [...freedSlots]));
  return freed.map((row) => row.productId).sort();
}

/**
 * Offers the owner's available units of these products to their waiting backorders, oldest
 * backorder first (by when the line was first allocated), after stock arrived or was freed, in one
 * {@link allocateLines}. The queue of a product with nothing available is not even read, so a long
 * queue costs nothing while the product is out of stock.
 */
export async function retryBackorders(tx: Tx, identity: Identity, productIds: readonly string[]): Promise<AllocationOutcome[]> {
  if (productIds.length === 0) return [];
  const ids = [...new Set(productIds)];
  const availableRows = await tx
    .select({ productId: stock.productId, available: sql<number>`sum(${stock.onHand} - ${stock.reserved})::int` })
    .from(stock)
    .where(and(inArray(stock.productId, ids), eq(stock.ownerPartnerId, identity.partnerId)))
    .groupBy(stock.productId);
  const stocked = availableRows.filter((row) => Number(row.available) > 0).map((row) => row.productId);
  if (stocked.length === 0) return [];
  const waiting = await tx
    .select()
    .from(allocations)
    .where(and(eq(allocations.status, 'BACKORDERED'), inArray(allocations.productId, stocked)))
    .orderBy(allocations.productId, allocations.createdAt, allocations.orderLineId);
  return allocateLines(
    tx,
    identity,
    waiting.map((row) => ({ orderId: row.orderId, lineId: row.orderLineId, productId: row.productId, quantity: row.requested, regionCode: row.regionCode })),
  );
}
