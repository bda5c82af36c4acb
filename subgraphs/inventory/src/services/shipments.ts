import type { ResultOf, DispatchShipmentInput, InspectShipmentInput } from '../generated/resolvers';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { allocations, locations, reservations, shipments, stock } from '@redthread/schema';
import { appendEvent, parseEvent, shipmentMoveAllowed, type CatalogueEvent, type Identity, type LoggedEvent, type TopicOf, type Tx } from '@redthread/kit';
import { invalidInput, invalidTransition, notFound, type InspectionDifference } from '../errors';
import { isUuid } from './ids';
import { productsOfOwners, recordMovements, releaseReserved } from './ledger';
import { warehouseAudience, type WarehouseRow } from './warehouses';

export type ShipmentRow = typeof shipments.$inferSelect;
export type ReservationRow = typeof reservations.$inferSelect;

/** The SDL's input types, generated (`npm run codegen`). */
export type { DispatchShipmentInput, InspectShipmentInput };

type ShipmentQueueTopic = TopicOf<'Shipment'>;

/** Every topic about a shipment, by itself: a topic the catalogue adds is missing here, a type error. */
const QUEUE_TOPICS: { [T in ShipmentQueueTopic]: T } = {
  'shipment.queued': 'shipment.queued',
  'shipment.inspected': 'shipment.inspected',
  'shipment.inspection_failed': 'shipment.inspection_failed',
  'shipment.dispatched': 'shipment.dispatched',
  'shipment.cancelled': 'shipment.cancelled',
};

/** The topics of a warehouse's shipment queue (`shipmentQueueChanged`): every event about a shipment. */
export const SHIPMENT_QUEUE_TOPICS: readonly ShipmentQueueTopic[] = Object.values(QUEUE_TOPICS);

/** A committed change to a shipment queue, its payload parsed against the event catalogue (each carries `warehouseId` and `status`). */
export type ShipmentQueueEvent = CatalogueEvent<ShipmentQueueTopic>;

/**
 * A logged event as a {@link ShipmentQueueEvent}: what the `shipmentQueueChanged` subscription
 * delivers, so that ShipmentQueueChange answers typed, validated payload fields. Throws for a topic
 * that is not a shipment's, and `EventPayloadError` for a payload that does not match the catalogue.
 */
export function shipmentQueueEvent(event: LoggedEvent): ShipmentQueueEvent {
  const topic = SHIPMENT_QUEUE_TOPICS.find((t) => t === event.topic);
  if (!topic) throw new Error(`event ${event.id}: ${event.topic} is not a shipment queue change`);
  return parseEvent({ ...event, topic });
}

const DIFFERENCE_KINDS = ['MISSING', 'EXTRA', 'UNKNOWN'] as const;

/**
 * A shipment's `last_mismatch` (a jsonb column, untyped in the table) as the differences
 * {@link inspectShipment} stored there: null when the last inspection passed or none failed yet.
 * Anything else in the column is a broken invariant and throws.
 */
export function lastMismatchOf(shipment: ShipmentRow): InspectionDifference[] | null {
  const stored = shipment.lastMismatch;
  if (stored === null || stored === undefined) return null;
  if (!Array.isArray(stored)) throw new Error(`invariant: shipment ${shipment.id} has a last_mismatch that is not a list`);
  return stored.map((entry: unknown) => {
    if (typeof entry === 'object' && entry !== null && 'code' in entry && 'expected' in entry && 'scanned' in entry && 'kind' in entry) {
      const { code, expected, scanned } = entry;
      const kind = DIFFERENCE_KINDS.find((k) => k === entry.kind);
      if (typeof code === 'string' && typeof expected === 'number' && typeof scanned === 'number' && kind) return { code, expected, scanned, kind };
    }
    throw new Error(`invariant: shipment ${shipment.id} has a last_mismatch entry that is not an inspection difference`);
  });
}

