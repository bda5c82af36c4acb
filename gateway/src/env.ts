import { z } from 'zod';
import { invalidProxyEntries } from './client-address';
import { DEV_INTERNAL_SECRET, DEV_JWT_SECRET, parseEnv, portSchema, sharedEnvSchema, SUBGRAPH_MAX_BODY_BYTES } from '@redthread/kit';

/** The subgraphs, in port order (gateway PORT + 1, + 2, ...). Later issues append to it. */
export const SUBGRAPH_NAMES = ['catalog', 'orders', 'inventory', 'finance'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The largest request body (and WebSocket message) the gateway takes by default: 1 MiB, room for
 * an `importOrders` of its 1,000 orders (a two-line order with an address is about 400 bytes of
 * JSON). Subgraphs take twice that from the gateway (`SUBGRAPH_MAX_BODY_BYTES` of the kit), so
 * that nothing the gateway accepts is refused on the hop.
 */
export const DEFAULT_MAX_BODY_BYTES = SUBGRAPH_MAX_BODY_BYTES / 2;

/** Every setting of the gateway; see the README's configuration table. */
export const gatewayEnvSchema = sharedEnvSchema
  .extend({
    PORT: portSchema.default(4000),
    HOST: z.string().default('127.0.0.1'),
    /** HS256 secret for client tokens (Redthread's own sign-in and dev tokens). */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
    /** Verify client tokens against this JWKS instead (RS256/ES256). */
    JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().optional(),
    MAX_DEPTH: positiveInt(12),
    MAX_ALIASES: positiveInt(30),
    MAX_ROOT_FIELDS: positiveInt(10),
    MAX_COST: positiveInt(20_000),
    MAX_DIRECTIVES: positiveInt(50),
    MAX_TOKENS: positiveInt(5_000),
    MAX_BODY_BYTES: positiveInt(DEFAULT_MAX_BODY_BYTES),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt(20),
    /** Seconds a resolved membership is reused; role changes and removals invalidate it at once. 0 = no cache. */
    ACCESS_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
    /** Lifetime of the access tokens Redthread's sign-in mints; refresh tokens renew them. */
    ACCESS_TOKEN_SECONDS: z.coerce.number().int().min(5).max(86_400).default(900),
    /**
     * The proxies (load balancers) in front of the gateway whose `X-Forwarded-For` is believed:
     * comma-separated addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`. Empty: none.
     */
    TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean)),
  })
  .superRefine((env, ctx) => {
    const invalid = invalidProxyEntries(env.TRUSTED_PROXIES);
    if (invalid.length) {
      ctx.addIssue({ code: 'custom', path: ['TRUSTED_PROXIES'], message: `not an address, a CIDR range or loopback/linklocal/uniquelocal: ${invalid.join('; ')}` });
    }
    if (env.JWKS_URL && (!env.JWT_ISSUER || !env.JWT_AUDIENCE)) {
      // Only the subject of a provider's token counts: without issuer and audience, a token the
      // provider issued to any other application would be accepted.
      ctx.addIssue({ code: 'custom', path: ['JWKS_URL'], message: 'with JWKS_URL, set JWT_ISSUER and JWT_AUDIENCE too (your identity provider and this API)' });
    }
    if (env.NODE_ENV === 'production' && !env.JWKS_URL && env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'set a real secret (or JWKS_URL) in production' });
    }
    if (env.NODE_ENV === 'production' && env.INTERNAL_JWT_SECRET === DEV_INTERNAL_SECRET) {
      // The development secret is published: anyone could sign identities the subgraphs accept.
      ctx.addIssue({ code: 'custom', path: ['INTERNAL_JWT_SECRET'], message: 'set a real secret in production (the same one on the gateway and the subgraphs)' });
    }
  });

export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

/** Parses the gateway's environment once; throws an EnvError listing every problem. */
export function loadGatewayEnv(source: NodeJS.ProcessEnv = process.env): GatewayEnv {
  return parseEnv(gatewayEnvSchema, source);
}
