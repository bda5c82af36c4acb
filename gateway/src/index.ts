import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  ErrorCode,
  requestError,
  createLogger,
  createServer,
  graphqlRequestHandler,
  listen,
  maskUnexpectedError,
  publicErrorCode,
  countHttpResponse,
  metricsPlugin,
  routeLabel,
  serveMetrics,
  subgraphFetchDuration,
  SpanKind,
  inSpan,
  injectTraceContext,
  secretKey,
  sendJson,
  InternalIdentitySigner,
  type Identity,
  type Logger,
  type RunningHttpServer,
} from '@redthread/kit';
import { clientTokenVerifier, type ClientTokenConfig, type ClientTokenVerifier } from './auth';
import { AccessCache, type AccessDirectory } from './access';
import { AUTH_BASE_PATH, authRoutes } from './auth-routes';
import { OperationGuard, httpOperationCheck, type OperationLimits } from './limits';
import { composeSupergraph, type SubgraphEndpoint } from './supergraph';
import { subgraphFetcher } from './subgraph-client';
import { clientAddress } from './client-address';
import { SingleFetchRoutes } from './single-fetch';
import { FederatedSubscriptions } from './subscriptions/federated';
import { serveGatewaySubscriptions, type GatewaySubscriptions } from './subscriptions/server';
import { graphiqlRoutes, pageBundle, usesDevelopmentSecret, type GraphiQLOptions } from './graphiql';
import { WAREHOUSE_BASE_PATH, warehouseRoutes } from './warehouse';

export { composeSupergraph, subgraphSdlPath, type SubgraphEndpoint } from './supergraph';
export { loadGatewayEnv, gatewayEnvSchema, DEFAULT_MAX_BODY_BYTES, SUBGRAPH_NAMES, type GatewayEnv, type SubgraphName } from './env';
export { SUPERGRAPH_PATH } from './supergraph';
export type { DevToken, GraphiQLOptions } from './graphiql';
export type { AccessDirectory } from './access';

/** What the gateway keeps per request. Never contains anything a client sent except the verified identity. */
export interface GatewayContext {
  identity: Identity;
  requestId: string;
  /** Signed identity tokens per subgraph audience, minted once per request. */
  internalTokens: Map<string, Promise<string>>;
}

/** Everything the gateway needs to run. */
export interface GatewayOptions {
  port: number;
  host?: string;
  /** Where each subgraph answers (a load balancer in front of its replicas, or one replica). */
  subgraphs: readonly SubgraphEndpoint[];
  /**
   * The supergraph composed at build time (`gateway/supergraph.graphql`). Without it the gateway
   * composes one from each subgraph's `sdlPath` at start (development and tests).
   */
  supergraphSdl?: string;
  clientTokens: ClientTokenConfig;
  internalSecret: string;
  limits: OperationLimits;
  maxBodyBytes: number;
  /** Off in production. */
  introspection: boolean;
  /** Most concurrent subscriptions one WebSocket connection may hold. Default 20. */
  maxSubscriptionsPerConnection?: number;
  /** Resolves `Authorization: ApiKey <secret>` to the key's partner identity; undefined when unknown or revoked. */
  authenticateApiKey?: (secret: string) => Promise<Identity | undefined>;
  /**
   * Users, memberships and sessions: enables sign-in at `/auth/*`, and resolves signed-in users'
   * partners and roles per request. Without it only development tokens and API keys work.
   */
  access?: AccessDirectory;
  /** How long a resolved membership is reused (seconds; changes invalidate it at once). Default 30. */
  accessCacheSeconds?: number;
  /** Lifetime of the access tokens `/auth/*` mints (seconds). Default 900. */
  accessTokenSeconds?: number;
  /**
   * The proxies in front of this gateway whose `X-Forwarded-For` names the client (addresses, CIDR
   * ranges, `loopback`, `linklocal`, `uniquelocal`). Default none: the TCP peer is the client.
   */
  trustedProxies?: readonly string[];
  /**
   * Whether this gateway's own database (sign-in, memberships, API keys) answers, for `/readyz`.
   * Without it readiness is not draining alone.
   */
  databaseReady?: () => Promise<boolean>;
  /** The bundled GraphiQL page at `/graphiql`; always served, options only add to it. */
  graphiql?: GraphiQLOptions;
  logger?: Logger;
}

