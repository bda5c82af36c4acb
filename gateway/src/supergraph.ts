import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { projectPath } from '@redthread/kit';

/** One subgraph as the gateway knows it: its name, SDL file and GraphQL URL. */
export interface SubgraphEndpoint {
  name: string;
  url: string;
  /** Its SDL file; needed only when the gateway composes at start (no `supergraphSdl`). */
  sdlPath?: URL | string;
}

/** The supergraph composed at build time (`npm run build`), which production gateways load. */
export const SUPERGRAPH_PATH = projectPath('gateway', 'supergraph.graphql');

/** The repository's subgraph SDL files, by name. */
export function subgraphSdlPath(name: string): string {
  return projectPath('subgraphs', name, 'schema.graphql');
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
      typeDefs: parse(readFileSync(subgraph.sdlPath ?? subgraphSdlPath(subgraph.name), 'utf8')),
    })),
  );
  if (result.errors) {
    throw new Error(`Supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
