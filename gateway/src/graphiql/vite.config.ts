import path from 'node:path';
import { defineConfig } from 'vite';

/**
 * Builds the GraphiQL page (./page) into gateway/dist/graphiql, for the gateway to serve at
 * /graphiql/. Asset names carry a content hash, so the gateway can cache them forever.
 * Run by `npm run build -w @redthread/gateway`; `npm start` and `npm test` run it when the
 * bundle is missing or out of date (see ./ensure-bundle.ts).
 */
export default defineConfig({
  root: path.join(import.meta.dirname, 'page'),
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
    rolldownOptions: {
      onwarn(warning, warn) {
        // React libraries mark client components with "use client"; meaningless in a plain SPA.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});
