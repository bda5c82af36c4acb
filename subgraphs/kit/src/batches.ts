import { setTenant, type Tx } from './db';
import type { Identity } from './identity';

/**
 * Helpers for handlers that do the work of many events at once (see `inBatches`): the grouping
 * must keep the effects of handling the events one after another.
 */

/** Groups by key, keys in the order of their first appearance, items in their order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/**
 * Splits `items` into consecutive runs in which no key repeats: each run ends right before the
 * first repetition of a key, which starts the next. Work done run by run, each run at once, then
 * sees a repeated key's earlier item take effect before the later one, as one at a time would.
 */
export function distinctRuns<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let seen = new Set<string>();
  for (const item of items) {
    if (seen.has(key(item))) {
      runs.push(run);
      run = [];
      seen = new Set();
    }
    seen.add(key(item));
    run.push(item);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Runs `work` for each partner's share of `items` (grouped by `partnerOf`, partners in order of
 * first appearance), with the transaction's tenant set to that partner's identity first. For a
 * batch whose partners' data is disjoint, so that one partner's items before another's keep the
 * effects of the items' own order.
 */
export async function perTenant<T>(
  tx: Tx,
  items: readonly T[],
  partnerOf: (item: T) => string,
  identityOf: (partnerId: string) => Identity,
  work: (identity: Identity, items: T[]) => Promise<unknown>,
): Promise<void> {
  for (const [partnerId, group] of groupBy(items, partnerOf)) {
    const identity = identityOf(partnerId);
    await setTenant(tx, identity);
    await work(identity, group);
  }
}
