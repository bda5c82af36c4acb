import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** One subgraph as the gateway knows it: its name, SDL file and GraphQL URL. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
  sdlPath: URL | string;
}

/** The repository's subgraph SDL files, by name. */
export function subgraphSdlPath(name: string): URL {
  return new URL(`../../subgraphs/${name}/schema.graphql`, import.meta.url);
}

/**
 * Composes the supergraph from the subgraphs' SDL files with @apollo/composition, locally at
 * start: nothing is fetched from a registry or from the subgraphs. Composition errors are
 * reported together and stop the start.
 */
export function composeSupergraph(subgraphs: readonly SubgraphEndpoint[]): string {
  const result = composeServices(
    subgraphs.map((subgraph) => ({
      name: subgraph.name,
      url: subgraph.url,
      typeDefs: parse(readFileSync(subgraph.sdlPath, 'utf8')),
    })),
  );
  if (result.errors) {
    throw new Error(`Supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
