import { describe, expect, it } from 'vitest';
import { divideHalfEven, percentOf } from '../src/money';

describe('the money rule: whole minor units, divisions rounded half to even', () => {
  it('rounds exact halves to the even neighbour and everything else to the nearest', () => {
    expect([5, 15, 25, 35, -5, -15].map((n) => divideHalfEven(n, 10))).toEqual([0, 2, 2, 4, 0, -2]);
    expect(divideHalfEven(10, 3)).toBe(3);
    expect(divideHalfEven(20, 3)).toBe(7);
    expect(divideHalfEven(-20, 3)).toBe(-7);
    expect(divideHalfEven(0, 7)).toBe(0);
  });

  it('takes basis points of an amount', () => {
    expect(percentOf(1400, 250)).toBe(35);
    expect(percentOf(1000, 25)).toBe(2); // 2.5 → 2
    expect(percentOf(1400, 25)).toBe(4); // 3.5 → 4
    expect(percentOf(999, 10_000)).toBe(999);
  });

  it('stays exact where amount × basis points exceeds 2^53', () => {
    expect(percentOf(9_000_000_000_000, 9_999)).toBe(8_999_100_000_000);
    expect(divideHalfEven(2n ** 60n + 5n, 10)).toBe(Number((2n ** 60n + 5n) / 10n));
  });

  it('refuses a zero or negative divisor', () => {
    expect(() => divideHalfEven(1, 0)).toThrow(RangeError);
  });
});
