/**
 * The money rule, stated once: amounts are whole minor units of one currency; a division rounds
 * half to even (banker's rounding) to a whole minor unit, so rounding errors do not drift one way
 * over many lines.
 */
export function divideHalfEven(numerator: number | bigint, denominator: number | bigint): number {
  // Exact integer arithmetic: products such as amount × basis points may exceed 2^53.
  const d = BigInt(denominator);
  if (d <= 0n) throw new RangeError('denominator must be positive');
  const raw = BigInt(numerator);
  const negative = raw < 0n;
  const n = negative ? -raw : raw;
  const quotient = n / d;
  const twice = (n - quotient * d) * 2n;
  const rounded = twice > d || (twice === d && quotient % 2n === 1n) ? quotient + 1n : quotient;
  return Number(negative ? -rounded : rounded);
}

/** `basisPoints` (1/100 of a percent) of an amount, rounded half to even. */
export function percentOf(amountMinor: number, basisPoints: number): number {
  return divideHalfEven(BigInt(amountMinor) * BigInt(basisPoints), 10_000);
}
