import { and, eq, inArray, sql } from 'drizzle-orm';
import { allocations, reservations, shipments, stock } from '@redthread/schema';
import { appendEvent, type Identity, type Tx } from '@redthread/kit';
import { warehouseAudience } from './warehouses';

/** One own-fulfilment line to allocate (from `order.fulfilment_requested`). */
export interface LineToAllocate {
  orderId: string;
  lineId: string;
  productId: string;
  quantity: number;
  regionCode: string | null;
}

interface Candidate extends Record<string, unknown> {
  stock_id: string;
  warehouse_id: string;
  owner_partner_id: string;
  operator_partner_id: string | null;
  available: number;
  covers: boolean;
  priority: number;
  warehouse_available: number;
  expires_on: string | null;
}

/** What allocation did for one order. */
export interface AllocationOutcome {
  orderId: string;
  lines: { lineId: string; requested: number; allocated: number }[];
  fullyAllocated: boolean;
}

/**
 * Reserves stock for an order's own-fulfilment lines, as the owning partner. For each line (in
 * product order, so concurrent allocations lock rows in one global order and cannot deadlock): lock
 * every stock row of the product in id order, then take from warehouses covering the ship-to region
 * first, then by priority, then by availability, batches first-expiry-first; a line may split
 * across warehouses. Each reservation is a conditional update (`on_hand − reserved ≥ take`) under
 * CHECK (reserved ≤ on_hand): overselling is impossible by construction. Lines with too little
 * stock stay BACKORDERED and are retried when stock arrives. Idempotent per line.
 */
export async function allocateLines(tx: Tx, identity: Identity, lines: readonly LineToAllocate[]): Promise<AllocationOutcome[]> {
  const byOrder = new Map<string, AllocationOutcome>();
  const touchedOrders = new Set<string>();
  const sorted = [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : a.lineId < b.lineId ? -1 : 1));
  for (const line of sorted) {
    const [existing] = await tx.select().from(allocations).where(eq(allocations.orderLineId, line.lineId)).for('update');
    // ALLOCATED and SHIPPED lines are done; a RELEASED line (cancelled, or re-routed by an
    // adjustment) is allocated afresh; a BACKORDERED one continues from what it holds.
    if (existing && (existing.status === 'ALLOCATED' || existing.status === 'SHIPPED')) continue;
    const already = existing?.status === 'BACKORDERED' ? existing.allocated : 0;
    const needed = line.quantity - already;
    const taken = needed > 0 ? await reserveForLine(tx, line, needed) : 0;
    const allocated = already + taken;
    const status = allocated >= line.quantity ? ('ALLOCATED' as const) : ('BACKORDERED' as const);
    await tx
      .insert(allocations)
      .values({
        orderLineId: line.lineId,
        orderId: line.orderId,
        ownerPartnerId: identity.partnerId,
        productId: line.productId,
        regionCode: line.regionCode,
        requested: line.quantity,
        allocated,
        status,
      })
      .onConflictDoUpdate({
        target: allocations.orderLineId,
        set: { requested: line.quantity, productId: line.productId, regionCode: line.regionCode, allocated, status, updatedAt: sql`now()` },
      });
    touchedOrders.add(line.orderId);
    if (!existing || taken > 0) {
      const outcome = byOrder.get(line.orderId) ?? { orderId: line.orderId, lines: [], fullyAllocated: true };
      outcome.lines.push({ lineId: line.lineId, requested: line.quantity, allocated });
      byOrder.set(line.orderId, outcome);
    }
  }
  for (const orderId of touchedOrders) {
    await attachToShipments(tx, orderId);
    const outcome = byOrder.get(orderId);
    if (!outcome) continue;
    const rows = await tx.select().from(allocations).where(and(eq(allocations.orderId, orderId), inArray(allocations.status, ['ALLOCATED', 'BACKORDERED'])));
    outcome.fullyAllocated = rows.every((r) => r.status === 'ALLOCATED');
    await appendEvent(tx, {
      topic: 'inventory.allocation_changed',
      entityType: 'Order',
      entityId: orderId,
      audience: [identity.partnerId],
      payload: { orderId, sellerPartnerId: identity.partnerId, fullyAllocated: outcome.fullyAllocated, lines: outcome.lines },
    });
  }
  return [...byOrder.values()];
}

