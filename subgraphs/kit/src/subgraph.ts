import { randomUUID } from 'node:crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, Kind, type DocumentNode, type GraphQLFormattedError, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import type { IRules } from 'graphql-shield';
import { sql } from 'drizzle-orm';
import type { LoaderScope, RequestContext } from './context';
import { RequestTransaction, type Db } from './db';
import { ErrorCode, isFailure, publicErrorCode } from './errors';
import { CompiledExecution } from './compiled-execution';
import { createServer, graphqlRequestHandler, listen, sendJson, type RunningHttpServer } from './http';
import { verifyInternalIdentity } from './identity';
import { createLogger, type Logger } from './logger';
import { applyPermissions } from './permissions';
import { refuseHostileText } from './input-text';
import { countHttpResponse, metricsPlugin, routeLabel, serveMetrics } from './metrics';
import type { EventHub } from './live';
import { serveSubgraphSubscriptions } from './subscriptions';

/**
 * Hands a generated-type-checked resolver map to `buildSubgraphSchema`. Apollo declares every
 * member of a type's resolvers as a field resolver `(parent, args, context, info)`, which
 * `__resolveReference(reference, context, info)` and `__resolveType(value, context, info)` are not,
 * so no correctly typed map is assignable to it; the subgraph's `SubgraphResolvers` type (generated
 * from its SDL) is what checks the map, and this is the one place it is handed over.
 */
function asApolloResolverMap(resolvers: object): GraphQLResolverMap<unknown> {
  return resolvers as GraphQLResolverMap<unknown>;
}

type FieldResolver = (parent: unknown, args: unknown, context: RequestContext<unknown>, info: GraphQLResolveInfo) => unknown;

/**
 * The resolver map with each Mutation resolver noting on the request's transaction when it
 * answers a typed failure ({@link isFailure}: an `errorCode` and a `__typename`), so that "bad
 * input changes nothing" is kept by the runtime — the transaction plugin rolls such a request
 * back — and not only by every service validating before it writes.
 */
function withRefusalsNoted(resolvers: GraphQLResolverMap<unknown>): GraphQLResolverMap<unknown> {
  const mutation = resolvers['Mutation'] as Record<string, unknown> | undefined;
  if (!mutation) return resolvers;
  const noted = Object.fromEntries(
    Object.entries(mutation).map(([field, resolve]) => {
      if (typeof resolve !== 'function') return [field, resolve];
      const resolveField = resolve as FieldResolver;
      const noting: FieldResolver = async (parent, args, context, info) => {
        const result = await resolveField(parent, args, context, info);
        if (isFailure(result)) context.transaction.refuse(field);
        return result;
      };
      return [field, noting];
    }),
  );
  return { ...resolvers, Mutation: noted } as GraphQLResolverMap<unknown>;
}

/** Whether `operation` is a mutation of one root field (no fragment at its root). */
function isSingleMutation(operation: OperationDefinitionNode | undefined): boolean {
  return operation?.operation === 'mutation' && operation.selectionSet.selections.length === 1 && operation.selectionSet.selections[0]!.kind === Kind.FIELD;
}

/**
 * The largest request body a subgraph takes by default: 2 MiB, twice what the gateway takes from
 * clients by default, so that an operation the gateway forwards (a client's variables as sent,
 * with the planner's document) is never refused on the hop.
 */
export const SUBGRAPH_MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Everything that makes one subgraph: its SDL, resolvers, permission rules and loaders. */
export interface SubgraphDefinition<Loaders> {
  /** Also the audience its identity tokens must carry. */
  name: string;
  typeDefs: DocumentNode;
  /**
   * Its resolver map, typed by the subgraph's generated `SubgraphResolvers` (`npm run codegen`),
   * which is stricter than Apollo's own map type; see {@link asApolloResolverMap}.
   */
  resolvers: object;
  permissions: IRules;
  /** Creates the request's DataLoaders (batched, cached for the request only). */
  createLoaders: (scope: LoaderScope) => Loaders;
}

