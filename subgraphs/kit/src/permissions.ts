import { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, and, deny, rule, shield, type IRule, type IRules } from 'graphql-shield';
import type { RequestContext } from './context';
import { ErrorCode, apiError } from './errors';
import type { Role } from './identity';

/**
 * A rule that passes when the caller holds at least one of `roles`. Not cached across parents
 * (`no_cache`): every field decision is taken for the object at hand.
 */
export function hasAnyRole(...roles: Role[]) {
  // graphql-shield requires one instance per rule name: reuse it for the same role set.
  const name = `hasAnyRole(${[...roles].sort().join(',')})`;
  let existing = roleRules.get(name);
  if (!existing) {
    existing = rule(name, { cache: 'no_cache' })(
      (_parent: unknown, _args: unknown, ctx: RequestContext) =>
        ctx.identity.roles.some((role) => roles.includes(role)) ||
        apiError(ErrorCode.FORBIDDEN, `This operation needs one of the roles: ${roles.join(', ')}.`, { requiredRoles: roles }),
    );
    roleRules.set(name, existing);
  }
  return existing;
}

const roleRules = new Map<string, ReturnType<ReturnType<typeof rule>>>();

/** One graphql-shield rule: a rule such as {@link hasAnyRole} or `allow`, or a logic rule (`and`, `or`, ...). */
export type PermissionRule = IRule | ReturnType<typeof and>;

/** Every verified caller (the subgraph refuses unsigned requests before any rule runs). */
export const isCaller = allow;

/**
 * Wraps a subgraph schema with graphql-shield: `fallbackRule: deny` (a field without a rule is
 * refused), errors thrown by resolvers pass through unchanged, nothing cached across parents.
 * The federation fields `_service` and `_entities` are allowed here because the runtime has
 * already verified the gateway's signature, and every reference resolver reloads by key under
 * the caller's row-level security. `__resolveReference` itself is never wrapped.
 */
export function applyPermissions(schema: GraphQLSchema, rules: IRules): GraphQLSchema {
  const ruleTree = rules as Record<string, unknown>;
  const query = (ruleTree['Query'] ?? {}) as Record<string, unknown>;
  const permissions = shield(
    {
      ...ruleTree,
      Query: { ...query, _service: allow, _entities: allow },
      _Service: allow,
    } as IRules,
    {
      fallbackRule: deny,
      allowExternalErrors: true,
      fallbackError: () => apiError(ErrorCode.FORBIDDEN, 'You are not allowed to read or change this field.'),
    },
  );
  return applyMiddleware(schema, permissions);
}
