import { bigint, char, check, date, index, integer, pgSchema, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** `finance.*`: cost accounting, the partner ledger, settlement, statements, commission, credit. */
export const financeSchema = pgSchema('finance');

/**
 * Moving weighted average cost per (owner, product): the stock value and the units it covers.
 * Average = value ÷ units, rounded half to even to a whole minor unit when used.
 */
export const productCosts = financeSchema.table(
  'product_costs',
  {
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    productId: uuid('product_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    units: integer('units').notNull().default(0),
    valueMinor: bigint('value_minor', { mode: 'bigint' }).notNull().default(0n),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('product_costs_owner_product_unique').on(t.ownerPartnerId, t.productId), check('product_costs_units', sql`${t.units} >= 0`)],
);

export const costEntryKind = financeSchema.enum('cost_entry_kind', ['RECEIPT', 'COST_OF_GOODS']);

/** Every change of a product's cost: receipts at their cost, cost of goods at shipment. */
export const costEntries = financeSchema.table(
  'cost_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    productId: uuid('product_id').notNull(),
    kind: costEntryKind('kind').notNull(),
    units: integer('units').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    orderId: uuid('order_id'),
    orderLineId: uuid('order_line_id'),
    warehouseId: uuid('warehouse_id'),
    /** The event that caused it; unique, so replays change nothing. */
    sourceEventId: bigint('source_event_id', { mode: 'number' }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cost_entries_source_unique').on(t.sourceEventId, t.productId, t.kind, t.orderLineId),
    index('cost_entries_owner_idx').on(t.ownerPartnerId, t.at),
  ],
);

export const ledgerKind = financeSchema.enum('ledger_kind', ['INVOICE', 'CREDIT_NOTE', 'COMMISSION', 'PAYMENT', 'ADJUSTMENT']);

/**
 * The ledger between two partners. Immutable: a correction is a new entry. An entry makes the
 * debtor owe the creditor `amount_minor` (INVOICE, COMMISSION) or reduces what the debtor owes
 * (CREDIT_NOTE, PAYMENT, ADJUSTMENT): `signed_minor` carries that sign, so a balance is a sum.
 */
export const ledgerEntries = financeSchema.table(
  'ledger_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    creditorPartnerId: uuid('creditor_partner_id').notNull(),
    debtorPartnerId: uuid('debtor_partner_id').notNull(),
    kind: ledgerKind('kind').notNull(),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    signedMinor: bigint('signed_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    description: text('description').notNull(),
    orderId: uuid('order_id'),
    orderLineId: uuid('order_line_id'),
    statementId: uuid('statement_id'),
    sourceEventId: bigint('source_event_id', { mode: 'number' }),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_entries_source_unique').on(t.sourceEventId, t.kind, t.orderLineId),
    index('ledger_entries_pair_idx').on(t.creditorPartnerId, t.debtorPartnerId, t.occurredAt),
    index('ledger_entries_debtor_idx').on(t.debtorPartnerId, t.occurredAt),
    check('ledger_entries_amount_positive', sql`${t.amountMinor} > 0`),
    check(
      'ledger_entries_sign',
      sql`(${t.kind} in ('INVOICE', 'COMMISSION') and ${t.signedMinor} = ${t.amountMinor}) or (${t.kind} in ('CREDIT_NOTE', 'PAYMENT', 'ADJUSTMENT') and ${t.signedMinor} = -${t.amountMinor})`,
    ),
    check('ledger_entries_two_partners', sql`${t.creditorPartnerId} <> ${t.debtorPartnerId}`),
  ],
);

export const billingPeriod = financeSchema.enum('billing_period', ['WEEKLY', 'MONTHLY', 'CUSTOM']);

/** How the creditor bills the debtor: the period and the payment terms. */
export const settlementRules = financeSchema.table(
  'settlement_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    creditorPartnerId: uuid('creditor_partner_id').notNull(),
    debtorPartnerId: uuid('debtor_partner_id').notNull(),
    period: billingPeriod('period').notNull(),
    /** WEEKLY: ISO weekday 1–7; MONTHLY: day 1–28; CUSTOM: every N days. */
    periodValue: integer('period_value').notNull(),
    /** CUSTOM: the first day of the first period. */
    anchorDate: date('anchor_date'),
    paymentTermsDays: integer('payment_terms_days').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('settlement_rules_pair_unique').on(t.creditorPartnerId, t.debtorPartnerId),
    check(
      'settlement_rules_value',
      sql`(${t.period} = 'WEEKLY' and ${t.periodValue} between 1 and 7) or (${t.period} = 'MONTHLY' and ${t.periodValue} between 1 and 28) or (${t.period} = 'CUSTOM' and ${t.periodValue} between 1 and 366 and ${t.anchorDate} is not null)`,
    ),
    check('settlement_rules_terms', sql`${t.paymentTermsDays} between 0 and 365`),
  ],
);

export const statementStatus = financeSchema.enum('statement_status', ['DRAFT', 'ISSUED', 'CONFIRMED', 'DISPUTED', 'SETTLED']);

/** A statement of one billing period between creditor and debtor; both see it, each from its side. */
export const statements = financeSchema.table(
  'statements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    creditorPartnerId: uuid('creditor_partner_id').notNull(),
    debtorPartnerId: uuid('debtor_partner_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    periodStart: date('period_start').notNull(),
    periodEnd: date('period_end').notNull(),
    openingMinor: bigint('opening_minor', { mode: 'bigint' }).notNull(),
    closingMinor: bigint('closing_minor', { mode: 'bigint' }).notNull(),
    dueDate: date('due_date').notNull(),
    status: statementStatus('status').notNull().default('DRAFT'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('statements_pair_period_unique').on(t.creditorPartnerId, t.debtorPartnerId, t.currency, t.periodStart),
    check('statements_period', sql`${t.periodEnd} > ${t.periodStart}`),
  ],
);

export const statementLineStatus = financeSchema.enum('statement_line_status', ['OPEN', 'DISPUTED', 'RESOLVED']);

/** A ledger entry as it appears on a statement, with the debtor's dispute if any. */
export const statementLines = financeSchema.table('statement_lines', {
  id: uuid('id').primaryKey().defaultRandom(),
  statementId: uuid('statement_id').notNull(),
  creditorPartnerId: uuid('creditor_partner_id').notNull(),
  debtorPartnerId: uuid('debtor_partner_id').notNull(),
  entryId: uuid('entry_id').notNull(),
  status: statementLineStatus('status').notNull().default('OPEN'),
  disputeReason: text('dispute_reason'),
  resolution: text('resolution'),
});

export const commissionKind = financeSchema.enum('commission_kind', ['PERCENT', 'FIXED']);

/**
 * Commission the payer (a seller) owes the earner (the buyer that brought the sale) per shipped
 * distribution line: by product, by earner, or default — the most specific rule wins.
 */
export const commissionRules = financeSchema.table(
  'commission_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    payerPartnerId: uuid('payer_partner_id').notNull(),
    earnerPartnerId: uuid('earner_partner_id'),
    productId: uuid('product_id'),
    kind: commissionKind('kind').notNull(),
    /** PERCENT: basis points of the line amount (250 = 2.5 %, at most 10000); FIXED: minor units per unit, up to 2^63 − 1. */
    value: bigint('value', { mode: 'bigint' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('commission_rules_scope_unique').on(t.payerPartnerId, t.earnerPartnerId, t.productId).nullsNotDistinct(),
    check('commission_rules_value', sql`${t.value} >= 0 and (${t.kind} <> 'PERCENT' or ${t.value} <= 10000)`),
  ],
);

/** A channel partner's credit limit for one of its customers. */
export const creditFiles = financeSchema.table(
  'credit_files',
  {
    customerId: uuid('customer_id').primaryKey(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    limitMinor: bigint('limit_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('credit_files_limit', sql`${t.limitMinor} >= 0`)],
);

export const customerEntryKind = financeSchema.enum('customer_entry_kind', ['CHARGE', 'PAYMENT']);

/** What a customer owes a channel partner: charges for shipped sales lines, payments received. */
export const customerEntries = financeSchema.table(
  'customer_entries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    ownerPartnerId: uuid('owner_partner_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    kind: customerEntryKind('kind').notNull(),
    signedMinor: bigint('signed_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    reference: text('reference'),
    sourceEventId: bigint('source_event_id', { mode: 'number' }),
    orderLineId: uuid('order_line_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('customer_entries_source_unique').on(t.sourceEventId, t.orderLineId),
    index('customer_entries_customer_idx').on(t.customerId),
    // Customer.payments in page order. Partial, since the kind test is not leakproof (an enum
    // comparison): under row-level security it cannot be an index condition, only a filter.
    index('customer_entries_payments_page').on(t.customerId, t.at, t.id).where(sql`kind = 'PAYMENT'`),
  ],
);
