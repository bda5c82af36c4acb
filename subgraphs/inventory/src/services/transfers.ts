import type { ResultOf, CreateTransferInput, ReceiveTransferInput } from '../generated/resolvers';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { locations, stock, transferLines, transfers } from '@redthread/schema';
import { appendEvent, type Identity, type TopicOf, type Tx } from '@redthread/kit';
import { insufficientStock, invalidInput, invalidTransition, notFound } from '../errors';
import { isUuid } from './ids';
import { knownBatches, lotKey, ownerProducts, recordMovements } from './ledger';
import { locationByCode, locationCodeOf, locationsByCodes, visibleWarehouse } from './warehouses';

/** Most lines one transfer may have (as a receipt). */
const MAX_TRANSFER_LINES = 500;

export type TransferRow = typeof transfers.$inferSelect;
export type TransferLineRow = typeof transferLines.$inferSelect;

/** The SDL's input types, generated (`npm run codegen`). */
export type { CreateTransferInput, ReceiveTransferInput };

/** Plans a transfer between two of the caller's warehouses; availability is checked when it ships. */
export async function createTransfer(tx: Tx, identity: Identity, input: CreateTransferInput): Promise<ResultOf<'TransferResult'>> {
  const from = await visibleWarehouse(tx, input.fromWarehouseId);
  const to = await visibleWarehouse(tx, input.toWarehouseId);
  if (!from || from.ownerPartnerId !== identity.partnerId) return notFound('warehouse');
  if (!to || to.ownerPartnerId !== identity.partnerId) return notFound('warehouse');
  if (from.id === to.id) return invalidInput('toWarehouseId', 'A transfer needs two different warehouses.');
  if (input.lines.length === 0) return invalidInput('lines', 'A transfer needs at least one line.');
  if (input.lines.length > MAX_TRANSFER_LINES) return invalidInput('lines', `A transfer may have at most ${MAX_TRANSFER_LINES} lines.`);
  const products = await ownerProducts(tx, identity.partnerId, input.lines.map((l) => l.productId).filter(isUuid));
  // The lines' source locations and lots, read once for all lines.
  const locationsOf = await locationsByCodes(tx, from, input.lines.map((l) => l.locationCode));
  const lots = await knownBatches(
    tx,
    identity.partnerId,
    input.lines.flatMap((l) => (l.lotNumber && isUuid(l.productId) ? [{ productId: l.productId, lotNumber: l.lotNumber.trim() }] : [])),
  );
  const values: (typeof transferLines.$inferInsert)[] = [];
  for (const [index, line] of input.lines.entries()) {
    const path = `lines[${index}]`;
    if (!products.some((p) => p.product_id === line.productId)) return invalidInput(`${path}.productId`, 'Not one of your products.');
    if (!Number.isInteger(line.quantity) || line.quantity < 1) return invalidInput(`${path}.quantity`, 'The quantity must be 1 or more.');
    const location = locationsOf.get(locationCodeOf(line.locationCode));
    if (!location) return invalidInput(`${path}.locationCode`, `No location ${line.locationCode} in the source warehouse.`);
    let batchId: string | null = null;
    if (line.lotNumber) {
      const batch = lots.get(lotKey({ productId: line.productId, lotNumber: line.lotNumber.trim() }));
      if (!batch) return invalidInput(`${path}.lotNumber`, `No lot ${line.lotNumber} of this product.`);
      batchId = batch.id;
    }
    values.push({ transferId: '', ownerPartnerId: identity.partnerId, productId: line.productId, batchId, fromLocationId: location.id, quantity: line.quantity });
  }
  const [transfer] = await tx
    .insert(transfers)
    .values({
      ownerPartnerId: identity.partnerId,
      fromWarehouseId: from.id,
      toWarehouseId: to.id,
      fromOperatorPartnerId: from.operatorPartnerId,
      toOperatorPartnerId: to.operatorPartnerId,
    })
    .returning();
  await tx.insert(transferLines).values(values.map((v) => ({ ...v, transferId: transfer!.id })));
  await transferEvent(tx, transfer!, 'transfer.created');
  return transfer!;
}

