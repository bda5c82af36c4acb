/**
 * The money rule, stated once: amounts are whole minor units of one currency, held as `bigint`
 * (exact to 2^63 − 1, the range of a `Long` and of a PostgreSQL `bigint`; never a JS `number`,
 * which is exact only to 2^53); a division rounds half to even (banker's rounding) to a whole
 * minor unit, so rounding errors do not drift one way over many lines.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint | number): bigint {
  const d = BigInt(denominator);
  if (d <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / d;
  const twice = (n - quotient * d) * 2n;
  const rounded = twice > d || (twice === d && quotient % 2n === 1n) ? quotient + 1n : quotient;
  return negative ? -rounded : rounded;
}

/** `basisPoints` (1/100 of a percent) of an amount, rounded half to even. */
export function percentOf(amountMinor: bigint, basisPoints: bigint | number): bigint {
  return divideHalfEven(amountMinor * BigInt(basisPoints), 10_000n);
}

/**
 * An amount as postgres.js hands over a `bigint` or `numeric` column (a decimal string; sums of
 * `bigint` are `numeric`), as a `bigint`, exactly; `null` (an empty sum) is 0.
 */
export function minorFromSql(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not an exact whole number of minor units`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`${JSON.stringify(value)} is not a whole number of minor units`);
  return BigInt(value);
}