/** A pick-list line: what to take from where. */
export interface PickLine {
  productId: string;
  skuCode: string;
  barcode: string | null;
  /** The product's name (owner and operator alike), null when it cannot be read. */
  name: string | null;
  locationId: string;
  batchId: string | null;
  quantity: number;
}

/**
 * Takes the chain lock of the order a shipment serves (`orders.lock_order_chain`, which orders'
 * cancelOrder takes too) before the shipment's row lock. Nothing for an unknown or foreign id.
 */
async function lockChainOfShipment(tx: Tx, shipmentId: string): Promise<void> {
  if (!isUuid(shipmentId)) return;
  await tx.execute(sql`select orders.lock_order_chain(s.order_id) from inventory.shipments s where s.id = ${shipmentId}`);
}

/** Whether any of these order lines, or a line they were routed from, is cancelled (`orders.chain_cancelled`). */
async function orderCancelledInChain(tx: Tx, orderLineIds: readonly string[]): Promise<boolean> {
  if (orderLineIds.length === 0) return false;
  const [row] = await tx.execute<{ cancelled: boolean }>(sql`select orders.chain_cancelled(${`{${orderLineIds.join(',')}}`}::uuid[]) as cancelled`);
  return Boolean(row?.cancelled);
}

/**
 * Whether the units held for some line exceed what that line has left to ship
 * (`orders.lines_exceeded`): its quantity was adjusted after the pick.
 */
async function linesExceeded(tx: Tx, heldPerLine: ReadonlyMap<string, number>): Promise<boolean> {
  if (heldPerLine.size === 0) return false;
  const [row] = await tx.execute<{ exceeded: boolean }>(
    sql`select orders.lines_exceeded(${`{${[...heldPerLine.keys()].join(',')}}`}::uuid[], ${`{${[...heldPerLine.values()].join(',')}}`}::int[]) as exceeded`,
  );
  return Boolean(row?.exceeded);
}

async function lockShipment(tx: Tx, id: string): Promise<ShipmentRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.select().from(shipments).where(eq(shipments.id, id)).for('update');
  return row;
}

/** The pick list of shipments (reservations with their slot and product codes and names); batched. */
export async function pickLinesOf(tx: Tx, shipmentRows: readonly ShipmentRow[]): Promise<Map<string, PickLine[]>> {
  const result = new Map<string, PickLine[]>(shipmentRows.map((s) => [s.id, []]));
  if (shipmentRows.length === 0) return result;
  const rows = await tx
    .select({ reservation: reservations, slot: stock })
    .from(reservations)
    .innerJoin(stock, eq(stock.id, reservations.stockId))
    .where(inArray(reservations.shipmentId, shipmentRows.map((s) => s.id)))
    .orderBy(reservations.createdAt);
  const byOwner = new Map<string, Set<string>>();
  for (const { slot } of rows) byOwner.set(slot.ownerPartnerId, (byOwner.get(slot.ownerPartnerId) ?? new Set()).add(slot.productId));
  // One statement for every owner on the page (a 3PL's queue spans the owners it works for).
  const products = await productsOfOwners(tx, new Map([...byOwner].map(([owner, ids]) => [owner, [...ids]])));
  const codes = new Map(products.map((product) => [product.product_id, product]));
  for (const { reservation, slot } of rows) {
    const product = codes.get(slot.productId);
    result.get(reservation.shipmentId!)?.push({
      productId: slot.productId,
      skuCode: product?.sku_code ?? slot.productId,
      barcode: product?.barcode ?? null,
      name: product?.name ?? null,
      locationId: slot.locationId,
      batchId: slot.batchId,
      quantity: reservation.quantity,
    });
  }
  return result;
}

/** The outcome of one outbound inspection (recorded whether it passed or not). */
export interface Inspection {
  shipment: ShipmentRow;
  passed: boolean;
  differences: InspectionDifference[];
}

