import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type QueryPlan } from '@apollo/query-planner';
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type GraphQLDataSourceProcessOptions, type ServiceMap } from '@apollo/gateway';
import { createRequire } from 'node:module';
import { buildSchema, getOperationAST, GraphQLError, print, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ErrorCode, secretKey, signInternalIdentity, type Identity, type Logger } from '@redthread/kit';
import type { GatewayContext } from '../index';
import { answersAsAsked } from '../single-fetch';


/** Options for {@link FederatedSubscriptions}. */
export interface FederatedSubscriptionOptions {
  supergraphSdl: string;
  /** Subgraph GraphQL URLs by name (http://…/graphql; the WebSocket URL is derived). */
  subgraphUrls: Record<string, string>;
  /** The gateway's own data sources by subgraph name (signed identity, keep-alive). */
  dataSources: Record<string, GraphQLDataSource<GatewayContext>>;
  internalSecret: string;
  /** Events a subscription may have waiting before it is closed as too slow. Default 1000. */
  maxQueue?: number;
  /**
   * Waiting events (a burst, or a replay after `after`) resolved together, at most: their fetches
   * of the same entities from one subgraph go as one `_entities` request. Default 200; 1 resolves
   * every event on its own.
   */
  maxBurst?: number;
  logger: Logger;
}

/** The upstream graphql-ws connections of one client connection, one per subgraph. */
export class UpstreamPool {
  readonly #clients = new Map<string, Client>();
  readonly #feeds = new Map<string, SharedFeed>();
  constructor(
    private readonly urls: Record<string, string>,
    private readonly identity: Identity,
    private readonly secret: Uint8Array,
  ) {}

