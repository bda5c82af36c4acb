import { ErrorCode, apiError, type PageArgs } from '@redthread/kit';
import type { FinanceContext } from '../context';
import { balances, listLedgerEntries, listSettlementRules, type LedgerFilter } from '../services/queries';
import { report, type ReportDimension } from '../services/report';
import { listCommissionRules } from '../services/rules';
import { listStatements, visibleStatement, type StatementFilter } from '../services/statements';
import { money } from './shared';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** Root queries: balances, ledger, rules, statements and reports. */
export const Query = {
  balances: async (_: unknown, a: PageArgs, ctx: Ctx) => balances(await ctx.tx(), ctx.identity, a),
  ledgerEntries: async (_: unknown, a: PageArgs & { filter?: LedgerFilter | null }, ctx: Ctx) =>
    listLedgerEntries(await ctx.tx(), ctx.identity, a.filter, a),
  settlementRules: async (_: unknown, a: PageArgs, ctx: Ctx) => listSettlementRules(await ctx.tx(), a),
  statements: async (_: unknown, a: PageArgs & { filter?: StatementFilter | null }, ctx: Ctx) =>
    listStatements(await ctx.tx(), ctx.identity, a.filter, a),
  statement: async (_: unknown, a: { id: string }, ctx: Ctx) => visibleStatement(await ctx.tx(), ctx.identity, a.id),
  commissionRules: async (_: unknown, a: PageArgs, ctx: Ctx) => listCommissionRules(await ctx.tx(), a),
  report: async (_: unknown, a: { input: { from: Date; to: Date; groupBy: ReportDimension[]; currency?: string } }, ctx: Ctx) => {
    const result = await report(await ctx.tx(), ctx.identity, a.input);
    if ('errorCode' in result) throw apiError(ErrorCode.BAD_USER_INPUT, result.message, { argument: `input.${'field' in result ? result.field : 'to'}` });
    const rows = result.rows;
    const row = (r: { keys: unknown[]; orders: number; units: number; revenue: bigint; cost: bigint }) => ({
      keys: r.keys,
      orders: r.orders,
      units: r.units,
      revenue: money(r.revenue, result.currency),
      cost: money(r.cost, result.currency),
      margin: money(r.revenue - r.cost, result.currency),
    });
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((total, r) => total + f(r), 0);
    const sumMinor = (f: (r: (typeof rows)[number]) => bigint) => rows.reduce((total, r) => total + f(r), 0n);
    return {
      rows: rows.map(row),
      totals: row({ keys: [], orders: sum((r) => r.orders), units: sum((r) => r.units), revenue: sumMinor((r) => r.revenue), cost: sumMinor((r) => r.cost) }),
      receivablesAgeing: Object.fromEntries(Object.entries(result.ageing).map(([k, v]) => [k, money(v, result.currency)])),
    };
  },
};