/**
 * Outbound inspection: the scanned codes (SKU code or barcode) and quantities must match the
 * shipment exactly. A match makes the shipment READY to dispatch; any difference (missing, extra,
 * unknown code) puts it (back) to TO_PICK and is kept as its last inspection result. Either way
 * the inspection happened and is recorded (`shipment.inspected` / `shipment.inspection_failed`);
 * only bad input, an unknown shipment or a wrong status are failures that change nothing.
 */
export async function inspectShipment(
  tx: Tx,
  identity: Identity,
  input: InspectShipmentInput,
): Promise<ResultOf<'InspectShipmentResult'>> {
  const shipment = await lockShipment(tx, input.shipmentId);
  if (!shipment) return notFound('shipment');
  if (!shipmentMoveAllowed('passInspection', shipment.status)) {
    return invalidTransition(shipment.status, `A ${shipment.status} shipment cannot be inspected.`);
  }
  // A scan without a quantity counts once, as the SDL's default (`quantity: Int! = 1`) has it.
  const scans = input.scans.map((s) => ({ code: s.code.trim(), quantity: s.quantity ?? 1 }));
  const badScan = scans.findIndex((s) => !Number.isInteger(s.quantity) || s.quantity < 1 || !s.code);
  if (badScan >= 0) return invalidInput(`scans[${badScan}]`, 'Each scan needs a code and a quantity of 1 or more.');
  const lines = (await pickLinesOf(tx, [shipment])).get(shipment.id) ?? [];
  const expected = new Map<string, { code: string; quantity: number }>();
  for (const line of lines) {
    const entry = expected.get(line.productId) ?? { code: line.skuCode, quantity: 0 };
    entry.quantity += line.quantity;
    expected.set(line.productId, entry);
  }
  const scanned = new Map<string, number>();
  const unknown = new Map<string, number>();
  for (const scan of scans) {
    const code = scan.code;
    const line = lines.find((l) => l.skuCode === code || (l.barcode !== null && l.barcode === code));
    if (line) scanned.set(line.productId, (scanned.get(line.productId) ?? 0) + scan.quantity);
    else unknown.set(code, (unknown.get(code) ?? 0) + scan.quantity);
  }
  const differences: InspectionDifference[] = [];
  for (const [productId, { code, quantity }] of expected) {
    const got = scanned.get(productId) ?? 0;
    if (got < quantity) differences.push({ code, expected: quantity, scanned: got, kind: 'MISSING' });
    if (got > quantity) differences.push({ code, expected: quantity, scanned: got, kind: 'EXTRA' });
  }
  for (const [code, quantity] of unknown) differences.push({ code, expected: 0, scanned: quantity, kind: 'UNKNOWN' });

  const status = differences.length ? ('TO_PICK' as const) : ('READY' as const);
  const [updated] = await tx
    .update(shipments)
    .set({ status, lastMismatch: differences.length ? differences : null, updatedAt: sql`now()` })
    .where(eq(shipments.id, shipment.id))
    .returning();
  await appendEvent(tx, {
    topic: differences.length ? 'shipment.inspection_failed' : 'shipment.inspected',
    entityType: 'Shipment',
    entityId: shipment.id,
    audience: warehouseAudience(shipment),
    payload: { warehouseId: shipment.warehouseId, orderId: shipment.orderId, status, differences, by: identity.partnerId },
  });
  return { shipment: updated!, passed: differences.length === 0, differences };
}

/**
 * Dispatches a READY shipment: each reservation is consumed (reserved −q, then a SHIPMENT movement
 * −q), the shipment records carrier and tracking number, and `shipment.dispatched` lets the orders
 * workflow ship the order lines — and so every order down the chain.
 */
