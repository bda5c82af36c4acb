import { GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddleware } from 'graphql-middleware';
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
  return applyMiddleware(schema, withoutAllowed(permissions.generate(schema), ruleTree));
}

/**
 * The shield's field middleware minus the fields whose rule is `allow`: wrapping those would only
 * add a promise and a rule call per field of every row answered (50 products × their fields per
 * page) to grant what is granted anyway. Every other field keeps its rule, unlisted ones the
 * fallback (deny); the rule maps are complete by construction (`PermissionRules`).
 */
function withoutAllowed(middleware: IMiddleware, rules: Record<string, unknown>): IMiddleware {
  const kept: Record<string, unknown> = {};
  for (const [type, fields] of Object.entries(middleware as Record<string, unknown>)) {
    const rule = rules[type];
    if (rule === allow) continue;
    if (typeof fields !== 'object' || fields === null || typeof rule !== 'object' || rule === null || !isFieldMap(rule)) {
      kept[type] = fields;
      continue;
    }
    const fieldRules = rule as Record<string, unknown>;
    kept[type] = Object.fromEntries(Object.entries(fields).filter(([field]) => fieldRules[field] !== allow));
  }
  return kept as IMiddleware;
}

/** A per-field rule map (a plain object), as opposed to one rule for the whole type. */
function isFieldMap(rule: object): boolean {
  return Object.getPrototypeOf(rule) === Object.prototype;
}
