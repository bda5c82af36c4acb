import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';
import type { PermissionRules } from './generated/resolvers';

const finance = hasAnyRole('admin', 'finance');

/**
 * Finance field rules. Reading money needs the finance (or admin) role; which rows a caller sees
 * is decided by row-level security. Unlisted fields are denied.
 */
export const permissions: PermissionRules = {
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
  // Every other type: its fields are readable by whoever may read the field that led to it.
  Money: allow,
  Partner: allow,
  Order: allow,
  ProductCost: allow,
  CreditFile: allow,
  CustomerPayment: allow,
  PartnerBalance: allow,
  LedgerEntry: allow,
  SettlementRule: allow,
  Statement: allow,
  StatementLine: allow,
  CommissionRule: allow,
  GenerateStatementsPayload: allow,
  Report: allow,
  ReportRow: allow,
  ReportKey: allow,
  ReceivablesAgeing: allow,
  FinanceNotFound: allow,
  InvalidFinanceInput: allow,
  InvalidStatementTransition: allow,
  NotPermittedForStatementSide: allow,
  PageInfo: allow,
  PartnerBalanceConnection: allow,
  PartnerBalanceEdge: allow,
  LedgerEntryConnection: allow,
  LedgerEntryEdge: allow,
  StatementConnection: allow,
  StatementEdge: allow,
  SettlementRuleConnection: allow,
  SettlementRuleEdge: allow,
  CommissionRuleConnection: allow,
  CommissionRuleEdge: allow,
  CustomerPaymentConnection: allow,
  CustomerPaymentEdge: allow,
};
