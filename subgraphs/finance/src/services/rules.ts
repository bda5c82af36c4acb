import { and, eq, getTableColumns, isNull, sql } from 'drizzle-orm';
import { commissionRules, creditFiles, customerEntries } from '@redthread/schema';
import { LONG_MAX, appendEvent, keysetPage, type Connection, type Identity, type PageArgs, type Tx } from '@redthread/kit';
import type { CommissionRuleInput, CreditLimitInput, CustomerPaymentInput, ResultOf } from '../generated/resolvers';
import { invalidInput, notFound } from '../errors';
import { isUuid } from '@redthread/kit';
import { partnerIdByCode } from './partners';

/** The SDL's input types, generated (`npm run codegen`). */
export type { CommissionRuleInput, CreditLimitInput, CustomerPaymentInput };

export type CommissionRuleRow = typeof commissionRules.$inferSelect;
export type CreditFileRow = typeof creditFiles.$inferSelect;

/** An orders customer by its key, as finance's `Customer` resolvers receive it. */
export interface CustomerKey {
  id: string;
}

/**
 * A customer's credit file by its customer, as the `CreditFile` resolvers receive it (`Customer.credit`
 * answers just the key, the mutations their stored row): they read the limit and what is outstanding
 * from `customer_credit_status`.
 */
export type CreditFileKey = Pick<CreditFileRow, 'customerId'>;

/** The largest PERCENT commission: 10000 basis points, the whole line amount. */
export const MAX_PERCENT_BASIS_POINTS = 10_000n;

/** The largest FIXED commission (minor units per unit shipped): any amount, 2^63 − 1 (a `bigint` column). */
export const MAX_FIXED_COMMISSION = LONG_MAX;

/** Sets (or replaces) a commission rule the caller pays, for a product, an earner, or by default. */
export async function setCommissionRule(
  tx: Tx,
  identity: Identity,
  input: CommissionRuleInput,
): Promise<ResultOf<'CommissionRuleResult'>> {
  let earner: string | null = null;
  if (input.earnerCode) {
    earner = (await partnerIdByCode(tx, input.earnerCode)) ?? null;
    if (!earner || earner === identity.partnerId) return invalidInput('earnerCode', 'No such partner to pay commission to.');
  }
  let productId: string | null = null;
  if (input.productId) {
    const [own] = isUuid(input.productId)
      ? await tx.execute<{ product_id: string }>(
          sql`select product_id from catalog.product_directory where product_id = ${input.productId} and owner_partner_id = ${identity.partnerId}`,
        )
      : [];
    if (!own) return invalidInput('productId', 'Not one of your products.');
    productId = own.product_id;
  }
  if (typeof input.value !== 'bigint' || input.value < 0n || input.value > (input.kind === 'PERCENT' ? MAX_PERCENT_BASIS_POINTS : MAX_FIXED_COMMISSION)) {
    return invalidInput(
      'value',
      input.kind === 'PERCENT'
        ? `A percentage is 0–${MAX_PERCENT_BASIS_POINTS} basis points.`
        : `A fixed commission is 0 to ${MAX_FIXED_COMMISSION} minor units per unit.`,
    );
  }
  // Exact: a bigint column, never a JS number (which is exact only to 2^53).
  const value = input.value;
  const scope = and(
    eq(commissionRules.payerPartnerId, identity.partnerId),
    earner ? eq(commissionRules.earnerPartnerId, earner) : isNull(commissionRules.earnerPartnerId),
    productId ? eq(commissionRules.productId, productId) : isNull(commissionRules.productId),
  );
  const [existing] = await tx.select().from(commissionRules).where(scope).for('update');
  const [rule] = existing
    ? await tx.update(commissionRules).set({ kind: input.kind, value, updatedAt: sql`now()` }).where(eq(commissionRules.id, existing.id)).returning()
    : await tx.insert(commissionRules).values({ payerPartnerId: identity.partnerId, earnerPartnerId: earner, productId, kind: input.kind, value }).returning();
  await appendEvent(tx, {
    topic: 'finance.commission_rule_set',
    entityType: 'CommissionRule',
    entityId: rule!.id,
    audience: earner ? [identity.partnerId, earner] : [identity.partnerId],
    payload: { kind: input.kind, value: input.value.toString(), productId },
  });
  return rule!;
}

/**
 * Commission rules the caller pays or earns under (row-level security), by id: a stable order
 * (replacing a rule keeps its id; `updated_at` would move it between pages), as a connection; one
 * statement per page.
 */
export async function listCommissionRules(tx: Tx, args: PageArgs): Promise<Connection<CommissionRuleRow>> {
  const page = keysetPage('commission-rules', args, [{ column: commissionRules.id, type: 'uuid' }]);
  return page.rowsOf(tx, commissionRules);
}

