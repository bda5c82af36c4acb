import { missingRow } from '@redthread/kit';
import type { FinanceContext } from '../context';
import type { TypeResolvers } from '../generated/resolvers';
import { minorFromSql } from '../money';
import type { CreditFileKey } from '../services/rules';
import { money } from './shared';

/** Finance's part of an orders customer: its credit file. */
export const Customer: TypeResolvers<'Customer'> = {
  __resolveReference: (ref) => ({ id: ref.id }),
  credit: async (customer, _, ctx) => ((await ctx.loaders.credit.load(customer.id)) ? { customerId: customer.id } : null),
};

/**
 * The credit status (limit, outstanding) of a credit file: `customer_credit_status` has a row for
 * every credit file its owner sees, so a missing one is a broken invariant, never a silent null.
 */
async function creditOf(file: CreditFileKey, ctx: FinanceContext) {
  return (await ctx.loaders.credit.load(file.customerId)) ?? missingRow('credit file', file.customerId);
}

/** A customer's credit limit, what it owes and its payments. */
export const CreditFile: TypeResolvers<'CreditFile'> = {
  limit: async (f, _, ctx) => {
    const s = await creditOf(f, ctx);
    return money(minorFromSql(s.limit_minor), s.currency);
  },
  outstanding: async (f, _, ctx) => {
    const s = await creditOf(f, ctx);
    return money(minorFromSql(s.outstanding_minor), s.currency);
  },
  available: async (f, _, ctx) => {
    const s = await creditOf(f, ctx);
    return money(minorFromSql(s.limit_minor) - minorFromSql(s.outstanding_minor), s.currency);
  },
  payments: (f, a, ctx) => ctx.loaders.customerPayments.load({ parentId: f.customerId, args: a }),
};

/** A payment on a customer's credit file (stored with a negative sign, answered as paid). */
export const CustomerPayment: TypeResolvers<'CustomerPayment'> = {
  amount: (p) => money(-p.signedMinor, p.currency),
};
