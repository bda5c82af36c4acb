import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

/**
 * One vitest run for the whole repository. The global setup starts one PostgreSQL (embedded,
 * or DATABASE_URL) and builds migrated template databases; every test file clones its own.
 */
export default defineConfig({
  resolve: {
    // Node (and so `npm start` under tsx) loads graphql-js's CommonJS build; make the tests load the
    // very same copy, or schemas built by CommonJS dependencies (Apollo federation) and code compiled
    // here would meet two graphql-js copies that refuse each other's objects.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
