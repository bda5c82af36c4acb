import type { ResultOf, CreateLocationInput, CreateWarehouseInput } from '../generated/resolvers';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { locations, warehouses } from '@redthread/schema';
import { appendEvent, type Identity, type Tx } from '@redthread/kit';
import { codeTaken, invalidInput, notFound } from '../errors';
import { isUuid } from './ids';

/** The SDL's input types, generated (`npm run codegen`). */
export type { CreateLocationInput, CreateWarehouseInput };

export type WarehouseRow = typeof warehouses.$inferSelect;
export type LocationRow = typeof locations.$inferSelect;

/** The location every warehouse starts with; receipts go there unless told otherwise. */
export const DEFAULT_LOCATION = 'DEFAULT';

/** The partners who see a warehouse's events: its owner and its operator. */
export function warehouseAudience(row: { ownerPartnerId: string; operatorPartnerId: string | null }): string[] {
  return row.operatorPartnerId ? [row.ownerPartnerId, row.operatorPartnerId] : [row.ownerPartnerId];
}

/**
 * Adds a warehouse owned by the caller with its DEFAULT location. A THIRD_PARTY warehouse names its
 * operator partner (a 3PL) by code; the operator then sees and operates it.
 */
export async function createWarehouse(tx: Tx, identity: Identity, input: CreateWarehouseInput): Promise<ResultOf<'WarehouseResult'>> {
  const code = input.code.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(code)) return invalidInput('code', 'The code must be 1–32 letters, digits, _ or -.');
  const name = input.name.trim();
  if (!name || name.length > 200) return invalidInput('name', 'The name must be 1–200 characters.');
  const regions = [...new Set((input.regions ?? []).map((r) => r.trim().toUpperCase()))];
  const badRegion = regions.findIndex((r) => !/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(r));
  if (badRegion >= 0) return invalidInput(`regions[${badRegion}]`, 'A region code looks like DE or DE-BE.');
  const priority = input.priority ?? 100;
  if (!Number.isInteger(priority) || priority < 0 || priority > 10000) return invalidInput('priority', 'The priority must be 0–10000 (lower is preferred).');
  let operatorPartnerId: string | null = null;
  if (input.kind === 'THIRD_PARTY') {
    const operatorCode = input.operatorCode?.trim();
    if (!operatorCode) return invalidInput('operatorCode', 'A THIRD_PARTY warehouse needs its operator partner code.');
    const [row] = await tx.execute<{ id: string | null }>(sql`select catalog.partner_id_by_code(${operatorCode}) as id`);
    if (!row?.id) return invalidInput('operatorCode', `No partner with code ${operatorCode.toUpperCase()}.`);
    if (row.id === identity.partnerId) return invalidInput('operatorCode', 'You cannot be the third-party operator of your own warehouse; make it OWN.');
    operatorPartnerId = row.id;
  } else if (input.operatorCode) {
    return invalidInput('operatorCode', 'Only THIRD_PARTY warehouses have an operator.');
  }
  const [created] = await tx
    .insert(warehouses)
    .values({ ownerPartnerId: identity.partnerId, operatorPartnerId, code, name, kind: input.kind, regions, priority })
    .onConflictDoNothing()
    .returning();
  if (!created) return codeTaken(code);
  await tx.insert(locations).values({ warehouseId: created.id, ownerPartnerId: identity.partnerId, operatorPartnerId, code: DEFAULT_LOCATION });
  await appendEvent(tx, {
    topic: 'warehouse.created',
    entityType: 'Warehouse',
    entityId: created.id,
    audience: warehouseAudience(created),
    payload: { code, kind: created.kind },
  });
  return created;
}

/** Adds a bin location to a warehouse the caller owns or operates. */
export async function createLocation(tx: Tx, input: CreateLocationInput): Promise<ResultOf<'WarehouseResult'>> {
  const warehouse = await visibleWarehouse(tx, input.warehouseId);
  if (!warehouse) return notFound('warehouse');
  const code = input.code.trim().toUpperCase();
  if (!/^[A-Z0-9][A-Z0-9_.-]{0,31}$/.test(code)) return invalidInput('code', 'A location code is 1–32 letters, digits, _ . or -.');
  const [created] = await tx
    .insert(locations)
    .values({ warehouseId: warehouse.id, ownerPartnerId: warehouse.ownerPartnerId, operatorPartnerId: warehouse.operatorPartnerId, code })
    .onConflictDoNothing()
    .returning();
  if (!created) return codeTaken(code);
  return warehouse;
}

/** A warehouse the caller owns or operates; undefined otherwise. */
export async function visibleWarehouse(tx: Tx, id: string): Promise<WarehouseRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.select().from(warehouses).where(eq(warehouses.id, id));
  return row;
}

/** Finds (or, for receipts, creates) a location of a warehouse by code. */
export async function locationByCode(tx: Tx, warehouse: WarehouseRow, code: string | null | undefined): Promise<LocationRow | undefined> {
  const wanted = locationCodeOf(code);
  const [row] = await tx
    .select()
    .from(locations)
    .where(and(eq(locations.warehouseId, warehouse.id), eq(locations.code, wanted)));
  return row;
}

/** The location code a line names: trimmed, upper case; none is DEFAULT. */
export function locationCodeOf(code: string | null | undefined): string {
  return (code?.trim() || DEFAULT_LOCATION).toUpperCase();
}

/** The warehouse's locations of these codes (as {@link locationCodeOf} writes them), by code; one statement. */
export async function locationsByCodes(tx: Tx, warehouse: WarehouseRow, codes: readonly (string | null | undefined)[]): Promise<Map<string, LocationRow>> {
  const wanted = [...new Set(codes.map(locationCodeOf))];
  const rows = await tx
    .select()
    .from(locations)
    .where(and(eq(locations.warehouseId, warehouse.id), inArray(locations.code, wanted)));
  return new Map(rows.map((row) => [row.code, row]));
}

/** Warehouses the caller owns or operates, by code. */
export async function listWarehouses(tx: Tx): Promise<WarehouseRow[]> {
  return tx.select().from(warehouses).orderBy(asc(warehouses.priority), asc(warehouses.code));
}

/** Warehouses by id (owner or operator); one statement. */
export async function warehousesByIds(tx: Tx, ids: readonly string[]): Promise<WarehouseRow[]> {
  const wellFormed = ids.filter(isUuid);
  return wellFormed.length ? tx.select().from(warehouses).where(inArray(warehouses.id, wellFormed)) : [];
}

/** Locations by id; one statement. */
export async function locationsByIds(tx: Tx, ids: readonly string[]): Promise<LocationRow[]> {
  return ids.length ? tx.select().from(locations).where(inArray(locations.id, [...ids])) : [];
}

/** Locations of warehouses; one statement. */
export async function locationsByWarehouseIds(tx: Tx, ids: readonly string[]): Promise<LocationRow[]> {
  return ids.length ? tx.select().from(locations).where(inArray(locations.warehouseId, [...ids])).orderBy(asc(locations.code)) : [];
}
