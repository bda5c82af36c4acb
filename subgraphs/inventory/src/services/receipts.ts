import type { ResultOf, ReceiveReturnInput, ReceiveStockInput } from '../generated/resolvers';
import { sql } from 'drizzle-orm';
import { appendEvent, type Identity, type Tx } from '@redthread/kit';
import { invalidInput, isFailure, notFound } from '../errors';
import { isUuid } from './ids';
import { checkBatch, ensureBatches, knownBatches, lotDatesConflict, lotKey, ownerProducts, recordMovements, type LotDates, type MovementInput, type MovementRow, type PurchaseReceiptFacts } from './ledger';
import { locationByCode, locationCodeOf, locationsByCodes, visibleWarehouse, warehouseAudience, type WarehouseRow } from './warehouses';

/** The SDL's input types, generated (`npm run codegen`). */
export type { ReceiveReturnInput, ReceiveStockInput };

/** What a receipt booked: the warehouse and its movements (none for a DAMAGED return). */
export interface ReceiptRow {
  warehouse: WarehouseRow;
  movements: MovementRow[];
}

interface PurchaseLine extends Record<string, unknown> {
  order_id: string;
  order_status: string;
  seller_partner_id: string;
  warehouse_id: string | null;
  line_id: string;
  buyer_product_id: string;
  quantity: number;
}

const RECEIVABLE_PO_STATUSES = ['APPROVED', 'ALLOCATED', 'BACKORDERED', 'PARTIALLY_SHIPPED', 'SHIPPED'];

/**
 * Receives stock into a warehouse the caller owns or operates. Against a purchase order (the
 * owner's, into this warehouse), each line must be on the order and within what remains to
 * receive; partial receipts are fine, and `stock.purchase_received` tells orders (and finance) what
 * arrived. Free receipts take any of the owner's products. Lots create batches.
 */
