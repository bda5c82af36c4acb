import { defineConfig } from 'vitest/config';

/**
 * Browser tests (`npm run test:e2e`): the real platform on a test database, driven through
 * Debian's Chromium with playwright-core (which never downloads a browser). Kept apart from
 * `npm test`, which must not need Chromium. Same PostgreSQL global setup as the main suite.
 */
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
