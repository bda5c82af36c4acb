import type { ResultOf, PlaceOrderInput } from '../generated/resolvers';
import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { orderLines, orders, type Address, type CustomFieldDefinition } from '@redthread/schema';
import { ErrorCode, LONG_MAX, apiError, type Identity, type Tx } from '@redthread/kit';
import {
  duplicateOrder,
  idempotencyKeyReused,
  invalidInput,
  isFailure,
  type Failure,
} from '../errors';
import { channelsByIds, customersByIds, normaliseAddress, type ChannelRow } from './channels';
import { appendOrderEvent, writeTimeline, type OrderRow } from './common';
import { isUuid } from '@redthread/kit';

/** The SDL's input types, generated (`npm run codegen`). */
export type { PlaceOrderInput };


/** Most orders one `importOrders` call takes. */
export const MAX_IMPORT = 1000;
/** Most lines one order may have. */
export const MAX_LINES = 500;
const MAX_QUANTITY = 1_000_000;

/**
 * Takes a sales order from a channel: validates channel, customer, address, products (the caller's
 * own, ACTIVE), quantities, prices and the channel's custom fields; then writes the order in
 * PENDING_REVIEW with its lines, timeline entry and `order.placed` event. Idempotent: the same
 * (channel, externalNumber) answers DuplicateOrder with the existing order; the same
 * idempotencyKey with the same payload answers the original order, with another payload
 * IdempotencyKeyReused.
 */
export async function placeOrder(tx: Tx, identity: Identity, input: PlaceOrderInput): Promise<ResultOf<'PlaceOrderResult'>> {
  const key = input.idempotencyKey?.trim() || null;
  const requestHash = key ? hashRequest(input) : null;
  /**
   * An order with this channel and number exists. When it carries this request's key it is this
   * request's own original — committed after the key lookup above, by a replay racing it (a client
   * or a load balancer retrying at once) — and answers as a replay does; else it is another order.
   */
  const answerExisting = (existing: OrderRow): ResultOf<'PlaceOrderResult'> => {
    if (key && existing.idempotencyKey === key) return existing.requestHash === requestHash ? existing : idempotencyKeyReused();
    return duplicateOrder(existing, input.externalNumber.trim());
  };
  if (key) {
    if (key.length > 200) return invalidInput('idempotencyKey', 'The idempotency key must be at most 200 characters.');
    const replay = await byIdempotencyKey(tx, identity, key);
    if (replay) return replay.requestHash === requestHash ? replay : idempotencyKeyReused();
  }
  const externalNumber = input.externalNumber.trim();
  if (!externalNumber || externalNumber.length > 64) {
    return invalidInput('externalNumber', 'The external order number must be 1–64 characters.');
  }
  const [channel] = isUuid(input.channelId) ? await channelsByIds(tx, [input.channelId]) : [];
  if (!channel) return invalidInput('channelId', 'No such channel among yours.');
  const existing = await byExternalNumber(tx, channel.id, externalNumber);
  if (existing) return answerExisting(existing);

  const validated = await validateOrder(tx, identity, channel, input);
  if (isFailure(validated)) return validated;

  const [created] = await tx
    .insert(orders)
    .values({
      kind: 'SALES',
      sellerPartnerId: identity.partnerId,
      channelId: channel.id,
      customerId: validated.customerId,
      externalNumber,
      status: 'PENDING_REVIEW',
      currency: validated.currency,
      totalMinor: validated.lines.reduce((sum, line) => sum + BigInt(line.quantity) * line.unitPriceMinor, 0n),
      shipTo: validated.shipTo,
      deliveryMethod: input.deliveryMethod?.trim() || null,
      customFields: validated.customFields,
      idempotencyKey: key,
      requestHash,
    })
    .onConflictDoNothing()
    .returning();
  if (!created) {
    // A concurrent request with the same external number or key committed first.
    if (key) {
      const replay = await byIdempotencyKey(tx, identity, key);
      if (replay) return replay.requestHash === requestHash ? replay : idempotencyKeyReused();
    }
    const winner = await byExternalNumber(tx, channel.id, externalNumber);
    if (winner) return answerExisting(winner);
    throw new Error('order insert conflicted but no conflicting order is visible');
  }
  await tx.insert(orderLines).values(
    validated.lines.map((line, index) => ({
      orderId: created.id,
      sellerPartnerId: identity.partnerId,
      lineNo: index + 1,
      productId: line.productId,
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceMinor,
    })),
  );
  await writeTimeline(tx, identity, created, null, 'PENDING_REVIEW', `placed via channel ${channel.code}`);
  await appendOrderEvent(tx, created, 'order.placed', { channelId: channel.id, externalNumber });
  return created;
}

