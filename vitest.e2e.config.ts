import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

/**
 * Browser tests (`npm run test:e2e`): the real platform on a test database, driven through
 * Debian's Chromium with playwright-core (which never downloads a browser). Kept apart from
 * `npm test`, which must not need Chromium. Same PostgreSQL global setup as the main suite.
 */
export default defineConfig({
  // The one graphql-js copy Node loads (see vitest.config.ts): schemas built by Apollo and our code must agree.
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
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
