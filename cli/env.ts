/**
 * The environment of each role. Every role parses only its own variables (and fails at start,
 * listing every problem, when one is wrong); see the README's configuration table.
 */
import { z } from 'zod';
import { DEV_DB_PASSWORDS, DEV_INTERNAL_SECRET, parseEnv, portSchema, sharedEnvSchema, SUBGRAPH_MAX_BODY_BYTES } from '@redthread/kit';
import { gatewayEnvSchema, SUBGRAPH_NAMES, type SubgraphName } from '@redthread/gateway';

/** The roles one build runs as: `redthread <role>`. */
export const ROLES = ['gateway', 'subgraph', 'workers', 'migrate'] as const;
export type RoleName = (typeof ROLES)[number];

/** Default port of each long-running process (each role may be moved with PORT). */
export const DEFAULT_PORTS = {
  gateway: 4000,
  catalog: 4001,
  orders: 4002,
  inventory: 4003,
  finance: 4004,
  workers: 4010,
} as const satisfies Record<'gateway' | 'workers' | SubgraphName, number>;

const poolSize = (fallback: number) => z.coerce.number().int().min(1).max(200).default(fallback);

/** Seconds a draining process waits for in-flight requests and batches before it exits anyway. */
const shutdownGrace = z.coerce.number().int().min(1).max(300).default(20);

/** The database URL of a role: its own login role and password, never the owner's. */
const roleDatabaseUrl = z.url({ message: 'set DATABASE_URL to postgres://<role>:<password>@host:port/database' });

/** `redthread gateway`: the federated API, sign-in, GraphiQL and the warehouse screen. */
export const gatewayRoleEnvSchema = gatewayEnvSchema.and(
  z.object({
    /** As `redthread_auth`: sign-in, sessions, membership lookups and API keys. */
    DATABASE_URL: roleDatabaseUrl,
    /** Each subgraph's GraphQL URL (a load balancer in front of its replicas, or one replica). */
    CATALOG_URL: z.url().default(`http://127.0.0.1:${DEFAULT_PORTS.catalog}/graphql`),
    ORDERS_URL: z.url().default(`http://127.0.0.1:${DEFAULT_PORTS.orders}/graphql`),
    INVENTORY_URL: z.url().default(`http://127.0.0.1:${DEFAULT_PORTS.inventory}/graphql`),
    FINANCE_URL: z.url().default(`http://127.0.0.1:${DEFAULT_PORTS.finance}/graphql`),
    /** The supergraph composed at build time; default: the one in the build (gateway/supergraph.graphql). */
    SUPERGRAPH_PATH: z.string().optional(),
    DB_POOL_MAX: poolSize(8),
    SHUTDOWN_GRACE_SECONDS: shutdownGrace,
  }),
);
export type GatewayRoleEnv = z.infer<typeof gatewayRoleEnvSchema>;

/** `redthread subgraph <name>`: one subgraph, gateway-signed requests only. */
export const subgraphRoleEnvSchema = sharedEnvSchema.extend({
  /** Default: the subgraph's own port (catalog 4001, orders 4002, inventory 4003, finance 4004). */
  PORT: portSchema.optional(),
  HOST: z.string().default('127.0.0.1'),
  /** As `redthread_app`: row-level security applies to every statement. */
  DATABASE_URL: roleDatabaseUrl,
  DB_POOL_MAX: poolSize(20),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(SUBGRAPH_MAX_BODY_BYTES),
  SHUTDOWN_GRACE_SECONDS: shutdownGrace,
}).superRefine((env, ctx) => {
  if (env.NODE_ENV === 'production' && env.INTERNAL_JWT_SECRET === DEV_INTERNAL_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['INTERNAL_JWT_SECRET'], message: 'set a real secret in production (the same one on the gateway and the subgraphs)' });
  }
});
export type SubgraphRoleEnv = z.infer<typeof subgraphRoleEnvSchema>;