/** Sets the credit limit of one of the caller's customers. */
export async function setCreditLimit(
  tx: Tx,
  identity: Identity,
  input: CreditLimitInput,
): Promise<ResultOf<'CreditFileResult'>> {
  const customer = await ownCustomer(tx, input.customerId);
  if (!customer) return notFound('customer');
  if (typeof input.limitMinor !== 'bigint' || input.limitMinor < 0n || input.limitMinor > LONG_MAX) {
    return invalidInput('limitMinor', `A limit is 0 to ${LONG_MAX} minor units.`);
  }
  const currency = input.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) return invalidInput('currency', 'An ISO-4217 code such as EUR.');
  const [file] = await tx
    .insert(creditFiles)
    .values({ customerId: customer, ownerPartnerId: identity.partnerId, limitMinor: input.limitMinor, currency })
    .onConflictDoUpdate({ target: creditFiles.customerId, set: { limitMinor: input.limitMinor, currency, updatedAt: sql`now()` } })
    .returning();
  await appendEvent(tx, {
    topic: 'finance.credit_limit_set',
    entityType: 'Customer',
    entityId: customer,
    audience: [identity.partnerId],
    // JSON cannot carry a bigint: amounts travel in payloads as decimal strings.
    payload: { limitMinor: input.limitMinor.toString(), currency },
  });
  return file!;
}

/** Records a customer's payment (lowers its outstanding). */
export async function recordCustomerPayment(
  tx: Tx,
  identity: Identity,
  input: CustomerPaymentInput,
): Promise<ResultOf<'CreditFileResult'>> {
  const customer = await ownCustomer(tx, input.customerId);
  if (!customer) return notFound('customer');
  const [file] = await tx.select().from(creditFiles).where(eq(creditFiles.customerId, customer));
  if (!file) return invalidInput('customerId', 'Set a credit limit for this customer first.');
  if (typeof input.amountMinor !== 'bigint' || input.amountMinor <= 0n || input.amountMinor > LONG_MAX) {
    return invalidInput('amountMinor', `A payment is a whole number of minor units from 1 to ${LONG_MAX}.`);
  }
  if (input.currency.trim().toUpperCase() !== file.currency) return invalidInput('currency', `This credit file is in ${file.currency}.`);
  await tx.insert(customerEntries).values({
    ownerPartnerId: identity.partnerId,
    customerId: customer,
    kind: 'PAYMENT',
    signedMinor: -input.amountMinor,
    currency: file.currency,
    reference: input.reference?.trim() || null,
  });
  await appendEvent(tx, {
    topic: 'finance.customer_payment',
    entityType: 'Customer',
    entityId: customer,
    audience: [identity.partnerId],
    payload: { amountMinor: input.amountMinor.toString(), currency: file.currency },
  });
  return file;
}

/** A customer of the caller (orders' customers are the caller's own under row-level security). */
async function ownCustomer(tx: Tx, customerId: string): Promise<string | undefined> {
  if (!isUuid(customerId)) return undefined;
  const [row] = await tx.execute<{ id: string }>(sql`select customer_id as id from orders.customer_directory where customer_id = ${customerId}`);
  return row?.id;
}

/** Credit status by customer id (limit, outstanding), for the owner. */
export async function creditStatus(tx: Tx, customerIds: readonly string[]) {
  const ids = customerIds.filter(isUuid);
  if (ids.length === 0) return [];
  return [
    // bigint columns: decimal strings from postgres.js, read exactly with minorFromSql.
    ...(await tx.execute<{ customer_id: string; limit_minor: string; currency: string; outstanding_minor: string }>(sql`
      select customer_id, limit_minor, currency, outstanding_minor from finance.customer_credit_status
      where customer_id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`)),
  ];
}

/** A customer's payment (or return credit) as stored: `signedMinor` is negative. */
export type CustomerPaymentRow = typeof customerEntries.$inferSelect;

/**
 * One page of the payments of each of these customers (row-level security: the owner's only),
 * newest first (time, ties by id): a connection per customer id (absent: none). One statement for
 * the whole batch, a LATERAL keyset page per customer.
 */
export async function customerPaymentPages(tx: Tx, customerIds: readonly string[], args: PageArgs): Promise<Map<string, Connection<CustomerPaymentRow>>> {
  const page = keysetPage('customer-payments', args, [
    { column: customerEntries.at, type: 'timestamptz', descending: true },
    { column: customerEntries.id, type: 'uuid', descending: true },
  ]);
  const ids = [...new Set(customerIds.filter(isUuid))];
  if (ids.length === 0) return new Map();
  const customer = sql`customer.id`;
  const pageOfCustomer = tx
    .select({
      ...getTableColumns(customerEntries),
      pageKey: page.key.as('page_key'),
      rank: sql<string>`row_number() over (order by ${sql.join(page.orderBy, sql`, `)})`.as('page_rank'),
    })
    .from(customerEntries)
    .where(and(eq(customerEntries.customerId, customer), sql`${customerEntries.kind} = 'PAYMENT'`, page.after))
    .orderBy(...page.orderBy)
    .limit(page.limit)
    .as('payment');
  const rows = await tx
    .select()
    .from(sql`unnest(array[${sql.join(ids.map((id) => sql`${id}`), sql`, `)}]::uuid[]) as customer(id)`)
    .crossJoinLateral(pageOfCustomer)
    .orderBy(customer, pageOfCustomer.rank);
  const byCustomer = new Map<string, (CustomerPaymentRow & { pageKey: string })[]>();
  for (const { payment: { rank: _rank, ...payment } } of rows) {
    const group = byCustomer.get(payment.customerId);
    if (group) group.push(payment);
    else byCustomer.set(payment.customerId, [payment]);
  }
  return new Map([...byCustomer].map(([id, group]) => [id, page.connection(group)]));
}
