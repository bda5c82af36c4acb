import DataLoader from 'dataloader';
import type { Connection, PageArgs } from './connection';

/**
 * DataLoader batch helpers: a batch function must answer one value per key, in key order. These
 * turn the rows of one set-based query into that shape.
 */

/** One row (or null) per key: for loaders of entities by id. */
export function rowsByKey<Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string): (Row | null)[] {
  const found = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => found.get(key) ?? null);
}

/** All rows per key (possibly none), in the order the query returned them: for one-to-many loaders. */
export function rowsGroupedByKey<Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}

/** One parent's page of a nested connection field: the parent's id and the field's arguments. */
export interface PageOf<Args extends PageArgs = PageArgs> {
  parentId: string;
  args: Args;
}

const EMPTY_CONNECTION: Connection<never> = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

/** A stable text of a field's arguments (undefined left out, keys sorted), to group and cache by. */
function argumentsKey(args: PageArgs): string {
  return JSON.stringify(Object.entries(args).filter(([, value]) => value !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A DataLoader for a nested connection field (e.g. `Product.links`): one page per parent, so a list
 * of parents costs a constant number of statements. The parents of one batch asking with the same
 * arguments (the usual case: one field under a list) share one call of `loadPages`, which answers
 * a connection per parent id in one statement (a LATERAL keyset page per parent, with
 * `keysetPage` of ./pagination.ts); a parent it leaves out gets the empty connection. Each other set of
 * arguments (an alias) costs one more call; a refused argument (a bad `first` or cursor) fails
 * only the parents that sent it.
 */
export function pagedLoader<Args extends PageArgs, Node>(
  loadPages: (parentIds: string[], args: Args) => Promise<Map<string, Connection<Node>>>,
): DataLoader<PageOf<Args>, Connection<Node>, string> {
  return new DataLoader<PageOf<Args>, Connection<Node>, string>(
    async (keys) => {
      const groups = new Map<string, { args: Args; parentIds: string[] }>();
      for (const key of keys) {
        const signature = argumentsKey(key.args);
        const group = groups.get(signature);
        if (group) group.parentIds.push(key.parentId);
        else groups.set(signature, { args: key.args, parentIds: [key.parentId] });
      }
      const answers = new Map<string, Map<string, Connection<Node>> | Error>();
      for (const [signature, group] of groups) {
        answers.set(signature, await loadPages(group.parentIds, group.args).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
      }
      return keys.map((key) => {
        const pages = answers.get(argumentsKey(key.args))!;
        return pages instanceof Error ? pages : (pages.get(key.parentId) ?? EMPTY_CONNECTION);
      });
    },
    { cacheKeyFn: (key) => `${argumentsKey(key.args)}|${key.parentId}` },
  );
}
