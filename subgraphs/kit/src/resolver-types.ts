import type { GraphQLScalarType } from 'graphql';

/**
 * Type-level checks that hold a subgraph's resolver map to its SDL, on top of the resolver types
 * GraphQL Code Generator writes for it (`npm run codegen`, `src/generated/resolvers.ts`).
 *
 * The generated types make every resolver optional, because a field the parent row carries is
 * answered by GraphQL's default resolver. That leaves two holes a rename falls through: a field the
 * row does not carry (or carries as a value the schema does not answer, such as an enum value the
 * SDL renamed) with no resolver, and a root field nobody resolves. {@link CompleteResolverMap}
 * closes both: such resolvers become required, so the map fails `npm run typecheck`.
 */

/** What a generated field resolver answers, its promise unwrapped (distributes over `fn | { resolve }`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnswerOf<R> = R extends (...args: any[]) => infer T ? Awaited<T> : R extends { resolve: (...args: any[]) => infer T } ? Awaited<T> : never;

/**
 * The fields of an object type that the default resolver cannot answer from `Parent`: every field
 * of a root type (its parent is an empty record), and every field the row lacks or carries as a
 * value the field's type does not admit.
 */
export type UnansweredFields<R, Parent> = {
  [K in keyof R]-?: K extends `__${string}`
    ? never
    : string extends keyof Parent
      ? K
      : K extends keyof Parent
        ? Admits<AnswerOf<R[K]>, Parent[K]> extends true
          ? never
          : K
        : K;
}[keyof R];

/** Whether a row's value answers a field: undefined reads as null, so only a nullable field takes it. */
type Admits<Answer, Value> = null extends Answer ? ([Value] extends [Answer | undefined] ? true : false) : [Value] extends [Answer] ? true : false;

/** One object type's resolvers with every field the row cannot answer made required. */
export type CompleteResolvers<R, Parent> = R & { [K in UnansweredFields<R, Parent>]-?: NonNullable<R[K]> };

/** Whether the generated resolvers of a type have anything that must be written (a scalar never). */
type NeedsResolvers<R, Parent> = [R] extends [GraphQLScalarType] ? false : [UnansweredFields<R, Parent>] extends [never] ? ('__resolveType' extends keyof R ? true : false) : true;

/**
 * A subgraph's whole resolver map, checked against its SDL and mappers: a type whose row leaves
 * fields unanswered, and every union and interface, must be present; the rest stay optional.
 * `Resolvers` and `ParentTypes` are the generated `Resolvers` and `ResolversParentTypes`.
 */
export type CompleteResolverMap<Resolvers, ParentTypes> = {
  [T in keyof Resolvers as T extends keyof ParentTypes ? (NeedsResolvers<NonNullable<Resolvers[T]>, ParentTypes[T]> extends true ? T : never) : never]-?: T extends keyof ParentTypes
    ? CompleteResolvers<NonNullable<Resolvers[T]>, ParentTypes[T]>
    : never;
} & {
  [T in keyof Resolvers as T extends keyof ParentTypes ? (NeedsResolvers<NonNullable<Resolvers[T]>, ParentTypes[T]> extends true ? never : T) : T]?: Resolvers[T];
};

/**
 * A generated object type (whose `__typename` is optional) as a value that must name itself:
 * applied to the members of a subgraph's error interface it is that subgraph's failure union.
 */
export type WithTypename<T> = T extends { __typename?: infer N } ? Omit<T, '__typename'> & { __typename: NonNullable<N> } : never;

/** A result union's members as services return them: the failures name themselves. */
export type ServiceResult<U> = U extends { errorCode: unknown } ? WithTypename<U> : U;

/**
 * A subgraph's graphql-shield rule map, complete against its SDL: every object type (the roots
 * included) is named, with one rule for all its fields or a rule for each of them — a type or
 * field without a rule would be denied at run time by the fallback, so a missing one is a type
 * error, as is a name the SDL does not have. `ObjectTypes` is the generated `ObjectTypeName`.
 */
export type PermissionMap<Resolvers, ObjectTypes extends keyof Resolvers, Rule> = {
  [T in ObjectTypes]: Rule | { [F in keyof NonNullable<Resolvers[T]> as F extends `__${string}` ? never : F]-?: Rule };
};
