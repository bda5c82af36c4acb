import type { BatchInput } from '../generated/resolvers';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { batches, movements, stock } from '@redthread/schema';
import { appendEvents, parseEvent, type CatalogueEvent, type NewEvent, type Identity, type LoggedEvent, type Tx } from '@redthread/kit';
import { invalidInput, type Failure } from '../errors';
import { isIsoDate } from './ids';
import { warehouseAudience, type LocationRow, type WarehouseRow } from './warehouses';

export type MovementKind = typeof movements.$inferInsert['kind'];
export type StockRow = typeof stock.$inferSelect;
export type BatchRow = typeof batches.$inferSelect;
export type MovementRow = typeof movements.$inferSelect;

/** The SDL's input types, generated (`npm run codegen`). */
export type { BatchInput };

/** A committed `stock.changed` event (see {@link recordMovements}), its payload parsed against the event catalogue. */
export type StockChangedEvent = CatalogueEvent<'stock.changed'>;

/**
 * A logged event as a {@link StockChangedEvent}: what the `stockChanged` subscription delivers, so
 * that StockChange answers typed, validated payload fields. Throws for another topic, and
 * `EventPayloadError` for a payload that does not match the catalogue.
 */
export function stockChangedEvent(event: LoggedEvent): StockChangedEvent {
  const { topic } = event;
  if (topic !== 'stock.changed') throw new Error(`event ${event.id}: ${topic} is not a stock change`);
  return parseEvent({ ...event, topic });
}

/** A change to one stock slot. */
export interface MovementInput {
  warehouse: WarehouseRow;
  location: LocationRow;
  productId: string;
  batchId: string | null;
  kind: MovementKind;
  /** Signed. */
  quantity: number;
  reference: string;
  /**
   * A PURCHASE_RECEIPT's purchase order line and its unit price: carried as fields of the
   * `stock.changed` event so that finance costs the receipt without parsing `reference`.
   */
  purchase?: PurchaseReceiptFacts;
}

/** The purchase order line a receipt receives, and its unit price (minor units, decimal string) and currency. */
export interface PurchaseReceiptFacts {
  purchaseOrderId: string;
  purchaseOrderLineId: string;
  unitCostMinor: string;
  currency: string;
}

/**
 * Movements (and their events) written per statement at most: a statement takes at most 65,535
 * bound parameters, and a movement row has eleven.
 */
const MOVEMENTS_PER_STATEMENT = 2_000;

/**
 * Appends movements to the ledger; a trigger applies each to its stock slot, and the CHECK
 * constraints refuse any that would take on-hand below zero or below the reserved units. Appends
 * one `stock.changed` event per movement for the warehouse's owner and operator. Two statements
 * per {@link MOVEMENTS_PER_STATEMENT} movements (the movements, then their events), however many
 * slots a count or a shipment touches.
 */
export async function recordMovements(tx: Tx, identity: Identity, items: readonly MovementInput[]): Promise<MovementRow[]> {
  const recorded: MovementRow[] = [];
  for (let from = 0; from < items.length; from += MOVEMENTS_PER_STATEMENT) {
    const chunk = items.slice(from, from + MOVEMENTS_PER_STATEMENT);
    const rows = await tx
      .insert(movements)
      .values(
        chunk.map((item) => ({
          warehouseId: item.warehouse.id,
          locationId: item.location.id,
          productId: item.productId,
          batchId: item.batchId,
          ownerPartnerId: item.warehouse.ownerPartnerId,
          operatorPartnerId: item.warehouse.operatorPartnerId,
          kind: item.kind,
          quantity: item.quantity,
          reference: item.reference,
          actorPartnerId: identity.partnerId,
        })),
      )
      .returning();
    await appendEvents(
      tx,
      rows.map((row, index) => stockChanged(row, chunk[index]!)),
    );
    recorded.push(...rows);
  }
  return recorded;
}