/** One result of `importOrders`. */
export interface ImportResult {
  index: number;
  externalNumber: string;
  outcome: 'CREATED' | 'DUPLICATE' | 'ERROR';
  order: OrderRow | null;
  problems: { field: string; message: string }[];
}

/**
 * Imports up to 1,000 orders. Each order is placed in its own savepoint, so one bad order is
 * reported and skipped while the others are created; running the same import twice creates
 * nothing new (every order answers DUPLICATE).
 */
export async function importOrders(tx: Tx, identity: Identity, inputs: readonly PlaceOrderInput[]): Promise<ImportResult[]> {
  if (inputs.length > MAX_IMPORT) {
    throw apiError(ErrorCode.BAD_USER_INPUT, `importOrders takes at most ${MAX_IMPORT} orders per call; got ${inputs.length}. Split the import.`);
  }
  const results: ImportResult[] = [];
  for (const [index, input] of inputs.entries()) {
    const outcome = await tx.transaction((savepoint) => placeOrder(savepoint, identity, input));
    const externalNumber = input.externalNumber;
    if (!isFailure(outcome)) {
      results.push({ index, externalNumber, outcome: 'CREATED', order: outcome, problems: [] });
    } else if (outcome.__typename === 'DuplicateOrder') {
      results.push({ index, externalNumber, outcome: 'DUPLICATE', order: outcome.existingOrder as OrderRow, problems: [] });
    } else {
      const field = outcome.__typename === 'InvalidOrderInput' ? outcome.field : 'idempotencyKey';
      results.push({ index, externalNumber, outcome: 'ERROR', order: null, problems: [{ field, message: outcome.message }] });
    }
  }
  return results;
}

interface ValidatedOrder {
  customerId: string | null;
  shipTo: Address;
  currency: string;
  lines: { productId: string; quantity: number; unitPriceMinor: bigint }[];
  customFields: Record<string, string | number>;
}

async function validateOrder(
  tx: Tx,
  identity: Identity,
  channel: ChannelRow,
  input: PlaceOrderInput,
): Promise<ValidatedOrder | Failure<'InvalidOrderInput'>> {
  const currency = input.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) return invalidInput('currency', 'The currency must be an ISO-4217 code such as EUR.');

  let customerId: string | null = null;
  let shipTo: Address | undefined;
  if (input.customerId) {
    const [customer] = isUuid(input.customerId) ? await customersByIds(tx, [input.customerId]) : [];
    if (!customer) return invalidInput('customerId', 'No such customer among yours.');
    customerId = customer.id;
    shipTo = customer.addresses[0];
  }
  if (input.shipTo) {
    const address = normaliseAddress(input.shipTo, 'shipTo');
    if (isFailure(address)) return address;
    shipTo = address;
  }
  if (!shipTo) return invalidInput('shipTo', 'Give a ship-to address (or a customer with an address).');

  const lines = await validateLines(tx, identity, input.lines);
  if (isFailure(lines)) return lines;
  const customFields = validateCustomFields(channel.customFields, input.customFields ?? []);
  if (isFailure(customFields)) return customFields;
  return { customerId, shipTo, currency, lines, customFields };
}

/**
 * Resolves line products (the caller's own, by id or SKU code, ACTIVE) in one statement and checks
 * numbers: quantities, prices, and that every line total and the order total fit a `Long`
 * (2^63 − 1 minor units), so no sum overflows later.
 */
export async function validateLines(
  tx: Tx,
  identity: Identity,
  lines: PlaceOrderInput['lines'],
): Promise<ValidatedOrder['lines'] | Failure<'InvalidOrderInput'>> {
  if (lines.length === 0) return invalidInput('lines', 'An order needs at least one line.');
  if (lines.length > MAX_LINES) return invalidInput('lines', `An order may have at most ${MAX_LINES} lines.`);
  const ids = lines.map((l) => l.productId).filter(isUuid);
  const skus = lines.map((l) => l.skuCode?.trim()).filter((s): s is string => Boolean(s));
  const found = await ownProducts(tx, identity, ids, skus);
  const result: ValidatedOrder['lines'] = [];
  let orderTotal = 0n;
  for (const [index, line] of lines.entries()) {
    const path = `lines[${index}]`;
    const product = line.productId
      ? found.find((p) => p.product_id === line.productId)
      : found.find((p) => p.sku_code === line.skuCode?.trim());
    if (!line.productId && !line.skuCode) return invalidInput(`${path}.productId`, 'Name the product by productId or skuCode.');
    if (!product) return invalidInput(line.productId ? `${path}.productId` : `${path}.skuCode`, 'No such product in your catalog.');
    if (product.status !== 'ACTIVE') return invalidInput(`${path}.productId`, `Product ${product.sku_code} is archived.`);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      return invalidInput(`${path}.quantity`, `The quantity must be a whole number from 1 to ${MAX_QUANTITY}.`);
    }
    if (typeof line.unitPriceMinor !== 'bigint' || line.unitPriceMinor < 0n || line.unitPriceMinor > LONG_MAX) {
      return invalidInput(`${path}.unitPriceMinor`, `The unit price must be a whole number of minor units from 0 to ${LONG_MAX}.`);
    }
    orderTotal += BigInt(line.quantity) * line.unitPriceMinor;
    if (orderTotal > LONG_MAX) {
      return invalidInput(
        `${path}.unitPriceMinor`,
        `With this line the order total (quantity × unit price, summed over the lines) would exceed ${LONG_MAX} minor units, the most an amount can carry.`,
      );
    }
    result.push({ productId: product.product_id, quantity: line.quantity, unitPriceMinor: line.unitPriceMinor });
  }
  return result;
}

