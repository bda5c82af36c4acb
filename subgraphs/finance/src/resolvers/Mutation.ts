import { ErrorCode, apiError } from '@redthread/kit';
import type { FinanceContext } from '../context';
import { recordCustomerPayment, setCommissionRule, setCreditLimit } from '../services/rules';
import { confirmStatement, disputeLine, generateStatements, issueStatement, recordPayment, resolveLine, setSettlementRule } from '../services/statements';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** Mutations: each unpacks its arguments and calls one service in the request's transaction. */
export const Mutation = {
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
};
