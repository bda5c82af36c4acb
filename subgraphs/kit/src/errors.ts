import { GraphQLError } from 'graphql';

/**
 * The closed list of codes carried in `extensions.code` of GraphQL errors across Redthread.
 * Expected business failures are not errors: they are typed members of mutation result unions.
 */
export const ErrorCode = {
  /** No credentials, or credentials that could not be verified (missing, forged, expired). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Verified caller without the role the operation needs. */
  FORBIDDEN: 'FORBIDDEN',
  /** Arguments that are syntactically valid GraphQL but not acceptable (bad cursor, bad id). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The operation exceeds a gateway limit (depth, aliases, root fields, cost, body size). */
  OPERATION_LIMIT_EXCEEDED: 'OPERATION_LIMIT_EXCEEDED',
  /** A live subscriber fell too far behind and was closed: resubscribe with `after` = the last cursor. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** A subgraph or the database could not be reached. Retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Anything unexpected. Logged with the request id; details are never sent to clients. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status of a response whose request was refused as a whole. */
const httpStatusOf: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  OPERATION_LIMIT_EXCEEDED: 400,
  SERVICE_UNAVAILABLE: 503,
};

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
  const status = httpStatusOf[code];
  return new GraphQLError(message, {
    extensions: { code, ...fields, ...(status ? { http: { status } } : {}) },
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
