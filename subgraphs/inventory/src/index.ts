import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import type { SubgraphDefinition } from '@redthread/kit';
import { createInventoryLoaders, type InventoryLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

export { startInventoryWorkflows, handleAllocationEvents, ALLOCATION_CONSUMER, ALLOCATION_TOPICS } from './workflows';

/** The inventory subgraph: warehouses, stock, the ledger, allocation, inspection and shipping. */
export const inventorySubgraph: SubgraphDefinition<InventoryLoaders> = {
  name: 'inventory',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers: resolvers as never,
  permissions,
  createLoaders: createInventoryLoaders,
};