/** The `stock.changed` event of a movement just recorded. */
function stockChanged(row: MovementRow, item: MovementInput): NewEvent<'stock.changed'> {
  return {
    topic: 'stock.changed',
    entityType: 'StockLevel',
    entityId: `${row.warehouseId}:${row.locationId}:${row.productId}:${row.batchId ?? '-'}`,
    audience: warehouseAudience(item.warehouse),
    payload: {
      warehouseId: row.warehouseId,
      locationId: row.locationId,
      productId: row.productId,
      batchId: row.batchId,
      ownerPartnerId: row.ownerPartnerId,
      kind: row.kind,
      delta: row.quantity,
      reference: row.reference,
      purchaseOrderId: item.purchase?.purchaseOrderId ?? null,
      purchaseOrderLineId: item.purchase?.purchaseOrderLineId ?? null,
      unitCostMinor: item.purchase?.unitCostMinor ?? null,
      currency: item.purchase?.currency ?? null,
    },
  };
}

/**
 * Takes reservations' units off their slots' `reserved`, in one statement (a slot holding for
 * several lines gives back their sum). The caller has locked the slots, in id order, as every
 * writer of several slots locks them.
 */
export async function releaseReserved(tx: Tx, held: readonly { stockId: string; quantity: number }[]): Promise<void> {
  const perSlot = new Map<string, number>();
  for (const reservation of held) perSlot.set(reservation.stockId, (perSlot.get(reservation.stockId) ?? 0) + reservation.quantity);
  if (perSlot.size === 0) return;
  const values = [...perSlot].map(([stockId, quantity]) => sql`(${stockId}::uuid, ${quantity}::int)`);
  await tx.execute(sql`
    update inventory.stock as slot set reserved = slot.reserved - held.quantity, updated_at = now()
    from (values ${sql.join(values, sql`, `)}) as held (id, quantity)
    where slot.id = held.id`);
}

/** Checks a batch's fields without touching the database; a failure names the field. */
export function checkBatch(input: BatchInput, path: string): Failure<'InvalidInventoryInput'> | undefined {
  const lotNumber = input.lotNumber.trim();
  if (!lotNumber || lotNumber.length > 64) return invalidInput(`${path}.lotNumber`, 'The lot number must be 1–64 characters.');
  for (const field of ['producedOn', 'expiresOn'] as const) {
    const value = input[field];
    if (value && !isIsoDate(value)) return invalidInput(`${path}.${field}`, 'Dates are written YYYY-MM-DD.');
  }
  if (input.producedOn && input.expiresOn && input.expiresOn < input.producedOn) {
    return invalidInput(`${path}.expiresOn`, 'A batch cannot expire before it is produced.');
  }
  return undefined;
}

/** A lot of one of the owner's products, as a receipt line names it. */
export interface LotOfProduct {
  productId: string;
  lotNumber: string;
}

/** The dates a lot is recorded with (or, for a lot new to this receipt, given with first). */
export type LotDates = Pick<BatchRow, 'producedOn' | 'expiresOn'>;

/** The key of a lot in the maps of {@link knownBatches} and {@link ensureBatches}. */
export const lotKey = (lot: LotOfProduct): string => `${lot.productId} ${lot.lotNumber}`;

