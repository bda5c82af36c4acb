import { DateTimeScalar, LongScalar } from '@redthread/kit';
import { CommissionRule } from './CommissionRule';
import { CreditFile, Customer, CustomerPayment } from './Customer';
import { LedgerEntry, PartnerBalance } from './LedgerEntry';
import { Mutation } from './Mutation';
import { Product } from './Product';
import { Query } from './Query';
import { SettlementRule, Statement } from './Statement';

const resultType = (success: string) => ({ __resolveType: (v: { __typename?: string }) => v.__typename ?? success });

/** Every finance resolver, by type (one file per type). Thin: each calls one service. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query,
  Mutation,
  Product,
  Customer,
  CreditFile,
  PartnerBalance,
  LedgerEntry,
  SettlementRule,
  Statement,
  CustomerPayment,
  CommissionRule,
  SettlementRuleResult: resultType('SettlementRule'),
  StatementResult: resultType('Statement'),
  CommissionRuleResult: resultType('CommissionRule'),
  CreditFileResult: resultType('CreditFile'),
  FinanceError: { __resolveType: (v: { __typename: string }) => v.__typename },
};
