import type { FinanceContext } from '../context';

/** An amount of money as the SDL's `Money`. */
export const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });

/** A federated reference by id (`null` for none); the owning subgraph resolves it under the caller's visibility. */
export const ref = (id: string | null) => (id ? { id } : null);

/** Which side of a two-party record the caller is on. */
export const sideOf = (row: { creditorPartnerId: string }, ctx: FinanceContext) => (row.creditorPartnerId === ctx.identity.partnerId ? 'RECEIVABLE' : 'PAYABLE');