/** Where and how a subgraph runs. */
export interface SubgraphRuntime {
  /** An application-role database (no table ownership, no BYPASSRLS). */
  db: Db;
  /** The secret the gateway signs identities with. */
  internalSecret: Uint8Array;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Largest accepted request body. Default {@link SUBGRAPH_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  logger?: Logger;
  /** The process's event hub; when given, subscriptions are served over graphql-ws on /graphql. */
  live?: EventHub;
}

/** A running subgraph. */
export interface RunningSubgraph extends RunningHttpServer {
  readonly name: string;
  /** The GraphQL endpoint URL. */
  readonly graphqlUrl: string;
}

/**
 * Builds the subgraph schema, wraps it with the permission rules and serves it over HTTP at
 * `/graphql` (plus `/healthz`, alive, and `/readyz`, which checks the database and answers 503 while draining). Every GraphQL request, `_service` and
 * `_entities` included, must carry the gateway's signed identity for this subgraph; the request
 * then runs in one transaction that commits when the response has no errors.
 */
export async function startSubgraph<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  runtime: SubgraphRuntime,
): Promise<RunningSubgraph> {
  const log = runtime.logger ?? createLogger(definition.name);
  const schema = refuseHostileText(
    applyPermissions(buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: withRefusalsNoted(asApolloResolverMap(definition.resolvers)) }), definition.permissions),
  );
  const server = new ApolloServer<RequestContext<Loaders>>({
    // The subgraph schema, executed by code compiled per repeated document (compiled-execution.ts).
    gateway: new CompiledExecution(schema, { logger: log }).asGateway(),
    allowBatchedHttpRequests: false,
    // The process owns its signals (a graceful drain, see cli/lifecycle.ts); Apollo's own handler
    // would stop the server mid-drain and re-raise the signal.
    stopOnTerminationSignals: false,
    persistedQueries: false,
    includeStacktraceInErrorResponses: false,
    // Compact JSON: Apollo's default indents every response, which costs CPU and bytes on each hop.
    stringifyResult: (result) => JSON.stringify(result),
    // No cache-control hints (nothing caches an answer; see graphqlRequestHandler): the plugin
    // would wrap every field resolver to collect them.
    plugins: [
      transactionPlugin(log),
      metricsPlugin(definition.name),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
    ],
    formatError: (formatted, error) => maskUnexpectedError(formatted, error, log),
  });
  await server.start();

  const handleGraphQL = graphqlRequestHandler(server, {
    maxBodyBytes: runtime.maxBodyBytes ?? SUBGRAPH_MAX_BODY_BYTES,
    logger: log,
    service: definition.name,
    context: async (req) => {
      const identity = await verifyInternalIdentity(req.headers.authorization, definition.name, runtime.internalSecret);
      const header = req.headers['x-request-id'];
      const requestId = typeof header === 'string' && header.length <= 100 ? header : randomUUID();
      const transaction = new RequestTransaction(runtime.db, identity);
      const scope: LoaderScope = {
        identity,
        requestId,
        log: log.child({ requestId, partnerId: identity.partnerId }),
        tx: () => transaction.get(),
        transaction,
        db: runtime.db,
      };
      return { ...scope, loaders: definition.createLoaders(scope) };
    },
  });

  let draining = false;
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    countHttpResponse(res, definition.name, routeLabel(path));
    if (path === '/metrics') {
      void serveMetrics(req, res);
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok', subgraph: definition.name, pid: process.pid });
      return;
    }
    if (path === '/readyz') {
      if (draining) {
        sendJson(res, 503, { status: 'draining', subgraph: definition.name });
        return;
      }
      runtime.db
        .execute(sql`select 1`)
        .then(() => sendJson(res, 200, { status: 'ready', subgraph: definition.name }))
        .catch(() => sendJson(res, 503, { status: 'unavailable', subgraph: definition.name, reason: 'database' }));
      return;
    }
    if (path !== '/graphql') {
      sendJson(res, 404, { error: `Not found. The GraphQL endpoint is /graphql.` });
      return;
    }
    handleGraphQL(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'request failed outside GraphQL execution');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    });
  });
  const stopSubscriptions = runtime.live
    ? serveSubgraphSubscriptions(http, {
        name: definition.name,
        schema,
        db: runtime.db,
        live: runtime.live,
        internalSecret: runtime.internalSecret,
        createLoaders: definition.createLoaders,
        logger: log,
      })
    : undefined;
  const running = await listen(http, runtime.port, runtime.host);
  log.info({ url: `${running.url}/graphql` }, 'subgraph listening');
  let closing: Promise<void> | undefined;
  return {
    ...running,
    name: definition.name,
    graphqlUrl: `${running.url}/graphql`,
    // Once: a platform stopping a subgraph that was already stopped (a test taking one down) is done.
    close: () =>
      (closing ??= (async () => {
        await stopSubscriptions?.();
        await running.close();
        await server.stop();
      })()),
    drain: async (graceMs) => {
      draining = true;
      const stopped = running.drain(graceMs);
      await stopSubscriptions?.();
      const cut = await stopped;
      if (cut) log.warn({ cut, graceMs }, 'requests still running at the end of the grace period were cut');
      await server.stop();
      return cut;
    },
  };
}

