import { defineConfig } from 'drizzle-kit';

/** drizzle-kit generates append-only SQL into migrations/ from the tables in schema/. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/index.ts',
  out: './migrations',
  schemaFilter: ['catalog', 'events', 'orders', 'inventory', 'finance'],
});
