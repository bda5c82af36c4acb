import { and, eq, sql } from 'drizzle-orm';
import { commissionRules, costEntries, customerEntries, ledgerEntries, productCosts } from '@redthread/schema';
import { LONG_MAX, appendEvent, type Tx } from '@redthread/kit';
import { divideHalfEven, minorFromSql, percentOf } from '../money';

/** An order line as orders publishes it (`orders.order_line_facts`). */
export interface LineFacts extends Record<string, unknown> {
  line_id: string;
  order_id: string;
  kind: 'SALES' | 'DISTRIBUTION' | 'PURCHASE';
  seller_partner_id: string;
  buyer_partner_id: string | null;
  customer_id: string | null;
  channel_id: string | null;
  external_number: string | null;
  product_id: string;
  buyer_product_id: string | null;
  quantity: number;
  /** A `bigint` column: a decimal string from postgres.js (read it with {@link minorFromSql}). */
  unit_price_minor: string;
  currency: string;
}

/** Order lines by id from orders' published view, as the caller sees them. */
export async function lineFacts(tx: Tx, lineIds: readonly string[]): Promise<LineFacts[]> {
  if (lineIds.length === 0) return [];
  return [
    ...(await tx.execute<LineFacts>(sql`
      select line_id, order_id, kind::text as kind, seller_partner_id, buyer_partner_id, customer_id, channel_id, external_number,
             product_id, buyer_product_id, quantity, unit_price_minor, currency
      from orders.order_line_facts where line_id in (${sql.join(lineIds.map((id) => sql`${id}::uuid`), sql`, `)})`)),
  ];
}

/**
 * Books shipped units of order lines (acting for the seller): an INVOICE from seller to buyer for
 * DISTRIBUTION and PURCHASE lines, with the seller's commission to the buyer when a rule applies;
 * a CHARGE on the customer for SALES lines. Keyed by the source event, so a replay books nothing.
 */
export async function bookShippedLines(
  tx: Tx,
  sourceEventId: number,
  shipped: readonly { lineId: string; quantity: number }[],
): Promise<void> {
  const facts = await lineFacts(tx, shipped.map((s) => s.lineId));
  for (const item of shipped) {
    const line = facts.find((f) => f.line_id === item.lineId);
    if (!line || item.quantity <= 0) continue;
    const unitPrice = minorFromSql(line.unit_price_minor);
    const amount = BigInt(item.quantity) * unitPrice;
    if (line.kind === 'SALES') {
      if (!line.customer_id || amount === 0n) continue;
      await tx
        .insert(customerEntries)
        .values({
          ownerPartnerId: line.seller_partner_id,
          customerId: line.customer_id,
          kind: 'CHARGE',
          signedMinor: amount,
          currency: line.currency,
          reference: `order ${line.external_number ?? line.order_id}`,
          sourceEventId,
          orderLineId: line.line_id,
        })
        .onConflictDoNothing();
      continue;
    }
    if (!line.buyer_partner_id || amount === 0n) continue;
    const [invoice] = await tx
      .insert(ledgerEntries)
      .values({
        creditorPartnerId: line.seller_partner_id,
        debtorPartnerId: line.buyer_partner_id,
        kind: 'INVOICE',
        amountMinor: amount,
        signedMinor: amount,
        currency: line.currency,
        description: `${item.quantity} × ${unitPrice} shipped`,
        orderId: line.order_id,
        orderLineId: line.line_id,
        sourceEventId,
      })
      .onConflictDoNothing()
      .returning();
    if (!invoice) continue;
    await appendEvent(tx, {
      topic: 'finance.invoiced',
      entityType: 'LedgerEntry',
      entityId: invoice.id,
      audience: [invoice.creditorPartnerId, invoice.debtorPartnerId],
      // JSON cannot carry a bigint: amounts travel in payloads as decimal strings.
      payload: { amountMinor: amount.toString(), currency: line.currency, orderId: line.order_id },
    });
    const commission = await commissionFor(tx, line, item.quantity, amount);
    if (commission > 0n) {
      await tx
        .insert(ledgerEntries)
        .values({
          creditorPartnerId: line.buyer_partner_id,
          debtorPartnerId: line.seller_partner_id,
          kind: 'COMMISSION',
          amountMinor: commission,
          signedMinor: commission,
          currency: line.currency,
          description: `commission on ${item.quantity} × ${unitPrice}`,
          orderId: line.order_id,
          orderLineId: line.line_id,
          sourceEventId,
        })
        .onConflictDoNothing();
    }
  }
}

