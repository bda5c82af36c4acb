/**
 * The money rule, stated once: amounts are whole minor units of one currency; a division rounds
 * half to even (banker's rounding) to a whole minor unit, so rounding errors do not drift one way
 * over many lines.
 */
export function divideHalfEven(numerator: number, denominator: number): number {
  if (denominator <= 0) throw new RangeError('denominator must be positive');
  if (!Number.isSafeInteger(numerator)) throw new RangeError('numerator must be a safe integer');
  const sign = numerator < 0 ? -1 : 1;
  const n = Math.abs(numerator);
  const quotient = Math.floor(n / denominator);
  const remainder = n - quotient * denominator;
  const twice = remainder * 2;
  const rounded = twice > denominator || (twice === denominator && quotient % 2 === 1) ? quotient + 1 : quotient;
  return sign * rounded;
}

/** `basisPoints` (1/100 of a percent) of an amount, rounded half to even. */
export function percentOf(amountMinor: number, basisPoints: number): number {
  return divideHalfEven(amountMinor * basisPoints, 10_000);
}
