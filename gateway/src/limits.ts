import {
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode, requestError } from '@redthread/kit';

/** Per-operation limits the gateway enforces before planning. */
export interface OperationLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Fields requested under an alias. */
  maxAliases: number;
  /** Top-level fields of the operation. */
  maxRootFields: number;
  /** Estimated cost: each field costs 1, a list field multiplies its selection by `first`. */
  maxCost: number;
}

/** What {@link measureOperation} found. */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

/** The list size assumed when a list field has no `first`/`last`/`limit` argument. */
const DEFAULT_LIST_SIZE = 20;

/**
 * Measures an operation with its fragments expanded. Introspection fields (`__schema`,
 * `__type`) are not counted: introspection is governed by being enabled or not.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): OperationMeasure {
  let aliases = 0;
  let rootFields = 0;

  const multiplierOf = (args: readonly { name: { value: string }; value: ValueNode }[] | undefined): number => {
    for (const arg of args ?? []) {
      if (!['first', 'last', 'limit'].includes(arg.name.value)) continue;
      const value = arg.value;
      if (value.kind === Kind.INT) return Math.max(1, Number(value.value));
      if (value.kind === Kind.VARIABLE) {
        const resolved = variables[value.name.value];
        if (typeof resolved === 'number') return Math.max(1, resolved);
      }
      return DEFAULT_LIST_SIZE;
    }
    return 1;
  };

  // Returns [depth, cost] of a selection set.
  const walk = (set: SelectionSetNode, level: number, visiting: Set<string>): [number, number] => {
    let depth = 0;
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        if (level === 0) rootFields += 1;
        if (selection.alias && selection.alias.value !== name) aliases += 1;
        const [childDepth, childCost] = selection.selectionSet ? walk(selection.selectionSet, level + 1, visiting) : [0, 0];
        depth = Math.max(depth, 1 + childDepth);
        cost += 1 + childCost * multiplierOf(selection.arguments);
      } else {
        const inner =
          selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragmentSet(selection.name.value);
        if (!inner) continue;
        const key = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
        if (key && visiting.has(key)) continue;
        if (key) visiting.add(key);
        const [innerDepth, innerCost] = walk(inner, level, visiting);
        if (key) visiting.delete(key);
        depth = Math.max(depth, innerDepth);
        cost += innerCost;
      }
    }
    return [depth, cost];
  };
  const fragmentSet = (name: string) => fragments[name]?.selectionSet;

  const [depth, cost] = walk(operation.selectionSet, 0, new Set());
  return { depth, aliases, rootFields, cost };
}

/** The first limit `measure` breaks, as a client-facing error; undefined when within limits. */
export function limitViolation(measure: OperationMeasure, limits: OperationLimits) {
  const checks = [
    ['depth', measure.depth, limits.maxDepth, 'nests fields too deeply'],
    ['aliases', measure.aliases, limits.maxAliases, 'uses too many aliases'],
    ['rootFields', measure.rootFields, limits.maxRootFields, 'asks for too many top-level fields'],
    ['cost', measure.cost, limits.maxCost, 'is too expensive'],
  ] as const;
  for (const [limit, actual, max, what] of checks) {
    if (actual > max) {
      return requestError(
        ErrorCode.OPERATION_LIMIT_EXCEEDED,
        `The operation ${what}: ${limit} ${actual} exceeds the limit of ${max}. Split it into smaller operations or ask for fewer items.`,
        { limit, max, actual },
      );
    }
  }
  return undefined;
}

/** An Apollo plugin that refuses operations over the limits before they are planned. */
export function operationLimitsPlugin(limits: OperationLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const definition of document.definitions) {
            if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
          }
          const violation = limitViolation(measureOperation(operation, fragments, request.variables ?? {}), limits);
          if (violation) throw violation;
        },
      };
    },
  };
}
