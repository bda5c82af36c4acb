import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';
import { ErrorCode, publicErrorCode } from './errors';

/**
 * The process's Prometheus registry: every Redthread process (gateway, subgraphs, workers; or all
 * of them in one process, as `npm start` and the tests wire them) serves it at `/metrics`. Series
 * carry a `service` label, so one registry holds each role's apart.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'redthread_' });

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HTTP requests by service, route and status (every request the servers answer). */
export const httpRequests = new Counter({
  name: 'redthread_http_requests_total',
  help: 'HTTP requests answered, by service, route (graphql, auth, healthz, …) and status code.',
  labelNames: ['service', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

/** GraphQL operations by service, operation name and outcome code. */
export const graphqlRequests = new Counter({
  name: 'redthread_graphql_requests_total',
  help: 'GraphQL operations answered, by service, operation name and code (OK, or the first error code from the closed list).',
  labelNames: ['service', 'operation', 'code'] as const,
  registers: [metricsRegistry],
});

/** GraphQL errors by service and code (each error of a response counts). */
export const graphqlErrors = new Counter({
  name: 'redthread_graphql_errors_total',
  help: 'GraphQL errors sent, by service and code from the closed list.',
  labelNames: ['service', 'code'] as const,
  registers: [metricsRegistry],
});

/** GraphQL operation latency by service and operation name. */
export const graphqlDuration = new Histogram({
  name: 'redthread_graphql_request_duration_seconds',
  help: 'Time from receiving a GraphQL operation to its answer, by service and operation name.',
  labelNames: ['service', 'operation'] as const,
  buckets: SECONDS,
  registers: [metricsRegistry],
});

/** Subgraph fetches the gateway makes, by subgraph. */
export const subgraphFetchDuration = new Histogram({
  name: 'redthread_gateway_subgraph_fetch_duration_seconds',
  help: 'Time the gateway waits for one subgraph fetch of a query plan, by subgraph and outcome (ok, error).',
  labelNames: ['subgraph', 'outcome'] as const,
  buckets: SECONDS,
  registers: [metricsRegistry],
});

/** Queries the gateway forwarded to the one subgraph that answers them as asked (gateway/src/single-fetch.ts). */
export const singleFetchQueries = new Counter({
  name: 'redthread_gateway_single_fetch_queries_total',
  help: 'Queries forwarded to one subgraph without plan execution, by outcome: answered, or rerun the ordinary way (errors, a refusal, no answer).',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** Database pool use: transactions holding a connection, and ones waiting for one. */
export const poolSize = new Gauge({ name: 'redthread_db_pool_size', help: 'Connections a pool may open.', labelNames: ['pool'] as const, registers: [metricsRegistry] });
export const poolInUse = new Gauge({
  name: 'redthread_db_pool_in_use',
  help: 'Transactions that hold one of the pool’s connections right now.',
  labelNames: ['pool'] as const,
  registers: [metricsRegistry],
});
export const poolWaiting = new Gauge({
  name: 'redthread_db_pool_waiting',
  help: 'Transactions waiting for a connection of the pool (all of them busy).',
  labelNames: ['pool'] as const,
  registers: [metricsRegistry],
});

/** Password checks and their outcome (`signed_in`, or the refusal's code such as `INVALID_CREDENTIALS`, `TOO_MANY_ATTEMPTS`). */
export const signIns = new Counter({
  name: 'redthread_sign_ins_total',
  help: 'Sign-in endpoint outcomes, by endpoint and outcome (ok or the refusal code).',
  labelNames: ['endpoint', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** Something whose size is read when metrics are scraped (open subscriptions, consumer lag). */
export interface GaugeSource {
  /** Label values and value, read at scrape time. */
  read(): Promise<readonly { labels: Record<string, string>; value: number }[]> | readonly { labels: Record<string, string>; value: number }[];
}

/** A gauge read from sources at scrape time; sources register and unregister as components start and stop. */
class ScrapedGauge {
  readonly #sources = new Set<GaugeSource>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    const sources = this.#sources;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [metricsRegistry],
      async collect() {
        this.reset();
        for (const source of sources) {
          try {
            for (const { labels, value } of await source.read()) this.set(labels, value);
          } catch {
            // A source that cannot be read now (its database away) reports nothing this scrape.
          }
        }
      },
    });
  }

  /** Adds a source; returns what removes it. */
  add(source: GaugeSource): () => void {
    this.#sources.add(source);
    return () => this.#sources.delete(source);
  }
}

/** Open WebSocket connections and subscriptions, by service. */
export const openConnections = new ScrapedGauge('redthread_ws_connections', 'Open graphql-ws connections, by service.', ['service']);
export const openSubscriptions = new ScrapedGauge('redthread_subscriptions', 'Active subscriptions, by service.', ['service']);
/** How far each event-log consumer is behind the log. */
export const consumerLagEvents = new ScrapedGauge('redthread_consumer_lag_events', 'Committed events of its topics a consumer has not handled yet, by consumer.', ['consumer']);
export const consumerLagSeconds = new ScrapedGauge(
  'redthread_consumer_lag_seconds',
  'Age of the oldest committed event of its topics a consumer has not handled yet (0 when caught up), by consumer.',
  ['consumer'],
);
/**
 * Events each consumer parked (see `EventConsumer`): heads whose handler failed every attempt, and
 * the later events of their aggregates waiting behind them. Read from the database, so every
 * worker process reports the same number: aggregate with `max`, not `sum`.
 */
export const parkedEventsGauge = new ScrapedGauge(
  'redthread_parked_events',
  'Events a consumer parked (failed every attempt, or waiting behind such an event of their aggregate) until an admin retries or discards them, by consumer.',
  ['consumer'],
);

/** Serves the registry in Prometheus's text format. */
export async function serveMetrics(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await metricsRegistry.metrics();
  res.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** Operation names seen, so that clients cannot grow the label set without bound. */
const MAX_OPERATION_NAMES = 200;
const operationNames = new Set<string>();

/** The label for an operation name: the name while fewer than 200 have been seen, then `other`. */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  if (operationNames.has(name)) return name;
  if (operationNames.size >= MAX_OPERATION_NAMES) return 'other';
  operationNames.add(name);
  return name;
}

/**
 * An Apollo plugin that counts operations and their errors and times them, for `service`.
 * Refusals before Apollo (the gateway's operation guard, body limits) are counted by the HTTP
 * edge with {@link countRefusal}.
 */
export function metricsPlugin(service: string): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operationName, errors }) {
          const operation = operationLabel(operationName);
          const codes = (errors ?? (response.body.kind === 'single' ? response.body.singleResult.errors : undefined) ?? []).map(
            (error) => publicErrorCode((error as { extensions?: { code?: unknown } }).extensions?.code) ?? ErrorCode.INTERNAL_SERVER_ERROR,
          );
          for (const code of codes) graphqlErrors.inc({ service, code });
          const span = trace.getActiveSpan();
          span?.updateName(`${service} ${operationName ?? 'anonymous'}`);
          if (operationName) span?.setAttribute('graphql.operation.name', operationName);
          if (codes[0]) span?.setAttribute('graphql.error.code', codes[0]);
          graphqlRequests.inc({ service, operation, code: codes[0] ?? 'OK' });
          graphqlDuration.observe({ service, operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** Counts an operation refused before Apollo saw it. */
export function countRefusal(service: string, code: string): void {
  graphqlErrors.inc({ service, code });
  graphqlRequests.inc({ service, operation: 'refused', code });
}

const ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);

/** The `route` label of a request path: the known endpoints, `auth`, `graphiql`, `warehouse`, else `other` (never the raw path). */
export function routeLabel(path: string | undefined): string {
  if (path && ROUTES.has(path)) return path.slice(1);
  const first = path?.split('/')[1];
  return first === 'auth' || first === 'graphiql' || first === 'warehouse' ? first : 'other';
}

/** Counts `res` in {@link httpRequests} once it has been answered. */
export function countHttpResponse(res: ServerResponse, service: string, route: string): void {
  res.once('finish', () => httpRequests.inc({ service, route, status: String(res.statusCode) }));
}
