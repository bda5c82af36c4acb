import { describe, expect, it } from 'vitest';
import { divideHalfEven, minorFromSql, percentOf } from '../src/money';
import { commissionOf } from '../src/services/bookings';

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

describe('commission of a rule, exact in bigint', () => {
  it('PERCENT is basis points of the amount, rounded half to even; FIXED is per unit, beyond 2^53', () => {
    expect(commissionOf({ kind: 'PERCENT', value: 250n }, 3, 1400n)).toBe(35n);
    expect(commissionOf({ kind: 'PERCENT', value: 10_000n }, 1, 9_223_372_036_854_775_807n)).toBe(9_223_372_036_854_775_807n);
    expect(commissionOf({ kind: 'FIXED', value: 9_007_199_254_740_993n }, 1, 0n)).toBe(9_007_199_254_740_993n);
    expect(commissionOf({ kind: 'FIXED', value: 9_007_199_254_740_993n }, 1000, 0n)).toBe(9_007_199_254_740_993_000n);
    expect(commissionOf({ kind: 'FIXED', value: 9_223_372_036_854_775_807n }, 1, 0n)).toBe(9_223_372_036_854_775_807n);
  });

  it('refuses a FIXED commission beyond 2^63 − 1 (it could not be booked) instead of booking a wrong amount', () => {
    expect(() => commissionOf({ kind: 'FIXED', value: 9_223_372_036_854_775_807n }, 2, 0n)).toThrow(/beyond 9223372036854775807/);
    expect(() => commissionOf({ kind: 'FIXED', value: 4_611_686_018_427_387_904n }, 2, 0n)).toThrow(RangeError);
    expect(commissionOf({ kind: 'FIXED', value: 4_611_686_018_427_387_903n }, 2, 0n)).toBe(9_223_372_036_854_775_806n);
  });
});
