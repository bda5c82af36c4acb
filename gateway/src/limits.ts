import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  getOperationAST,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
import { Parser } from 'graphql/language/parser.js';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { ErrorCode, MAX_PAGE_SIZE, requestError, type GraphQLRequestParams } from '@redthread/kit';

/** Per-operation limits the gateway enforces before an operation is validated or planned. */
export interface OperationLimits {
  /** Deepest field nesting (introspection subtrees not counted: introspection is on or off). */
  maxDepth: number;
  /** Aliased fields, `__typename` and `__schema` included, counted through every fragment spread. */
  maxAliases: number;
  /** Top-level fields of the operation. */
  maxRootFields: number;
  /** Estimated cost: each field costs 1, a list field multiplies its selection by `first`. */
  maxCost: number;
  /** Directives in the operation, counted through every fragment spread. */
  maxDirectives: number;
  /** Lexical tokens of the whole document; the parser stops at the limit, before any deep recursion. */
  maxTokens: number;
}

/** The limits' defaults (also the gateway environment's). */
export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 10,
  maxCost: 20_000,
  maxDirectives: 50,
  maxTokens: 5_000,
};

/** What {@link measureCost} found. */
export interface OperationCost {
  rootFields: number;
  cost: number;
  /** Whether a `first` argument came from a variable: then the cost is per request, not per document. */
  dependsOnVariables: boolean;
}

/** The list size assumed when a list field has no `first`/`last`/`limit` argument: the connections' default page. */
const DEFAULT_LIST_SIZE = 20;
const PAGE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/**
 * Root fields and estimated cost of an operation, with every fragment measured once (memoised):
 * time linear in the document's size, whatever its fragments spread. Introspection fields
 * (`__schema`, `__type`) cost nothing: introspection is governed by being enabled or not.
 * A fragment spread inside itself (invalid, refused by validation later) counts nothing.
 */
export function measureCost(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): OperationCost {
  let dependsOnVariables = false;
  const fragmentCost = new Map<string, number>();

  const multiplierOf = (args: readonly { name: { value: string }; value: ValueNode }[] | undefined): number => {
    for (const arg of args ?? []) {
      if (!PAGE_ARGUMENTS.has(arg.name.value)) continue;
      const value = arg.value;
      if (value.kind === Kind.INT) return Math.min(Math.max(1, Number(value.value)), MAX_PAGE_SIZE);
      if (value.kind === Kind.VARIABLE) {
        dependsOnVariables = true;
        const resolved = variables[value.name.value];
        if (typeof resolved === 'number' && Number.isFinite(resolved)) return Math.min(Math.max(1, resolved), MAX_PAGE_SIZE);
      }
      return DEFAULT_LIST_SIZE;
    }
    return 1;
  };

  const costOf = (set: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') continue;
        cost += 1 + (selection.selectionSet ? costOf(selection.selectionSet) * multiplierOf(selection.arguments) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += costOf(selection.selectionSet);
      } else {
        const name = selection.name.value;
        let known = fragmentCost.get(name);
        if (known === undefined) {
          fragmentCost.set(name, 0); // a cycle meets 0 instead of recursing forever
          const fragment = fragments.get(name);
          known = fragment ? costOf(fragment.selectionSet) : 0;
          fragmentCost.set(name, known);
        }
        cost += known;
      }
    }
    return cost;
  };

  const rootFieldsOf = (set: SelectionSetNode, seen: Set<string>): number => {
    let count = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) count += 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFieldsOf(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) count += rootFieldsOf(fragment.selectionSet, seen);
      }
    }
    return count;
  };

  return { rootFields: rootFieldsOf(operation.selectionSet, new Set()), cost: costOf(operation.selectionSet), dependsOnVariables };
}

/** A client-facing OPERATION_LIMIT_EXCEEDED error, in the one shape every limit uses. */
export function limitExceeded(limit: string, what: string, max: number, actual?: number): GraphQLError {
  const found = actual === undefined ? '' : `: ${limit} ${Number.isFinite(actual) ? actual : 'beyond counting'} exceeds the limit of ${max}`;
  return requestError(
    ErrorCode.OPERATION_LIMIT_EXCEEDED,
    `The operation ${what}${found || ` (the limit of ${limit} is ${max})`}. Split it into smaller operations or ask for fewer items.`,
    { limit, max, ...(actual === undefined ? {} : { actual: Number.isFinite(actual) ? actual : null }) },
  );
}