export async function receiveStock(
  tx: Tx,
  identity: Identity,
  input: ReceiveStockInput,
): Promise<ResultOf<'ReceiptResult'>> {
  const warehouse = await visibleWarehouse(tx, input.warehouseId);
  if (!warehouse) return notFound('warehouse');
  if (input.lines.length === 0) return invalidInput('lines', 'A receipt needs at least one line.');
  if (input.lines.length > 500) return invalidInput('lines', 'A receipt may have at most 500 lines.');

  const productIds = [...new Set(input.lines.map((l) => l.productId).filter(isUuid))];
  const products = await ownerProducts(tx, warehouse.ownerPartnerId, productIds);
  let purchaseLines: PurchaseLine[] = [];
  const receivedBefore = new Map<string, number>();
  const lineCosts = new Map<string, { unitCostMinor: string; currency: string }>();
  if (input.purchaseOrderId) {
    if (!isUuid(input.purchaseOrderId)) return invalidInput('purchaseOrderId', 'No such purchase order of yours.');
    // Serialise receipts of one purchase order, so two at once cannot both take what remains.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('inventory.po-receipt:' || ${input.purchaseOrderId}))`);
    purchaseLines = [
      ...(await tx.execute<PurchaseLine>(sql`
        select order_id, order_status::text as order_status, seller_partner_id, warehouse_id, line_id, buyer_product_id, quantity
        from orders.purchase_order_lines
        where order_id = ${input.purchaseOrderId} and buyer_partner_id = ${warehouse.ownerPartnerId}`)),
    ];
    const first = purchaseLines[0];
    if (!first) return invalidInput('purchaseOrderId', 'No such purchase order of yours.');
    // The lines' unit prices and the order's currency (orders' published line facts): what the
    // received units cost, carried on each receipt's `stock.changed` for finance.
    for (const row of await tx.execute<{ line_id: string; unit_price_minor: string; currency: string }>(sql`
      select line_id, unit_price_minor::text as unit_price_minor, currency from orders.order_line_facts where order_id = ${input.purchaseOrderId}`)) {
      lineCosts.set(row.line_id, { unitCostMinor: row.unit_price_minor, currency: row.currency });
    }
    if (first.warehouse_id !== warehouse.id) return invalidInput('warehouseId', 'This purchase order is delivered into another warehouse.');
    if (!RECEIVABLE_PO_STATUSES.includes(first.order_status)) {
      return invalidInput('purchaseOrderId', `A purchase order in status ${first.order_status} cannot be received.`);
    }
    const previous = await tx.execute<{ reference: string; units: number }>(sql`
      select reference, sum(quantity)::int as units from inventory.movements
      where kind = 'PURCHASE_RECEIPT' and reference like ${`purchase-order:${input.purchaseOrderId}:%`}
      group by reference`);
    for (const row of previous) receivedBefore.set(row.reference, row.units);
  }

  // Validate every line before writing anything (batches included): a refused receipt changes
  // nothing. The lines' locations and recorded lots are read once for all lines.
  const locationsOf = await locationsByCodes(tx, warehouse, input.lines.map((l) => l.locationCode));
  const known = await knownBatches(
    tx,
    warehouse.ownerPartnerId,
    input.lines.flatMap((l) => (l.batch && isUuid(l.productId) ? [{ productId: l.productId, lotNumber: l.batch.lotNumber.trim() }] : [])),
  );
  /** Each lot's dates: as recorded, or as the first line naming a new lot gave them. */
  const lotDates = new Map<string, LotDates>([...known].map(([key, row]) => [key, row]));
  const accepted: (Omit<MovementInput, 'batchId'> & { lot: (LotDates & { lotNumber: string; path: string }) | null })[] = [];
  const receivedLines: { lineId: string; quantity: number }[] = [];
  for (const [index, line] of input.lines.entries()) {
    const path = `lines[${index}]`;
    const product = products.find((p) => p.product_id === line.productId);
    if (!product) return invalidInput(`${path}.productId`, "Not one of the warehouse owner's products.");
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 1_000_000) {
      return invalidInput(`${path}.quantity`, 'The quantity must be a whole number from 1 to 1,000,000.');
    }
    const location = locationsOf.get(locationCodeOf(line.locationCode));
    if (!location) return invalidInput(`${path}.locationCode`, `No location ${line.locationCode} in this warehouse.`);
    let lot: (typeof accepted)[number]['lot'] = null;
    if (line.batch) {
      const problem = checkBatch(line.batch, `${path}.batch`);
      if (problem) return problem;
      const lotNumber = line.batch.lotNumber.trim();
      const key = lotKey({ productId: product.product_id, lotNumber });
      const recorded = lotDates.get(key);
      if (recorded) {
        const conflict = lotDatesConflict(recorded, line.batch, `${path}.batch`);
        if (conflict) return conflict;
      } else {
        lotDates.set(key, { producedOn: line.batch.producedOn ?? null, expiresOn: line.batch.expiresOn ?? null });
      }
      lot = { lotNumber, producedOn: line.batch.producedOn ?? null, expiresOn: line.batch.expiresOn ?? null, path: `${path}.batch` };
    }
    let reference = 'free-receipt';
    let purchase: PurchaseReceiptFacts | undefined;
    if (input.purchaseOrderId) {
      const purchaseLine = purchaseLines.find((p) => p.buyer_product_id === product.product_id);
      if (!purchaseLine) return invalidInput(`${path}.productId`, 'This product is not on the purchase order.');
      reference = `purchase-order:${input.purchaseOrderId}:line:${purchaseLine.line_id}`;
      const already = (receivedBefore.get(reference) ?? 0) + receivedLines.filter((r) => r.lineId === purchaseLine.line_id).reduce((s, r) => s + r.quantity, 0);
      const remaining = purchaseLine.quantity - already;
      if (line.quantity > remaining) {
        return invalidInput(`${path}.quantity`, `Only ${remaining} unit(s) of this purchase order line remain to be received.`);
      }
      receivedLines.push({ lineId: purchaseLine.line_id, quantity: line.quantity });
      const cost = lineCosts.get(purchaseLine.line_id);
      if (cost) purchase = { purchaseOrderId: input.purchaseOrderId, purchaseOrderLineId: purchaseLine.line_id, ...cost };
    }
    accepted.push({
      warehouse,
      location,
      productId: product.product_id,
      kind: input.purchaseOrderId ? 'PURCHASE_RECEIPT' : 'FREE_RECEIPT',
      quantity: line.quantity,
      reference,
      ...(purchase ? { purchase } : {}),
      lot,
    });
  }
  // The new lots in one statement; a lot another receipt created meanwhile with other dates is refused.
  const lots = await ensureBatches(
    tx,
    warehouse.ownerPartnerId,
    accepted.flatMap(({ productId, lot }) => (lot ? [{ productId, ...lot }] : [])),
    known,
  );
  if (isFailure(lots)) return lots;
  const items: MovementInput[] = accepted.map(({ lot, ...item }) => ({
    ...item,
    batchId: lot ? lots.get(lotKey({ productId: item.productId, lotNumber: lot.lotNumber }))!.id : null,
  }));
  const movements = await recordMovements(tx, identity, items);
  if (input.purchaseOrderId) {
    const first = purchaseLines[0]!;
    const fullyReceived = purchaseLines.every((p) => {
      const ref = `purchase-order:${input.purchaseOrderId}:line:${p.line_id}`;
      const total = (receivedBefore.get(ref) ?? 0) + receivedLines.filter((r) => r.lineId === p.line_id).reduce((s, r) => s + r.quantity, 0);
      return total >= p.quantity;
    });
    await appendEvent(tx, {
      topic: 'stock.purchase_received',
      entityType: 'Order',
      entityId: first.order_id,
      audience: [warehouse.ownerPartnerId, first.seller_partner_id],
      payload: {
        orderId: first.order_id,
        warehouseId: warehouse.id,
        buyerPartnerId: warehouse.ownerPartnerId,
        sellerPartnerId: first.seller_partner_id,
        lines: receivedLines,
        fullyReceived,
      },
    });
  }
  return { warehouse, movements };
}

