import { defineConfig } from 'vitest/config';

/**
 * One vitest run for the whole repository. The global setup starts one PostgreSQL (embedded,
 * or DATABASE_URL) and builds migrated template databases; every test file clones its own.
 */
export default defineConfig({
  test: {
    include: ['subgraphs/*/test/**/*.test.ts', 'gateway/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
