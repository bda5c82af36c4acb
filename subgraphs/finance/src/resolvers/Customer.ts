import type { PageArgs } from '@redthread/kit';
import type { FinanceContext } from '../context';
import { minorFromSql } from '../money';
import type { CustomerPaymentRow } from '../services/rules';
import { money } from './shared';

/** The request context every resolver receives. */
type Ctx = FinanceContext;

/** Finance's part of an orders customer: its credit file. */
export const Customer = {
  __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
  credit: async (customer: { id: string }, _: unknown, ctx: Ctx) => ((await ctx.loaders.credit.load(customer.id)) ? { customerId: customer.id } : null),
};

/** A customer's credit limit, what it owes and its payments. */
export const CreditFile = {
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
};

/** A payment on a customer's credit file. */
export const CustomerPayment = {
  amount: (p: CustomerPaymentRow) => money(-p.signedMinor, p.currency),
};
