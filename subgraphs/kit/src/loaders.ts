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
