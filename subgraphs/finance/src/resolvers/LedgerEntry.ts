import type { TypeResolvers } from '../generated/resolvers';
import { money, optionalReference, reference, sideOf } from './shared';

/** One entry of the ledger between two partners. */
export const LedgerEntry: TypeResolvers<'LedgerEntry'> = {
  side: (e, _, ctx) => sideOf(e, ctx),
  creditor: (e) => reference(e.creditorPartnerId),
  debtor: (e) => reference(e.debtorPartnerId),
  amount: (e) => money(e.amountMinor, e.currency),
  order: (e) => optionalReference(e.orderId),
  statementId: async (e, _, ctx) => (e.statementId && (await ctx.loaders.statementVisible.load(e.statementId)) ? e.statementId : null),
};

/** What the caller and one other partner owe each other, per currency. */
export const PartnerBalance: TypeResolvers<'PartnerBalance'> = {
  partner: (b) => reference(b.partnerId),
  net: (b) => money(b.net, b.currency),
  receivable: (b) => money(b.receivable, b.currency),
  payable: (b) => money(b.payable, b.currency),
};