/** The owner's recorded batches of these lots, by {@link lotKey}; one statement. */
export async function knownBatches(tx: Tx, ownerPartnerId: string, lots: readonly LotOfProduct[]): Promise<Map<string, BatchRow>> {
  const distinct = [...new Map(lots.map((lot) => [lotKey(lot), lot])).values()];
  if (distinct.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(batches)
    .where(
      and(
        eq(batches.ownerPartnerId, ownerPartnerId),
        sql`(${batches.productId}, ${batches.lotNumber}) in (${sql.join(
          distinct.map((lot) => sql`(${lot.productId}::uuid, ${lot.lotNumber})`),
          sql`, `,
        )})`,
      ),
    );
  return new Map(rows.map((row) => [lotKey(row), row]));
}

/**
 * Whether `input` names dates that disagree with those its lot is recorded with (a date given
 * that differs, or that the lot was recorded without): a failure at `path`, else undefined.
 */
export function lotDatesConflict(recorded: LotDates, input: BatchInput, path: string): Failure<'InvalidInventoryInput'> | undefined {
  if ((input.expiresOn && recorded.expiresOn !== input.expiresOn) || (input.producedOn && recorded.producedOn !== input.producedOn)) {
    return invalidInput(path, `Lot ${input.lotNumber.trim()} is already recorded with other dates (${recorded.producedOn ?? '–'} / ${recorded.expiresOn ?? '–'}).`);
  }
  return undefined;
}

/**
 * The owner's batches of these lots, by {@link lotKey}: the new ones (not in `known`) created with
 * the dates they were first given, in one statement, and every one read back in one. A lot another
 * transaction created meanwhile with other dates is a failure at that lot's first path.
 */
export async function ensureBatches(
  tx: Tx,
  ownerPartnerId: string,
  wanted: readonly (LotOfProduct & LotDates & { path: string })[],
  known: ReadonlyMap<string, BatchRow>,
): Promise<Map<string, BatchRow> | Failure<'InvalidInventoryInput'>> {
  // Each lot as first given: a new lot is created with the dates of its first line.
  const byKey = new Map<string, (typeof wanted)[number]>();
  for (const lot of wanted) if (!byKey.has(lotKey(lot))) byKey.set(lotKey(lot), lot);
  const fresh = [...byKey.values()].filter((lot) => !known.has(lotKey(lot)));
  if (fresh.length === 0) return new Map(known);
  await tx
    .insert(batches)
    .values(fresh.map((lot) => ({ ownerPartnerId, productId: lot.productId, lotNumber: lot.lotNumber, producedOn: lot.producedOn, expiresOn: lot.expiresOn })))
    .onConflictDoNothing();
  const rows = await knownBatches(tx, ownerPartnerId, [...byKey.values()]);
  for (const lot of fresh) {
    const row = rows.get(lotKey(lot));
    if (!row) throw new Error('batch vanished after upsert');
    const conflict = lotDatesConflict(row, { lotNumber: lot.lotNumber, producedOn: lot.producedOn, expiresOn: lot.expiresOn }, lot.path);
    if (conflict) return conflict;
  }
  return rows;
}

/** Batches by id (owner, or operator of the owner's warehouses); one statement. */
export async function batchesByIds(tx: Tx, ids: readonly string[]): Promise<BatchRow[]> {
  return ids.length ? tx.select().from(batches).where(inArray(batches.id, [...ids])) : [];
}

/** The codes and names of an owner's product, as {@link ownerProducts} answers them. */
export type OwnerProduct = { product_id: string; sku_code: string; barcode: string | null; name: string; status: 'ACTIVE' | 'ARCHIVED' };

/** The codes and names of an owner's products, for the owner or an operator of its warehouses. */
export async function ownerProducts(tx: Tx, ownerPartnerId: string, productIds: readonly string[]): Promise<OwnerProduct[]> {
  return productsOfOwners(tx, new Map([[ownerPartnerId, productIds]]));
}

/**
 * {@link ownerProducts} of several owners in one statement (a 3PL's pick lists span the owners
 * whose warehouses it runs): one call of `inventory.owner_products` per owner, their answers
 * joined with `union all`, each owner's product ids one array parameter.
 */
export async function productsOfOwners(tx: Tx, productIdsByOwner: ReadonlyMap<string, readonly string[]>): Promise<OwnerProduct[]> {
  const calls = [...productIdsByOwner]
    .filter(([, productIds]) => productIds.length > 0)
    .map(
      ([ownerPartnerId, productIds]) =>
        sql`select product_id, sku_code, barcode, name, status from inventory.owner_products(${ownerPartnerId}::uuid, ${`{${productIds.join(',')}}`}::uuid[])`,
    );
  if (calls.length === 0) return [];
  const rows = await tx.execute<OwnerProduct>(sql.join(calls, sql` union all `));
  return [...rows];
}
