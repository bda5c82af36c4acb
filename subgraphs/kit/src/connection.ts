import { ErrorCode, apiError } from './errors';

/**
 * The primitives of Relay connections: page arguments, the `first` rule, the opaque cursor codec
 * and the connection shape. Lists page through {@link keysetPage} (./pagination.ts), which builds
 * on these; use them directly only for a list that is not a SQL query.
 */

/** Relay page arguments as every list field takes them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Default and maximum page sizes for connections. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Validates `first`: default 20, 1–100; anything else is BAD_USER_INPUT. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw apiError(ErrorCode.BAD_USER_INPUT, `"first" must be between 1 and ${MAX_PAGE_SIZE}; got ${first}.`, {
      argument: 'first',
    });
  }
  return first;
}

/** Encodes a keyset position (the sort key values of a row) as an opaque cursor. */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} for the same `kind` of list. A cursor from
 * another list or a forged one is BAD_USER_INPUT: the caller should restart from the first page.
 */
export function decodeCursor(kind: string, cursor: string, arity: number): (string | number)[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed[0] === kind && parsed.length === arity + 1) {
      const key = parsed.slice(1);
      if (key.every((v) => typeof v === 'string' || typeof v === 'number')) return key as (string | number)[];
    }
  } catch {
    // fall through to the error below
  }
  throw apiError(ErrorCode.BAD_USER_INPUT, 'The "after" cursor is not valid for this list; start again without it.', {
    argument: 'after',
  });
}

/** A Relay connection as the SDL's `XConnection` types expect it. */
export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Builds a connection from rows fetched with `limit first + 1` (the extra row only tells whether
 * there is a next page).
 */
export function toConnection<Node>(rows: Node[], first: number, cursorOf: (node: Node) => string): Connection<Node> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
