import { GraphQLError } from 'graphql';

/**
 * The closed list of codes carried in `extensions.code` of GraphQL errors across Redthread — the
 * README's "Errors" table is this list (a test holds them together). Expected business failures
 * are not errors: they are typed members of mutation result unions. Apollo's own codes never reach
 * a client: {@link publicErrorCode} maps them onto this list.
 */
export const ErrorCode = {
  /** No credentials, or credentials that could not be verified (missing, forged, expired, unknown partner). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Verified caller without the role the operation needs. */
  FORBIDDEN: 'FORBIDDEN',
  /** A value the operation carries is not acceptable: a bad argument, variable, cursor, id or text. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The document does not parse, does not validate against the schema, or names no operation to run. */
  INVALID_OPERATION: 'INVALID_OPERATION',
  /** The HTTP request is not a GraphQL request the server takes (method, body, batching, CSRF, a subscription over HTTP). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The operation exceeds a gateway limit (tokens, depth, aliases, root fields, directives, cost, body size). */
  OPERATION_LIMIT_EXCEEDED: 'OPERATION_LIMIT_EXCEEDED',
  /** A live subscriber fell too far behind and was closed: resubscribe with `after` = the last cursor. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** A subgraph or the database could not be reached. Retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Anything unexpected. Logged with the request id; details are never sent to clients. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * HTTP status of a response refused as a whole with each code. Errors inside execution (a field's
 * resolver) answer 200 beside the data. Under `Accept: application/json`, documents that do not
 * parse or validate (INVALID_OPERATION) and variables that do not coerce (BAD_USER_INPUT) answer
 * 200 as well, as the GraphQL-over-HTTP spec asks; `application/graphql-response+json` gets the status here. A body over the size limit
 * answers 413, a method other than GET or POST 405. SLOW_CONSUMER only closes subscriptions.
 */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  INVALID_OPERATION: 400,
  BAD_REQUEST: 400,
  OPERATION_LIMIT_EXCEEDED: 400,
  SLOW_CONSUMER: 400,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

/** Apollo Server's own codes, each mapped onto the closed list. */
const APOLLO_CODES: Readonly<Record<string, ErrorCode>> = {
  GRAPHQL_PARSE_FAILED: ErrorCode.INVALID_OPERATION,
  GRAPHQL_VALIDATION_FAILED: ErrorCode.INVALID_OPERATION,
  OPERATION_RESOLUTION_FAILURE: ErrorCode.INVALID_OPERATION,
  PERSISTED_QUERY_NOT_FOUND: ErrorCode.BAD_REQUEST,
  PERSISTED_QUERY_NOT_SUPPORTED: ErrorCode.BAD_REQUEST,
};

const CLOSED_LIST = new Set<string>(Object.values(ErrorCode));

/**
 * The code a client may see for an error's `extensions.code`: the code itself when it is on the
 * closed list, Apollo's own codes mapped onto it, undefined for anything else (which is answered
 * as INTERNAL_SERVER_ERROR and logged).
 */
export function publicErrorCode(code: unknown): ErrorCode | undefined {
  if (typeof code !== 'string') return undefined;
  return CLOSED_LIST.has(code) ? (code as ErrorCode) : APOLLO_CODES[code];
}

/**
 * Builds a GraphQLError with a code from the closed list, for an error inside execution (a
 * field's resolver). `fields` are merged into `extensions` (e.g. `{ argument: 'first' }`).
 * It never sets an HTTP status: a subgraph answering non-2xx would fail the gateway's whole fetch.
 */
export function apiError(code: ErrorCode, message: string, fields: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...fields } });
}

/**
 * Like {@link apiError}, for refusing a request as a whole before execution (context creation,
 * operation limits): also sets the HTTP status the response carries (401, 400, ...).
 */
export function requestError(code: ErrorCode, message: string, fields: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, ...fields, http: { status: ERROR_HTTP_STATUS[code] } },
  });
}

/**
 * The members of a subgraph's own closed list of expected-failure codes become values of the
 * `errorCode` field on typed errors in result unions; this shape is what every such error has.
 */
export interface TypedFailure<Code extends string> {
  readonly __typename: string;
  readonly errorCode: Code;
  readonly message: string;
}

/**
 * Whether a service result is one of the typed failures of a result union (anything carrying an
 * `errorCode` and a `__typename`), narrowing `Row | Failure` to the failure members.
 */
export function isFailure<T>(value: T): value is Extract<T, { errorCode: string }> & TypedFailure<string> {
  return typeof value === 'object' && value !== null && 'errorCode' in value && '__typename' in value;
}

/** The `__typename` a failure value names, as a literal. */
type TypenameOf<P> = P extends { __typename?: infer N } ? (N extends string ? N : never) : never;

/**
 * The `__resolveType` of a mutation result union (`Success | Failure…`): a failure names its type
 * in `__typename`, the success row does not and is `success`. Typed against the generated union:
 * `success` must be one of its members.
 */
export function resultUnion<Success extends string>(success: Success) {
  return {
    __resolveType<P extends object>(value: P): Success | TypenameOf<P> {
      const named = (value as { __typename?: unknown }).__typename;
      return typeof named === 'string' ? (named as TypenameOf<P>) : success;
    },
  };
}

/**
 * The `__resolveType` of a subgraph's error interface (`OrdersError`, ...): every member value
 * carries its `__typename`.
 */
export const namedByTypename = {
  __resolveType<P extends { __typename?: string }>(value: P): NonNullable<P['__typename']> {
    return value.__typename as NonNullable<P['__typename']>;
  },
};

/**
 * For a non-null field whose row must exist (a return's order, a line's order): a missing row is
 * a broken invariant, answered as INTERNAL_SERVER_ERROR and logged, never a silent null.
 */
export function missingRow(kind: string, id: string): never {
  throw new Error(`invariant: ${kind} ${id} was expected to exist and be visible here`);
}