async function reserveForLine(tx: Tx, line: LineToAllocate, needed: number): Promise<number> {
  // Lock every slot of the product in one fixed order (id) before choosing among them.
  const candidates = [
    ...(await tx.execute<Candidate>(sql`
      with locked as (
        select s.id, s.warehouse_id, s.owner_partner_id, s.operator_partner_id, s.on_hand - s.reserved as available, s.batch_id
        from inventory.stock s
        where s.product_id = ${line.productId} and s.owner_partner_id = app.current_partner_id()
        order by s.id
        for update of s
      )
      select l.id as stock_id, l.warehouse_id, l.owner_partner_id, l.operator_partner_id, l.available,
             coalesce(${line.regionCode}::text = any(w.regions), false) as covers, w.priority,
             sum(l.available) over (partition by l.warehouse_id)::int as warehouse_available,
             b.expires_on::text as expires_on
      from locked l
      join inventory.warehouses w on w.id = l.warehouse_id
      left join inventory.batches b on b.id = l.batch_id
      where l.available > 0
      order by covers desc, w.priority asc, warehouse_available desc, w.id, b.expires_on asc nulls last, l.id`)),
  ];
  let remaining = needed;
  for (const candidate of candidates) {
    if (remaining === 0) break;
    const take = Math.min(remaining, candidate.available);
    // One statement: reserve on the slot only if it still has `take` available, and record the
    // reservation only if it did.
    const reserved = await tx.execute(sql`
      with taken as (
        update inventory.stock set reserved = reserved + ${take}, updated_at = now()
        where id = ${candidate.stock_id} and on_hand - reserved >= ${take}
        returning id
      )
      insert into inventory.reservations (order_line_id, order_id, stock_id, warehouse_id, owner_partner_id, operator_partner_id, quantity)
      select ${line.lineId}, ${line.orderId}, taken.id, ${candidate.warehouse_id}, ${candidate.owner_partner_id}, ${candidate.operator_partner_id}, ${take}
      from taken
      returning id`);
    if ([...reserved].length === 0) continue;
    remaining -= take;
  }
  return needed - remaining;
}

/**
 * Puts an order's unassigned reservations on its open (TO_PICK) shipment per warehouse, creating
 * the shipments that are missing, in one statement; appends `shipment.queued` for each shipment
 * that received reservations.
 */
