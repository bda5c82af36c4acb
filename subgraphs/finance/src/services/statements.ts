import { and, asc, desc, eq, inArray, isNull, lt, ne, or, sql } from 'drizzle-orm';
import { ledgerEntries, settlementRules, statementLines, statements } from '@redthread/schema';
import { LONG_MAX, appendEvent, fitsLong, keysetPage, type Connection, type Identity, type PageArgs, type TopicOf, type Tx } from '@redthread/kit';
import { minorFromSql } from '../money';
import type {
  DisputeLineInput,
  GenerateStatementsInput,
  RecordPaymentInput,
  ResolveLineInput,
  ResultOf,
  SettlementRuleInput,
  StatementFilter,
} from '../generated/resolvers';
import { invalidInput, invalidTransition, notFound, notPermittedForSide, type Failure } from '../errors';
import { isUuid } from '@redthread/kit';
import { counterpartyIdByCode, partnerIdByCode } from './partners';
import { DEFAULT_RULE, dueDate, periodContaining } from './periods';

/** The SDL's input types, generated (`npm run codegen`). */
export type { DisputeLineInput, GenerateStatementsInput, RecordPaymentInput, ResolveLineInput, SettlementRuleInput, StatementFilter };

export type StatementRow = typeof statements.$inferSelect;
export type StatementLineRow = typeof statementLines.$inferSelect;
export type RuleRow = typeof settlementRules.$inferSelect;

/** Sets (or replaces) how the caller bills a debtor. */
export async function setSettlementRule(
  tx: Tx,
  identity: Identity,
  input: SettlementRuleInput,
): Promise<ResultOf<'SettlementRuleResult'>> {
  const debtor = await partnerIdByCode(tx, input.debtorCode);
  if (!debtor || debtor === identity.partnerId) return invalidInput('debtorCode', 'No such partner to bill.');
  const ranges = { WEEKLY: [1, 7], MONTHLY: [1, 28], CUSTOM: [1, 366] } as const;
  const [min, max] = ranges[input.period];
  if (!Number.isInteger(input.value) || input.value < min || input.value > max) {
    return invalidInput('value', `${input.period} takes a value from ${min} to ${max}.`);
  }
  if (input.period === 'CUSTOM' && !/^\d{4}-\d{2}-\d{2}$/.test(input.anchorDate ?? '')) {
    return invalidInput('anchorDate', 'A CUSTOM period needs its anchor date as YYYY-MM-DD.');
  }
  if (!Number.isInteger(input.paymentTermsDays) || input.paymentTermsDays < 0 || input.paymentTermsDays > 365) {
    return invalidInput('paymentTermsDays', 'Payment terms are 0–365 days.');
  }
  const values = {
    creditorPartnerId: identity.partnerId,
    debtorPartnerId: debtor,
    period: input.period,
    periodValue: input.value,
    anchorDate: input.period === 'CUSTOM' ? input.anchorDate! : null,
    paymentTermsDays: input.paymentTermsDays,
  };
  const [rule] = await tx
    .insert(settlementRules)
    .values(values)
    .onConflictDoUpdate({ target: [settlementRules.creditorPartnerId, settlementRules.debtorPartnerId], set: { ...values, updatedAt: sql`now()` } })
    .returning();
  return rule!;
}

/**
 * Generates DRAFT statements for the period containing `moment`, as creditor, one per debtor and
 * currency with unbilled entries in that period. Opening = the pair's previous closing; closing =
 * opening + the signed entries; due = period end + payment terms.
 */
