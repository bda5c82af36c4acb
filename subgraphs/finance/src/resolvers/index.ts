import { DateTimeScalar, LongScalar, namedByTypename, resultUnion } from '@redthread/kit';
import type { SubgraphResolvers } from '../generated/resolvers';
import { CommissionRule } from './CommissionRule';
import { CreditFile, Customer, CustomerPayment } from './Customer';
import { LedgerEntry, PartnerBalance } from './LedgerEntry';
import { Mutation } from './Mutation';
import { Product } from './Product';
import { Query } from './Query';
import { SettlementRule, Statement } from './Statement';

/** Every finance resolver, by type (one file per type). Thin: each calls one service. */
export const resolvers: SubgraphResolvers = {
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
  SettlementRuleResult: resultUnion('SettlementRule'),
  StatementResult: resultUnion('Statement'),
  CommissionRuleResult: resultUnion('CommissionRule'),
  CreditFileResult: resultUnion('CreditFile'),
  FinanceError: namedByTypename,
};
