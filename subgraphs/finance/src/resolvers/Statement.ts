import type { TypeResolvers } from '../generated/resolvers';
import { money, reference, sideOf } from './shared';

/** A statement between two partners for one period, seen from the caller's side. */
export const Statement: TypeResolvers<'Statement'> = {
  side: (s, _, ctx) => sideOf(s, ctx),
  creditor: (s) => reference(s.creditorPartnerId),
  debtor: (s) => reference(s.debtorPartnerId),
  opening: (s) => money(s.openingMinor, s.currency),
  closing: (s) => money(s.closingMinor, s.currency),
  lines: async (s, _, ctx) => (await ctx.loaders.statementLines.load(s.id)).map(({ line, entry }) => ({ ...line, entry })),
  paid: async (s, _, ctx) => money(await ctx.loaders.statementPaid.load(s.id), s.currency),
  remaining: async (s, _, ctx) => money(s.closingMinor - (await ctx.loaders.statementPaid.load(s.id)), s.currency),
};

/** The settlement rule of a partner pair (billing period, terms). */
export const SettlementRule: TypeResolvers<'SettlementRule'> = {
  creditor: (r) => reference(r.creditorPartnerId),
  debtor: (r) => reference(r.debtorPartnerId),
  value: (r) => r.periodValue,
};
