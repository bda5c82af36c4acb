import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { projectPath, type SubgraphDefinition } from '@redthread/kit';
import { createOrdersLoaders, type OrdersLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export { startOrderWorkflows, handleChainEvents, ORDER_WORKFLOW_CONSUMER, ORDER_WORKFLOW_TOPICS } from './workflows';

/** The orders subgraph: channels, customers, sales / distribution / purchase orders, returns. */
export const ordersSubgraph: SubgraphDefinition<OrdersLoaders> = {
  name: 'orders',
  typeDefs: parse(readFileSync(projectPath('subgraphs', 'orders', 'schema.graphql'), 'utf8')),
  resolvers,
  permissions,
  createLoaders: createOrdersLoaders,
};
