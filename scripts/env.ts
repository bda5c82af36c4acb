import { z } from 'zod';
import { DEV_DB_PASSWORDS, parseEnv, portSchema } from '@redthread/kit';

/** Settings of the tooling (start, migrate, seed, token, bench). The gateway's own are in gateway/src/env.ts. */
export const toolingEnvSchema = z.object({
  /** An existing PostgreSQL 15+ (owner or superuser credentials). Unset: the embedded one. */
  DATABASE_URL: z.url().optional(),
  /** Where the embedded PostgreSQL keeps its cluster. */
  DATA_DIR: z.string().default('.data'),
  /** Port of the embedded PostgreSQL; 0 picks a free one. */
  PG_PORT: portSchema.default(0),
  /** Passwords given to the redthread_app, redthread_worker and redthread_auth login roles (one each). */
  APP_DB_PASSWORD: z.string().min(8).default(DEV_DB_PASSWORDS.app),
  WORKER_DB_PASSWORD: z.string().min(8).default(DEV_DB_PASSWORDS.worker),
  AUTH_DB_PASSWORD: z.string().min(8).default(DEV_DB_PASSWORDS.auth),
  /** Seed the demo world into an empty database (default true). */
  SEED_DEMO: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  CATALOG_PORT: portSchema.optional(),
  ORDERS_PORT: portSchema.optional(),
  INVENTORY_PORT: portSchema.optional(),
  FINANCE_PORT: portSchema.optional(),
  /** Health and metrics port of the workers under `npm start`; default the gateway's PORT + 10. */
  WORKERS_PORT: portSchema.optional(),
});

export type ToolingEnv = z.infer<typeof toolingEnvSchema>;

/** Parses the tooling environment once. */
export function loadToolingEnv(source: NodeJS.ProcessEnv = process.env): ToolingEnv {
  return parseEnv(toolingEnvSchema, source);
}