/** `redthread workers`: the event-log workflows (order chain, allocation, bookkeeping). */
export const workersRoleEnvSchema = sharedEnvSchema.omit({ INTERNAL_JWT_SECRET: true }).extend({
  /** Health and metrics only (`/healthz`, `/readyz`, `/metrics`). */
  PORT: portSchema.default(DEFAULT_PORTS.workers),
  HOST: z.string().default('127.0.0.1'),
  /** As `redthread_worker`: reads the whole event log, keeps consumer cursors and leases. */
  DATABASE_URL: roleDatabaseUrl,
  DB_POOL_MAX: poolSize(6),
  SHUTDOWN_GRACE_SECONDS: shutdownGrace,
});
export type WorkersRoleEnv = z.infer<typeof workersRoleEnvSchema>;

const rolePassword = (fallback: string) => z.string().min(8, 'must be at least 8 characters').default(fallback);

/** `redthread migrate`: applies pending migrations as the schema owner and sets the role passwords. */
export const migrateRoleEnvSchema = z
  .object({
    NODE_ENV: sharedEnvSchema.shape.NODE_ENV,
    LOG_LEVEL: sharedEnvSchema.shape.LOG_LEVEL,
    /** The owner of the database (or a superuser): migrations create schemas, tables and roles. */
    DATABASE_URL: z.url({ message: 'set DATABASE_URL to the owner of the Redthread database' }),
    APP_DB_PASSWORD: rolePassword(DEV_DB_PASSWORDS.app),
    WORKER_DB_PASSWORD: rolePassword(DEV_DB_PASSWORDS.worker),
    AUTH_DB_PASSWORD: rolePassword(DEV_DB_PASSWORDS.auth),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const [key, fallback] of [
      ['APP_DB_PASSWORD', DEV_DB_PASSWORDS.app],
      ['WORKER_DB_PASSWORD', DEV_DB_PASSWORDS.worker],
      ['AUTH_DB_PASSWORD', DEV_DB_PASSWORDS.auth],
    ] as const) {
      if (env[key] === fallback) ctx.addIssue({ code: 'custom', path: [key], message: 'set a real password in production' });
    }
    const passwords = new Set([env.APP_DB_PASSWORD, env.WORKER_DB_PASSWORD, env.AUTH_DB_PASSWORD]);
    if (passwords.size < 3) ctx.addIssue({ code: 'custom', path: ['APP_DB_PASSWORD'], message: 'each database role needs its own password' });
  });
export type MigrateRoleEnv = z.infer<typeof migrateRoleEnvSchema>;

/**
 * `redthread events …`: the admin command for parked events (list, retry, discard). Not a
 * long-running role: it runs, prints and exits.
 */
export const eventsCommandEnvSchema = z.object({
  NODE_ENV: sharedEnvSchema.shape.NODE_ENV,
  /** The consumers' own logs while a retry runs their handlers; quiet unless asked for. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('silent'),
  /**
   * As `redthread_worker`, the workers' login: a retry runs the consumer's handler, which must act
   * under row-level security as the workers do (the owner would see no row of a tenant table, a
   * superuser every row), and only the worker sees the parked events.
   */
  DATABASE_URL: z.url({ message: 'set DATABASE_URL to the workers’ login: postgres://redthread_worker:<password>@host:port/database' }),
});
export type EventsCommandEnv = z.infer<typeof eventsCommandEnvSchema>;

/** Every variable each role reads, by role (for the manifests' test and `--help`). */
export function roleEnvironmentKeys(): Record<RoleName, string[]> {
  const keys = (schema: z.ZodType): string[] => {
    const shape = (schema as unknown as { shape?: Record<string, unknown>; def?: { left?: z.ZodType; right?: z.ZodType; in?: z.ZodType; schema?: z.ZodType } });
    if (shape.shape) return Object.keys(shape.shape);
    const def = shape.def ?? {};
    return [...new Set([...(def.left ? keys(def.left) : []), ...(def.right ? keys(def.right) : []), ...(def.in ? keys(def.in) : []), ...(def.schema ? keys(def.schema) : [])])];
  };
  return {
    gateway: keys(gatewayRoleEnvSchema),
    subgraph: keys(subgraphRoleEnvSchema),
    workers: keys(workersRoleEnvSchema),
    migrate: keys(migrateRoleEnvSchema),
  };
}

export { parseEnv, SUBGRAPH_NAMES };
