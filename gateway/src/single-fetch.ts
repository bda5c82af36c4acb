/**
 * Queries one subgraph answers exactly as asked, forwarded without Apollo Gateway's execution.
 *
 * Apollo Gateway executes every plan the same way: it rebuilds the operation in its own model,
 * runs the fetches, then walks the merged data against the client's operation to shape the
 * answer (`computeResponse`). For `products(first: 50)` with owners that walk and the model were
 * about a quarter of the gateway's CPU (bench/federation, profile of the measured seconds), yet
 * when the plan is one fetch whose selections are the client's own — same fields, aliases,
 * arguments and order, no fragments or directives — the subgraph's `data` already is the answer:
 * the subgraph has the same or stricter nullability for every field (composition makes a field
 * nullable in the supergraph if any subgraph has it nullable), so there is nothing to shape.
 *
 * Such a query goes straight to the data source the plan names (the same signed identity, spans,
 * metrics and error translation as any fetch). Anything else — several fetches, entity fetches,
 * `__typename` or fragments the planner added or kept, mutations, subscriptions — runs the
 * ordinary way, and so does a forwarded query whose answer carries errors or that the subgraph
 * refused as a whole (variables the gateway would have refused before any fetch): it is run again by
 * Apollo's executor, which reports them with the paths and codes every other answer has (a query
 * changes nothing, so running it twice is safe). Which documents qualify is decided once per
 * document and remembered (bounded, like the plan cache).
 */
import { Kind, getOperationAST, parse, print, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { GraphQLDataSource } from '@apollo/gateway';
// Not re-exported by the package's index; the data sources' own request kinds.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types.js';
import type { ApolloServerOptions } from '@apollo/server';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { singleFetchQueries } from '@redthread/kit';
import type { GatewayContext } from './index';

type GatewayInterface = NonNullable<ApolloServerOptions<GatewayContext>['gateway']>;
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type RequestContext = Parameters<GatewayExecutor>[0];

/** Where a qualifying query goes: the plan's one fetch. */
export interface Route {
  serviceName: string;
  operation: string;
  operationName: string | undefined;
  variableUsages: readonly string[];
}

/** Documents remembered at most (qualifying or not); the oldest goes first. */
const MAX_DOCUMENTS = 2000;

export class SingleFetchRoutes {
  readonly #routes = new Map<string, Route | null>();

  constructor(
    private readonly plan: (document: DocumentNode, operationName: string | undefined) => QueryPlan,
    /** The gateway's own data sources by subgraph name (their context is the gateway's). */
    private readonly dataSources: Record<string, GraphQLDataSource>,
  ) {}

  /** Apollo Server's gateway, with qualifying queries forwarded and the rest left to `gateway`. */
  serve(gateway: GatewayInterface): GatewayInterface {
    return {
      load: async (options) => {
        const loaded = await gateway.load(options);
        return { ...loaded, executor: loaded.executor && this.executor(loaded.executor) };
      },
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
    };
  }

  executor(ordinary: GatewayExecutor): GatewayExecutor {
    return async (requestContext) => {
      const route = this.routeFor(requestContext);
      if (!route) return ordinary(requestContext);
      const provided = requestContext.request.variables ?? {};
      const variables: Record<string, unknown> = {};
      for (const name of route.variableUsages) if (provided[name] !== undefined) variables[name] = provided[name];
      let response: Awaited<ReturnType<GraphQLDataSource['process']>> | undefined;
      try {
        response = await this.dataSources[route.serviceName]!.process({
          kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
          request: { query: route.operation, variables, ...(route.operationName ? { operationName: route.operationName } : {}) },
          incomingRequestContext: requestContext,
          context: requestContext.context,
          pathInIncomingRequest: [],
        });
      } catch {
        // Refused as a whole (bad variables: the ordinary path checks them before any fetch) or not
        // reached: the ordinary path below says so as it would have.
        response = undefined;
      }
      if (!response?.data || response.errors?.length) {
        singleFetchQueries.inc({ outcome: 'rerun' });
        return ordinary(requestContext);
      }
      singleFetchQueries.inc({ outcome: 'answered' });
      return { data: response.data };
    };
  }

  /** The route of this request's document, decided on its first request. */
  routeFor(requestContext: RequestContext): Route | null {
    if (requestContext.operation?.operation !== 'query') return null;
    const key = `${requestContext.operationName ?? ''}\n${requestContext.source}`;
    let route = this.#routes.get(key);
    if (route === undefined) {
      route = this.routeOf(requestContext.document, requestContext.operationName ?? undefined);
      if (this.#routes.size >= MAX_DOCUMENTS) this.#routes.delete(this.#routes.keys().next().value!);
      this.#routes.set(key, route);
    }
    return route;
  }

  /** Where `document` goes when it qualifies (see the top of this file); null when it does not. */
  routeOf(document: DocumentNode, operationName: string | undefined): Route | null {
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== 'query' || operation.directives?.length) return null;
    let plan: QueryPlan;
    try {
      plan = this.plan(document, operationName);
    } catch {
      return null; // the ordinary path reports why it cannot be planned
    }
    const fetch = plan.node;
    if (!fetch || fetch.kind !== 'Fetch' || !answersAsAsked(operation, fetch)) return null;
    return { serviceName: fetch.serviceName, operation: fetch.operation, operationName: fetch.operationName, variableUsages: fetch.variableUsages ?? [] };
  }
}

/**
 * Whether the subgraph's `data` for `fetch` already is the answer to `operation` (see the top of
 * this file): no requirements or rewrites, the same selections and the same variable declarations.
 * Also for a subscription whose plan is its primary fetch alone (subscriptions/federated.ts).
 */
export function answersAsAsked(operation: OperationDefinitionNode, fetch: FetchNode): boolean {
  if (operation.directives?.length) return false;
  if (fetch.requires?.length || fetch.inputRewrites?.length || fetch.outputRewrites?.length || fetch.contextRewrites?.length) return false;
  const forwarded = getOperationAST(parse(fetch.operation), fetch.operationName);
  return !!forwarded && forwarded.operation === operation.operation && sameSelections(operation.selectionSet, forwarded.selectionSet) && sameVariables(operation, forwarded);
}

/** The same fields (names, aliases, arguments, order) all the way down, and nothing else. */
function sameSelections(asked: SelectionSetNode, forwarded: SelectionSetNode): boolean {
  if (asked.selections.length !== forwarded.selections.length) return false;
  return asked.selections.every((selection, index) => {
    const other = forwarded.selections[index]!;
    return selection.kind === Kind.FIELD && other.kind === Kind.FIELD && sameField(selection, other);
  });
}

function sameField(asked: FieldNode, forwarded: FieldNode): boolean {
  if (asked.name.value !== forwarded.name.value || asked.alias?.value !== forwarded.alias?.value) return false;
  if (asked.directives?.length || forwarded.directives?.length) return false;
  const args = (field: FieldNode) => (field.arguments ?? []).map((arg) => `${arg.name.value}:${print(arg.value)}`).join(',');
  if (args(asked) !== args(forwarded)) return false;
  if (!asked.selectionSet || !forwarded.selectionSet) return !asked.selectionSet && !forwarded.selectionSet;
  return sameSelections(asked.selectionSet, forwarded.selectionSet);
}

/** Every variable the forwarded operation declares, declared the same way (type, default) by the client. */
function sameVariables(asked: OperationDefinitionNode, forwarded: OperationDefinitionNode): boolean {
  const declared = new Map((asked.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, print(definition)]));
  return (forwarded.variableDefinitions ?? []).every((definition) => declared.get(definition.variable.name.value) === print(definition));
}