/** The first of the cost limits `measure` breaks; undefined when within them. */
function costViolation(measure: OperationCost, limits: OperationLimits): GraphQLError | undefined {
  if (measure.rootFields > limits.maxRootFields) return limitExceeded('rootFields', 'asks for too many top-level fields', limits.maxRootFields, measure.rootFields);
  if (measure.cost > limits.maxCost) return limitExceeded('cost', 'is too expensive', limits.maxCost, measure.cost);
  return undefined;
}

/**
 * GraphQL Armor's depth, alias and directive rules, with our error shape: each reports its count
 * through `onAccept`/`onReject` instead of throwing, and the first refusal wins.
 */
function armorRules(limits: OperationLimits, refused: (error: GraphQLError) => void): ValidationRule[] {
  const found = (message: string) => Number(/found (\d+)/.exec(message)?.[1] ?? Number.NaN);
  const onReject = (limit: string, what: string, max: number) => [
    (_: unknown, error: GraphQLError) => refused(limitExceeded(limit, what, max, found(error.message) || undefined)),
  ];
  const common = { exposeLimits: true, propagateOnRejection: false };
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, onReject: onReject('depth', 'nests fields too deeply', limits.maxDepth) }),
    maxAliasesRule({ ...common, n: limits.maxAliases, allowList: [], onReject: onReject('aliases', 'uses too many aliases', limits.maxAliases) }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: onReject('directives', 'uses too many directives', limits.maxDirectives) }),
  ];
}

/**
 * How deep brackets (`{`, `(`, `[`) may nest in a document, and how long a chain of fragments
 * spreading each other may be. graphql-js parses recursively, so a
 * document nested thousands deep overflows the stack before any limit could look at it; the
 * lexer pass below refuses it first. Far above any real operation (its fields nest at most
 * `maxDepth`, input values a few levels).
 */
export const MAX_NESTING = 64;

/**
 * One pass of graphql-js's lexer over the document, without recursion: refuses more than
 * `maxTokens` tokens or brackets nested deeper than {@link MAX_NESTING}; a lexical error is left
 * for the parser to report with its location.
 */
function readTokens(source: string, maxTokens: number): 'ok' | { kind: 'refused'; error: GraphQLError } | { kind: 'syntax' } {
  const lexer = new Lexer(new Source(source));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > maxTokens) return { kind: 'refused', error: limitExceeded('tokens', 'is too long', maxTokens) };
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.PAREN_L || token.kind === TokenKind.BRACKET_L) {
        if (++nesting > MAX_NESTING) return { kind: 'refused', error: limitExceeded('nesting', 'nests brackets too deeply', MAX_NESTING) };
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.PAREN_R || token.kind === TokenKind.BRACKET_R) {
        nesting -= 1;
      }
    }
  } catch {
    return { kind: 'syntax' };
  }
  return 'ok';
}

/**
 * The longest chain of fragments spreading one another (`F0` spreads `F1`, which spreads `F2` …),
 * found without recursion. Brackets cannot nest deeper than {@link MAX_NESTING}, but a chain of
 * flat fragments can be as long as the token limit allows, and every walker that expands
 * fragments (ours, Armor's, graphql-js's validation) recurses once per link. A spread of an
 * unknown fragment or a cycle counts nothing here: validation refuses both.
 */
function longestFragmentChain(fragments: ReadonlyMap<string, FragmentDefinitionNode>): number {
  const spreadsOf = (set: SelectionSetNode, into: string[]): string[] => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) into.push(selection.name.value);
      else if (selection.selectionSet) spreadsOf(selection.selectionSet, into); // brackets nest ≤ MAX_NESTING
    }
    return into;
  };
  const spreads = new Map([...fragments].map(([name, fragment]) => [name, spreadsOf(fragment.selectionSet, [])]));
  const chain = new Map<string, number>();
  let longest = 0;
  for (const start of fragments.keys()) {
    if (chain.has(start)) continue;
    const stack: { name: string; next: number }[] = [{ name: start, next: 0 }];
    const open = new Set([start]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = spreads.get(top.name) ?? [];
      if (top.next < children.length) {
        const child = children[top.next++]!;
        if (spreads.has(child) && !chain.has(child) && !open.has(child)) {
          stack.push({ name: child, next: 0 });
          open.add(child);
        }
        continue;
      }
      let length = 1;
      for (const child of children) length = Math.max(length, 1 + (chain.get(child) ?? 0));
      chain.set(top.name, length);
      longest = Math.max(longest, length);
      open.delete(top.name);
      stack.pop();
    }
  }
  return longest;
}

