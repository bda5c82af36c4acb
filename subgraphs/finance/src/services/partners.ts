import { sql } from 'drizzle-orm';
import type { Tx } from '@redthread/kit';

/**
 * The id of a partner the caller may see (catalog's published `partner_directory`: itself and the
 * partners it has links or proposals with), by code; undefined for unknown and unrelated codes
 * alike, so a code's existence is not revealed.
 */
export async function partnerIdByCode(tx: Tx, code: string): Promise<string | undefined> {
  const [row] = await tx.execute<{ partner_id: string }>(
    sql`select partner_id from catalog.partner_directory where code = upper(${code.trim()})`,
  );
  return row?.partner_id;
}

/**
 * The id of a partner the caller has ledger entries with, by code (a counterparty of its books,
 * even when no link connects them any more); undefined otherwise.
 */
export async function counterpartyIdByCode(tx: Tx, partnerId: string, code: string): Promise<string | undefined> {
  const visible = await partnerIdByCode(tx, code);
  if (visible) return visible;
  const [row] = await tx.execute<{ id: string }>(sql`
    select p.id from (select catalog.partner_id_by_code(${code.trim()}) as id) p
    where p.id is not null and exists (
      select 1 from finance.ledger_entries e
      where (e.creditor_partner_id = ${partnerId}::uuid and e.debtor_partner_id = p.id)
         or (e.debtor_partner_id = ${partnerId}::uuid and e.creditor_partner_id = p.id))`);
  return row?.id;
}
