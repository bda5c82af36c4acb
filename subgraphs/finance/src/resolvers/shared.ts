import type { FinanceContext } from '../context';
import type { Side } from '../generated/resolvers';

/** An amount of money as the SDL's `Money`. */
export const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });

/** A federated reference by id, for a non-null field; the owning subgraph resolves it under the caller's visibility. */
export const reference = (id: string) => ({ id });

/** A federated reference by id for a nullable field (`null` for none). */
export const optionalReference = (id: string | null) => (id ? { id } : null);

/** Which side of a two-party record the caller is on. */
export const sideOf = (row: { creditorPartnerId: string }, ctx: FinanceContext): Side => (row.creditorPartnerId === ctx.identity.partnerId ? 'RECEIVABLE' : 'PAYABLE');
