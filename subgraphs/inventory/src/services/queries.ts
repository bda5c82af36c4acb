import type { MovementFilter, ShipmentFilter, StockFilter } from '../generated/resolvers';
import { and, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { movements, shipments, stock, stockCounts, transfers } from '@redthread/schema';
import { keysetPage, type Connection, type PageArgs, type Tx } from '@redthread/kit';
import { isUuid } from './ids';
import type { MovementRow, StockRow } from './ledger';
import type { ShipmentRow } from './shipments';

/** The SDL's input types, generated (`npm run codegen`). */
export type { MovementFilter, ShipmentFilter, StockFilter };

/**
 * Stock slots in warehouses the caller owns or operates (row-level security), filtered, by
 * warehouse, product, location and slot id, as a connection. One statement per page.
 */
export async function stockLevels(tx: Tx, filter: StockFilter | null | undefined, args: PageArgs): Promise<Connection<StockRow>> {
  const page = keysetPage('stock-levels', args, [
    { column: stock.warehouseId, type: 'uuid' },
    { column: stock.productId, type: 'uuid' },
    { column: stock.locationId, type: 'uuid' },
    { column: stock.id, type: 'uuid' },
  ]);
  const conditions: SQL[] = [];
  if (filter?.warehouseId) {
    if (!isUuid(filter.warehouseId)) return page.empty();
    conditions.push(eq(stock.warehouseId, filter.warehouseId));
  }
  if (filter?.productId) {
    if (!isUuid(filter.productId)) return page.empty();
    conditions.push(eq(stock.productId, filter.productId));
  }
  if (filter?.onlyAvailable) conditions.push(gt(sql`${stock.onHand} - ${stock.reserved}`, 0));
  return page.rowsOf(tx, stock, ...conditions);
}

/** The ledger, newest first (by movement id, which only grows), as a connection. */
export async function listMovements(tx: Tx, filter: MovementFilter | null | undefined, args: PageArgs): Promise<Connection<MovementRow>> {
  const page = keysetPage('movements', args, [{ column: movements.id, type: 'bigint', descending: true }]);
  const conditions: SQL[] = [];
  if (filter?.warehouseId) {
    if (!isUuid(filter.warehouseId)) return page.empty();
    conditions.push(eq(movements.warehouseId, filter.warehouseId));
  }
  if (filter?.productId) {
    if (!isUuid(filter.productId)) return page.empty();
    conditions.push(eq(movements.productId, filter.productId));
  }
  if (filter?.kind?.length) conditions.push(inArray(movements.kind, [...filter.kind]));
  return page.rowsOf(tx, movements, ...conditions);
}

/**
 * Shipments in warehouses the caller owns or operates (the pick and dispatch queue), newest
 * first: by creation time, ties by id, both descending. A connection, one statement per page:
 * every shipment is reachable however many there are.
 */
export async function listShipments(tx: Tx, filter: ShipmentFilter | null | undefined, args: PageArgs): Promise<Connection<ShipmentRow>> {
  const page = keysetPage('shipments', args, [
    { column: shipments.createdAt, type: 'timestamptz', descending: true },
    { column: shipments.id, type: 'uuid', descending: true },
  ]);
  const conditions: SQL[] = [];
  if (filter?.warehouseId) {
    if (!isUuid(filter.warehouseId)) return page.empty();
    conditions.push(eq(shipments.warehouseId, filter.warehouseId));
  }
  if (filter?.orderId) {
    if (!isUuid(filter.orderId)) return page.empty();
    conditions.push(eq(shipments.orderId, filter.orderId));
  }
  if (filter?.status?.length) conditions.push(inArray(shipments.status, [...filter.status]));
  return page.rowsOf(tx, shipments, ...conditions);
}

/**
 * Every shipment of an order matching `status`, for services and scripts that act on all of an
 * order's shipments (not a client list: an order has one shipment per warehouse it ships from,
 * so this is bounded by the order).
 */
export async function shipmentsOfOrder(tx: Tx, orderId: string, status?: readonly ShipmentRow['status'][]): Promise<ShipmentRow[]> {
  if (!isUuid(orderId)) return [];
  return tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.orderId, orderId), status?.length ? inArray(shipments.status, [...status]) : undefined))
    .orderBy(shipments.createdAt, shipments.id);
}

/** Shipments by id; one statement. */
export async function shipmentsByIds(tx: Tx, ids: readonly string[]): Promise<ShipmentRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(shipments).where(inArray(shipments.id, wellFormed)) : [];
}

type TransferRow = typeof transfers.$inferSelect;

/** Transfers the caller owns or whose warehouses it operates, newest first (creation time, id), as a connection. */
export async function listTransfers(tx: Tx, status: readonly TransferRow['status'][] | null | undefined, args: PageArgs): Promise<Connection<TransferRow>> {
  const page = keysetPage('transfers', args, [
    { column: transfers.createdAt, type: 'timestamptz', descending: true },
    { column: transfers.id, type: 'uuid', descending: true },
  ]);
  return page.rowsOf(tx, transfers, status?.length ? inArray(transfers.status, [...status]) : undefined);
}

type StockCountRow = typeof stockCounts.$inferSelect;

/** Stock counts, newest first (creation time, id), optionally of one warehouse, as a connection. */
export async function listStockCounts(tx: Tx, warehouseId: string | null | undefined, args: PageArgs): Promise<Connection<StockCountRow>> {
  const page = keysetPage('stock-counts', args, [
    { column: stockCounts.createdAt, type: 'timestamptz', descending: true },
    { column: stockCounts.id, type: 'uuid', descending: true },
  ]);
  if (warehouseId && !isUuid(warehouseId)) return page.empty();
  return page.rowsOf(tx, stockCounts, warehouseId ? eq(stockCounts.warehouseId, warehouseId) : undefined);
}

/**
 * Sellable quantities of products for the caller, through every hop of the drop-ship chain, in one
 * statement for the whole batch (the SQL function `inventory.chain_sellable_quantities`, migration
 * 0028): for its own product, its own available stock (on hand − reserved, all warehouses) plus what
 * each ACTIVE upstream link's share rule gives of what the hop above can sell, hop by hop up the
 * chain; for an upstream product it is the downstream party of (ACTIVE link), that link's rule
 * applied to the product's own sellable quantity. Null for every other product (and for ids that are
 * not UUIDs), so no hop is revealed beyond its rule. `partnerId` must be the transaction's tenant:
 * the function reads for the tenant, and answers nothing for another id.
 */
export async function sellableQuantities(tx: Tx, partnerId: string, productIds: readonly string[]): Promise<Map<string, number | null>> {
  const ids = [...new Set(productIds.filter(isUuid))];
  const result = new Map<string, number | null>(productIds.map((id) => [id, null]));
  if (ids.length === 0) return result;
  const rows = await tx.execute<{ product_id: string; sellable: number }>(sql`
    select q.product_id, q.sellable
    from inventory.chain_sellable_quantities(array[${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}]) q
    where ${partnerId}::uuid = app.current_partner_id()`);
  for (const row of rows) result.set(row.product_id, row.sellable);
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