interface DirectoryRow extends Record<string, unknown> {
  product_id: string;
  sku_code: string;
  status: 'ACTIVE' | 'ARCHIVED';
}

/** The caller's own products among these ids and SKU codes, from catalog's published directory. */
async function ownProducts(tx: Tx, identity: Identity, ids: string[], skus: string[]): Promise<DirectoryRow[]> {
  if (ids.length === 0 && skus.length === 0) return [];
  const idList = ids.length ? sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `) : sql`null::uuid`;
  const skuList = skus.length ? sql.join(skus.map((s) => sql`${s}`), sql`, `) : sql`null`;
  const rows = await tx.execute<DirectoryRow>(sql`
    select product_id, sku_code, status from catalog.product_directory
    where owner_partner_id = ${identity.partnerId} and (product_id in (${idList}) or sku_code in (${skuList}))`);
  return [...rows];
}

/** Checks custom field values against the channel's definitions; numbers become numbers. */
export function validateCustomFields(
  definitions: readonly CustomFieldDefinition[],
  values: readonly { key: string; value: string }[],
): Record<string, string | number> | Failure<'InvalidOrderInput'> {
  const result: Record<string, string | number> = {};
  for (const { key, value } of values) {
    const path = `customFields.${key}`;
    const definition = definitions.find((d) => d.key === key);
    if (!definition) return invalidInput(path, `This channel has no custom field "${key}".`);
    if (key in result) return invalidInput(path, `The custom field "${key}" is given twice.`);
    const text = value.trim();
    if (!text) continue;
    switch (definition.type) {
      case 'TEXT':
        if (text.length > 1000) return invalidInput(path, `${definition.label} must be at most 1000 characters.`);
        result[key] = text;
        break;
      case 'NUMBER': {
        const number = Number(text);
        if (!Number.isFinite(number)) return invalidInput(path, `${definition.label} must be a number.`);
        result[key] = number;
        break;
      }
      case 'DATE': {
        const date = new Date(`${text}T00:00:00Z`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
          return invalidInput(path, `${definition.label} must be a date as YYYY-MM-DD.`);
        }
        result[key] = text;
        break;
      }
      case 'ENUM':
        if (!definition.options?.includes(text)) {
          return invalidInput(path, `${definition.label} must be one of: ${definition.options?.join(', ')}.`);
        }
        result[key] = text;
        break;
    }
  }
  for (const definition of definitions) {
    if (definition.required && !(definition.key in result)) {
      return invalidInput(`customFields.${definition.key}`, `${definition.label} is required on this channel.`);
    }
  }
  return result;
}

async function byExternalNumber(tx: Tx, channelId: string, externalNumber: string): Promise<OrderRow | undefined> {
  const [row] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.channelId, channelId), eq(orders.externalNumber, externalNumber)));
  return row;
}

async function byIdempotencyKey(tx: Tx, identity: Identity, key: string): Promise<OrderRow | undefined> {
  const [row] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.sellerPartnerId, identity.partnerId), eq(orders.idempotencyKey, key)));
  return row;
}

/** A stable hash of an intake request without its idempotency key (key order does not matter). */
function hashRequest(input: PlaceOrderInput): string {
  const { idempotencyKey: _key, ...raw } = input;
  // Equivalent spellings are the same request: the currency's case and surrounding spaces.
  const payload = { ...raw, currency: raw.currency.trim().toUpperCase(), externalNumber: raw.externalNumber.trim() };
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}

function canonicalJson(value: unknown): string {
  // An amount is written as the JSON number it was before amounts became `bigint`, so hashes stay.
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