/** A running gateway. */
export interface RunningGateway extends Omit<RunningHttpServer, 'drain'> {
  readonly graphqlUrl: string;
  /** The GraphiQL page. */
  readonly graphiqlUrl: string;
  /**
   * Stops gracefully (SIGTERM): `/readyz` answers 503, no new connection is accepted, every
   * subscription is closed with 1001 (clients resume with `after` elsewhere), and the requests in
   * flight finish within `graceMs`.
   */
  drain(graceMs: number): Promise<void>;
}

/**
 * Forwards a planned fetch to a subgraph with the gateway's signed identity for that subgraph
 * as the only credential, plus the request id. No client header is ever copied.
 */
class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly subgraphName: string,
    secret: Uint8Array,
    private readonly onAccessChanged: (userId: string) => void,
  ) {
    super(config);
    this.#signer = new InternalIdentitySigner(subgraphName, secret);
  }

  /**
   * A committed mutation that changed someone's access (`extensions.accessChanged`): forget their
   * cached access before the client gets the answer, so its next request sees the change.
   */
  override async didReceiveResponse({ response }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    const changed = response.extensions?.['accessChanged'];
    if (Array.isArray(changed)) for (const userId of changed) if (typeof userId === 'string') this.onAccessChanged(userId);
    return response;
  }

  /**
   * A subgraph that refused a fetch as a whole (a non-2xx answer) says why in its body, with a
   * code from the closed list: pass that on instead of Apollo's generic "400: Bad Request", which
   * would reach the client as an internal error.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource<GatewayContext>['errorFromResponse']>[0]) {
    const fallback = await super.errorFromResponse(response);
    const body = (fallback.extensions['response'] as { body?: unknown } | undefined)?.body;
    const first = typeof body === 'object' && body !== null ? (body as { errors?: { message?: unknown; extensions?: Record<string, unknown> }[] }).errors?.[0] : undefined;
    const code = publicErrorCode(first?.extensions?.['code']);
    if (!first || !code || code === ErrorCode.INTERNAL_SERVER_ERROR || typeof first.message !== 'string') return fallback;
    const { http: _http, ...extensions } = first.extensions ?? {};
    return new GraphQLError(first.message, { extensions: { ...extensions, code } });
  }

  /** Times each fetch of a query plan to this subgraph (`redthread_gateway_subgraph_fetch_duration_seconds`), in a span of its own. */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const done = subgraphFetchDuration.startTimer({ subgraph: this.subgraphName });
    return inSpan(`fetch ${this.subgraphName}`, { kind: SpanKind.CLIENT, attributes: { 'redthread.subgraph': this.subgraphName } }, async () => {
      try {
        const response = await super.process(options);
        done({ outcome: response.errors?.length ? 'error' : 'ok' });
        return response;
      } catch (error) {
        done({ outcome: 'error' });
        // The subgraph could not be reached (refused, reset, a balancer's 502/503/504): say so with
        // a code that tells the client a retry is safe, instead of an internal error.
        if (isTransportFailure(error)) {
          throw new GraphQLError(`The ${this.subgraphName} service is unavailable right now; retry in a moment.`, {
            extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
          });
        }
        throw error;
      }
    });
  }

  /** Signed identities for this subgraph: one signature per caller and 30 s, not per request. */
  readonly #signer: InternalIdentitySigner;

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers || !context?.identity) return;
    let token = context.internalTokens.get(this.subgraphName);
    if (!token) {
      token = this.#signer.sign(context.identity);
      context.internalTokens.set(this.subgraphName, token);
    }
    headers.set('authorization', `Bearer ${await token}`);
    headers.set('x-request-id', context.requestId);
    injectTraceContext(headers);
  }
}

