import { describe, expect, it } from 'vitest';
import { divideHalfEven, minorFromSql, percentOf } from '../src/money';

describe('the money rule: whole minor units, divisions rounded half to even', () => {
  it('rounds exact halves to the even neighbour and everything else to the nearest', () => {
    expect([5n, 15n, 25n, 35n, -5n, -15n].map((n) => divideHalfEven(n, 10))).toEqual([0n, 2n, 2n, 4n, 0n, -2n]);
    expect(divideHalfEven(10n, 3)).toBe(3n);
    expect(divideHalfEven(20n, 3)).toBe(7n);
    expect(divideHalfEven(-20n, 3)).toBe(-7n);
    expect(divideHalfEven(0n, 7)).toBe(0n);
  });

  it('takes basis points of an amount', () => {
    expect(percentOf(1400n, 250)).toBe(35n);
    expect(percentOf(1000n, 25)).toBe(2n); // 2.5 → 2
    expect(percentOf(1400n, 25)).toBe(4n); // 3.5 → 4
    expect(percentOf(999n, 10_000)).toBe(999n);
  });

  it('stays exact where amount × basis points exceeds 2^53, up to 2^63 − 1', () => {
    expect(percentOf(9_000_000_000_000n, 9_999)).toBe(8_999_100_000_000n);
    expect(divideHalfEven(2n ** 60n + 5n, 10)).toBe((2n ** 60n + 5n) / 10n);
    expect(percentOf(9_223_372_036_854_775_807n, 10_000)).toBe(9_223_372_036_854_775_807n);
    expect(percentOf(9_223_372_036_854_775_807n, 250)).toBe(230_584_300_921_369_395n); // …395.175 → …395
  });

  it('refuses a zero or negative divisor', () => {
    expect(() => divideHalfEven(1n, 0)).toThrow(RangeError);
  });

  it('reads amounts as postgres.js hands them over (decimal strings) exactly', () => {
    expect(minorFromSql('9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(minorFromSql('-12')).toBe(-12n);
    expect(minorFromSql(null)).toBe(0n);
    expect(() => minorFromSql('1.5')).toThrow(RangeError);
    expect(() => minorFromSql(2 ** 60)).toThrow(RangeError);
  });
});
