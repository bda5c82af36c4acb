import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';

const finance = hasAnyRole('admin', 'finance');

/**
 * Finance field rules. Reading money needs the finance (or admin) role; which rows a caller sees
 * is decided by row-level security. Unlisted fields are denied.
 */
export const permissions = {
  Query: {
    balances: finance,
    ledgerEntries: finance,
    settlementRules: finance,
    statements: finance,
    statement: finance,
    commissionRules: finance,
    report: finance,
  },
  Mutation: {
    setSettlementRule: finance,
    generateStatements: finance,
    issueStatement: finance,
    confirmStatement: finance,
    disputeStatementLine: finance,
    resolveStatementLine: finance,
    recordPayment: finance,
    setCommissionRule: finance,
    setCreditLimit: finance,
    recordCustomerPayment: finance,
  },
  Product: { id: isCaller, cost: finance },
  Customer: { id: isCaller, credit: finance },
  ...Object.fromEntries(
    [
      'Money', 'Partner', 'Order', 'ProductCost', 'CreditFile', 'CustomerPayment', 'PartnerBalance', 'LedgerEntry',
      'SettlementRule', 'Statement', 'StatementLine', 'CommissionRule', 'GenerateStatementsPayload', 'Report', 'ReportRow',
      'ReportKey', 'ReceivablesAgeing', 'FinanceNotFound', 'InvalidFinanceInput', 'InvalidStatementTransition',
      'NotPermittedForStatementSide', 'PageInfo', 'PartnerBalanceConnection', 'PartnerBalanceEdge', 'LedgerEntryConnection',
      'LedgerEntryEdge', 'StatementConnection', 'StatementEdge', 'SettlementRuleConnection', 'SettlementRuleEdge',
      'CommissionRuleConnection', 'CommissionRuleEdge', 'CustomerPaymentConnection', 'CustomerPaymentEdge',
    ].map((type) => [type, allow]),
  ),
};