  /** The connection to `subgraph`, opened on first use under the subscriber's signed identity. */
  client(subgraph: string): Client {
    let client = this.#clients.get(subgraph);
    if (!client) {
      const url = this.urls[subgraph];
      if (!url) throw new Error(`unknown subgraph ${subgraph}`);
      client = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: async () => ({
          authorization: `Bearer ${await signInternalIdentity(this.identity, subgraph, this.secret)}`,
        }),
      });
      this.#clients.set(subgraph, client);
    }
    return client;
  }

  /**
   * The open feed for `key` (operation, document and variables), or a new one from `open`: the
   * connection's identical subscriptions share it. It leaves the pool once it has closed.
   */
  feed(key: string, open: () => SharedFeed): SharedFeed {
    let feed = this.#feeds.get(key);
    if (!feed || feed.closed) {
      feed = open();
      this.#feeds.set(key, feed);
      const opened = feed;
      feed.onEmpty = () => {
        if (this.#feeds.get(key) === opened) this.#feeds.delete(key);
      };
    }
    return feed;
  }

  async dispose(): Promise<void> {
    for (const feed of this.#feeds.values()) feed.end();
    this.#feeds.clear();
    await Promise.all([...this.#clients.values()].map((client) => client.dispose()));
    this.#clients.clear();
  }
}

/**
 * Federated subscriptions, which @apollo/gateway plans but refuses to execute. For a client's
 * subscription: plan it with the query planner (a Subscription node: the primary fetch into the
 * subgraph owning the field, plus the rest); open the primary fetch as a graphql-ws subscription to
 * that subgraph under the subscriber's signed identity; for every event, run the rest of the plan
 * with the gateway's `executeQueryPlan`, giving it a data source that answers the primary fetch
 * with the event — so fields from other subgraphs are fetched under the subscriber's identity and
 * every subgraph applies its own visibility to every event.
 */
export class FederatedSubscriptions {
  /**
   * The API schema for validating client operations. @apollo/federation-internals is CommonJS and
   * builds its schemas with the CommonJS copy of graphql-js, while this code runs on the ES module
   * copy; graphql-js refuses schemas from the other copy, so the API schema is rebuilt from its SDL.
   */
  readonly apiSchema: GraphQLSchema;
  /** The same API schema as the CommonJS copy, for the gateway's own execution functions. */
  readonly #apiGraphQLSchema: GraphQLSchema;
  readonly #apiSchema: Schema;
  readonly #supergraphSchema: GraphQLSchema;
  readonly #planner: QueryPlanner;
  readonly #secret: Uint8Array;
  /** By document (held weakly: it lives as long as the document cache keeps it) and operation name. */
  readonly #plans = new WeakMap<DocumentNode, Map<string, PreparedSubscription>>();

  constructor(private readonly options: FederatedSubscriptionOptions) {
    const supergraph = Supergraph.build(options.supergraphSdl);
    this.#apiSchema = supergraph.apiSchema();
    this.#apiGraphQLSchema = this.#apiSchema.toGraphQLJSSchema();
    const commonJsGraphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
    this.apiSchema = buildSchema(commonJsGraphql.printSchema(this.#apiGraphQLSchema));
    this.#supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.#planner = new QueryPlanner(supergraph);
    this.#secret = secretKey(options.internalSecret);
  }

  /** A pool of upstream connections for one client connection. */
  upstreams(identity: Identity): UpstreamPool {
    return new UpstreamPool(this.options.subgraphUrls, identity, this.#secret);
  }

  /** The query plan of any operation against the supergraph (not cached). */
  planOperation(document: DocumentNode, operationName: string | undefined): QueryPlan {
    return this.#planner.buildQueryPlan(operationFromDocument(this.#apiSchema, document, { operationName }));
  }

  /** Plans a subscription operation; throws a GraphQLError for anything else. */
  plan(document: DocumentNode, operationName: string | undefined): { primary: FetchNode; full: QueryPlan } {
    const node = this.planOperation(document, operationName).node;
    if (!node || node.kind !== 'Subscription') {
      throw new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', {
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      });
    }
    const full: QueryPlan = { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [node.primary, node.rest] } : node.primary };
    return { primary: node.primary, full };
  }

  /**
   * The plan and execution context of a subscription document, made once per document and
   * operation: the subscription server hands every subscriber of the same text the same document
   * (see ValidatedDocuments), and planning it again for each was a large part of connecting
   * thousands of them.
   */
  #prepared(document: DocumentNode, operationName: string | undefined): PreparedSubscription {
    let byName = this.#plans.get(document);
    if (!byName) this.#plans.set(document, (byName = new Map()));
    let prepared = byName.get(operationName ?? '');
    if (!prepared) {
      const { primary, full } = this.plan(document, operationName);
      const operation = getOperationAST(document, operationName);
      prepared = {
        primary,
        full,
        forwardsAsIs: full.node === primary && !!operation && answersAsAsked(operation, primary),
        operationContext: buildOperationContext({ schema: this.#apiGraphQLSchema, operationDocument: document, operationName }),
        query: print(document),
      };
      // A document naming many operations is planned anew past the first few (bounded memory).
      if (byName.size < MAX_PLANS_PER_DOCUMENT) byName.set(operationName ?? '', prepared);
    }
    return prepared;
  }

  /** Runs one subscription for `identity`; ends when the client or the subgraph ends it. */
  async *run(args: {
    document: DocumentNode;
    operationName: string | undefined;
    variables: Record<string, unknown>;
    identity: Identity;
    upstreams: UpstreamPool;
    /** Aborted when the client completes the subscription: the upstream one is completed at once. */
    signal?: AbortSignal;
  }): AsyncGenerator<ExecutionResult> {
    const prepared = this.#prepared(args.document, args.operationName);
    // Identical subscriptions on one connection (one identity: several widgets of a screen on the
    // same feed) share one upstream subscription, and each event is resolved once for all of them.
    const key = `${args.operationName ?? ''}\u0000${prepared.query}\u0000${JSON.stringify(args.variables)}`;
    const feed = args.upstreams.feed(key, () => this.#openFeed(prepared, args));
    const queue = boundedStream<ExecutionResult>(this.options.maxQueue ?? 1000);
    const detach = feed.attach(queue);
    // Ending the queue ends the loop below, whose `finally` detaches (the last one out completes the upstream subscription).
    const stop = () => queue.end();
    args.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const results of queue.bursts(Number.MAX_SAFE_INTEGER)) yield* results;
    } finally {
      args.signal?.removeEventListener('abort', stop);
      detach();
    }
  }

  /**
   * Opens the upstream subscription of a feed and resolves its events, in bursts (their entity
   * fetches from one subgraph merged into one request), for every subscriber attached.
   */
  #openFeed(prepared: PreparedSubscription, args: { document: DocumentNode; operationName: string | undefined; variables: Record<string, unknown>; identity: Identity; upstreams: UpstreamPool }): SharedFeed {
    const { primary, full, forwardsAsIs, operationContext, query } = prepared;
    const variables = Object.fromEntries((primary.variableUsages ?? []).filter((n) => n in args.variables).map((n) => [n, args.variables[n]]));
    const events = boundedStream<ExecutionResult>(this.options.maxQueue ?? 1000);
    const unsubscribe = args.upstreams.client(primary.serviceName).subscribe(
      { query: primary.operation, variables, ...(primary.operationName ? { operationName: primary.operationName } : {}) },
      {
        next: (value) => events.push(value as ExecutionResult),
        error: (error) => events.fail(toGraphQLError(error)),
        complete: () => events.end(),
      },
    );
    const resolve = async (event: ExecutionResult, sources: Record<string, GraphQLDataSource<GatewayContext>>): Promise<ExecutionResult> => {
      if (!event.data) {
        // The subgraph's errors arrive as plain JSON; graphql-ws serialises GraphQLErrors only.
        return { errors: (event.errors ?? []).map((error) => toGraphQLError([error])) };
      }
      if (forwardsAsIs && !event.errors?.length) return { data: event.data };
      const context: GatewayContext = { identity: args.identity, requestId: `subscription:${args.identity.partnerId}`, internalTokens: new Map() };
      const serviceMap: ServiceMap = { ...sources, [primary.serviceName]: new PrimaryEventSource(event, primary.operation, sources[primary.serviceName]!) };
      const result = await executeQueryPlan(
        full,
        serviceMap,
        {
          request: { query, variables: args.variables, ...(args.operationName ? { operationName: args.operationName } : {}) },
          context,
          logger: loggerAdapter(this.options.logger),
          document: args.document,
          metrics: {},
        } as never,
        operationContext,
        this.#supergraphSchema,
        this.#apiSchema,
      );
      return { ...(result.data !== undefined ? { data: result.data } : {}), ...(result.errors ? { errors: result.errors as GraphQLError[] } : {}) };
    };
    const feed = new SharedFeed(() => {
      events.end();
      unsubscribe();
    });
    void (async () => {
      try {
        for await (const burst of events.bursts(this.options.maxBurst ?? 200)) {
          const sources = burst.length > 1 ? mergingEntityFetches(this.options.dataSources) : this.options.dataSources;
          const results = await Promise.all(burst.map((event) => resolve(event, sources)));
          feed.deliver(results);
        }
        feed.end();
      } catch (error) {
        feed.fail(error instanceof GraphQLError ? error : toGraphQLError(error));
      }
    })();
    return feed;
  }
}

/**
 * One upstream subscription and the client subscriptions it serves (see UpstreamPool.feed): each
 * gets every result in order in a bounded queue of its own, so one slow subscriber is closed
 * (SLOW_CONSUMER) without holding back the others. Closed upstream when the last one detaches;
 * an upstream error or end reaches every one attached.
 */
export class SharedFeed {
  readonly #subscribers = new Set<BoundedStream<ExecutionResult>>();
  #closed = false;
  onEmpty: (() => void) | undefined;

  constructor(private readonly closeUpstream: () => void) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** Adds a subscriber's queue; returns its detach, which closes the upstream after the last one. */
  attach(queue: BoundedStream<ExecutionResult>): () => void {
    this.#subscribers.add(queue);
    return () => {
      if (!this.#subscribers.delete(queue) || this.#subscribers.size > 0) return;
      this.#close();
    };
  }

  deliver(results: readonly ExecutionResult[]): void {
    for (const queue of this.#subscribers) for (const result of results) queue.push(result);
  }

  end(): void {
    for (const queue of this.#subscribers) queue.end();
    this.#close();
  }

  fail(error: GraphQLError): void {
    for (const queue of this.#subscribers) queue.fail(error);
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closeUpstream();
    this.onEmpty?.();
  }
}

/** Operations of one document whose plans are kept at most. */
const MAX_PLANS_PER_DOCUMENT = 32;

/** What running a subscription document needs besides its variables and identity. */
interface PreparedSubscription {
  primary: FetchNode;
  full: QueryPlan;
  /**
   * The plan is the primary fetch alone, selecting just what the client asked: an event's data
   * from the subgraph is the client's answer as it is (the reasoning of ../single-fetch), with no
   * plan to run for it. An event with errors still goes through the plan, whose errors read like
   * every other answer's.
   */
  forwardsAsIs: boolean;
  operationContext: ReturnType<typeof buildOperationContext>;
  query: string;
}

/** Answers the plan's primary fetch with the event from the subgraph; forwards any other fetch. */
class PrimaryEventSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly event: ExecutionResult,
    private readonly primaryOperation: string,
    private readonly forward: GraphQLDataSource<GatewayContext>,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    if (options.request.query === this.primaryOperation) {
      return { data: this.event.data ?? null, ...(this.event.errors ? { errors: this.event.errors as never } : {}) } as never;
    }
    return this.forward.process(options);
  }
}

/**
 * Data sources that merge the entity fetches issued at the same moment (the plans of one burst of
 * events, run side by side) when they are the same operation with the same other variables: one
 * `_entities` request with every caller's representations, its answer split back by position
 * (errors too, by the entity index in their path). Anything else is forwarded as it comes.
 */
export function mergingEntityFetches(sources: Record<string, GraphQLDataSource<GatewayContext>>): Record<string, GraphQLDataSource<GatewayContext>> {
  return Object.fromEntries(Object.entries(sources).map(([name, source]) => [name, new MergingEntitySource(source)]));
}

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type ProcessResult = Awaited<ReturnType<GraphQLDataSource<GatewayContext>['process']>>;

interface PendingFetch {
  options: ProcessOptions;
  representations: unknown[];
  resolve: (result: ProcessResult) => void;
  reject: (error: unknown) => void;
}

class MergingEntitySource implements GraphQLDataSource<GatewayContext> {
  /** Entity fetches waiting for the flush, by operation and other variables. */
  #pending = new Map<string, PendingFetch[]>();
  #flushing = false;

  constructor(private readonly forward: GraphQLDataSource<GatewayContext>) {}

  process(options: ProcessOptions): Promise<ProcessResult> {
    const { representations, ...rest } = options.request.variables ?? {};
    if (!Array.isArray(representations)) return this.forward.process(options);
    const key = `${options.request.query}\u0000${JSON.stringify(rest)}`;
    return new Promise<ProcessResult>((resolve, reject) => {
      const group = this.#pending.get(key);
      const fetch = { options, representations, resolve, reject };
      if (group) group.push(fetch);
      else this.#pending.set(key, [fetch]);
      if (!this.#flushing) {
        this.#flushing = true;
        // After every plan of the burst has reached this fetch (they all run on the same turn).
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushing = false;
    const groups = [...this.#pending.values()];
    this.#pending.clear();
    for (const group of groups) void this.#send(group);
  }

  async #send(group: PendingFetch[]): Promise<void> {
    const [first] = group;
    if (group.length === 1) {
      this.forward.process(first!.options).then(first!.resolve, first!.reject);
      return;
    }
    const offsets: number[] = [];
    const representations: unknown[] = [];
    for (const fetch of group) {
      offsets.push(representations.length);
      representations.push(...fetch.representations);
    }
    let response: ProcessResult;
    try {
      const options = first!.options;
      response = await this.forward.process({ ...options, request: { ...options.request, variables: { ...options.request.variables, representations } } });
    } catch (error) {
      for (const fetch of group) fetch.reject(error);
      return;
    }
    const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    group.forEach((fetch, index) => {
      const from = offsets[index]!;
      const to = from + fetch.representations.length;
      const errors = (response.errors ?? []).flatMap((error) => {
        const at = error.path?.[0] === '_entities' ? error.path[1] : undefined;
        if (typeof at !== 'number') return [error];
        if (at < from || at >= to) return [];
        return [{ ...error, path: ['_entities', at - from, ...error.path!.slice(2)] }];
      });
      const { errors: _all, ...rest } = response;
      fetch.resolve({ ...rest, data: Array.isArray(entities) ? { _entities: entities.slice(from, to) } : (response.data ?? null), ...(errors.length > 0 ? { errors } : {}) } as ProcessResult);
    });
  }
}

/**
 * A bounded queue between a producer (the upstream subscription) and a consumer (the client).
 * When the consumer falls `limit` events behind, the stream fails with SLOW_CONSUMER instead of
 * buffering without bound.
 */
type BoundedStream<T> = ReturnType<typeof boundedStream<T>>;

function boundedStream<T>(limit: number) {
  const items: T[] = [];
  let ended = false;
  let failure: GraphQLError | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item: T) {
      if (ended || failure) return;
      if (items.length >= limit) {
        failure = new GraphQLError(`The subscriber fell more than ${limit} events behind and was closed; resubscribe with "after" set to the last cursor received.`, {
          extensions: { code: ErrorCode.SLOW_CONSUMER },
        });
      } else items.push(item);
      notify();
    },
    fail(error: GraphQLError) {
      failure ??= error;
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    /** What waits, up to `max` items at a time, in order; waits when there is nothing. */
    async *bursts(max: number): AsyncGenerator<T[]> {
      for (;;) {
        if (items.length > 0) {
          yield items.splice(0, Math.max(1, max));
          continue;
        }
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (Array.isArray(error) && error[0]) {
    const first = error[0] as { message?: string; extensions?: Record<string, unknown> };
    return new GraphQLError(first.message ?? 'Subscription failed', { extensions: first.extensions ?? {} });
  }
  const closed = error as { code?: number; reason?: string } | undefined;
  if (closed && typeof closed.code === 'number') {
    return new GraphQLError(`The upstream subscription closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ''}); resubscribe with "after".`, {
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, closeCode: closed.code },
    });
  }
  return new GraphQLError(error instanceof Error ? error.message : 'Subscription failed', { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
}

function loggerAdapter(log: Logger) {
  return {
    debug: (message: unknown) => log.debug(String(message)),
    info: (message: unknown) => log.info(String(message)),
    warn: (message: unknown) => log.warn(String(message)),
    error: (message: unknown) => log.error(String(message)),
  };
}