/**
 * A query's transaction is READ ONLY (see RequestTransaction.markReadOnly); the request's
 * transaction ends with its response: commit when the response carries no error and, for a
 * mutation of one root field, when that field did not answer a typed failure; else roll back.
 * A document of several mutation fields commits what its fields did (each field's answer,
 * failure or not, stays true of the database), as it did before typed failures were noted.
 */
function transactionPlugin(log: Logger): ApolloServerPlugin<RequestContext<unknown>> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (operation?.operation === 'query' && !contextValue.transaction.started) contextValue.transaction.markReadOnly();
        },
        async willSendResponse({ contextValue, response, operation }) {
          if (!contextValue?.transaction?.started) return;
          const body = response.body;
          const refused = isSingleMutation(operation) && contextValue.transaction.refusedBy.length > 0;
          const clean = body.kind === 'single' && !body.singleResult.errors?.length && !refused;
          try {
            await contextValue.transaction.end(clean);
            const accessChanged = [...contextValue.transaction.accessChangedFor];
            if (clean && accessChanged.length && body.kind === 'single') {
              body.singleResult.extensions = { ...body.singleResult.extensions, accessChanged };
            }
          } catch (error) {
            log.error({ err: error, requestId: contextValue.requestId }, 'transaction commit failed');
            if (body.kind === 'single') {
              body.singleResult.data = null;
              body.singleResult.errors = [
                new GraphQLError('The change could not be saved; nothing was changed. Retry the request.', {
                  extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
                }),
              ];
            }
          }
        },
      };
    },
  };
}

/** What {@link maskUnexpectedError} may leave out. */
export interface ErrorMaskOptions {
  /**
   * Strip graphql-js's "Did you mean …?" suggestions, which name schema fields, types and enum
   * values. On wherever introspection is off: the schema is not for everyone to read.
   */
  hideSchemaHints?: boolean;
}

/** graphql-js's suggestion suffixes: `Did you mean "code" or "id"?`, `Did you mean the enum value "X"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Apollo `formatError`: keeps errors whose code is on the closed list (Apollo's own codes mapped
 * onto it; see publicErrorCode) minus transport details, and replaces anything else — an
 * INTERNAL_SERVER_ERROR too, whatever its message — with a generic INTERNAL_SERVER_ERROR, logging
 * the original.
 */
export function maskUnexpectedError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: Logger,
  options: ErrorMaskOptions = {},
): GraphQLFormattedError {
  let code = publicErrorCode(formatted.extensions?.['code']);
  // Apollo labels every error a resolver throws without a code INTERNAL_SERVER_ERROR: its message
  // (an invariant, a SQL error) is for the log, never for the client.
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { http: _http, ...extensions } = formatted.extensions ?? {};
    let message = formatted.message;
    if (code === ErrorCode.INVALID_OPERATION) {
      // A literal a scalar refused (`DateTime` "2026-02-30…") is bad input, not a bad document.
      if (causeCode(error) === ErrorCode.BAD_USER_INPUT) code = ErrorCode.BAD_USER_INPUT;
      // graphql-js gives up on fields repeated past its budget with no reason at all.
      if (message === 'Validation aborted.') {
        message = 'The operation repeats the same fields too often to be checked (validation aborted). Ask for each field once.';
      }
      if (options.hideSchemaHints) message = message.replace(SUGGESTION, '');
    } else if (options.hideSchemaHints && code === ErrorCode.BAD_USER_INPUT) {
      message = message.replace(SUGGESTION, '');
    }
    return { ...formatted, message, extensions: { ...extensions, code } };
  }
  log.error({ err: error, path: formatted.path }, 'unexpected error');
  return {
    message: 'Something went wrong on our side; it has been logged. Retry, and report it if it persists.',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** The public code of the innermost error an error wraps (Apollo wraps graphql-js, which wraps a scalar's). */
function causeCode(error: unknown): ErrorCode | undefined {
  let found: ErrorCode | undefined;
  let current: unknown = error;
  for (let hops = 0; current instanceof Error && hops < 5; hops += 1) {
    const code = current instanceof GraphQLError ? publicErrorCode(current.extensions['code']) : undefined;
    if (code && hops > 0) found = code;
    current = (current as { originalError?: unknown }).originalError;
  }
  return found;
}