/**
 * A settled return (acting for the seller): a CREDIT_NOTE from seller to buyer for a DISTRIBUTION
 * or PURCHASE line, or a credit lowering what the customer owes for a SALES line — the returned
 * quantity at the line's price. Keyed by the source event.
 */
export async function bookReturnCredit(tx: Tx, sourceEventId: number, item: { lineId: string; quantity: number; returnId: string }): Promise<void> {
  const [line] = await lineFacts(tx, [item.lineId]);
  if (!line || item.quantity <= 0) return;
  const amount = BigInt(item.quantity) * minorFromSql(line.unit_price_minor);
  if (amount === 0n) return;
  if (line.kind === 'SALES') {
    if (!line.customer_id) return;
    await tx
      .insert(customerEntries)
      .values({
        ownerPartnerId: line.seller_partner_id,
        customerId: line.customer_id,
        kind: 'PAYMENT',
        signedMinor: -amount,
        currency: line.currency,
        reference: `return ${item.returnId}`,
        sourceEventId,
        orderLineId: line.line_id,
      })
      .onConflictDoNothing();
    return;
  }
  if (!line.buyer_partner_id) return;
  await tx
    .insert(ledgerEntries)
    .values({
      creditorPartnerId: line.seller_partner_id,
      debtorPartnerId: line.buyer_partner_id,
      kind: 'CREDIT_NOTE',
      amountMinor: amount,
      signedMinor: -amount,
      currency: line.currency,
      description: `credit for ${item.quantity} returned`,
      orderId: line.order_id,
      orderLineId: line.line_id,
      sourceEventId,
    })
    .onConflictDoNothing();
}

/** The payer's most specific commission rule for a line: product > earner > default. */
async function commissionFor(tx: Tx, line: LineFacts, quantity: number, amount: bigint): Promise<bigint> {
  const rules = await tx.select().from(commissionRules).where(eq(commissionRules.payerPartnerId, line.seller_partner_id));
  const rank = (rule: (typeof rules)[number]) =>
    rule.productId === line.product_id && (!rule.earnerPartnerId || rule.earnerPartnerId === line.buyer_partner_id)
      ? rule.earnerPartnerId ? 4 : 3
      : !rule.productId && rule.earnerPartnerId === line.buyer_partner_id
        ? 2
        : !rule.productId && !rule.earnerPartnerId
          ? 1
          : 0;
  const best = rules.filter((r) => rank(r) > 0).sort((a, b) => rank(b) - rank(a))[0];
  if (!best) return 0n;
  return commissionOf(best, quantity, amount);
}

/**
 * The commission a rule gives on `quantity` shipped units worth `amount` minor units, exactly in
 * `bigint`: PERCENT is `value` basis points of the amount, rounded half to even (never more than
 * the amount); FIXED is `value` minor units per unit. A FIXED product beyond 2^63 − 1 cannot be
 * booked (a ledger amount is a `bigint`): it throws, so the event is parked with this reason for
 * an admin (lower the rule, retry) instead of booking a wrong amount.
 */
export function commissionOf(rule: Pick<typeof commissionRules.$inferSelect, 'kind' | 'value'>, quantity: number, amount: bigint): bigint {
  if (rule.kind === 'PERCENT') return percentOf(amount, rule.value);
  const commission = rule.value * BigInt(quantity);
  if (commission > LONG_MAX) {
    throw new RangeError(`A FIXED commission of ${rule.value} minor units on ${quantity} units is ${commission}, beyond ${LONG_MAX}; lower the rule and retry the event.`);
  }
  return commission;
}

