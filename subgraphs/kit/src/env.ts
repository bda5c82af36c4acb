import { z } from 'zod';

/**
 * Raised when the environment does not satisfy a service's schema. `problems` lists every
 * offending variable, so an operator can fix them all in one go instead of one per restart.
 */
export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Parses `source` (default `process.env`) once against `schema` and returns the typed result.
 * Every problem is collected before throwing. This is the only place in the project that reads
 * `process.env`; services receive the parsed object.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  throw new EnvError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

/** A TCP port from the environment: an integer 0–65535 (0 picks a free port). */
export const portSchema = z.coerce.number().int().min(0).max(65535);

/** The development secret used when none is configured. Refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'redthread-dev-jwt-secret-change-me-0123456789';
/** The development gateway→subgraph secret used when none is configured. */
export const DEV_INTERNAL_SECRET = 'redthread-dev-internal-secret-change-me-0123456789';
/** The development password of the application database role (redthread_app). */
export const DEV_APP_DB_PASSWORD = 'redthread-app-dev';

/**
 * The development passwords of the three login roles, one each: no role shares another's
 * password, so a leaked subgraph secret never opens the worker's or the gateway's connection.
 */
export const DEV_DB_PASSWORDS = {
  app: DEV_APP_DB_PASSWORD,
  worker: 'redthread-worker-dev',
  auth: 'redthread-auth-dev',
} as const satisfies DatabasePasswords;

/** The login passwords of redthread_app, redthread_worker and redthread_auth. */
export interface DatabasePasswords {
  app: string;
  worker: string;
  auth: string;
}

/** Secrets shared by the gateway and the subgraphs, with development defaults. */
export const sharedEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INTERNAL_JWT_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters')
    .default(DEV_INTERNAL_SECRET),
  /** An OTLP/HTTP collector for traces (e.g. http://127.0.0.1:4318); tracing is off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
});