interface ReturnToReceive extends Record<string, unknown> {
  return_id: string;
  order_id: string;
  line_id: string;
  status: string;
  quantity: number;
  seller_partner_id: string;
  product_id: string;
}

/**
 * Receives an APPROVED return into one of the seller's warehouses: RESTOCK books a RETURN_RECEIPT
 * movement (the units are sellable again, and backorders may be served); DAMAGED books nothing into
 * stock. `stock.return_received` lets the orders workflow mark the return RECEIVED. A return is
 * received once: the orders side refuses a second receipt, and so does this check of its status.
 */
export async function receiveReturn(
  tx: Tx,
  identity: Identity,
  input: ReceiveReturnInput,
): Promise<ResultOf<'ReceiptResult'>> {
  const warehouse = await visibleWarehouse(tx, input.warehouseId);
  if (!warehouse) return notFound('warehouse');
  if (!isUuid(input.returnId)) return notFound('return');
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('inventory.return-receipt:' || ${input.returnId}))`);
  const [toReceive] = await tx.execute<ReturnToReceive>(sql`
    select return_id, order_id, line_id, status::text as status, quantity, seller_partner_id, product_id
    from orders.return_directory where return_id = ${input.returnId} and seller_partner_id = ${warehouse.ownerPartnerId}`);
  if (!toReceive) return notFound('return');
  // Received before (RESTOCK leaves a movement, DAMAGED only the event): never twice.
  const [already] = await tx.execute<{ n: number }>(
    sql`select count(*)::int as n from events.event_log where topic = 'stock.return_received' and entity_id = ${input.returnId}`,
  );
  if (toReceive.status !== 'APPROVED' || (already?.n ?? 0) > 0) {
    return invalidInput('returnId', `A return in status ${toReceive.status} cannot be received; approve it first.`);
  }
  const location = await locationByCode(tx, warehouse, input.locationCode);
  if (!location) return invalidInput('locationCode', `No location ${input.locationCode} in this warehouse.`);
  const movements =
    input.outcome === 'RESTOCK'
      ? await recordMovements(tx, identity, [
          { warehouse, location, productId: toReceive.product_id, batchId: null, kind: 'RETURN_RECEIPT', quantity: toReceive.quantity, reference: `return:${input.returnId}` },
        ])
      : [];
  await appendEvent(tx, {
    topic: 'stock.return_received',
    entityType: 'Return',
    entityId: input.returnId,
    audience: warehouseAudience(warehouse),
    payload: { returnId: input.returnId, orderId: toReceive.order_id, sellerPartnerId: toReceive.seller_partner_id, warehouseId: warehouse.id, outcome: input.outcome, quantity: toReceive.quantity },
  });
  return { warehouse, movements };
}
