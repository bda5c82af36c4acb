import { and, asc, desc, getTableColumns, sql, type AnyColumn, type InferSelectModel, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from './db';
import { ErrorCode, apiError } from './errors';
import { decodeCursor, encodeCursor, pageSize, type Connection, type PageArgs } from './connection';
import { isUuid } from './ids';

/**
 * How a sort key's value travels in a cursor and is cast back in SQL. Every value is carried as
 * text rendered by PostgreSQL itself, so a timestamp keeps its microseconds (a JavaScript `Date`
 * would cut them to milliseconds and make pages skip or repeat rows that share a millisecond).
 */
export type SortKeyType = 'timestamptz' | 'date' | 'uuid' | 'text' | 'bigint';

/** One column (or expression) of a list's sort order. */
export interface SortKey {
  /** What is sorted by. Must be NOT NULL: a null sorts outside any keyset comparison. */
  column: AnyColumn | SQL;
  type: SortKeyType;
  /** Newest/greatest first. Default: ascending. All keys of one list run the same way. */
  descending?: boolean;
}

/** A row fetched with {@link KeysetPage.key} selected as `pageKey`. */
export interface PagedRow {
  /** The row's sort key values, as rendered by {@link KeysetPage.key} (a JSON array of text). */
  pageKey: string;
}

/**
 * One page of a keyset-paged list, ready to put into a query: validated `first`, the condition
 * that starts after the cursor, the ORDER BY, the LIMIT (`first + 1`: the extra row only says
 * whether there is a next page) and the expression to select as `pageKey`, from which each
 * edge's cursor is made. See {@link keysetPage}.
 */
export interface KeysetPage {
  /** The page size asked for (validated). */
  readonly first: number;
  /** `first + 1`. */
  readonly limit: number;
  /** Rows after the `after` cursor in the sort order; undefined on the first page. */
  readonly after: SQL | undefined;
  /** The sort order, the last key breaking every tie (make it unique, e.g. the id). */
  readonly orderBy: SQL[];
  /** Select this as `pageKey` (drizzle: `{ ...getTableColumns(t), pageKey: page.key }`; raw SQL: `${page.key} as "pageKey"`). */
  readonly key: SQL<string>;
  /**
   * The connection of rows fetched with {@link limit}; `pageKey` is taken off the nodes, and
   * `toNode` (if given) maps each row to its node.
   */
  connection<Row extends PagedRow>(rows: readonly Row[]): Connection<Omit<Row, 'pageKey'>>;
  connection<Row extends PagedRow, Node>(rows: readonly Row[], toNode: (row: Omit<Row, 'pageKey'>) => Node): Connection<Node>;
  /** The empty connection (a filter that can match nothing, e.g. a malformed id). */
  empty<Node>(): Connection<Node>;
  /**
   * The common case in one call: this page of `table`'s whole rows that match every condition in
   * `where` (undefined ones are left out) and come after the cursor, as a connection. One statement.
   */
  rowsOf<T extends PgTable>(tx: Tx, table: T, ...where: (SQL | undefined)[]): Promise<Connection<Omit<InferSelectModel<T> & PagedRow, 'pageKey'>>>;
}

/** Longest cursor accepted; a real one is far shorter (a few sort keys). */
const MAX_CURSOR_LENGTH = 2_000;

const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const INT8 = /^-?\d{1,19}$/;

/** Renders a key value as text in SQL, in the one format {@link castBack} and {@link wellFormed} expect. */
function render(key: SortKey): SQL {
  switch (key.type) {
    case 'timestamptz':
      return sql`to_char(${key.column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'date':
      return sql`to_char(${key.column}, 'YYYY-MM-DD')`;
    case 'text':
    case 'uuid':
    case 'bigint':
      return sql`(${key.column})::text`;
  }
}

function castBack(type: SortKeyType, value: string): SQL {
  switch (type) {
    case 'timestamptz':
      return sql`${value}::timestamptz`;
    case 'date':
      return sql`${value}::date`;
    case 'text':
      return sql`${value}::text`;
    case 'uuid':
      return sql`${value}::uuid`;
    case 'bigint':
      return sql`${value}::bigint`;
  }
}

/** Whether a decoded value can be cast back without a database error (a forged cursor is refused, not a 500). */
function wellFormed(type: SortKeyType, value: string): boolean {
  switch (type) {
    case 'timestamptz': {
      if (!ISO_MICROS.test(value)) return false;
      const millis = `${value.slice(0, 23)}Z`;
      const parsed = new Date(millis);
      return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === millis;
    }
    case 'date': {
      const parsed = new Date(`${value}T00:00:00.000Z`);
      return ISO_DATE.test(value) && !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
    }
    case 'uuid':
      return isUuid(value);
    case 'bigint':
      return INT8.test(value) && BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n;
    case 'text':
      return true;
  }
}

function invalidCursor(): never {
  throw apiError(ErrorCode.BAD_USER_INPUT, 'The "after" cursor is not valid for this list; start again without it.', { argument: 'after' });
}

/**
 * The condition "comes after these values in this order": one row comparison, which PostgreSQL
 * answers by walking a matching b-tree index from the cursor (forwards or backwards).
 */
function afterCondition(keys: readonly SortKey[], values: readonly string[]): SQL {
  const columns = keys.map((k) => sql`${k.column}`);
  const bound = keys.map((k, i) => castBack(k.type, values[i]!));
  return sql`(${sql.join(columns, sql`, `)}) ${keys[0]!.descending ? sql`<` : sql`>`} (${sql.join(bound, sql`, `)})`;
}

/**
 * The one keyset pagination of Redthread's lists. `list` names the list (a cursor of another
 * list is refused), `keys` is its sort order with a unique last key, all ascending or all
 * descending. Validates `first` (default 20, 1–100, else BAD_USER_INPUT naming `first`) and
 * decodes `after` (malformed, forged or from another list: BAD_USER_INPUT naming `after`), both
 * before any SQL runs. Each page is one SQL statement: select `key` as `pageKey`, filter by
 * `after`, sort by `orderBy`, limit to `limit`, and hand the rows to `connection`. Rows inserted
 * before the cursor's position after a page was read are not revisited: a newest-first list
 * shows them when read again from the start.
 *
 * @example
 * const page = keysetPage('shipments', args, [
 *   { column: shipments.createdAt, type: 'timestamptz', descending: true },
 *   { column: shipments.id, type: 'uuid', descending: true },
 * ]);
 * return page.rowsOf(tx, shipments, filter); // whole rows of one table; for joins or
 * // computed nodes, select `page.key` as `pageKey`, filter by `page.after`, sort by
 * // `page.orderBy`, limit to `page.limit` and hand the rows to `page.connection`.
 */
export function keysetPage(list: string, args: PageArgs, keys: readonly SortKey[]): KeysetPage {
  if (keys.length === 0) throw new Error(`keysetPage(${list}): at least one sort key`);
  // A row comparison needs every key to run the same way; a mixed order would need its own form.
  if (keys.some((k) => Boolean(k.descending) !== Boolean(keys[0]!.descending))) {
    throw new Error(`keysetPage(${list}): every sort key must run the same way (all ascending or all descending)`);
  }
  const first = pageSize(args.first);
  let after: SQL | undefined;
  if (args.after !== null && args.after !== undefined) {
    if (args.after.length > MAX_CURSOR_LENGTH) invalidCursor();
    const values = decodeCursor(list, args.after, keys.length);
    if (!values.every((value, i) => typeof value === 'string' && wellFormed(keys[i]!.type, value))) invalidCursor();
    after = afterCondition(keys, values as string[]);
  }
  return {
    first,
    limit: first + 1,
    after,
    orderBy: keys.map((k) => (k.descending ? desc(k.column) : asc(k.column))),
    key: sql<string>`json_build_array(${sql.join(keys.map(render), sql`, `)})::text`,
    connection<Row extends PagedRow, Node>(rows: readonly Row[], toNode?: (row: Omit<Row, 'pageKey'>) => Node) {
      const edges = rows.slice(0, first).map(({ pageKey, ...row }) => {
        const values: unknown = JSON.parse(pageKey);
        return { cursor: encodeCursor(list, values as string[]), node: toNode ? toNode(row) : row };
      });
      return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
    },
    empty<Node>(): Connection<Node> {
      return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    },
    async rowsOf<T extends PgTable>(tx: Tx, table: T, ...where: (SQL | undefined)[]) {
      const rows: (InferSelectModel<T> & PagedRow)[] = await tx
        .select({ ...getTableColumns(table), pageKey: this.key })
        .from(table as PgTable)
        .where(and(...where, this.after))
        .orderBy(...this.orderBy)
        .limit(this.limit);
      return this.connection(rows);
    },
  };
}
