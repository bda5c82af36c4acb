import { inArray } from 'drizzle-orm';
import { partners } from '@redthread/schema';
import type { Tx } from '@redthread/kit';
import { isUuid } from '@redthread/kit';

/** A partner as the catalog serves it. */
export type PartnerRow = typeof partners.$inferSelect;

/**
 * Loads the partners with these ids that the caller may see (row-level security decides: itself,
 * partners it has a link or a proposal with, the other party of a 3PL warehouse it owns or
 * operates, partners it invited). Missing and foreign ids are simply absent.
 * One statement however many ids.
 */
export async function visiblePartnersByIds(tx: Tx, ids: readonly string[]): Promise<PartnerRow[]> {
  const wellFormed = ids.filter(isUuid);
  if (wellFormed.length === 0) return [];
  return tx.select().from(partners).where(inArray(partners.id, wellFormed));
}
