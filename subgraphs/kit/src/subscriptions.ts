import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { LoaderScope, RequestContext } from './context';
import { RequestTransaction, type Db } from './db';
import { ValidatedDocuments } from './document-cache';
import { batchFrames } from './socket-batching';
import { ErrorCode } from './errors';
import { verifyInternalIdentity, type Identity } from './identity';
import { SlowConsumerError, stopOnReturn, type EventHub } from './live';
import type { Logger } from './logger';

/**
 * The CommonJS copy of graphql-js. @apollo/subgraph (CommonJS) builds the subgraph schema with it,
 * and graphql-js refuses a schema built by its other (ES module) copy, so everything that touches
 * the subgraph schema here — parse, validate, subscribe, execute — uses this copy.
 */
const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
const { GraphQLError } = graphql;

/** What a subscription's `subscribe` resolver receives as context. */
export interface SubscriptionContext {
  identity: Identity;
  live: EventHub;
  log: Logger;
  /**
   * The subgraph's pool, for a subscription that must read between events under the subscriber's
   * identity (its own short transaction each time, e.g. through `inTenantTransaction`), never
   * holding one open while it waits.
   */
  db: Db;
  /** Aborted when the subscriber completes (or the connection closes): end every wait on it. */
  signal: AbortSignal;
}

/** Options for {@link serveSubgraphSubscriptions}. */
export interface SubgraphSubscriptionOptions<Loaders> {
  name: string;
  schema: GraphQLSchema;
  db: Db;
  live: EventHub;
  internalSecret: Uint8Array;
  createLoaders: (scope: LoaderScope) => Loaders;
  logger: Logger;
}

/**
 * Serves the subgraph's subscriptions over graphql-ws on `/graphql` of its HTTP server, to the
 * gateway only: `connectionParams.authorization` must be the gateway-signed identity for this
 * subgraph, else the socket is closed (4403). Each event is executed with a fresh request context
 * (its own transaction with the subscriber's tenant, its own loaders) that is closed right after,
 * so every event is resolved under the subscriber's current visibility and no transaction stays
 * open between events. Events waiting together (a replay, a burst; see {@link bursts}) share one
 * such context, so their loads batch.
 */
export function serveSubgraphSubscriptions<Loaders>(http: Server, options: SubgraphSubscriptionOptions<Loaders>): () => Promise<void> {
  // The gateway sends every subscriber of a selection the same document: checked once.
  const documents = new ValidatedDocuments((source) => {
    const document = graphql.parse(source);
    return { document, errors: graphql.validate(options.schema, document) };
  });
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  batchFrames(wss);
  const server = useServer<Record<string, unknown>, { identity: Identity }>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.['authorization'];
        try {
          ctx.extra.identity = await verifyInternalIdentity(
            typeof authorization === 'string' ? authorization : undefined,
            options.name,
            options.internalSecret,
          );
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        let checked;
        try {
          checked = documents.get(payload.query);
        } catch (error) {
          return [error as InstanceType<typeof GraphQLError>];
        }
        if (checked.errors.length) return [...checked.errors];
        const { document } = checked;
        return {
          schema: options.schema,
          document,
          variableValues: payload.variables ?? {},
          operationName: payload.operationName ?? undefined,
          contextValue: {
            identity: ctx.extra.identity!,
            live: options.live,
            log: options.logger.child({ partnerId: ctx.extra.identity?.partnerId }),
            db: options.db,
          } satisfies Omit<SubscriptionContext, 'signal'>,
        };
      },
      subscribe: async (args) => {
        // The signal each subscription's waits end on when the subscriber completes (stopOnReturn).
        const controller = new AbortController();
        const contextValue = { ...(args.contextValue as Omit<SubscriptionContext, 'signal'>), signal: controller.signal } satisfies SubscriptionContext;
        const stream = await subscribeWithFreshContexts({ ...args, contextValue }, options);
        return Symbol.asyncIterator in stream ? stopOnReturn(stream, controller) : stream;
      },
      execute: () => ({ errors: [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] }),
    },
    wss,
  );
  return async () => {
    await server.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

async function subscribeWithFreshContexts<Loaders>(
  args: ExecutionArgs,
  options: SubgraphSubscriptionOptions<Loaders>,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const base = args.contextValue as SubscriptionContext;
  const stream = await graphql.createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const source = stream as AsyncGenerator<unknown>;
  async function* results(): AsyncGenerator<ExecutionResult> {
    try {
      for await (const burst of bursts(closeSlowConsumers(source), MAX_BURST)) {
        const slow = burst.findIndex((payload) => payload instanceof SlowConsumerError);
        const events = slow === -1 ? burst : burst.slice(0, slow);
        // One transaction and one set of loaders for the events waiting together (a replay, a
        // burst), executed side by side: their loads batch into one statement per loader.
        // It only reads: READ ONLY, and its end (commit or rollback, the same to a reader) is
        // left to the pool's next request transaction.
        const transaction = new RequestTransaction(options.db, base.identity);
        transaction.markReadOnly();
        const scope: LoaderScope = {
          identity: base.identity,
          requestId: `subscription:${base.identity.partnerId}`,
          log: base.log,
          tx: () => transaction.get(),
          transaction,
          db: options.db,
        };
        const context: RequestContext<Loaders> & { live: EventHub } = { ...scope, loaders: options.createLoaders(scope), live: base.live };
        let executed: ExecutionResult[];
        try {
          executed = await Promise.all(events.map(async (payload) => graphql.execute({ ...args, rootValue: payload, contextValue: context })));
        } finally {
          await transaction.end(true);
        }
        yield* executed;
        if (slow !== -1) {
          const error = burst[slow] as SlowConsumerError;
          yield { errors: [new GraphQLError(error.message, { extensions: { code: error.code } })] };
          return;
        }
      }
    } finally {
      await source.return?.(undefined);
    }
  }
  return results();
}

/** Events a subgraph subscription resolves together at most (see {@link bursts}). */
const MAX_BURST = 200;

const NOT_READY = Symbol('not ready');

/**
 * Resolves with NOT_READY at the end of this turn of the event loop (setImmediate). One timer per
 * turn for every waiting subscription: an event fanned out to thousands of them would otherwise
 * set a timer each.
 */
let turnEnd: Promise<typeof NOT_READY> | undefined;
function endOfTurn(): Promise<typeof NOT_READY> {
  return (turnEnd ??= new Promise((resolve) =>
    setImmediate(() => {
      turnEnd = undefined;
      resolve(NOT_READY);
    }),
  ));
}

/**
 * Groups what `source` has ready into bursts of at most `max`: a burst is the next item plus every
 * item that follows without waiting (a replay's page, events that arrived together). An item is
 * "ready" when it comes before the next turn of the event loop; the burst ends at the first one
 * that does not, whose `next()` the following burst goes on waiting for.
 */
export async function* bursts<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  for (;;) {
    const first = await pending;
    if (first.done) return;
    const burst = [first.value];
    pending = iterator.next();
    while (burst.length < max) {
      const next = await Promise.race([pending, endOfTurn()]);
      if (next === NOT_READY) break;
      if (next.done) {
        yield burst;
        return;
      }
      burst.push(next.value);
      pending = iterator.next();
    }
    yield burst;
  }
}

/** Turns a SlowConsumerError from the event stream into a last value, so the client gets a clear error. */
async function* closeSlowConsumers(source: AsyncGenerator<unknown>): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof SlowConsumerError) yield error;
    else throw error;
  }
}
