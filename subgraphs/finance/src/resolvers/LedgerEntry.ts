import type { FinanceContext } from '../context';
import type { LedgerEntryRow } from '../services/queries';
import { money, ref, sideOf } from './shared';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** One entry of the ledger between two partners. */
export const LedgerEntry = {
  side: (e: LedgerEntryRow, _: unknown, ctx: Ctx) => sideOf(e, ctx),
  creditor: (e: LedgerEntryRow) => ref(e.creditorPartnerId),
  debtor: (e: LedgerEntryRow) => ref(e.debtorPartnerId),
  amount: (e: LedgerEntryRow) => money(e.amountMinor, e.currency),
  order: (e: LedgerEntryRow) => ref(e.orderId),
  statementId: async (e: LedgerEntryRow, _: unknown, ctx: Ctx) =>
    e.statementId && (await ctx.loaders.statementVisible.load(e.statementId)) ? e.statementId : null,
};

/** What the caller and one other partner owe each other, per currency. */
export const PartnerBalance = {
  partner: (b: { partnerId: string }) => ref(b.partnerId),
  net: (b: { net: bigint; currency: string }) => money(b.net, b.currency),
  receivable: (b: { receivable: bigint; currency: string }) => money(b.receivable, b.currency),
  payable: (b: { payable: bigint; currency: string }) => money(b.payable, b.currency),
};
