import { DEV_INTERNAL_SECRET, DEV_JWT_SECRET, type Role } from '@redthread/kit';
import type { OperationLimits } from '@redthread/gateway/limits';
import type { ClientTokenConfig } from '@redthread/gateway/auth';
import { DEFAULT_LIMITS, DEFAULT_MAX_BODY_BYTES, startPlatform, type RunningPlatform } from '../scripts/lib/platform';
import { mintDevToken } from '../scripts/lib/tokens';
import { demoPartnerId } from '../scripts/demo/world';
import type { TestDatabase } from './database';

/** A GraphQL response as a test sees it. */
export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The platform under test, with helpers to call it like a client would. */
export interface TestPlatform {
  platform: RunningPlatform;
  gatewayUrl: string;
  /** POSTs an operation to the gateway with `token` (or none). */
  query<Data = Record<string, unknown>>(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<Data>>;
  /** A client token for a demo partner. */
  tokenFor(code: string, roles?: Role[]): Promise<string>;
  /** POSTs JSON to a sign-in endpoint (`/auth/sign-in`, ...) and returns the status and parsed body. */
  auth<Body = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Body; headers: Headers }>;
  close(): Promise<void>;
}

/** Options for {@link startTestPlatform}. */
export interface TestPlatformOptions {
  limits?: Partial<OperationLimits>;
  maxSubscriptionsPerConnection?: number;
  onQuery?: (query: string) => void;
  /** Overrides of the client-token settings (a JWKS URL, dev tokens off). */
  clientTokens?: Partial<ClientTokenConfig>;
  accessCacheSeconds?: number;
  accessTokenSeconds?: number;
  /** Proxies whose `X-Forwarded-For` the gateway believes (default none). */
  trustedProxies?: readonly string[];
  /** Default true; false is production's setting (no introspection, no schema hints in errors). */
  introspection?: boolean;
  /** Largest request body. Default 100,000 bytes, the gateway's default. */
  maxBodyBytes?: number;
}

/**
 * Starts the real gateway and subgraphs on free ports against a test database, with the
 * development secrets. Close it in `afterAll`.
 */
export async function startTestPlatform(db: TestDatabase, options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const platform = await startPlatform({
    appDatabaseUrl: db.appUrl,
    workerDatabaseUrl: db.workerUrl,
    authDatabaseUrl: db.authUrl,
    port: 0,
    clientTokens: { jwtSecret: DEV_JWT_SECRET, ...options.clientTokens },
    ...(options.accessCacheSeconds === undefined ? {} : { accessCacheSeconds: options.accessCacheSeconds }),
    ...(options.accessTokenSeconds === undefined ? {} : { accessTokenSeconds: options.accessTokenSeconds }),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    internalSecret: DEV_INTERNAL_SECRET,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    introspection: options.introspection ?? true,
    ...(options.maxSubscriptionsPerConnection ? { maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection } : {}),
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
  const gatewayUrl = platform.gateway.graphqlUrl;
  return {
    platform,
    gatewayUrl,
    query: (token, query, variables) => postGraphQL(gatewayUrl, token ? `Bearer ${token}` : undefined, query, variables),
    tokenFor: (code, roles) => mintDevToken({ partnerId: demoPartnerId(code), partnerCode: code, ...(roles ? { roles } : {}) }, DEV_JWT_SECRET),
    auth: async (path, body, headers = {}) => {
      const response = await fetch(`${platform.gateway.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
    },
    close: () => platform.stop(),
  };
}

/** POSTs a GraphQL operation with an optional raw Authorization header. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  authorization: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<Data>, 'status'>;
  return { status: response.status, ...body };
}
