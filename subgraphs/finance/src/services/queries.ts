import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { ledgerEntries, productCosts, settlementRules, statementLines, statements } from '@redthread/schema';
import { keysetPage, type Connection, type Identity, type PageArgs, type Tx } from '@redthread/kit';
import type { LedgerFilter } from '../generated/resolvers';
import { divideHalfEven, minorFromSql } from '../money';
import { isUuid } from '@redthread/kit';

/** The SDL's input types, generated (`npm run codegen`). */
export type { LedgerFilter };

export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;

/** A statement line with its ledger entry, as the `StatementLine` resolvers receive it. */
export type StatementLineWithEntry = typeof statementLines.$inferSelect & { entry: LedgerEntryRow };

/** What the caller and one partner owe each other in one currency (positive net: receivable). */
export interface PartnerBalanceRow {
  partnerId: string;
  currency: string;
  receivable: bigint;
  payable: bigint;
  net: bigint;
}

/** A catalog product by its key, as finance's `Product` resolvers receive it. */
export interface ProductKey {
  id: string;
}

/**
 * Net balances per partner and currency from the caller's side (positive: receivable), exact (sums
 * in SQL `numeric`), by partner id then currency, as a connection: one line per partner the caller
 * has entries with, so it grows with the partners. One statement per page.
 */
export async function balances(tx: Tx, identity: Identity, args: PageArgs): Promise<Connection<PartnerBalanceRow>> {
  const page = keysetPage('balances', args, [
    { column: sql`b.partner_id`, type: 'uuid' },
    { column: sql`b.currency`, type: 'text' },
  ]);
  const rows = await tx.execute<{ partner_id: string; currency: string; receivable: string; payable: string; pageKey: string }>(sql`
    select b.*, ${page.key} as "pageKey" from (
      select case when creditor_partner_id = ${identity.partnerId}::uuid then debtor_partner_id else creditor_partner_id end as partner_id,
             currency::text as currency,
             coalesce(sum(signed_minor) filter (where creditor_partner_id = ${identity.partnerId}::uuid), 0) as receivable,
             coalesce(sum(signed_minor) filter (where debtor_partner_id = ${identity.partnerId}::uuid), 0) as payable
      from finance.ledger_entries
      where ${identity.partnerId}::uuid in (creditor_partner_id, debtor_partner_id)
      group by 1, 2) b
    ${page.after ? sql`where ${page.after}` : sql``}
    order by ${sql.join(page.orderBy, sql`, `)}
    limit ${page.limit}`);
  return page.connection([...rows], (r) => ({
    partnerId: r.partner_id,
    currency: r.currency,
    receivable: minorFromSql(r.receivable),
    payable: minorFromSql(r.payable),
    net: minorFromSql(r.receivable) - minorFromSql(r.payable),
  }));
}

/** Ledger entries of the caller, newest first (occurred at, ties by id), as a connection; one statement per page. */
export async function listLedgerEntries(tx: Tx, identity: Identity, filter: LedgerFilter | null | undefined, args: PageArgs): Promise<Connection<LedgerEntryRow>> {
  const page = keysetPage('ledger-entries', args, [
    { column: ledgerEntries.occurredAt, type: 'timestamptz', descending: true },
    { column: ledgerEntries.id, type: 'uuid', descending: true },
  ]);
  if (filter?.partnerId && !isUuid(filter.partnerId)) return page.empty();
  return page.rowsOf(
    tx,
    ledgerEntries,
    or(eq(ledgerEntries.creditorPartnerId, identity.partnerId), eq(ledgerEntries.debtorPartnerId, identity.partnerId)),
    filter?.partnerId ? or(eq(ledgerEntries.creditorPartnerId, filter.partnerId), eq(ledgerEntries.debtorPartnerId, filter.partnerId)) : undefined,
    filter?.kind?.length ? inArray(ledgerEntries.kind, filter.kind) : undefined,
  );
}

/** Statement lines with their entries, per statement; one statement. */
export async function linesOfStatements(tx: Tx, statementIds: readonly string[]) {
  if (statementIds.length === 0) return [];
  return tx
    .select({ line: statementLines, entry: ledgerEntries })
    .from(statementLines)
    .innerJoin(ledgerEntries, eq(ledgerEntries.id, statementLines.entryId))
    .where(inArray(statementLines.statementId, [...statementIds]))
    .orderBy(ledgerEntries.occurredAt, ledgerEntries.id);
}

/** Payments per statement, exact (the SQL sum is `numeric`, read as a `bigint`); one statement. */
export async function paymentsOfStatements(tx: Tx, statementIds: readonly string[]): Promise<{ statementId: string | null; paid: bigint }[]> {
  if (statementIds.length === 0) return [];
  const rows = await tx
    .select({ statementId: ledgerEntries.statementId, paid: sql<string>`sum(${ledgerEntries.amountMinor})` })
    .from(ledgerEntries)
    .where(and(inArray(ledgerEntries.statementId, [...statementIds]), eq(ledgerEntries.kind, 'PAYMENT')))
    .groupBy(ledgerEntries.statementId);
  return rows.map((r) => ({ statementId: r.statementId, paid: minorFromSql(r.paid) }));
}

/**
 * Settlement rules the caller is a party of (row-level security), by creditor, then debtor (one
 * rule per pair, so the pair is a unique, stable order along its unique index), as a connection;
 * one statement per page.
 */
export async function listSettlementRules(tx: Tx, args: PageArgs): Promise<Connection<typeof settlementRules.$inferSelect>> {
  const page = keysetPage('settlement-rules', args, [
    { column: settlementRules.creditorPartnerId, type: 'uuid' },
    { column: settlementRules.debtorPartnerId, type: 'uuid' },
  ]);
  return page.rowsOf(tx, settlementRules);
}

/** The caller's cost of its products (row-level security: owner only); one statement. */
export async function productCostsByIds(tx: Tx, productIds: readonly string[]) {
  const ids = productIds.filter(isUuid);
  if (ids.length === 0) return [];
  const rows = await tx.select().from(productCosts).where(inArray(productCosts.productId, ids));
  return rows.map((row) => ({
    productId: row.productId,
    currency: row.currency,
    units: row.units,
    valueMinor: row.valueMinor,
    averageMinor: row.units > 0 ? divideHalfEven(row.valueMinor, row.units) : 0n,
  }));
}

/** Of these statement ids, those the caller may see: all it issues, and those issued to it. */
export async function visibleStatementIds(tx: Tx, partnerId: string, ids: readonly string[]): Promise<string[]> {
  const wellFormed = ids.filter(isUuid);
  if (wellFormed.length === 0) return [];
  const rows = await tx
    .select({ id: statements.id })
    .from(statements)
    .where(and(inArray(statements.id, wellFormed), or(eq(statements.creditorPartnerId, partnerId), sql`${statements.status} <> 'DRAFT'`)));
  return rows.map((r) => r.id);
}
