import DataLoader from 'dataloader';
import { pagedLoader, rowsByKey, rowsGroupedByKey, type LoaderScope, type PageArgs } from '@redthread/kit';
import { linesOfStatements, paymentsOfStatements, productCostsByIds, visibleStatementIds } from './services/queries';
import { creditStatus, customerPaymentPages } from './services/rules';

/** The finance subgraph's DataLoaders: one statement per batch, per request. */
export function createFinanceLoaders(scope: LoaderScope) {
  const tx = () => scope.tx();
  return {
    productCost: new DataLoader(async (ids: readonly string[]) => rowsByKey(ids, await productCostsByIds(await tx(), ids), (r) => r.productId)),
    credit: new DataLoader(async (ids: readonly string[]) => rowsByKey(ids, await creditStatus(await tx(), ids), (r) => r.customer_id)),
    /** A page of a customer's payments, newest first. */
    customerPayments: pagedLoader(async (ids, page: PageArgs) => customerPaymentPages(await tx(), ids, page)),
    statementLines: new DataLoader(async (ids: readonly string[]) => rowsGroupedByKey(ids, await linesOfStatements(await tx(), ids), (r) => r.line.statementId)),
    /** Whether the caller may see a statement (a DRAFT is the creditor's alone). */
    statementVisible: new DataLoader(async (ids: readonly string[]) => {
      const visible = new Set(await visibleStatementIds(await tx(), scope.identity.partnerId, ids));
      return ids.map((id) => visible.has(id));
    }),
    statementPaid: new DataLoader(async (ids: readonly string[]) => {
      const rows = await paymentsOfStatements(await tx(), ids);
      return ids.map((id) => rows.find((r) => r.statementId === id)?.paid ?? 0n);
    }),
  };
}

export type FinanceLoaders = ReturnType<typeof createFinanceLoaders>;
