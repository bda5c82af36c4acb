/**
 * `npm run build` (after the pages' build): the production build of the roles.
 *
 *   1. composes the supergraph from the subgraphs' schema.graphql files into
 *      gateway/supergraph.graphql, the artifact production gateways load (committed; a test fails
 *      when it is stale, so CI catches an SDL change without a rebuild);
 *   2. bundles the CLI (cli/redthread.ts) and every @redthread/* workspace it imports into
 *      dist/redthread.js, leaving third-party packages to node_modules: `node dist/redthread.js <role>`
 *      runs a role with plain Node, no TypeScript loader.
 *
 *   tsx scripts/build.ts --check   only checks that gateway/supergraph.graphql is current
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { SUBGRAPH_NAMES, SUPERGRAPH_PATH, composeSupergraph } from '@redthread/gateway';
import { projectPath } from '@redthread/kit';
import { DEFAULT_PORTS } from '../cli/env';

/** The supergraph as the build composes it (default subgraph URLs; each gateway sets its own). */
export function composeBuildSupergraph(): string {
  return composeSupergraph(SUBGRAPH_NAMES.map((name) => ({ name, url: `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql` })));
}

/**
 * Bundles our own workspaces; every other bare import stays an import of node_modules. A package
 * a workspace keeps in its own node_modules (another version than the root's, as the kit's
 * OpenTelemetry SDK) is imported by its path relative to the bundle, so the bundle loads exactly
 * the copy the sources load.
 */
function thirdPartyExternal(outdir: string): Plugin {
  return {
    name: 'third-party-external',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('@redthread/') || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        const resolved = await builder.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { inner: true } });
        const fromRoot = path.relative(projectPath(), resolved.path);
        const nested = !resolved.errors.length && !fromRoot.startsWith(`node_modules${path.sep}`) && fromRoot.includes(`${path.sep}node_modules${path.sep}`);
        return nested ? { path: `./${path.relative(outdir, resolved.path)}`, external: true } : { path: args.path, external: true };
      });
    },
  };
}

/**
 * Bundles one entry (TypeScript, with the @redthread/* workspaces it imports) into one ES module
 * for plain Node; returns its size in bytes (with the source map).
 */
export async function bundleEntry(entry: string, outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    plugins: [thirdPartyExternal(path.dirname(outfile))],
    // Resolve packages as Node does (no "module" condition), so a path-imported copy is the file Node would load.
    conditions: ['node'],
    mainFields: ['main'],
    logLevel: 'warning',
    metafile: true,
  });
  return Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
}

async function main(): Promise<void> {
  const supergraph = composeBuildSupergraph();
  const relative = path.relative(projectPath(), SUPERGRAPH_PATH);
  if (process.argv.includes('--check')) {
    const committed = await readFile(SUPERGRAPH_PATH, 'utf8').catch(() => '');
    if (committed !== supergraph) {
      process.stderr.write(`${relative} is stale: a subgraph's schema.graphql changed. Run \`npm run build\` and commit it.\n`);
      process.exit(1);
    }
    process.stdout.write(`${relative} is current.\n`);
    return;
  }
  await writeFile(SUPERGRAPH_PATH, supergraph);
  const started = Date.now();
  const bytes = await bundleEntry(projectPath('cli', 'redthread.ts'), projectPath('dist', 'redthread.js'));
  process.stdout.write(
    `Wrote ${relative} and dist/redthread.js (${(bytes / 1024).toFixed(0)} KiB with its source map) in ${Date.now() - started} ms.\n` +
      'Run a role with: node dist/redthread.js <gateway | subgraph <name> | workers | migrate>\n',
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  main().catch((error: unknown) => {
    process.stderr.write(`Build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
