import { ErrorCode, apiError, withInput } from '@redthread/kit';
import { isFailure } from '../errors';
import type { TypeResolvers } from '../generated/resolvers';
import { recordCustomerPayment, setCommissionRule, setCreditLimit } from '../services/rules';
import { confirmStatement, disputeLine, generateStatements, issueStatement, recordPayment, resolveLine, setSettlementRule } from '../services/statements';

/** Mutations: each unpacks its arguments and calls one service in the request's transaction. */
export const Mutation: TypeResolvers<'Mutation'> = {
  setSettlementRule: withInput(setSettlementRule),
  generateStatements: async (_, a, ctx) => {
    const result = await generateStatements(await ctx.tx(), ctx.identity, a.input);
    // Not a result union: an unknown debtor (or a closing beyond a Long) is a bad argument, named by the failure's field.
    if (isFailure(result)) throw apiError(ErrorCode.BAD_USER_INPUT, result.message, { argument: `input.${result.field}` });
    return { statements: result };
  },
  issueStatement: async (_, a, ctx) => issueStatement(await ctx.tx(), ctx.identity, a.id),
  confirmStatement: async (_, a, ctx) => confirmStatement(await ctx.tx(), ctx.identity, a.id),
  disputeStatementLine: withInput(disputeLine),
  resolveStatementLine: withInput(resolveLine),
  recordPayment: withInput(recordPayment),
  setCommissionRule: withInput(setCommissionRule),
  setCreditLimit: withInput(setCreditLimit),
  recordCustomerPayment: withInput(recordCustomerPayment),
};
