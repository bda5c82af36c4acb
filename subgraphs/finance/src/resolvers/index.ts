import { DateTimeScalar, LongScalar, ErrorCode, apiError, type PageArgs } from '@redthread/kit';
import type { FinanceContext } from '../context';
import { minorFromSql } from '../money';
import type { LedgerEntryRow, LedgerFilter } from '../services/queries';
import { balances, listLedgerEntries, listSettlementRules } from '../services/queries';
import { report, type ReportDimension } from '../services/report';
import {
  listCommissionRules,
  recordCustomerPayment,
  setCommissionRule,
  setCreditLimit,
  type CommissionRuleRow,
  type CustomerPaymentRow,
} from '../services/rules';
import {
  confirmStatement,
  disputeLine,
  generateStatements,
  issueStatement,
  listStatements,
  visibleStatement,
  recordPayment,
  resolveLine,
  setSettlementRule,
  type RuleRow,
  type StatementFilter,
  type StatementRow,
} from '../services/statements';

type Ctx = FinanceContext;
const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });
const ref = (id: string | null) => (id ? { id } : null);
const resultType = (success: string) => ({ __resolveType: (v: { __typename?: string }) => v.__typename ?? success });
const sideOf = (row: { creditorPartnerId: string }, ctx: Ctx) => (row.creditorPartnerId === ctx.identity.partnerId ? 'RECEIVABLE' : 'PAYABLE');

