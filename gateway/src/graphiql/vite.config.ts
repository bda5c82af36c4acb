import path from 'node:path';
import { defineConfig } from 'vite';

const sourceDir = path.resolve(import.meta.dirname, '..');

/**
 * Builds the gateway's browser pages in one Vite build into gateway/dist/graphiql:
 *
 * - GraphiQL (../graphiql/page), served at /graphiql;
 * - the warehouse screen (../warehouse/page), served at /warehouse.
 *
 * Both pages share one asset folder, served at /graphiql/assets/ (names carry a content hash, so
 * the gateway caches them forever); their HTML lands at `<page folder>/index.html` inside the
 * bundle and is served only by the gateway's page routes, with their content-security policies.
 * Run by `npm run build -w @redthread/gateway`; `npm start` and `npm test` run it when the bundle
 * is missing or out of date (see ./build.ts).
 */
export default defineConfig({
  root: sourceDir,
  // GRAPHIQL_BASE_PATH and GRAPHIQL_DIST_DIR in ./paths.ts (not imported: Vite loads this file on its own).
  base: '/graphiql/',
  publicDir: false,
  logLevel: 'warn',
  clearScreen: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: path.resolve(import.meta.dirname, '../../dist/graphiql'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Monaco (the editor inside GraphiQL) is a few MB on its own; that is expected here.
    chunkSizeWarningLimit: 8_000,
    reportCompressedSize: false,
    // The warehouse screen's icon stays a file (a data: URL in the page would be a non-gateway reference).
    assetsInlineLimit: (file) => (path.basename(file) === 'favicon.svg' ? false : undefined),
    rolldownOptions: {
      // GRAPHIQL_PAGE_FILE and WAREHOUSE_PAGE_FILE name where these land in the bundle.
      input: {
        graphiql: path.join(sourceDir, 'graphiql/page/index.html'),
        warehouse: path.join(sourceDir, 'warehouse/page/index.html'),
      },
      onwarn(warning, warn) {
        // React libraries mark client components with "use client"; meaningless in a plain SPA.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
