import { sql } from 'drizzle-orm';
import type { Tx } from '@redthread/kit';

/** A partner's id by its public code (catalog's lookup); undefined when unknown. */
export async function partnerIdByCode(tx: Tx, code: string): Promise<string | undefined> {
  const [row] = await tx.execute<{ id: string | null }>(sql`select catalog.partner_id_by_code(${code.trim()}) as id`);
  return row?.id ?? undefined;
}
