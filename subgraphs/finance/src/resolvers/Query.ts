import { ErrorCode, apiError } from '@redthread/kit';
import { isFailure } from '../errors';
import type { TypeResolvers } from '../generated/resolvers';
import { balances, listLedgerEntries, listSettlementRules } from '../services/queries';
import { report } from '../services/report';
import { listCommissionRules } from '../services/rules';
import { listStatements, visibleStatement } from '../services/statements';
import { money } from './shared';

/** Root queries: balances, ledger, rules, statements and reports. */
export const Query: TypeResolvers<'Query'> = {
  balances: async (_, a, ctx) => balances(await ctx.tx(), ctx.identity, a),
  ledgerEntries: async (_, a, ctx) => listLedgerEntries(await ctx.tx(), ctx.identity, a.filter, a),
  settlementRules: async (_, a, ctx) => listSettlementRules(await ctx.tx(), a),
  statements: async (_, a, ctx) => listStatements(await ctx.tx(), ctx.identity, a.filter, a),
  statement: async (_, a, ctx) => visibleStatement(await ctx.tx(), ctx.identity, a.id),
  commissionRules: async (_, a, ctx) => listCommissionRules(await ctx.tx(), a),
  report: async (_, a, ctx) => {
    const result = await report(await ctx.tx(), ctx.identity, a.input);
    if (isFailure(result)) throw apiError(ErrorCode.BAD_USER_INPUT, result.message, { argument: `input.${result.field}` });
    const { rows, currency, ageing } = result;
    const row = (r: Pick<(typeof rows)[number], 'keys' | 'orders' | 'units' | 'revenue' | 'cost'>) => ({
      keys: r.keys,
      orders: r.orders,
      units: r.units,
      revenue: money(r.revenue, currency),
      cost: money(r.cost, currency),
      margin: money(r.revenue - r.cost, currency),
    });
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((total, r) => total + f(r), 0);
    const sumMinor = (f: (r: (typeof rows)[number]) => bigint) => rows.reduce((total, r) => total + f(r), 0n);
    return {
      rows: rows.map(row),
      totals: row({ keys: [], orders: sum((r) => r.orders), units: sum((r) => r.units), revenue: sumMinor((r) => r.revenue), cost: sumMinor((r) => r.cost) }),
      receivablesAgeing: {
        current: money(ageing.current, currency),
        days1to30: money(ageing.days1to30, currency),
        days31to60: money(ageing.days31to60, currency),
        days61to90: money(ageing.days61to90, currency),
        over90: money(ageing.over90, currency),
      },
    };
  },
};
