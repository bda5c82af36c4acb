import { describe, expect, it } from 'vitest';
import { GraphQLError, parseValue, type ValueNode } from 'graphql';
import { LONG_MAX, LONG_MIN, LongScalar, fitsLong, toLong } from '../src/scalars';

/** The error a refused input raises, with its code. */
function refusal(read: () => unknown): { message: string; code: unknown } {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return { message: (error as GraphQLError).message, code: (error as GraphQLError).extensions['code'] };
  }
  throw new Error('expected a refusal');
}

const literal = (text: string): ValueNode => parseValue(text);

describe('Long: a 64-bit signed integer, a string of digits on the wire, a bigint inside', () => {
  it('has the range of a PostgreSQL bigint', () => {
    expect(LONG_MAX).toBe(9_223_372_036_854_775_807n);
    expect(LONG_MIN).toBe(-9_223_372_036_854_775_808n);
    expect([fitsLong(LONG_MAX), fitsLong(LONG_MIN), fitsLong(LONG_MAX + 1n), fitsLong(LONG_MIN - 1n)]).toEqual([true, true, false, false]);
  });

  it('answers every value as a string of decimal digits, exactly', () => {
    expect(LongScalar.serialize(LONG_MAX)).toBe('9223372036854775807');
    expect(LongScalar.serialize(LONG_MIN)).toBe('-9223372036854775808');
    expect(LongScalar.serialize(2n ** 53n + 1n)).toBe('9007199254740993');
    expect(LongScalar.serialize(0n)).toBe('0');
    // What a driver hands over: a safe number, or the decimal string of a bigint or numeric column.
    expect(LongScalar.serialize(42)).toBe('42');
    expect(LongScalar.serialize('9223372036854775807')).toBe('9223372036854775807');
  });

  it('refuses to answer a value it cannot carry exactly', () => {
    for (const value of [LONG_MAX + 1n, '9223372036854775808', 1.5, 2 ** 60, Number.NaN, 'abc', null, {}]) {
      expect(() => LongScalar.serialize(value), String(value)).toThrow();
    }
  });

  it('takes a string of digits or a safe JSON integer as a variable', () => {
    expect(LongScalar.parseValue('9223372036854775807')).toBe(LONG_MAX);
    expect(LongScalar.parseValue('-9223372036854775808')).toBe(LONG_MIN);
    expect(LongScalar.parseValue('9007199254740993')).toBe(9_007_199_254_740_993n);
    expect(LongScalar.parseValue(2147483648)).toBe(2_147_483_648n);
    expect(LongScalar.parseValue(Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740_991n);
    expect(LongScalar.parseValue(-5)).toBe(-5n);
    expect(LongScalar.parseValue('0')).toBe(0n);
  });

  it.each([
    ['one above the range', '9223372036854775808', /out of range/],
    ['one below the range', '-9223372036854775809', /out of range/],
    ['a fraction', 1.5, /not a whole number/],
    ['a fraction as text', '1.5', /Long must be/],
    ['an exponent', '1e3', /Long must be/],
    ['text with digits', '12abc', /Long must be/],
    ['a plus sign', '+5', /Long must be/],
    ['spaces', ' 5', /Long must be/],
    ['an empty string', '', /Long must be/],
    ['a JSON number beyond 2^53', 2 ** 60, /send it as a string/],
    ['NaN', Number.NaN, /Long must be/],
    ['a boolean', true, /Long must be/],
    ['an object', { value: 1 }, /Long must be/],
  ])('refuses %s as a variable with BAD_USER_INPUT naming the range', (_what, value, why) => {
    const { message, code } = refusal(() => LongScalar.parseValue(value));
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toMatch(why);
    expect(message).toContain('-9223372036854775808 to 9223372036854775807');
  });

  it('takes integer and string literals across the whole range (literals are exact text)', () => {
    expect(LongScalar.parseLiteral(literal('9223372036854775807'))).toBe(LONG_MAX);
    expect(LongScalar.parseLiteral(literal('-9223372036854775808'))).toBe(LONG_MIN);
    expect(LongScalar.parseLiteral(literal('"9007199254740993"'))).toBe(9_007_199_254_740_993n);
    expect(LongScalar.parseLiteral(literal('12'))).toBe(12n);
  });

  it.each([['9223372036854775808'], ['1.5'], ['1e3'], ['"12abc"'], ['true'], ['RED'], ['[1]'], ['{ a: 1 }'], ['null']])('refuses the literal %s with BAD_USER_INPUT', (text) => {
    const { message, code } = refusal(() => LongScalar.parseLiteral(literal(text)));
    expect(code).toBe('BAD_USER_INPUT');
    expect(message).toContain('9223372036854775807');
  });

  it('reads driver values exactly with toLong', () => {
    expect(toLong('9223372036854775808')).toBe(2n ** 63n); // a numeric sum may exceed the range: callers check fitsLong
    expect(toLong(12)).toBe(12n);
    expect(toLong(7n)).toBe(7n);
    expect(() => toLong('1.5')).toThrow();
    expect(() => toLong(2 ** 60)).toThrow();
  });
});