/** Ships a CREATED transfer: TRANSFER_OUT movements at the source; refused if stock is not available. */
export async function shipTransfer(tx: Tx, identity: Identity, transferId: string): Promise<ResultOf<'TransferResult'>> {
  const transfer = await lockTransfer(tx, transferId);
  if (!transfer) return notFound('transfer');
  if (transfer.status !== 'CREATED') return invalidTransition(transfer.status, `A ${transfer.status} transfer cannot be shipped.`);
  const from = await visibleWarehouse(tx, transfer.fromWarehouseId);
  // Transfer lines are the owner's; the owner ships and receives transfers (operators see them).
  if (!from || from.ownerPartnerId !== identity.partnerId) return notFound('transfer');
  const lines = await tx.select().from(transferLines).where(eq(transferLines.transferId, transfer.id));
  // The source slots of every line, locked in id order (as every writer of several slots locks
  // them), and their locations: one statement each. Lines taking from one slot share its units.
  const slotKey = (s: { locationId: string; productId: string; batchId: string | null }) => `${s.locationId} ${s.productId} ${s.batchId ?? '-'}`;
  const wanted = lines.map((l) => sql`(${l.fromLocationId}::uuid, ${l.productId}::uuid, ${l.batchId}::uuid)`);
  const slots = lines.length
    ? await tx
        .select()
        .from(stock)
        .where(
          and(
            eq(stock.warehouseId, from.id),
            sql`exists (select 1 from (values ${sql.join(wanted, sql`, `)}) as line (location_id, product_id, batch_id)
              where line.location_id = ${stock.locationId} and line.product_id = ${stock.productId} and line.batch_id is not distinct from ${stock.batchId})`,
          ),
        )
        .orderBy(stock.id)
        .for('update')
    : [];
  const slotOf = new Map(slots.map((s) => [slotKey(s), s]));
  const locationRows = new Map(
    (lines.length ? await tx.select().from(locations).where(and(eq(locations.warehouseId, from.id), inArray(locations.id, lines.map((l) => l.fromLocationId)))) : []).map((l) => [l.id, l]),
  );
  const taken = new Map<string, number>();
  const movements = [];
  for (const line of lines) {
    const key = slotKey({ locationId: line.fromLocationId, productId: line.productId, batchId: line.batchId });
    const slot = slotOf.get(key);
    const available = (slot ? slot.onHand - slot.reserved : 0) - (taken.get(key) ?? 0);
    if (available < line.quantity) return insufficientStock(line.productId, line.quantity, Math.max(0, available));
    taken.set(key, (taken.get(key) ?? 0) + line.quantity);
    movements.push({ warehouse: from, location: locationRows.get(line.fromLocationId)!, productId: line.productId, batchId: line.batchId, kind: 'TRANSFER_OUT' as const, quantity: -line.quantity, reference: `transfer:${transfer.id}` });
  }
  await recordMovements(tx, identity, movements);
  return setTransferStatus(tx, transfer, 'IN_TRANSIT', 'transfer.shipped');
}

/** Receives an IN_TRANSIT transfer at the destination; received − shipped is kept as the difference. */
export async function receiveTransfer(
  tx: Tx,
  identity: Identity,
  input: ReceiveTransferInput,
): Promise<ResultOf<'TransferResult'>> {
  const transfer = await lockTransfer(tx, input.transferId);
  if (!transfer) return notFound('transfer');
  if (transfer.status !== 'IN_TRANSIT') return invalidTransition(transfer.status, `A ${transfer.status} transfer cannot be received.`);
  const to = await visibleWarehouse(tx, transfer.toWarehouseId);
  if (!to || to.ownerPartnerId !== identity.partnerId) return notFound('transfer');
  const location = await locationByCode(tx, to, input.locationCode);
  if (!location) return invalidInput('locationCode', `No location ${input.locationCode} in the destination warehouse.`);
  const lines = await tx.select().from(transferLines).where(eq(transferLines.transferId, transfer.id));
  // Validate every line before writing anything: a refused receipt changes nothing.
  const unknown = input.lines.findIndex((l) => !lines.some((line) => line.id === l.lineId));
  if (unknown >= 0) return invalidInput(`lines[${unknown}].lineId`, 'This line is not part of the transfer.');
  const received: { line: TransferLineRow; quantity: number }[] = [];
  for (const line of lines) {
    const index = input.lines.findIndex((l) => l.lineId === line.id);
    const given = input.lines[index];
    if (!given) return invalidInput('lines', 'Give the received quantity of every line of the transfer (0 if none arrived).');
    if (!Number.isInteger(given.receivedQuantity) || given.receivedQuantity < 0) {
      return invalidInput(`lines[${index}].receivedQuantity`, 'The received quantity must be 0 or more.');
    }
    received.push({ line, quantity: given.receivedQuantity });
  }
  const movements = [];
  for (const { line, quantity } of received) {
    if (quantity > 0) {
      movements.push({ warehouse: to, location, productId: line.productId, batchId: line.batchId, kind: 'TRANSFER_IN' as const, quantity, reference: `transfer:${transfer.id}` });
    }
  }
  // Every line's received quantity in one statement.
  if (received.length) {
    const given = received.map(({ line, quantity }) => sql`(${line.id}::uuid, ${quantity}::int)`);
    await tx.execute(sql`
      update inventory.transfer_lines as line set received_quantity = given.quantity
      from (values ${sql.join(given, sql`, `)}) as given (id, quantity)
      where line.id = given.id`);
  }
  await recordMovements(tx, identity, movements);
  return setTransferStatus(tx, transfer, 'RECEIVED', 'transfer.received');
}

async function lockTransfer(tx: Tx, id: string): Promise<TransferRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.select().from(transfers).where(eq(transfers.id, id)).for('update');
  return row;
}

async function setTransferStatus(tx: Tx, transfer: TransferRow, status: TransferRow['status'], topic: TopicOf<'Transfer'>): Promise<TransferRow> {
  const [updated] = await tx.update(transfers).set({ status, updatedAt: sql`now()` }).where(eq(transfers.id, transfer.id)).returning();
  await transferEvent(tx, updated!, topic);
  return updated!;
}

async function transferEvent(tx: Tx, transfer: TransferRow, topic: TopicOf<'Transfer'>): Promise<void> {
  const audience = [...new Set([transfer.ownerPartnerId, transfer.fromOperatorPartnerId, transfer.toOperatorPartnerId].filter((p): p is string => Boolean(p)))];
  await appendEvent(tx, {
    topic,
    entityType: 'Transfer',
    entityId: transfer.id,
    audience,
    payload: { status: transfer.status, fromWarehouseId: transfer.fromWarehouseId, toWarehouseId: transfer.toWarehouseId },
  });
}

/** Lines of transfers; one statement. */
export async function linesOfTransfers(tx: Tx, ids: readonly string[]): Promise<TransferLineRow[]> {
  return ids.length ? tx.select().from(transferLines).where(inArray(transferLines.transferId, [...ids])) : [];
}

