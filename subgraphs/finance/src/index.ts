import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { projectPath, type SubgraphDefinition } from '@redthread/kit';
import { createFinanceLoaders, type FinanceLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export { startFinanceWorkflows, handleBookkeepingEvents, BOOKKEEPING_CONSUMER, BOOKKEEPING_TOPICS } from './workflows';

/** The finance subgraph: costs, the partner ledger, statements, commission, credit, reports. */
export const financeSubgraph: SubgraphDefinition<FinanceLoaders> = {
  name: 'finance',
  typeDefs: parse(readFileSync(projectPath('subgraphs', 'finance', 'schema.graphql'), 'utf8')),
  resolvers,
  permissions,
  createLoaders: createFinanceLoaders,
};