export async function dispatchShipment(
  tx: Tx,
  identity: Identity,
  input: DispatchShipmentInput,
  warehouseOf: (id: string) => Promise<WarehouseRow | undefined>,
): Promise<ResultOf<'ShipmentResult'>> {
  const carrier = input.carrier.trim();
  const trackingNumber = input.trackingNumber.trim();
  if (!carrier) return invalidInput('carrier', 'Name the carrier.');
  if (!trackingNumber) return invalidInput('trackingNumber', 'Give the tracking number.');
  // The chain lock first (orders' cancelOrder takes it too), then the shipment: whichever of a
  // cancellation and this dispatch commits first wins, and the other is refused.
  await lockChainOfShipment(tx, input.shipmentId);
  const shipment = await lockShipment(tx, input.shipmentId);
  if (!shipment) return notFound('shipment');
  if (!shipmentMoveAllowed('dispatch', shipment.status)) {
    return invalidTransition(
      shipment.status,
      shipment.status === 'TO_PICK' ? 'The shipment has not passed inspection; inspect it first.' : `A ${shipment.status} shipment cannot be dispatched.`,
    );
  }
  const warehouse = (await warehouseOf(shipment.warehouseId))!;
  const held = await tx.select().from(reservations).where(eq(reservations.shipmentId, shipment.id)).orderBy(reservations.stockId);
  if (await orderCancelledInChain(tx, [...new Set(held.map((r) => r.orderLineId))])) {
    return invalidTransition(
      shipment.status,
      'The order this shipment serves was cancelled (here or by the partner it was routed from): it must not leave. Put the goods back; the shipment is cancelled and its stock released.',
    );
  }
  const heldPerLine = new Map<string, number>();
  for (const r of held) heldPerLine.set(r.orderLineId, (heldPerLine.get(r.orderLineId) ?? 0) + r.quantity);
  if (await linesExceeded(tx, heldPerLine)) {
    return invalidTransition(
      shipment.status,
      'The order was adjusted after this shipment was picked: it holds more than the order now asks for. Put the goods back; the shipment is re-allocated and a new pick list follows.',
    );
  }
  // The slots locked in id order before what the shipment held comes off them (releaseReserved).
  const slots = held.length ? await tx.select().from(stock).where(inArray(stock.id, held.map((r) => r.stockId))).orderBy(stock.id).for('update') : [];
  const locationRows = slots.length ? await tx.select().from(locations).where(inArray(locations.id, slots.map((s) => s.locationId))) : [];
  await releaseReserved(tx, held);
  await recordMovements(
    tx,
    identity,
    held.map((reservation) => {
      const slot = slots.find((s) => s.id === reservation.stockId)!;
      return {
        warehouse,
        location: locationRows.find((l) => l.id === slot.locationId)!,
        productId: slot.productId,
        batchId: slot.batchId,
        kind: 'SHIPMENT' as const,
        quantity: -reservation.quantity,
        reference: `shipment:${shipment.id}`,
      };
    }),
  );
  const [updated] = await tx
    .update(shipments)
    .set({ status: 'DISPATCHED', carrier, trackingNumber, updatedAt: sql`now()` })
    .where(eq(shipments.id, shipment.id))
    .returning();
  if (heldPerLine.size) {
    await tx
      .update(allocations)
      .set({ status: 'SHIPPED', updatedAt: sql`now()` })
      .where(and(inArray(allocations.orderLineId, [...heldPerLine.keys()]), eq(allocations.status, 'ALLOCATED')));
  }
  await appendEvent(tx, {
    topic: 'shipment.dispatched',
    entityType: 'Shipment',
    entityId: shipment.id,
    audience: warehouseAudience(shipment),
    payload: {
      shipmentId: shipment.id,
      warehouseId: shipment.warehouseId,
      orderId: shipment.orderId,
      sellerPartnerId: shipment.ownerPartnerId,
      status: 'DISPATCHED',
      carrier,
      trackingNumber,
      lines: [...heldPerLine].map(([orderLineId, quantity]) => ({ orderLineId, quantity })),
    },
  });
  return updated!;
}
