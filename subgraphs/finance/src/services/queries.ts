import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import { ledgerEntries, productCosts, settlementRules, statementLines, statements } from '@redthread/schema';
import type { Identity, Tx } from '@redthread/kit';
import { divideHalfEven } from '../money';
import { isUuid } from '@redthread/kit';

export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;

/** Net balances per partner and currency from the caller's side (positive: receivable). */
export async function balances(tx: Tx, identity: Identity) {
  const rows = await tx.execute<{ partner_id: string; currency: string; receivable: string | number; payable: string | number }>(sql`
    select case when creditor_partner_id = ${identity.partnerId}::uuid then debtor_partner_id else creditor_partner_id end as partner_id,
           currency,
           coalesce(sum(signed_minor) filter (where creditor_partner_id = ${identity.partnerId}::uuid), 0) as receivable,
           coalesce(sum(signed_minor) filter (where debtor_partner_id = ${identity.partnerId}::uuid), 0) as payable
    from finance.ledger_entries
    where ${identity.partnerId}::uuid in (creditor_partner_id, debtor_partner_id)
    group by 1, 2 order by 1, 2`);
  return [...rows].map((r) => ({
    partnerId: r.partner_id,
    currency: r.currency,
    receivable: Number(r.receivable),
    payable: Number(r.payable),
    net: Number(r.receivable) - Number(r.payable),
  }));
}

/** Ledger entries of the caller, newest first (at most 500). */
export async function listLedgerEntries(
  tx: Tx,
  identity: Identity,
  filter: { partnerId?: string | null; kind?: LedgerEntryRow['kind'][] | null } | null | undefined,
): Promise<LedgerEntryRow[]> {
  if (filter?.partnerId && !isUuid(filter.partnerId)) return [];
  return tx
    .select()
    .from(ledgerEntries)
    .where(
      and(
        or(eq(ledgerEntries.creditorPartnerId, identity.partnerId), eq(ledgerEntries.debtorPartnerId, identity.partnerId)),
        filter?.partnerId ? or(eq(ledgerEntries.creditorPartnerId, filter.partnerId), eq(ledgerEntries.debtorPartnerId, filter.partnerId)) : undefined,
        filter?.kind?.length ? inArray(ledgerEntries.kind, filter.kind) : undefined,
      ),
    )
    .orderBy(desc(ledgerEntries.occurredAt), desc(ledgerEntries.id))
    .limit(500);
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

/** Payments per statement; one statement. */
export async function paymentsOfStatements(tx: Tx, statementIds: readonly string[]) {
  if (statementIds.length === 0) return [];
  return tx
    .select({ statementId: ledgerEntries.statementId, paid: sql<string>`sum(${ledgerEntries.amountMinor})` })
    .from(ledgerEntries)
    .where(and(inArray(ledgerEntries.statementId, [...statementIds]), eq(ledgerEntries.kind, 'PAYMENT')))
    .groupBy(ledgerEntries.statementId);
}

/** Settlement rules the caller is a party of. */
export async function listSettlementRules(tx: Tx) {
  return tx.select().from(settlementRules).orderBy(settlementRules.updatedAt);
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
    averageMinor: row.units > 0 ? divideHalfEven(row.valueMinor, row.units) : 0,
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