/** What the guard found of one operation of a document. */
interface OperationOutcome {
  kind: OperationDefinitionNode['operation'] | undefined;
  measure: GraphQLError | OperationCost;
}

/** What the guard keeps of one document it has seen. */
type DocumentVerdict =
  | { kind: 'refused'; error: GraphQLError }
  | {
      kind: 'parsed';
      document: DocumentNode;
      fragments: ReadonlyMap<string, FragmentDefinitionNode>;
      tokens: number;
      /** Per operation name ('' for none): its kind and a refusal or its cost (recomputed when it depends on variables). */
      operations: Map<string, OperationOutcome>;
      /** The first refusal of the Armor rules, which look at all the document's operations at once. */
      staticError: GraphQLError | undefined;
    }
  | { kind: 'syntax' };

/** Tokens of parsed documents the guard keeps at most (bounded memory: about 150 bytes a token). */
const CACHE_TOKENS = 200_000;
/** Characters of document text the guard keeps as cache keys at most. */
const CACHE_CHARACTERS = 4_000_000;
/**
 * Documents longer than this are checked on every request and never cached: keeping (and
 * comparing) a megabyte that the lexer refuses after its first few thousand tokens costs more than
 * the check.
 */
const CACHE_MAX_DOCUMENT = 32 * 1024;
/** Documents the guard remembers at most. */
const CACHE_DOCUMENTS = 2_000;
/** Operation names remembered per document: beyond them a name is checked on every request. */
const CACHE_OPERATIONS_PER_DOCUMENT = 32;

/** What {@link OperationGuard.inspect} says: refuse with `error`, or go on with the kind of operation. */
export type GuardVerdict = { error: GraphQLError } | { kind: OperationDefinitionNode['operation'] | undefined };

/**
 * Checks operations against the limits before they are validated or planned, over HTTP and over
 * WebSocket alike: one lexer pass (tokens, bracket nesting), a parse without location data, the
 * fragment chain, GraphQL Armor's depth, alias and directive rules, and our cost estimate (each
 * fragment measured once), all in time linear in the document. The verdict is remembered per
 * document (in an LRU bounded by documents, tokens and characters), so a repeated document costs a
 * map lookup. It also picks the operation to run: an unknown `operationName`, several operations
 * without one, or none at all are refused here, with a code from the closed list.
 */
export class OperationGuard {
  /** Keyed by the document text itself (V8 hashes a string once; a hit compares it). */
  readonly #verdicts = new Map<string, DocumentVerdict>();
  #cachedTokens = 0;
  #cachedCharacters = 0;

  constructor(private readonly limits: OperationLimits) {}

