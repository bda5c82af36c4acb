/**
 * `npm run compose`: prints the supergraph SDL composed from the subgraphs' schema.graphql files,
 * exactly as the gateway composes it at start (URLs assume the default ports).
 */
import { SUBGRAPH_NAMES, composeSupergraph, subgraphSdlPath } from '@redthread/gateway';

try {
  const subgraphs = SUBGRAPH_NAMES.map((name, index) => ({
    name,
    url: `http://127.0.0.1:${4001 + index}/graphql`,
    sdlPath: subgraphSdlPath(name),
  }));
  process.stdout.write(composeSupergraph(subgraphs));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