export async function generateStatements(
  tx: Tx,
  identity: Identity,
  input: GenerateStatementsInput,
): Promise<StatementRow[] | Failure<'InvalidFinanceInput'>> {
  let onlyDebtor: string | undefined;
  if (input.debtorCode) {
    onlyDebtor = await counterpartyIdByCode(tx, identity.partnerId, input.debtorCode);
    if (!onlyDebtor) return invalidInput('debtorCode', 'No such partner.');
  }
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('finance.statements:' || ${identity.partnerId}))`);
  const pairs = await tx
    .selectDistinct({ debtor: ledgerEntries.debtorPartnerId, currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.creditorPartnerId, identity.partnerId), isNull(ledgerEntries.statementId), onlyDebtor ? eq(ledgerEntries.debtorPartnerId, onlyDebtor) : undefined));
  const created: StatementRow[] = [];
  for (const { debtor, currency } of pairs) {
    const [ruleRow] = await tx
      .select()
      .from(settlementRules)
      .where(and(eq(settlementRules.creditorPartnerId, identity.partnerId), eq(settlementRules.debtorPartnerId, debtor)));
    const rule = ruleRow
      ? { period: ruleRow.period, value: ruleRow.periodValue, anchorDate: ruleRow.anchorDate, paymentTermsDays: ruleRow.paymentTermsDays }
      : DEFAULT_RULE;
    const { start, end } = periodContaining(rule, input.periodContaining);
    const entries = await tx
      .select()
      .from(ledgerEntries)
      .where(
        and(
          eq(ledgerEntries.creditorPartnerId, identity.partnerId),
          eq(ledgerEntries.debtorPartnerId, debtor),
          eq(ledgerEntries.currency, currency),
          isNull(ledgerEntries.statementId),
          // Everything unbilled up to the period's end: entries booked after an earlier period's
          // statement was generated are carried into this one instead of being lost.
          lt(ledgerEntries.occurredAt, new Date(`${end}T00:00:00Z`)),
          // Payments belong to the statement they are recorded against.
          sql`${ledgerEntries.kind} <> 'PAYMENT'`,
        ),
      )
      .orderBy(asc(ledgerEntries.occurredAt), asc(ledgerEntries.id));
    if (entries.length === 0) continue;
    const [previous] = await tx
      .select()
      .from(statements)
      .where(and(eq(statements.creditorPartnerId, identity.partnerId), eq(statements.debtorPartnerId, debtor), eq(statements.currency, currency), lt(statements.periodStart, start)))
      .orderBy(desc(statements.periodStart))
      .limit(1);
    const opening = previous ? previous.closingMinor - (await paidOn(tx, previous.id)) : 0n;
    const closing = opening + entries.reduce((sum, e) => sum + e.signedMinor, 0n);
    if (!fitsLong(closing)) {
      return invalidInput('periodContaining', `The closing balance of this period would exceed ±${LONG_MAX} minor units, the most an amount can carry; bill a shorter period.`);
    }
    const [statement] = await tx
      .insert(statements)
      .values({
        creditorPartnerId: identity.partnerId,
        debtorPartnerId: debtor,
        currency,
        periodStart: start,
        periodEnd: end,
        openingMinor: opening,
        closingMinor: closing,
        dueDate: dueDate(end, rule.paymentTermsDays),
      })
      .onConflictDoNothing()
      .returning();
    if (!statement) continue; // a statement for this period exists: its entries were billed there
    await tx.insert(statementLines).values(
      entries.map((e) => ({ statementId: statement.id, creditorPartnerId: identity.partnerId, debtorPartnerId: debtor, entryId: e.id })),
    );
    await tx.update(ledgerEntries).set({ statementId: statement.id }).where(inArray(ledgerEntries.id, entries.map((e) => e.id)));
    await statementEvent(tx, statement, 'finance.statement_generated', [identity.partnerId]);
    created.push(statement);
  }
  return created;
}

/** Payments recorded against a statement, exact (the SQL sum is `numeric`, read as a `bigint`). */
export async function paidOn(tx: Tx, statementId: string): Promise<bigint> {
  const [row] = await tx.execute<{ paid: string }>(sql`
    select coalesce(sum(amount_minor), 0) as paid from finance.ledger_entries where statement_id = ${statementId} and kind = 'PAYMENT'`);
  return minorFromSql(row?.paid);
}

async function lockStatement(tx: Tx, identity: Identity, id: string): Promise<StatementRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await tx.select().from(statements).where(eq(statements.id, id)).for('update');
  // A draft does not exist for the debtor yet.
  if (row && row.status === 'DRAFT' && row.creditorPartnerId !== identity.partnerId) return undefined;
  return row;
}

async function setStatus(tx: Tx, statement: StatementRow, status: StatementRow['status'], topic: TopicOf<'Statement'>): Promise<StatementRow> {
  const [updated] = await tx.update(statements).set({ status, updatedAt: sql`now()` }).where(eq(statements.id, statement.id)).returning();
  await statementEvent(tx, updated!, topic);
  return updated!;
}

/** DRAFT → ISSUED, by the creditor. */
export async function issueStatement(tx: Tx, identity: Identity, id: string): Promise<ResultOf<'StatementResult'>> {
  const statement = await lockStatement(tx, identity, id);
  if (!statement) return notFound('statement');
  if (statement.creditorPartnerId !== identity.partnerId) return notPermittedForSide('Only the creditor issues a statement.');
  if (statement.status !== 'DRAFT') return invalidTransition(statement.status, `A ${statement.status} statement cannot be issued.`);
  return setStatus(tx, statement, 'ISSUED', 'finance.statement_issued');
}

/** ISSUED → CONFIRMED, by the debtor. */
export async function confirmStatement(tx: Tx, identity: Identity, id: string): Promise<ResultOf<'StatementResult'>> {
  const statement = await lockStatement(tx, identity, id);
  if (!statement) return notFound('statement');
  if (statement.debtorPartnerId !== identity.partnerId) return notPermittedForSide('Only the debtor confirms a statement.');
  if (statement.status !== 'ISSUED') return invalidTransition(statement.status, `A ${statement.status} statement cannot be confirmed.`);
  return setStatus(tx, statement, 'CONFIRMED', 'finance.statement_confirmed');
}

/** The debtor disputes one line of an ISSUED (or already DISPUTED) statement. */
export async function disputeLine(
  tx: Tx,
  identity: Identity,
  input: DisputeLineInput,
): Promise<ResultOf<'StatementResult'>> {
  const reason = input.reason.trim();
  if (!reason || reason.length > 1000) return invalidInput('reason', 'Say what is wrong with the line (1–1000 characters).');
  const statement = await lockStatement(tx, identity, input.statementId);
  if (!statement) return notFound('statement');
  if (statement.debtorPartnerId !== identity.partnerId) return notPermittedForSide('Only the debtor disputes a statement.');
  if (statement.status !== 'ISSUED' && statement.status !== 'DISPUTED') {
    return invalidTransition(statement.status, `A ${statement.status} statement cannot be disputed.`);
  }
  const [line] = isUuid(input.lineId)
    ? await tx.select().from(statementLines).where(and(eq(statementLines.id, input.lineId), eq(statementLines.statementId, statement.id)))
    : [];
  if (!line) return invalidInput('lineId', 'No such line on this statement.');
  if (line.status !== 'OPEN') return invalidInput('lineId', 'This line is already disputed or resolved.');
  await tx.update(statementLines).set({ status: 'DISPUTED', disputeReason: reason }).where(eq(statementLines.id, line.id));
  return setStatus(tx, statement, 'DISPUTED', 'finance.statement_disputed');
}

/**
 * The creditor resolves a disputed line, granting `creditMinor` (a CREDIT_NOTE entry on this
 * statement, lowering its closing balance) or nothing. With no dispute left open the statement is
 * ISSUED again for the debtor to confirm.
 */
export async function resolveLine(
  tx: Tx,
  identity: Identity,
  input: ResolveLineInput,
): Promise<ResultOf<'StatementResult'>> {
  const note = input.note.trim();
  if (!note) return invalidInput('note', 'Say how the dispute is resolved.');
  if (typeof input.creditMinor !== 'bigint' || input.creditMinor < 0n || input.creditMinor > LONG_MAX) {
    return invalidInput('creditMinor', `The credit is a whole number of minor units from 0 to ${LONG_MAX}.`);
  }
  const statement = await lockStatement(tx, identity, input.statementId);
  if (!statement) return notFound('statement');
  if (statement.creditorPartnerId !== identity.partnerId) return notPermittedForSide('Only the creditor resolves a dispute.');
  if (statement.status !== 'DISPUTED') return invalidTransition(statement.status, 'Only a DISPUTED statement has lines to resolve.');
  const [line] = isUuid(input.lineId)
    ? await tx.select().from(statementLines).where(and(eq(statementLines.id, input.lineId), eq(statementLines.statementId, statement.id)))
    : [];
  if (!line || line.status !== 'DISPUTED') return invalidInput('lineId', 'No disputed line with this id on this statement.');
  let closing = statement.closingMinor;
  if (!fitsLong(closing - input.creditMinor)) {
    return invalidInput('creditMinor', `With this credit the closing balance would fall below ${-LONG_MAX - 1n} minor units, the least an amount can carry.`);
  }
  if (input.creditMinor > 0n) {
    const [credit] = await tx
      .insert(ledgerEntries)
      .values({
        creditorPartnerId: statement.creditorPartnerId,
        debtorPartnerId: statement.debtorPartnerId,
        kind: 'CREDIT_NOTE',
        amountMinor: input.creditMinor,
        signedMinor: -input.creditMinor,
        currency: statement.currency,
        description: `credit on disputed line: ${note}`,
        statementId: statement.id,
      })
      .returning();
    await tx.insert(statementLines).values({
      statementId: statement.id,
      creditorPartnerId: statement.creditorPartnerId,
      debtorPartnerId: statement.debtorPartnerId,
      entryId: credit!.id,
      status: 'RESOLVED',
      resolution: note,
    });
    closing -= input.creditMinor;
  }
  await tx.update(statementLines).set({ status: 'RESOLVED', resolution: note }).where(eq(statementLines.id, line.id));
  const [open] = await tx
    .select({ id: statementLines.id })
    .from(statementLines)
    .where(and(eq(statementLines.statementId, statement.id), eq(statementLines.status, 'DISPUTED')));
  const [updated] = await tx
    .update(statements)
    .set({ closingMinor: closing, status: open ? 'DISPUTED' : 'ISSUED', updatedAt: sql`now()` })
    .where(eq(statements.id, statement.id))
    .returning();
  await statementEvent(tx, updated!, 'finance.statement_adjusted');
  return updated!;
}

/** The creditor records a (partial) payment; SETTLED once payments cover the closing balance. */
export async function recordPayment(
  tx: Tx,
  identity: Identity,
  input: RecordPaymentInput,
): Promise<ResultOf<'StatementResult'>> {
  if (typeof input.amountMinor !== 'bigint' || input.amountMinor <= 0n || input.amountMinor > LONG_MAX) {
    return invalidInput('amountMinor', `A payment is a whole number of minor units from 1 to ${LONG_MAX}.`);
  }
  const statement = await lockStatement(tx, identity, input.statementId);
  if (!statement) return notFound('statement');
  if (statement.creditorPartnerId !== identity.partnerId) return notPermittedForSide('The creditor records payments it received.');
  if (input.currency.trim().toUpperCase() !== statement.currency) return invalidInput('currency', `This statement is in ${statement.currency}.`);
  if (statement.status !== 'CONFIRMED' && statement.status !== 'ISSUED') {
    return invalidTransition(statement.status, `Payments are recorded against ISSUED or CONFIRMED statements, not ${statement.status} ones.`);
  }
  const remaining = statement.closingMinor - (await paidOn(tx, statement.id));
  if (input.amountMinor > remaining) return invalidInput('amountMinor', `Only ${remaining} remain to be paid on this statement.`);
  await tx.insert(ledgerEntries).values({
    creditorPartnerId: statement.creditorPartnerId,
    debtorPartnerId: statement.debtorPartnerId,
    kind: 'PAYMENT',
    amountMinor: input.amountMinor,
    signedMinor: -input.amountMinor,
    currency: statement.currency,
    description: `payment${input.reference?.trim() ? ` ${input.reference.trim()}` : ''}`,
    statementId: statement.id,
  });
  if (input.amountMinor === remaining) return setStatus(tx, statement, 'SETTLED', 'finance.statement_settled');
  await statementEvent(tx, statement, 'finance.payment_recorded');
  return statement;
}

/** Statements the caller may see: all it issues (drafts too), and those issued to it. */
function visibleToCaller(me: string) {
  return or(eq(statements.creditorPartnerId, me), and(eq(statements.debtorPartnerId, me), ne(statements.status, 'DRAFT')))!;
}

/**
 * The caller's statements, newest period first (period start, ties by id), as a connection; one
 * statement per page. A DRAFT is the creditor's alone.
 */
export async function listStatements(tx: Tx, identity: Identity, filter: StatementFilter | null | undefined, args: PageArgs): Promise<Connection<StatementRow>> {
  const me = identity.partnerId;
  const page = keysetPage('statements', args, [
    { column: statements.periodStart, type: 'date', descending: true },
    { column: statements.id, type: 'uuid', descending: true },
  ]);
  if (filter?.partnerId && !isUuid(filter.partnerId)) return page.empty();
  return page.rowsOf(
    tx,
    statements,
    visibleToCaller(me),
    filter?.side === 'RECEIVABLE' ? eq(statements.creditorPartnerId, me) : filter?.side === 'PAYABLE' ? eq(statements.debtorPartnerId, me) : undefined,
    filter?.status?.length ? inArray(statements.status, filter.status) : undefined,
    filter?.partnerId ? or(eq(statements.creditorPartnerId, filter.partnerId), eq(statements.debtorPartnerId, filter.partnerId)) : undefined,
  );
}

/** One statement by id, when the caller may see it (else null, like a missing one); one statement. */
export async function visibleStatement(tx: Tx, identity: Identity, id: string): Promise<StatementRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await tx.select().from(statements).where(and(eq(statements.id, id), visibleToCaller(identity.partnerId)));
  return row ?? null;
}

async function statementEvent(tx: Tx, statement: StatementRow, topic: TopicOf<'Statement'>, audience?: string[]): Promise<void> {
  await appendEvent(tx, {
    topic,
    entityType: 'Statement',
    entityId: statement.id,
    // A DRAFT is the creditor's alone until it is issued.
    audience: audience ?? [statement.creditorPartnerId, statement.debtorPartnerId],
    // JSON cannot carry a bigint: amounts travel in payloads as decimal strings.
    payload: { status: statement.status, closingMinor: statement.closingMinor.toString(), currency: statement.currency },
  });
}