  /**
   * The error to refuse the request with, or the kind of its operation (undefined when the document
   * does not parse: the caller's parser then reports the syntax error with its location).
   */
  inspect(schema: GraphQLSchema, source: string, operationName: string | null | undefined, variables: Record<string, unknown> | undefined): GuardVerdict {
    const verdict = this.#verdictFor(schema, source);
    if (verdict.kind === 'refused') return { error: verdict.error };
    if (verdict.kind === 'syntax') return { kind: undefined };
    if (verdict.staticError) return { error: verdict.staticError };

    const name = operationName ?? '';
    const operations = verdict.operations.size < CACHE_OPERATIONS_PER_DOCUMENT ? verdict.operations : new Map<string, OperationOutcome>();
    let known = verdict.operations.get(name);
    if (!known || (!(known.measure instanceof GraphQLError) && known.measure.dependsOnVariables)) {
      const operation = getOperationAST(verdict.document, operationName);
      if (!operation) {
        const hasOperations = verdict.document.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION);
        const error = !hasOperations
          ? requestError(ErrorCode.INVALID_OPERATION, 'The document has no operation to run, only fragments. Add a query, mutation or subscription.')
          : operationName
            ? requestError(ErrorCode.INVALID_OPERATION, `The document has no operation named "${operationName}". Send one of its operation names as operationName, or leave it out.`)
            : requestError(ErrorCode.INVALID_OPERATION, 'The document has several operations: say which one to run with operationName.');
        operations.set(name, (known = { kind: undefined, measure: error }));
      } else {
        let measure: GraphQLError | OperationCost;
        try {
          measure = measureCost(operation, verdict.fragments, variables ?? {});
        } catch (error) {
          if (!(error instanceof RangeError)) throw error; // a fragment chain too deep to walk, as in #verdictFor
          measure = limitExceeded('nesting', 'spreads fragments too deeply', MAX_NESTING);
        }
        operations.set(name, (known = { kind: operation.operation, measure }));
      }
    }
    if (known.measure instanceof GraphQLError) return { error: known.measure };
    const error = costViolation(known.measure, this.limits);
    return error ? { error } : { kind: known.kind };
  }

  #verdictFor(schema: GraphQLSchema, source: string): DocumentVerdict {
    const cacheable = source.length <= CACHE_MAX_DOCUMENT;
    let verdict = cacheable ? this.#verdicts.get(source) : undefined;
    if (verdict) {
      this.#verdicts.delete(source);
      this.#verdicts.set(source, verdict);
    } else {
      try {
        verdict = this.#analyse(schema, source);
      } catch (error) {
        // Brackets cannot nest deeper than MAX_NESTING, but fragments can spread each other in a
        // chain as long as the token limit allows; a walker through such a chain may still run out
        // of stack. That is a document too deep to look at, not a server error.
        if (!(error instanceof RangeError)) throw error;
        verdict = { kind: 'refused', error: limitExceeded('nesting', 'spreads fragments too deeply', MAX_NESTING) };
      }
      if (cacheable) this.#remember(source, verdict);
    }
    return verdict;
  }

  #analyse(schema: GraphQLSchema, source: string): DocumentVerdict {
    const read = readTokens(source, this.limits.maxTokens);
    if (read !== 'ok') return read;
    const parser = new Parser(source, { noLocation: true });
    let document: DocumentNode;
    try {
      document = parser.parseDocument();
    } catch {
      return { kind: 'syntax' };
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const chain = longestFragmentChain(fragments);
    if (chain > MAX_NESTING) return { kind: 'refused', error: limitExceeded('nesting', 'spreads fragments within fragments too deeply', MAX_NESTING, chain) };
    let staticError: GraphQLError | undefined;
    validate(schema, document, armorRules(this.limits, (error) => (staticError ??= error)));
    return { kind: 'parsed', document, fragments, tokens: parser.tokenCount, operations: new Map(), staticError };
  }

  #remember(source: string, verdict: DocumentVerdict): void {
    this.#verdicts.set(source, verdict);
    this.#cachedTokens += verdict.kind === 'parsed' ? verdict.tokens : 0;
    this.#cachedCharacters += source.length;
    for (const [oldest, old] of this.#verdicts) {
      if (this.#cachedTokens <= CACHE_TOKENS && this.#cachedCharacters <= CACHE_CHARACTERS && this.#verdicts.size <= CACHE_DOCUMENTS) break;
      this.#verdicts.delete(oldest);
      this.#cachedCharacters -= oldest.length;
      if (old.kind === 'parsed') this.#cachedTokens -= old.tokens;
    }
  }
}

/**
 * The guard as the gateway's HTTP precheck (see graphqlRequestHandler): refuses what the limits
 * refuse, and a subscription sent as an HTTP request, before Apollo parses, validates or plans it.
 */
export function httpOperationCheck(guard: OperationGuard, schema: GraphQLSchema): (params: GraphQLRequestParams) => GraphQLError | undefined {
  return ({ query, operationName, variables }) => {
    const verdict = guard.inspect(schema, query, operationName, variables);
    if ('error' in verdict) return verdict.error;
    if (verdict.kind === 'subscription') {
      return requestError(
        ErrorCode.BAD_REQUEST,
        'Subscriptions are served over WebSocket (the graphql-ws protocol) on this same /graphql path, not over HTTP requests.',
      );
    }
    return undefined;
  };
}
