import { and, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import { products } from '@redthread/schema';
import {
  appendEvent,
  escapeLike,
  isPgError,
  isUuid,
  keysetPage,
  type Connection,
  type Identity,
  type PageArgs,
  type Tx,
} from '@redthread/kit';
import type { CreateProductInput, FailureOf, ProductFilter, UpdateProductInput } from '../generated/resolvers';
import { invalidInput, isFailure, productNotFound, skuCodeTaken, type Failure } from '../errors';

/** A product row as stored. */
export type ProductRow = typeof products.$inferSelect;

/**
 * The SDL's input types, generated (`npm run codegen`). In `UpdateProductInput` absent fields
 * stay as they are, and `barcode: null` removes the barcode.
 */
export type { ProductFilter, CreateProductInput, UpdateProductInput };

const SKU_CODE = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$/;
const BARCODE = /^[0-9]{8,14}$/;
const UNIT = /^[A-Za-z][A-Za-z0-9 ]{0,15}$/;
const CURSOR_KIND = 'products';

/**
 * Loads the products with these ids that the caller may see: one statement however many ids;
 * missing, malformed and foreign ids are simply absent.
 */
export async function visibleProductsByIds(tx: Tx, ids: readonly string[]): Promise<ProductRow[]> {
  const wellFormed = ids.filter(isUuid);
  if (wellFormed.length === 0) return [];
  return tx.select().from(products).where(inArray(products.id, wellFormed));
}

/**
 * What a 3PL operator sees of a product stored in a warehouse it operates (DESIGN.md §2): its
 * name, SKU code, barcode and unit, to pick and inspect, and who owns it. Everything else of the
 * product (status, dates, links, prices, stock, cost) stays the owner's and its link partners'.
 */
export interface StoredProductView {
  /** Tells this partial view from a full {@link ProductRow}. */
  view: 'operator';
  id: string;
  ownerPartnerId: string;
  skuCode: string;
  barcode: string | null;
  name: string;
  unit: string;
}

/** A product as the caller may see it: the whole row, or an operator's {@link StoredProductView}. */
export type VisibleProduct = ProductRow | StoredProductView;

/** Whether the caller sees only the 3PL operator's part of a product. */
export function isStoredProductView(product: VisibleProduct): product is StoredProductView {
  return 'view' in product && product.view === 'operator';
}

/**
 * Loads the products with these ids that the caller may see, in two steps: the rows row-level
 * security shows in full (its own products, those named by its links), then, for the ids left, the
 * operator's view of products stored in warehouses the caller operates as a 3PL (catalog's
 * definer function over inventory's published `operated_stock`). Missing, malformed and foreign
 * ids are simply absent. One statement when every id is found in the first step.
 */
export async function visibleProductViewsByIds(tx: Tx, ids: readonly string[]): Promise<VisibleProduct[]> {
  const full: VisibleProduct[] = await visibleProductsByIds(tx, ids);
  const found = new Set(full.map((row) => row.id));
  const rest = [...new Set(ids.filter((id) => isUuid(id) && !found.has(id)))];
  if (rest.length === 0) return full;
  const stored = await tx.execute<{ product_id: string; owner_partner_id: string; sku_code: string; barcode: string | null; name: string; unit: string }>(
    sql`select product_id, owner_partner_id, sku_code, barcode, name, unit
        from catalog.operated_products(array[${sql.join(rest.map((id) => sql`${id}::uuid`), sql`, `)}])`,
  );
  return [
    ...full,
    ...[...stored].map((row): StoredProductView => ({
      view: 'operator',
      id: row.product_id,
      ownerPartnerId: row.owner_partner_id,
      skuCode: row.sku_code,
      barcode: row.barcode,
      name: row.name,
      unit: row.unit,
    })),
  ];
}

/**
 * The caller's products, filtered, sorted by SKU code then id, as a Relay connection. Keyset
 * paging: the cursor holds the last (skuCode, id) seen.
 */
export async function listOwnProducts(
  tx: Tx,
  identity: Identity,
  filter: ProductFilter | null | undefined,
  args: PageArgs,
): Promise<Connection<ProductRow>> {
  const page = keysetPage(CURSOR_KIND, args, [
    { column: products.skuCode, type: 'text' },
    { column: products.id, type: 'uuid' },
  ]);
  const conditions: SQL[] = [eq(products.ownerPartnerId, identity.partnerId)];
  if (filter?.status) conditions.push(eq(products.status, filter.status));
  if (filter?.skuCodes) conditions.push(inArray(products.skuCode, [...filter.skuCodes, '']));
  const search = filter?.search?.trim();
  if (search) {
    const pattern = `%${escapeLike(search)}%`;
    conditions.push(or(ilike(products.name, pattern), ilike(products.skuCode, pattern), ilike(products.barcode, pattern))!);
  }
  return page.rowsOf(tx, products, ...conditions);
}

/**
 * Adds a product to the caller's catalog and appends `product.created`. A taken SKU code or an
 * invalid field is returned as a typed failure, and nothing is written. The success is the whole
 * row (never an operator's view), narrower than the union's `Product` member.
 */
export async function createProduct(
  tx: Tx,
  identity: Identity,
  input: CreateProductInput,
): Promise<ProductRow | FailureOf<'CreateProductResult'>> {
  const fields = normaliseProductFields(input);
  if (isFailure(fields)) return fields;
  const skuCode = fields.skuCode!;
  const [created] = await tx
    .insert(products)
    .values({
      ownerPartnerId: identity.partnerId,
      skuCode,
      name: fields.name!,
      barcode: fields.barcode ?? null,
      unit: fields.unit ?? 'pcs',
    })
    .onConflictDoNothing({ target: [products.ownerPartnerId, products.skuCode] })
    .returning();
  if (!created) return skuCodeTaken(skuCode);
  await appendEvent(tx, {
    topic: 'product.created',
    entityType: 'Product',
    entityId: created.id,
    audience: [identity.partnerId],
    payload: { skuCode: created.skuCode, name: created.name },
  });
  return created;
}

/**
 * Changes fields of one of the caller's products and appends `product.updated`. A product of
 * another partner is reported exactly like a missing one. The success is the whole row.
 */
export async function updateProduct(
  tx: Tx,
  identity: Identity,
  input: UpdateProductInput,
): Promise<ProductRow | FailureOf<'UpdateProductResult'>> {
  if (!isUuid(input.id)) return productNotFound();
  const fields = normaliseProductFields(input);
  if (isFailure(fields)) return fields;
  const changes: Partial<typeof products.$inferInsert> = {};
  if (fields.skuCode !== undefined) changes.skuCode = fields.skuCode;
  if (fields.name !== undefined) changes.name = fields.name;
  if (fields.unit !== undefined) changes.unit = fields.unit;
  if (fields.barcode !== undefined) changes.barcode = fields.barcode;
  if (input.status) changes.status = input.status;
  let updated: ProductRow | undefined;
  try {
    // A savepoint, so a unique violation on the SKU code leaves the request transaction usable.
    updated = await tx.transaction(async (savepoint) => {
      const [row] = await savepoint
        .update(products)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(and(eq(products.id, input.id), eq(products.ownerPartnerId, identity.partnerId)))
        .returning();
      return row;
    });
  } catch (error) {
    if (isPgError(error, '23505') && changes.skuCode) return skuCodeTaken(changes.skuCode);
    throw error;
  }
  if (!updated) return productNotFound();
  await appendEvent(tx, {
    topic: 'product.updated',
    entityType: 'Product',
    entityId: updated.id,
    audience: [identity.partnerId],
    payload: { changed: Object.keys(changes) },
  });
  return updated;
}

interface ProductFields {
  skuCode?: string;
  name?: string;
  barcode?: string | null;
  unit?: string;
}

/**
 * Trims and validates the product fields present in `input`. `undefined` means "not given";
 * for the barcode `null` means "remove". Fields that are required on create are checked there
 * by being present in the type.
 */
function normaliseProductFields(input: {
  skuCode?: string | null;
  name?: string | null;
  barcode?: string | null;
  unit?: string | null;
}): ProductFields | Failure<'InvalidInput'> {
  const fields: ProductFields = {};
  if (input.skuCode !== undefined && input.skuCode !== null) {
    const skuCode = input.skuCode.trim();
    if (!SKU_CODE.test(skuCode)) {
      return invalidInput('skuCode', 'The SKU code must be 1–64 characters: letters, digits, and . _ - / (not first).');
    }
    fields.skuCode = skuCode;
  } else if (input.skuCode === null) {
    return invalidInput('skuCode', 'The SKU code cannot be removed.');
  }
  if (input.name !== undefined && input.name !== null) {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 200) return invalidInput('name', 'The name must be 1–200 characters.');
    fields.name = name;
  } else if (input.name === null) {
    return invalidInput('name', 'The name cannot be removed.');
  }
  if (input.barcode !== undefined) {
    const barcode = input.barcode?.trim() || null;
    if (barcode !== null && !BARCODE.test(barcode)) {
      return invalidInput('barcode', 'The barcode must be 8–14 digits (EAN, UPC or GTIN).');
    }
    fields.barcode = barcode;
  }
  if (input.unit !== undefined && input.unit !== null) {
    const unit = input.unit.trim();
    if (!UNIT.test(unit)) return invalidInput('unit', 'The unit must be 1–16 letters, digits or spaces, e.g. pcs, kg, box.');
    fields.unit = unit;
  }
  return fields;
}
