import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { projectPath, type SubgraphDefinition } from '@redthread/kit';
import { createInventoryLoaders, type InventoryLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export { startInventoryWorkflows, handleAllocationEvents, ALLOCATION_CONSUMER, ALLOCATION_TOPICS } from './workflows';

/** The inventory subgraph: warehouses, stock, the ledger, allocation, inspection and shipping. */
export const inventorySubgraph: SubgraphDefinition<InventoryLoaders> = {
  name: 'inventory',
  typeDefs: parse(readFileSync(projectPath('subgraphs', 'inventory', 'schema.graphql'), 'utf8')),
  resolvers,
  permissions,
  createLoaders: createInventoryLoaders,
};
