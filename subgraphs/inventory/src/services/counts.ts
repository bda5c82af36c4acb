import type { ResultOf, RecordCountInput } from '../generated/resolvers';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { locations, stock, stockCountLines, stockCounts } from '@redthread/schema';
import { appendEvent, type Identity, type TopicOf, type Tx } from '@redthread/kit';
import { insufficientStock, invalidInput, invalidTransition, notFound } from '../errors';
import { isUuid } from './ids';
import { recordMovements } from './ledger';
import { visibleWarehouse, warehouseAudience } from './warehouses';

export type StockCountRow = typeof stockCounts.$inferSelect;
export type StockCountLineRow = typeof stockCountLines.$inferSelect;
/** A count line with the slot it counts (location, product, batch), as {@link linesOfCounts} answers it. */
export type CountLineRow = StockCountLineRow & { locationId: string; productId: string; batchId: string | null };
/** A count line as the StockCountLine type resolves it: with whether its count is posted (`expected` and `variance` show only then). */
export type CountLineView = CountLineRow & { posted: boolean };

/** The SDL's input types, generated (`npm run codegen`). */
export type { RecordCountInput };

/**
 * Opens a blind count of a warehouse: one line per stock slot, with the on-hand quantity frozen
 * as `expected` (hidden until posting). One open count per warehouse at a time.
 */
