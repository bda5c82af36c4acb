import type { FinanceContext } from '../context';
import type { RuleRow, StatementRow } from '../services/statements';
import { money, ref, sideOf } from './shared';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** A statement between two partners for one period, seen from the caller's side. */
export const Statement = {
  side: (s: StatementRow, _: unknown, ctx: Ctx) => sideOf(s, ctx),
  creditor: (s: StatementRow) => ref(s.creditorPartnerId),
  debtor: (s: StatementRow) => ref(s.debtorPartnerId),
  opening: (s: StatementRow) => money(s.openingMinor, s.currency),
  closing: (s: StatementRow) => money(s.closingMinor, s.currency),
  lines: async (s: StatementRow, _: unknown, ctx: Ctx) =>
    (await ctx.loaders.statementLines.load(s.id)).map(({ line, entry }) => ({ ...line, entry })),
  paid: async (s: StatementRow, _: unknown, ctx: Ctx) => money(await ctx.loaders.statementPaid.load(s.id), s.currency),
  remaining: async (s: StatementRow, _: unknown, ctx: Ctx) => money(s.closingMinor - (await ctx.loaders.statementPaid.load(s.id)), s.currency),
};

/** The settlement rule of a partner pair (billing period, terms). */
export const SettlementRule = {
  creditor: (r: RuleRow) => ref(r.creditorPartnerId),
  debtor: (r: RuleRow) => ref(r.debtorPartnerId),
  value: (r: RuleRow) => r.periodValue,
};
