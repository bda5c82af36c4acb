import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { projectPath, type SubgraphDefinition } from '@redthread/kit';
import { createCatalogLoaders, type CatalogLoaders } from './loaders';
import { permissions } from './permissions';
import { resolvers } from './resolvers';

/** Path of the catalog's SDL, the source of truth for its schema. */
export const CATALOG_SDL_PATH = projectPath('subgraphs', 'catalog', 'schema.graphql');

/** The catalog subgraph: partners and products (links, prices and relationships follow). */
export const catalogSubgraph: SubgraphDefinition<CatalogLoaders> = {
  name: 'catalog',
  typeDefs: parse(readFileSync(CATALOG_SDL_PATH, 'utf8')),
  resolvers,
  permissions,
  createLoaders: createCatalogLoaders,
};