export async function openStockCount(tx: Tx, identity: Identity, warehouseId: string): Promise<ResultOf<'StockCountResult'>> {
  const warehouse = await visibleWarehouse(tx, warehouseId);
  if (!warehouse) return notFound('warehouse');
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('inventory.count:' || ${warehouse.id}))`);
  const [open] = await tx
    .select()
    .from(stockCounts)
    .where(and(eq(stockCounts.warehouseId, warehouse.id), inArray(stockCounts.status, ['OPEN', 'COUNTED'])));
  if (open) return invalidTransition(open.status, 'This warehouse already has a count in progress; post it first.');
  const [count] = await tx
    .insert(stockCounts)
    .values({ warehouseId: warehouse.id, ownerPartnerId: warehouse.ownerPartnerId, operatorPartnerId: warehouse.operatorPartnerId })
    .returning();
  // The lines, written by PostgreSQL from the slots themselves: one statement and no bound
  // parameter per slot, however many slots the warehouse has (a row of parameters per slot
  // stopped at 65,535 parameters, about 13,000 slots).
  await tx.execute(sql`
    insert into inventory.stock_count_lines (count_id, owner_partner_id, operator_partner_id, stock_id, expected)
    select ${count!.id}::uuid, ${warehouse.ownerPartnerId}::uuid, ${warehouse.operatorPartnerId}::uuid, slot.id, slot.on_hand
    from inventory.stock as slot
    where slot.warehouse_id = ${warehouse.id}
    order by slot.location_id, slot.product_id`);
  await countEvent(tx, count!, 'count.opened', identity);
  return count!;
}

/** Count lines updated per statement at most (two bound parameters each; a statement takes 65,535). */
const COUNT_LINES_PER_STATEMENT = 10_000;

/** Records counted quantities in one statement; the count becomes COUNTED once every line has one. */
export async function recordCount(
  tx: Tx,
  identity: Identity,
  input: RecordCountInput,
): Promise<ResultOf<'StockCountResult'>> {
  const count = await lockCount(tx, input.countId);
  if (!count) return notFound('stock count');
  if (count.status === 'POSTED') return invalidTransition(count.status, 'A posted count cannot change.');
  const lines = await tx.select({ id: stockCountLines.id }).from(stockCountLines).where(eq(stockCountLines.countId, count.id));
  const ofThisCount = new Set(lines.map((l) => l.id));
  // A line given twice takes the last quantity given.
  const counted = new Map<string, number>();
  for (const [index, given] of input.lines.entries()) {
    if (!ofThisCount.has(given.lineId)) return invalidInput(`lines[${index}].lineId`, 'Not a line of this count.');
    if (!Number.isInteger(given.counted) || given.counted < 0) return invalidInput(`lines[${index}].counted`, 'A counted quantity is 0 or more.');
    counted.set(given.lineId, given.counted);
  }
  const entries = [...counted];
  for (let from = 0; from < entries.length; from += COUNT_LINES_PER_STATEMENT) {
    const values = entries.slice(from, from + COUNT_LINES_PER_STATEMENT).map(([id, quantity]) => sql`(${id}::uuid, ${quantity}::int)`);
    await tx.execute(sql`
      update inventory.stock_count_lines as line set counted = given.counted
      from (values ${sql.join(values, sql`, `)}) as given (id, counted)
      where line.id = given.id and line.count_id = ${count.id}`);
  }
  const [{ missing } = { missing: 0 }] = await tx.execute<{ missing: number }>(
    sql`select count(*)::int as missing from inventory.stock_count_lines where count_id = ${count.id} and counted is null`,
  );
  const status = missing === 0 ? ('COUNTED' as const) : ('OPEN' as const);
  const [updated] = await tx.update(stockCounts).set({ status }).where(eq(stockCounts.id, count.id)).returning();
  await countEvent(tx, updated!, 'count.recorded', identity);
  return updated!;
}

/**
 * Posts a COUNTED count: each slot is adjusted to what was counted (a COUNT_ADJUSTMENT of counted −
 * on-hand now, so movements during the count do not distort the result); the reported variance
 * stays counted − expected. A count below what is reserved cannot be posted: release or ship
 * those reservations first.
 */
export async function postStockCount(tx: Tx, identity: Identity, countId: string): Promise<ResultOf<'StockCountResult'>> {
  const count = await lockCount(tx, countId);
  if (!count) return notFound('stock count');
  if (count.status !== 'COUNTED') {
    return invalidTransition(count.status, count.status === 'OPEN' ? 'Record a count for every line before posting.' : 'This count is posted already.');
  }
  const warehouse = (await visibleWarehouse(tx, count.warehouseId))!;
  // Lock the counted slots in id order before adjusting them.
  await tx
    .select({ id: stock.id })
    .from(stock)
    .where(inArray(stock.id, tx.select({ id: stockCountLines.stockId }).from(stockCountLines).where(eq(stockCountLines.countId, count.id))))
    .orderBy(stock.id)
    .for('update');
  const lines = await tx
    .select({ line: stockCountLines, slot: stock, location: locations })
    .from(stockCountLines)
    .innerJoin(stock, eq(stock.id, stockCountLines.stockId))
    .innerJoin(locations, eq(locations.id, stock.locationId))
    .where(eq(stockCountLines.countId, count.id))
    .orderBy(stock.id);
  const movements = [];
  for (const { line, slot, location } of lines) {
    const counted = line.counted ?? line.expected;
    const adjustment = counted - slot.onHand;
    if (adjustment === 0) continue;
    if (counted < slot.reserved) return insufficientStock(slot.productId, slot.reserved, counted);
    movements.push({ warehouse, location, productId: slot.productId, batchId: slot.batchId, kind: 'COUNT_ADJUSTMENT' as const, quantity: adjustment, reference: `count:${count.id}` });
  }
  await recordMovements(tx, identity, movements);
  const [posted] = await tx.update(stockCounts).set({ status: 'POSTED', postedAt: sql`now()` }).where(eq(stockCounts.id, count.id)).returning();
  await countEvent(tx, posted!, 'count.posted', identity);
  return posted!;
}

async function lockCount(tx: Tx, id: string): Promise<StockCountRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.select().from(stockCounts).where(eq(stockCounts.id, id)).for('update');
  return row;
}

async function countEvent(tx: Tx, count: StockCountRow, topic: TopicOf<'StockCount'>, identity: Identity): Promise<void> {
  await appendEvent(tx, {
    topic,
    entityType: 'StockCount',
    entityId: count.id,
    audience: warehouseAudience(count),
    payload: { warehouseId: count.warehouseId, status: count.status, by: identity.partnerId },
  });
}

/** Lines of counts; one statement. */
export async function linesOfCounts(tx: Tx, ids: readonly string[]): Promise<CountLineRow[]> {
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ line: stockCountLines, slot: stock })
    .from(stockCountLines)
    .innerJoin(stock, eq(stock.id, stockCountLines.stockId))
    .where(inArray(stockCountLines.countId, [...ids]));
  return rows.map(({ line, slot }) => ({ ...line, locationId: slot.locationId, productId: slot.productId, batchId: slot.batchId }));
}
