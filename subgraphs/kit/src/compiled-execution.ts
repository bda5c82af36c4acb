/**
 * A subgraph's operations executed by code compiled for each document (graphql-jit) instead of
 * graphql-js's interpreter.
 *
 * graphql-js walks the document and the schema for every field of every row: for
 * `products(first: 50)` with owners, its execution was about a third of the catalog's CPU per
 * request, and the catalog is the process a page read waits for (bench/catalog-read: catalog
 * 1.64 → 1.08 CPU-ms per request, 577 → 794 req/s, with this module). graphql-jit turns a document
 * into one JavaScript function per operation, with the same resolvers, the same null propagation
 * and errors, and the schema's own scalars.
 *
 * Compiling costs about one execution (0.4–0.5 ms for the gateway's usual fetches), so a document
 * is compiled on its second run, not its first: the gateway sends the same few generated
 * operations over and over, and a document seen once (a one-off query, or someone trying
 * thousands of distinct ones) costs what it did before. The documents remembered — counted or
 * compiled — are bounded, the least recently used going first. A document graphql-jit cannot
 * compile stays with graphql-js.
 *
 * Apollo Server takes an executor only through its gateway interface, so this is one: it hands
 * Apollo the subgraph schema (which Apollo still parses and validates against, as before) and
 * executes what Apollo has validated.
 */
import {
  BREAK,
  execute,
  getNamedType,
  getOperationAST,
  isInputObjectType,
  isNonNullType,
  typeFromAST,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptions } from '@apollo/server';
import type { Logger } from './logger';

type GatewayInterface = NonNullable<ApolloServerOptions<object>['gateway']>;
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

/** Options of {@link CompiledExecution}. */
export interface CompiledExecutionOptions {
  /** Runs of a document through graphql-js before it is compiled. Default 1: compiled on its second run. */
  interpretedRuns?: number;
  /** Documents remembered (counted or compiled); the least recently used is forgotten first. Default 500. */
  maxDocuments?: number;
  logger?: Logger;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}

/**
 * Whether a variable of `operation` is (or holds, at any depth) an input object with a non-null
 * field that has a default: what graphql-jit's variable parsing refuses when the field is left out.
 */
function requiresFieldWithDefault(schema: GraphQLSchema, operation: OperationDefinitionNode | null | undefined): boolean {
  const seen = new Set<GraphQLInputObjectType>();
  const holds = (type: GraphQLType | undefined): boolean => {
    const named = type && getNamedType(type);
    if (!named || !isInputObjectType(named) || seen.has(named)) return false;
    seen.add(named);
    return Object.values(named.getFields()).some((field) => (isNonNullType(field.type) && field.defaultValue !== undefined) || holds(field.type));
  };
  return operation?.variableDefinitions?.some((definition) => holds(typeFromAST(schema, definition.type))) ?? false;
}

/** Whether a field of `document` is aliased `__proto__`. */
function aliasesPrototype(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(field) {
      if (field.alias?.value === '__proto__') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function refusedAsWhole(answer: ExecutionResult): boolean {
  return answer.data === undefined && (answer.errors?.length ?? 0) > 0;
}

/** What {@link CompiledExecution} remembers of one operation of one document. */
interface Entry {
  runs: number;
  /** The compiled operation; `null` when graphql-jit refused it (graphql-js runs it from then on). */
  compiled: CompiledQuery | null | undefined;
}

/** Apollo Server's executor for `schema`, compiling the documents that repeat; see the module comment. */
export class CompiledExecution {
  readonly #entries = new Map<string, Entry>();
  readonly #interpretedRuns: number;
  readonly #maxDocuments: number;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: CompiledExecutionOptions = {},
  ) {
    this.#interpretedRuns = options.interpretedRuns ?? 1;
    this.#maxDocuments = options.maxDocuments ?? 500;
  }

  /** Operations compiled and remembered now. */
  get compiledCount(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (entry.compiled) count += 1;
    return count;
  }

  /** Operations remembered now (compiled or counted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Executes one validated operation of `document`. */
  execute(document: DocumentNode, operationName: string | null, variables: Record<string, unknown> | undefined, context: unknown, key: string): Promise<ExecutionResult> | ExecutionResult {
    const entry = this.#entry(`${key}\u0000${operationName ?? ''}`);
    entry.runs += 1;
    if (entry.compiled === undefined && entry.runs > this.#interpretedRuns) entry.compiled = this.#compile(document, operationName);
    const interpret = () => execute({ schema: this.schema, document, operationName, variableValues: variables, contextValue: context });
    if (!entry.compiled) return interpret();
    const answer = entry.compiled.query(undefined, context, variables ?? {});
    if (isPromise(answer) || !refusedAsWhole(answer)) return answer;
    // Refused before any resolver ran (variables that do not fit their types): graphql-js words
    // such refusals its own way (a scalar's own message, which clients and Apollo Server go by),
    // so it answers. Should it accept what graphql-jit refused, the two disagree on this
    // operation's variables, and graphql-js runs it from now on.
    const interpreted = interpret();
    if (isPromise(interpreted) || !refusedAsWhole(interpreted)) {
      entry.compiled = null;
      this.options.logger?.warn({ operationName, refusal: answer.errors?.[0]?.message }, 'graphql-jit refused variables graphql-js accepts; graphql-js runs this operation from now on');
    }
    return interpreted;
  }

  /** This executor as the gateway interface Apollo Server takes (the schema stays this subgraph's). */
  asGateway(): GatewayInterface {
    const executor: GatewayExecutor = async (requestContext) =>
      (await this.execute(requestContext.document, requestContext.operationName, requestContext.request.variables, requestContext.context, requestContext.queryHash)) as Awaited<ReturnType<GatewayExecutor>>;
    return {
      onSchemaLoadOrUpdate: (callback) => {
        callback({ apiSchema: this.schema, coreSupergraphSdl: '' });
        return () => {};
      },
      load: async () => ({ executor }),
      stop: async () => {},
    };
  }

  /** The entry for `key`, made the most recently used; the least recently used is forgotten past the bound. */
  #entry(key: string): Entry {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      entry = { runs: 0, compiled: undefined };
      if (this.#entries.size >= this.#maxDocuments) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, entry);
    return entry;
  }

  #compile(document: DocumentNode, operationName: string | null): CompiledQuery | null {
    // graphql-jit refuses a variable's input object that leaves out a non-null field with a
    // default (graphql-js fills the default in): such operations stay with graphql-js.
    if (requiresFieldWithDefault(this.schema, getOperationAST(document, operationName ?? undefined))) return null;
    // graphql-jit assigns answers to plain objects: an alias `__proto__` would set the answer's
    // prototype instead of a key (graphql-js's answers have none). Such documents stay with graphql-js.
    if (aliasesPrototype(document)) return null;
    try {
      const compiled = compileQuery(this.schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) return compiled;
      this.options.logger?.warn({ operationName, errors: compiled.errors?.map((e) => e.message) }, 'graphql-jit cannot compile this operation; graphql-js keeps running it');
    } catch (error) {
      this.options.logger?.warn({ err: error, operationName }, 'graphql-jit failed to compile this operation; graphql-js keeps running it');
    }
    return null;
  }
}