/** Every finance resolver, by type. Thin: each calls one service. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query: {
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
  },
  Mutation: {
    setSettlementRule: async (_: unknown, a: { input: Parameters<typeof setSettlementRule>[2] }, ctx: Ctx) => setSettlementRule(await ctx.tx(), ctx.identity, a.input),
    generateStatements: async (_: unknown, a: { input: Parameters<typeof generateStatements>[2] }, ctx: Ctx) => {
      const result = await generateStatements(await ctx.tx(), ctx.identity, a.input);
      if ('errorCode' in result) throw apiError(ErrorCode.BAD_USER_INPUT, result.message, { argument: 'input.debtorCode' });
      return { statements: result };
    },
    issueStatement: async (_: unknown, a: { id: string }, ctx: Ctx) => issueStatement(await ctx.tx(), ctx.identity, a.id),
    confirmStatement: async (_: unknown, a: { id: string }, ctx: Ctx) => confirmStatement(await ctx.tx(), ctx.identity, a.id),
    disputeStatementLine: async (_: unknown, a: { input: Parameters<typeof disputeLine>[2] }, ctx: Ctx) => disputeLine(await ctx.tx(), ctx.identity, a.input),
    resolveStatementLine: async (_: unknown, a: { input: Parameters<typeof resolveLine>[2] }, ctx: Ctx) => resolveLine(await ctx.tx(), ctx.identity, a.input),
    recordPayment: async (_: unknown, a: { input: Parameters<typeof recordPayment>[2] }, ctx: Ctx) => recordPayment(await ctx.tx(), ctx.identity, a.input),
    setCommissionRule: async (_: unknown, a: { input: Parameters<typeof setCommissionRule>[2] }, ctx: Ctx) => setCommissionRule(await ctx.tx(), ctx.identity, a.input),
    setCreditLimit: async (_: unknown, a: { input: Parameters<typeof setCreditLimit>[2] }, ctx: Ctx) => {
      const result = await setCreditLimit(await ctx.tx(), ctx.identity, a.input);
      return 'errorCode' in result ? result : { __typename: 'CreditFile', customerId: result.customerId };
    },
    recordCustomerPayment: async (_: unknown, a: { input: Parameters<typeof recordCustomerPayment>[2] }, ctx: Ctx) => {
      const result = await recordCustomerPayment(await ctx.tx(), ctx.identity, a.input);
      return 'errorCode' in result ? result : { __typename: 'CreditFile', customerId: result.customerId };
    },
  },
  Product: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    cost: async (product: { id: string }, _: unknown, ctx: Ctx) => {
      const cost = await ctx.loaders.productCost.load(product.id);
      if (!cost || cost.units === 0) return null;
      return { average: money(cost.averageMinor, cost.currency), units: cost.units, value: money(cost.valueMinor, cost.currency) };
    },
  },
  Customer: {
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    credit: async (customer: { id: string }, _: unknown, ctx: Ctx) => ((await ctx.loaders.credit.load(customer.id)) ? { customerId: customer.id } : null),
  },
  CreditFile: {
    limit: async (f: { customerId: string }, _: unknown, ctx: Ctx) => {
      const s = (await ctx.loaders.credit.load(f.customerId))!;
      return money(minorFromSql(s.limit_minor), s.currency);
    },
    outstanding: async (f: { customerId: string }, _: unknown, ctx: Ctx) => {
      const s = (await ctx.loaders.credit.load(f.customerId))!;
      return money(minorFromSql(s.outstanding_minor), s.currency);
    },
    available: async (f: { customerId: string }, _: unknown, ctx: Ctx) => {
      const s = (await ctx.loaders.credit.load(f.customerId))!;
      return money(minorFromSql(s.limit_minor) - minorFromSql(s.outstanding_minor), s.currency);
    },
    payments: (f: { customerId: string }, a: PageArgs, ctx: Ctx) => ctx.loaders.customerPayments.load({ parentId: f.customerId, args: a }),
  },
  PartnerBalance: {
    partner: (b: { partnerId: string }) => ref(b.partnerId),
    net: (b: { net: bigint; currency: string }) => money(b.net, b.currency),
    receivable: (b: { receivable: bigint; currency: string }) => money(b.receivable, b.currency),
    payable: (b: { payable: bigint; currency: string }) => money(b.payable, b.currency),
  },
  LedgerEntry: {
    side: (e: LedgerEntryRow, _: unknown, ctx: Ctx) => sideOf(e, ctx),
    creditor: (e: LedgerEntryRow) => ref(e.creditorPartnerId),
    debtor: (e: LedgerEntryRow) => ref(e.debtorPartnerId),
    amount: (e: LedgerEntryRow) => money(e.amountMinor, e.currency),
    order: (e: LedgerEntryRow) => ref(e.orderId),
    statementId: async (e: LedgerEntryRow, _: unknown, ctx: Ctx) =>
      e.statementId && (await ctx.loaders.statementVisible.load(e.statementId)) ? e.statementId : null,
  },
  SettlementRule: {
    creditor: (r: RuleRow) => ref(r.creditorPartnerId),
    debtor: (r: RuleRow) => ref(r.debtorPartnerId),
    value: (r: RuleRow) => r.periodValue,
  },
  Statement: {
    side: (s: StatementRow, _: unknown, ctx: Ctx) => sideOf(s, ctx),
    creditor: (s: StatementRow) => ref(s.creditorPartnerId),
    debtor: (s: StatementRow) => ref(s.debtorPartnerId),
    opening: (s: StatementRow) => money(s.openingMinor, s.currency),
    closing: (s: StatementRow) => money(s.closingMinor, s.currency),
    lines: async (s: StatementRow, _: unknown, ctx: Ctx) =>
      (await ctx.loaders.statementLines.load(s.id)).map(({ line, entry }) => ({ ...line, entry })),
    paid: async (s: StatementRow, _: unknown, ctx: Ctx) => money(await ctx.loaders.statementPaid.load(s.id), s.currency),
    remaining: async (s: StatementRow, _: unknown, ctx: Ctx) => money(s.closingMinor - (await ctx.loaders.statementPaid.load(s.id)), s.currency),
  },
  CustomerPayment: {
    amount: (p: CustomerPaymentRow) => money(-p.signedMinor, p.currency),
  },
  CommissionRule: {
    payer: (r: CommissionRuleRow) => ref(r.payerPartnerId),
    earner: (r: CommissionRuleRow) => ref(r.earnerPartnerId),
  },
  SettlementRuleResult: resultType('SettlementRule'),
  StatementResult: resultType('Statement'),
  CommissionRuleResult: resultType('CommissionRule'),
  CreditFileResult: resultType('CreditFile'),
  FinanceError: { __resolveType: (v: { __typename: string }) => v.__typename },
};
