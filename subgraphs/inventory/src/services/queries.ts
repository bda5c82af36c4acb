import { and, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { movements, shipments, stock, stockCounts, transfers } from '@redthread/schema';
import { decodeCursor, encodeCursor, pageSize, toConnection, type Connection, type PageArgs, type Tx } from '@redthread/kit';
import { isUuid } from './ids';
import type { MovementRow, StockRow } from './ledger';
import type { ShipmentRow } from './shipments';

/** Stock slots in warehouses the caller owns or operates (row-level security), filtered. */
export async function stockLevels(
  tx: Tx,
  filter: { warehouseId?: string | null; productId?: string | null; onlyAvailable?: boolean | null } | null | undefined,
): Promise<StockRow[]> {
  const conditions: SQL[] = [];
  if (filter?.warehouseId) {
    if (!isUuid(filter.warehouseId)) return [];
    conditions.push(eq(stock.warehouseId, filter.warehouseId));
  }
  if (filter?.productId) {
    if (!isUuid(filter.productId)) return [];
    conditions.push(eq(stock.productId, filter.productId));
  }
  if (filter?.onlyAvailable) conditions.push(gt(sql`${stock.onHand} - ${stock.reserved}`, 0));
  return tx
    .select()
    .from(stock)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(stock.warehouseId, stock.productId, stock.locationId);
}

/** The ledger, newest first, as a connection. */
export async function listMovements(
  tx: Tx,
  filter: { warehouseId?: string | null; productId?: string | null; kind?: readonly MovementRow['kind'][] | null } | null | undefined,
  page: PageArgs,
): Promise<Connection<MovementRow>> {
  const first = pageSize(page.first);
  const conditions: SQL[] = [];
  if (filter?.warehouseId) conditions.push(eq(movements.warehouseId, isUuid(filter.warehouseId) ? filter.warehouseId : '00000000-0000-0000-0000-000000000000'));
  if (filter?.productId) conditions.push(eq(movements.productId, isUuid(filter.productId) ? filter.productId : '00000000-0000-0000-0000-000000000000'));
  if (filter?.kind?.length) conditions.push(inArray(movements.kind, [...filter.kind]));
  if (page.after) {
    const [id] = decodeCursor('movements', page.after, 1) as [number];
    conditions.push(lt(movements.id, id));
  }
  const rows = await tx
    .select()
    .from(movements)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(movements.id))
    .limit(first + 1);
  return toConnection(rows, first, (row) => encodeCursor('movements', [row.id]));
}

/** Shipments in warehouses the caller owns or operates. */
export async function listShipments(
  tx: Tx,
  filter: { warehouseId?: string | null; status?: readonly ShipmentRow['status'][] | null; orderId?: string | null } | null | undefined,
): Promise<ShipmentRow[]> {
  const conditions: SQL[] = [];
  if (filter?.warehouseId) {
    if (!isUuid(filter.warehouseId)) return [];
    conditions.push(eq(shipments.warehouseId, filter.warehouseId));
  }
  if (filter?.orderId) {
    if (!isUuid(filter.orderId)) return [];
    conditions.push(eq(shipments.orderId, filter.orderId));
  }
  if (filter?.status?.length) conditions.push(inArray(shipments.status, [...filter.status]));
  return tx
    .select()
    .from(shipments)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(shipments.createdAt, shipments.id)
    .limit(500);
}

/** Shipments by id; one statement. */
export async function shipmentsByIds(tx: Tx, ids: readonly string[]): Promise<ShipmentRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(shipments).where(inArray(shipments.id, wellFormed)) : [];
}

/** Transfers the caller owns or whose warehouses it operates. */
export async function listTransfers(tx: Tx, status: readonly (typeof transfers.$inferSelect)['status'][] | null | undefined) {
  return tx
    .select()
    .from(transfers)
    .where(status?.length ? inArray(transfers.status, [...status]) : undefined)
    .orderBy(desc(transfers.createdAt));
}

/** Stock counts, newest first. */
export async function listStockCounts(tx: Tx, warehouseId: string | null | undefined) {
  if (warehouseId && !isUuid(warehouseId)) return [];
  return tx
    .select()
    .from(stockCounts)
    .where(warehouseId ? eq(stockCounts.warehouseId, warehouseId) : undefined)
    .orderBy(desc(stockCounts.createdAt));
}

/** Sellable quantities of products for the caller, one statement (see `Product.sellableQuantity`). */
export async function sellableQuantities(tx: Tx, partnerId: string, productIds: readonly string[]): Promise<Map<string, number | null>> {
  const ids = productIds.filter(isUuid);
  const result = new Map<string, number | null>(productIds.map((id) => [id, null]));
  if (ids.length === 0) return result;
  const rows = await tx.execute<{ id: string; sellable: number | null }>(sql`
    select x.id,
      case when d.owner_partner_id = ${partnerId}::uuid
        then (select coalesce(sum(s.on_hand - s.reserved), 0)::int from inventory.stock s
              where s.product_id = x.id and s.owner_partner_id = ${partnerId}::uuid)
        else inventory.sellable_quantity(x.id)
      end as sellable
    from unnest(array[${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}]) as x(id)
    left join catalog.product_directory d on d.product_id = x.id`);
  for (const row of rows) result.set(row.id, row.sellable);
  return result;
}



/** The current row of one stock slot (null when the caller cannot see it); `lock` takes it FOR UPDATE. */
export async function stockSlot(
  tx: Tx,
  slot: { warehouseId: string; locationId: string; productId: string; batchId: string | null },
  options: { lock?: boolean } = {},
): Promise<StockRow | null> {
  const query = tx
    .select()
    .from(stock)
    .where(
      and(
        eq(stock.warehouseId, slot.warehouseId),
        eq(stock.locationId, slot.locationId),
        eq(stock.productId, slot.productId),
        slot.batchId ? eq(stock.batchId, slot.batchId) : sql`${stock.batchId} is null`,
      ),
    );
  const [row] = options.lock ? await query.for('update') : await query;
  return row ?? null;
}
