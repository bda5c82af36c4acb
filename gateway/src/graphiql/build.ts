/**
 * Builds the gateway's pages (GraphiQL and the warehouse screen, one Vite build, ./vite.config.ts)
 * into gateway/dist/graphiql.
 *
 *   tsx src/graphiql/build.ts             always build (`npm run build -w @redthread/gateway`)
 *   tsx src/graphiql/build.ts --if-stale  build only when the bundle is missing or was built
 *                                         from other sources or package versions (run before
 *                                         `npm start`, `npm test` and `npm run test:e2e`)
 *
 * The bundle is written to a temporary folder and moved into place, so a gateway never serves
 * a half-written page. A stamp next to it (dist/graphiql.stamp.json) records what it was built
 * from.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { configureLogging, createLogger, parseEnv, sharedEnvSchema } from '@redthread/kit';
import { GRAPHIQL_DIST_DIR, GRAPHIQL_PAGE_FILE, PAGE_SOURCE_DIRS, WAREHOUSE_PAGE_FILE } from './paths';

const viteConfig = path.join(import.meta.dirname, 'vite.config.ts');
const stampFile = `${GRAPHIQL_DIST_DIR}.stamp.json`;
/** Packages whose versions end up in the bundle (or shape it): a change means a rebuild. */
const BUNDLED_PACKAGES = ['graphiql', '@graphiql/react', '@graphiql/toolkit', 'react', 'react-dom', 'graphql', 'graphql-ws', 'monaco-editor', 'vite'];

/** A hash of everything the bundle is built from: page sources, Vite config, package versions. */
async function sourceFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const dir of PAGE_SOURCE_DIRS) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
    }
  }
  files.sort();
  for (const file of [viteConfig, ...files]) {
    hash.update(path.relative(import.meta.dirname, file)).update('\0').update(await readFile(file)).update('\0');
  }
  const require = createRequire(path.join(PAGE_SOURCE_DIRS[0], 'main.tsx'));
  for (const name of BUNDLED_PACKAGES) {
    const manifest = JSON.parse(await readFile(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
    hash.update(`${name}@${manifest.version}\0`);
  }
  return hash.digest('hex');
}

async function readStamp(): Promise<string | undefined> {
  try {
    const stamp = JSON.parse(await readFile(stampFile, 'utf8')) as { fingerprint?: unknown };
    for (const page of [GRAPHIQL_PAGE_FILE, WAREHOUSE_PAGE_FILE]) await readFile(path.join(GRAPHIQL_DIST_DIR, page));
    return typeof stamp.fingerprint === 'string' ? stamp.fingerprint : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the bundle into a temporary folder next to the final one, then swaps it in and writes
 * the stamp. Returns the output folder.
 */
export async function buildGraphiQL(fingerprint?: string): Promise<string> {
  const started = Date.now();
  const log = createLogger('graphiql-build');
  const print = fingerprint ?? (await sourceFingerprint());
  const temporary = `${GRAPHIQL_DIST_DIR}.tmp-${process.pid}`;
  try {
    // Imported here: checking the stamp (every `npm start` and `npm test`) should not load Vite.
    const { build } = await import('vite');
    await build({ configFile: viteConfig, build: { outDir: temporary, emptyOutDir: true } });
    await rm(GRAPHIQL_DIST_DIR, { recursive: true, force: true });
    await rename(temporary, GRAPHIQL_DIST_DIR);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  await writeFile(stampFile, JSON.stringify({ fingerprint: print, builtAt: new Date().toISOString() }, null, 2) + '\n');
  log.info({ outDir: GRAPHIQL_DIST_DIR, ms: Date.now() - started }, 'GraphiQL and warehouse bundle built');
  return GRAPHIQL_DIST_DIR;
}

/** Builds the bundle unless the one in place was built from exactly the current sources. */
export async function ensureGraphiQLBundle(): Promise<'fresh' | 'built'> {
  const fingerprint = await sourceFingerprint();
  if ((await readStamp()) === fingerprint) return 'fresh';
  createLogger('graphiql-build').info('GraphiQL bundle missing or out of date: building it');
  await buildGraphiQL(fingerprint);
  return 'built';
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  // Only LOG_LEVEL: a build must not need the runtime secrets.
  configureLogging(parseEnv(sharedEnvSchema.pick({ LOG_LEVEL: true })).LOG_LEVEL);
  const log = createLogger('graphiql-build');
  const run = process.argv.includes('--if-stale') ? ensureGraphiQLBundle() : buildGraphiQL();
  run.catch((error: unknown) => {
    log.fatal({ err: error }, 'building the GraphiQL bundle failed');
    process.exitCode = 1;
  });
}