/**
 * The currency of a cost that has no value and no stated currency: ISO 4217 "XXX", no currency
 * involved. A product's first receipt without a price (a free receipt: the receipt API states no
 * price or currency) enters at zero value in it, and the first priced receipt sets the currency.
 */
export const NO_CURRENCY = 'XXX';

/**
 * A receipt into stock: the owner's moving weighted average for the product takes the new units
 * and their value. Currency rule (the average is kept in one currency):
 * - a priced receipt (a purchase receipt: the purchase order line's unit price and currency, from
 *   its event) enters at its price when the product's cost is in that currency, or has no value
 *   yet (a zero-valued cost, e.g. from free receipts, takes the priced receipt's currency);
 *   otherwise it enters at the current average, in the average's currency;
 * - an unpriced receipt (free and return receipts) enters at the current average in the average's
 *   currency; for a product without a cost yet, at zero value in {@link NO_CURRENCY}.
 * Never a guessed currency.
 */
export async function bookReceipt(
  tx: Tx,
  owner: string,
  productId: string,
  units: number,
  priced: { unitCostMinor: bigint; currency: string } | null,
  sourceEventId: number,
  warehouseId: string | null,
): Promise<void> {
  const [current] = await tx
    .select()
    .from(productCosts)
    .where(and(eq(productCosts.ownerPartnerId, owner), eq(productCosts.productId, productId)))
    .for('update');
  const valueless = !current || current.valueMinor === 0n;
  const atPrice = priced !== null && (valueless || current!.currency === priced.currency) ? priced : null;
  const cost = atPrice?.unitCostMinor ?? (current && current.units > 0 ? divideHalfEven(current.valueMinor, current.units) : 0n);
  const currency = atPrice?.currency ?? current?.currency ?? NO_CURRENCY;
  const value = cost * BigInt(units);
  const inserted = await tx
    .insert(costEntries)
    .values({ ownerPartnerId: owner, productId, kind: 'RECEIPT', units, amountMinor: value, currency, sourceEventId, warehouseId })
    .onConflictDoNothing()
    .returning({ id: costEntries.id });
  if (inserted.length === 0) return;
  await tx
    .insert(productCosts)
    .values({ ownerPartnerId: owner, productId, currency, units, valueMinor: value })
    .onConflictDoUpdate({
      target: [productCosts.ownerPartnerId, productCosts.productId],
      set: { currency, units: sql`${productCosts.units} + ${units}`, valueMinor: sql`${productCosts.valueMinor} + ${value}`, updatedAt: sql`now()` },
    });
}

/** Cost of goods at shipment: `units` leave at the current average (rounded half to even). */
export async function bookCostOfGoods(
  tx: Tx,
  owner: string,
  item: { productId: string; units: number; orderId: string; orderLineId: string; warehouseId: string | null },
  sourceEventId: number,
): Promise<void> {
  const [current] = await tx
    .select()
    .from(productCosts)
    .where(and(eq(productCosts.ownerPartnerId, owner), eq(productCosts.productId, item.productId)))
    .for('update');
  if (!current || current.units <= 0) return;
  const units = Math.min(item.units, current.units);
  const amount = units === current.units ? current.valueMinor : divideHalfEven(current.valueMinor * BigInt(units), current.units);
  const inserted = await tx
    .insert(costEntries)
    .values({
      ownerPartnerId: owner,
      productId: item.productId,
      kind: 'COST_OF_GOODS',
      units,
      amountMinor: amount,
      currency: current.currency,
      orderId: item.orderId,
      orderLineId: item.orderLineId,
      warehouseId: item.warehouseId,
      sourceEventId,
    })
    .onConflictDoNothing()
    .returning({ id: costEntries.id });
  if (inserted.length === 0) return;
  await tx
    .update(productCosts)
    .set({ units: sql`${productCosts.units} - ${units}`, valueMinor: sql`${productCosts.valueMinor} - ${amount}`, updatedAt: sql`now()` })
    .where(and(eq(productCosts.ownerPartnerId, owner), eq(productCosts.productId, item.productId)));
}