/**
 * Starts the gateway: composes the supergraph from the subgraphs' SDL, verifies client JWTs,
 * enforces operation limits, and serves `/graphql`, `/healthz` (alive), `/readyz` (503 while
 * draining or when its own database does not answer; each subgraph's state is reported, and one
 * that does not answer makes it `degraded`, still 200), GraphiQL at `/graphiql` (see ./graphiql) and the warehouse
 * screen at `/warehouse` (see ./warehouse).
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const log = options.logger ?? createLogger('gateway');
  const internalSecret = secretKey(options.internalSecret);
  const accessCache = new AccessCache((options.accessCacheSeconds ?? 30) * 1000);
  let subscriptions: GatewaySubscriptions | undefined;
  /**
   * Someone's access changed — a user (by id or `user:<id>`), an API key (`apikey:<id>`), or
   * everyone's (`null`): forget what is cached about them and recheck their live connections.
   */
  const accessChanged = (changed: string | null) => {
    if (changed === null) return accessCache.forget(null);
    const subject = changed.includes(':') ? changed : `user:${changed}`;
    if (subject.startsWith('user:')) accessCache.forget(subject.slice('user:'.length));
    subscriptions?.revalidate(subject).catch((error: unknown) => log.error({ err: error }, 'rechecking subscriptions failed'));
  };
  const stopAccessListener = await options.access?.listen(accessChanged);
  const verifyBearerToken = clientTokenVerifier(
    options.clientTokens,
    options.access ? { directory: options.access, cache: accessCache } : undefined,
  );
  /** A client's credentials: a JWT (`Bearer …`) or an integration's API key (`ApiKey …`). */
  const verifyClientToken: ClientTokenVerifier = async (authorization, partner) => {
    const apiKey = /^ApiKey\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!apiKey) return verifyBearerToken(authorization, partner);
    const identity = await options.authenticateApiKey?.(apiKey);
    if (!identity) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'This API key is not valid or has been revoked. Ask an admin of your partner account for a new one.', {
        reason: 'invalid',
      });
    }
    return identity;
  };

  // @apollo/gateway otherwise starts an OpenTelemetry exporter that probes cloud metadata servers
  // and sends usage metrics to Apollo: nothing may leave the machine, so it is always off here.
  process.env['APOLLO_TELEMETRY_DISABLED'] = 'true';
  const supergraphSdl = options.supergraphSdl ?? composeSupergraph(options.subgraphs);
  const fetcher = subgraphFetcher();
  const dataSources = Object.fromEntries(
    options.subgraphs.map(({ name, url }) => [name, new SignedIdentityDataSource({ url, fetcher }, name, internalSecret, accessChanged)]),
  );
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => dataSources[name]!,
    logger: {
      debug: (message) => log.debug(message),
      info: (message) => log.info(message),
      warn: (message) => log.warn(message),
      error: (message) => log.error(message),
    },
  });
  const federated = new FederatedSubscriptions({
    supergraphSdl,
    subgraphUrls: Object.fromEntries(options.subgraphs.map(({ name, url }) => [name, url])),
    dataSources,
    internalSecret: options.internalSecret,
    logger: log,
  });
  const guard = new OperationGuard(options.limits);
  const formatError = (formatted: GraphQLFormattedError, error: unknown) => maskUnexpectedError(formatted, error, log, { hideSchemaHints: !options.introspection });
  // Queries one subgraph answers exactly as asked skip Apollo's plan execution (see ./single-fetch).
  const routes = new SingleFetchRoutes((document, operationName) => federated.planOperation(document, operationName), dataSources);
  const server = new ApolloServer<GatewayContext>({
    gateway: routes.serve(gateway),
    introspection: options.introspection,
    allowBatchedHttpRequests: false,
    // The process owns its signals (a graceful drain, see cli/lifecycle.ts); Apollo's own handler
    // would stop the server mid-drain and re-raise the signal.
    stopOnTerminationSignals: false,
    persistedQueries: false,
    // The guard has parsed with the same limit already; this holds should a document ever skip it.
    parseOptions: { maxTokens: options.limits.maxTokens },
    // GET is for queries only (Apollo refuses mutations over GET). A browser cannot send any of these
    // headers cross-site without a CORS preflight, so their presence proves the request is not forged.
    csrfPrevention: { requestHeaders: ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'] },
    includeStacktraceInErrorResponses: false,
    // Compact JSON: Apollo's default indents every response, which costs CPU and bytes.
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [metricsPlugin('gateway'), ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled()],
    formatError,
  });
  await server.start();

  const handleGraphQL = graphqlRequestHandler(server, {
    maxBodyBytes: options.maxBodyBytes,
    logger: log,
    service: 'gateway',
    precheck: httpOperationCheck(guard, federated.apiSchema),
    formatError,
    context: async (req: IncomingMessage) => ({
      identity: await verifyClientToken(req.headers.authorization, headerValue(req.headers['x-redthread-partner'])),
      requestId: randomUUID(),
      internalTokens: new Map(),
    }),
  });

  const pages = pageBundle(options.graphiql?.bundleDir);
  const serveGraphiQL = graphiqlRoutes({
    ...options.graphiql,
    files: pages,
    offerDevTokens: usesDevelopmentSecret(options.clientTokens),
    logger: log.child({ route: 'graphiql' }),
  });
  const serveWarehouse = warehouseRoutes({ files: pages, logger: log.child({ route: 'warehouse' }) });
  const serveAuth = options.access
    ? authRoutes({ directory: options.access, clientTokens: options.clientTokens, onAccessChanged: accessChanged,
        ...(options.accessTokenSeconds ? { accessTokenSeconds: options.accessTokenSeconds } : {}),
        clientAddress: clientAddress(options.trustedProxies ?? []),
        logger: log.child({ route: 'auth' }),
      })
    : undefined;

  let draining = false;
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    countHttpResponse(res, 'gateway', routeLabel(path));
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok', service: 'gateway', pid: process.pid });
      return;
    }
    if (path === '/metrics') {
      void serveMetrics(req, res);
      return;
    }
    if (path === '/readyz') {
      if (draining) {
        sendJson(res, 503, { status: 'draining' });
        return;
      }
      // Ready means this gateway takes requests: a subgraph that does not answer is reported, not
      // fatal. Were it fatal, one subgraph down would take every gateway out of its balancer,
      // and with them every query that never touches that subgraph (each subgraph has its own
      // readiness, which its own balancer routes on).
      void Promise.all([options.databaseReady?.().catch(() => false) ?? true, subgraphHealth(options.subgraphs)]).then(([database, subgraphs]) => {
        if (!database) {
          sendJson(res, 503, { status: 'unavailable', reason: 'database', subgraphs });
          return;
        }
        const down = subgraphs.filter((s) => !s.ok).map((s) => s.name);
        sendJson(res, 200, { status: down.length ? 'degraded' : 'ready', ...(down.length ? { unavailable: down } : {}), subgraphs });
      });
      return;
    }
    if (serveAuth && path?.startsWith(`${AUTH_BASE_PATH}/`)) {
      serveAuth(req, res, path).catch((error: unknown) => {
        log.error({ err: error, path }, 'auth request failed');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Internal error; try again.' } });
        else res.end();
      });
      return;
    }
    if (path === WAREHOUSE_BASE_PATH || path?.startsWith(`${WAREHOUSE_BASE_PATH}/`)) {
      serveWarehouse(req, res)
        .then((served) => {
          if (!served) sendJson(res, 404, { error: 'Not found. The warehouse screen is at /warehouse.' });
        })
        .catch((error: unknown) => {
          log.error({ err: error, path }, 'warehouse screen request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
          else res.end();
        });
      return;
    }
    if (path !== '/graphql') {
      serveGraphiQL(req, res)
        .then((served) => {
          if (!served) sendJson(res, 404, { error: 'Not found. The GraphQL endpoint is /graphql; GraphiQL is at /graphiql.' });
        })
        .catch((error: unknown) => {
          log.error({ err: error, path }, 'GraphiQL request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
          else res.end();
        });
      return;
    }
    handleGraphQL(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'request failed outside GraphQL execution');
      if (!res.headersSent) {
        sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      } else res.end();
    });
  });
  subscriptions = serveGatewaySubscriptions(http, {
    federated,
    verifyClientToken,
    limits: options.limits,
    guard,
    maxMessageBytes: options.maxBodyBytes,
    hideSchemaHints: !options.introspection,
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 20,
    logger: log,
  });
  const running = await listen(http, options.port, options.host);
  log.info({ url: `${running.url}/graphql`, graphiql: `${running.url}/graphiql`, warehouse: `${running.url}${WAREHOUSE_BASE_PATH}` }, 'gateway listening');
  return {
    ...running,
    graphqlUrl: `${running.url}/graphql`,
    graphiqlUrl: `${running.url}/graphiql`,
    close: async () => {
      await subscriptions.close();
      await stopAccessListener?.();
      await running.close();
      await server.stop();
      await fetcher.close();
    },
    drain: async (graceMs) => {
      draining = true;
      const stopped = running.drain(graceMs);
      await subscriptions.close();
      const cut = await stopped;
      if (cut) log.warn({ cut, graceMs }, 'requests still running at the end of the grace period were cut');
      await stopAccessListener?.();
      await server.stop();
      await fetcher.close();
    },
  };
}

/** A fetch that never got a GraphQL answer: no connection, a cut one, or a balancer's 502/503/504. */
function isTransportFailure(error: unknown): boolean {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|UND_ERR_\w+)$/.test(code)) return true;
    if (message === 'fetch failed' || (typeof message === 'string' && /^50[234]: /.test(message))) return true;
  }
  return false;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

/** Asks every subgraph's `/readyz` (which checks its database), 2 s each, in parallel. */
async function subgraphHealth(subgraphs: readonly SubgraphEndpoint[]) {
  return Promise.all(
    subgraphs.map(async ({ name, url }) => {
      try {
        const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2000) });
        return { name, ok: response.ok };
      } catch {
        return { name, ok: false };
      }
    }),
  );
}