async function attachToShipments(tx: Tx, orderId: string): Promise<void> {
  const queued = await tx.execute<{ id: string; warehouse_id: string; owner_partner_id: string; operator_partner_id: string | null }>(sql`
    with loose as (
      select r.id, r.warehouse_id, r.owner_partner_id, r.operator_partner_id
      from inventory.reservations r
      where r.order_id = ${orderId} and r.shipment_id is null
    ),
    wh as (
      select distinct on (warehouse_id) warehouse_id, owner_partner_id, operator_partner_id from loose order by warehouse_id
    ),
    existing as (
      select distinct on (s.warehouse_id) s.id, s.warehouse_id, s.owner_partner_id, s.operator_partner_id
      from inventory.shipments s
      join wh on wh.warehouse_id = s.warehouse_id
      where s.order_id = ${orderId} and s.status = 'TO_PICK'
      order by s.warehouse_id, s.created_at, s.id
    ),
    created as (
      insert into inventory.shipments (warehouse_id, order_id, owner_partner_id, operator_partner_id)
      select wh.warehouse_id, ${orderId}, wh.owner_partner_id, wh.operator_partner_id
      from wh
      where not exists (select 1 from existing e where e.warehouse_id = wh.warehouse_id)
      returning id, warehouse_id, owner_partner_id, operator_partner_id
    ),
    target as (select * from existing union all select * from created),
    attached as (
      update inventory.reservations r set shipment_id = t.id
      from loose l join target t on t.warehouse_id = l.warehouse_id
      where r.id = l.id
      returning t.id
    )
    select distinct t.id, t.warehouse_id, t.owner_partner_id, t.operator_partner_id
    from target t join attached a on a.id = t.id`);
  for (const shipment of queued) {
    await appendEvent(tx, {
      topic: 'shipment.queued',
      entityType: 'Shipment',
      entityId: shipment.id,
      audience: warehouseAudience({ ownerPartnerId: shipment.owner_partner_id, operatorPartnerId: shipment.operator_partner_id }),
      payload: { warehouseId: shipment.warehouse_id, orderId, status: 'TO_PICK' },
    });
  }
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
  const freedSlots = new Set<string>();
  for (const reservation of held) {
    if (reservation.shipmentId && dispatched.has(reservation.shipmentId)) continue;
    await tx
      .update(stock)
      .set({ reserved: sql`${stock.reserved} - ${reservation.quantity}`, updatedAt: sql`now()` })
      .where(eq(stock.id, reservation.stockId));
    await tx.delete(reservations).where(eq(reservations.id, reservation.id));
    freedSlots.add(reservation.stockId);
  }
  const cancelled = await tx
    .update(shipments)
    .set({ status: 'CANCELLED', updatedAt: sql`now()` })
    .where(and(eq(shipments.orderId, orderId), inArray(shipments.status, ['TO_PICK', 'READY'])))
    .returning();
  for (const shipment of cancelled) {
    await appendEvent(tx, {
      topic: 'shipment.cancelled',
      entityType: 'Shipment',
      entityId: shipment.id,
      audience: warehouseAudience(shipment),
      payload: { warehouseId: shipment.warehouseId, orderId, status: 'CANCELLED' },
    });
  }
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
 * backorder first (by when the line was first allocated), after stock arrived or was freed. Stops
 * for a product once nothing of it is left available, so a long queue costs nothing when empty.
 */
export async function retryBackorders(tx: Tx, identity: Identity, productIds: readonly string[]): Promise<AllocationOutcome[]> {
  if (productIds.length === 0) return [];
  const ids = [...new Set(productIds)];
  const waiting = await tx
    .select()
    .from(allocations)
    .where(and(eq(allocations.status, 'BACKORDERED'), inArray(allocations.productId, ids)))
    // By product first (the order allocateLines locks stock rows in, so that concurrent retries of
    // several products cannot deadlock), then oldest first within each product.
    .orderBy(allocations.productId, allocations.createdAt, allocations.orderLineId);
  if (waiting.length === 0) return [];
  const availableRows = await tx
    .select({ productId: stock.productId, available: sql<number>`sum(${stock.onHand} - ${stock.reserved})::int` })
    .from(stock)
    .where(and(inArray(stock.productId, ids), eq(stock.ownerPartnerId, identity.partnerId)))
    .groupBy(stock.productId);
  const available = new Map(availableRows.map((row) => [row.productId, Number(row.available)]));
  const outcomes: AllocationOutcome[] = [];
  for (const row of waiting) {
    if ((available.get(row.productId) ?? 0) <= 0) continue;
    const outcome = await allocateLines(tx, identity, [
      { orderId: row.orderId, lineId: row.orderLineId, productId: row.productId, quantity: row.requested, regionCode: row.regionCode },
    ]);
    const now = outcome[0]?.lines.find((l) => l.lineId === row.orderLineId)?.allocated ?? row.allocated;
    available.set(row.productId, (available.get(row.productId) ?? 0) - (now - row.allocated));
    outcomes.push(...outcome);
  }
  return outcomes;
}
