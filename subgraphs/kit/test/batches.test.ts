import { describe, expect, it } from 'vitest';
import { distinctRuns, groupBy } from '../src/batches';

describe('batch helpers', () => {
  it('groupBy keeps the keys in order of first appearance and each group in the items’ order', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (item) => item[0]!);
    expect([...groups]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });

  it('distinctRuns cuts right before the first repetition of a key, so a repeated key’s later item comes in a later run', () => {
    const runs = distinctRuns(['a1', 'b1', 'c1', 'b2', 'a2', 'b3', 'b4'], (item) => item[0]!);
    expect(runs).toEqual([['a1', 'b1', 'c1'], ['b2', 'a2'], ['b3'], ['b4']]);
    expect(distinctRuns([], (item: string) => item)).toEqual([]);
    expect(runs.flat()).toEqual(['a1', 'b1', 'c1', 'b2', 'a2', 'b3', 'b4']);
  });
});
