import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function refuse(value: unknown, why: string): never {
  throw new GraphQLError(`DateTime must be an ISO-8601 timestamp with a zone, e.g. 2026-12-01T09:00:00Z; got ${JSON.stringify(value)}${why}.`, {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/**
 * Parses an ISO-8601 timestamp with a zone, refusing what JavaScript's Date would silently roll
 * over: month 13, February 30, hour 24, minute 60, a zone beyond ±23:59.
 */
function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  if (!match) return refuse(value, '');
  const [year, month, day, hour, minute, second = 0, , , zoneHours = 0, zoneMinutes = 0] = match.slice(1).map((part) => (part === undefined ? undefined : Number(part)));
  if (month! < 1 || month! > 12) return refuse(value, ` (there is no month ${month})`);
  if (day! < 1 || day! > daysInMonth(year!, month!)) return refuse(value, ` (month ${month} of ${year} has no day ${day})`);
  if (hour! > 23 || minute! > 59 || second! > 59) return refuse(value, ' (the time of day is out of range)');
  if (zoneHours! > 23 || zoneMinutes! > 59) return refuse(value, ' (the zone offset is out of range)');
  const date = new Date(value as string);
  if (Number.isNaN(date.getTime())) return refuse(value, '');
  return date;
}

/**
 * `DateTime`: ISO-8601 with a zone (`Z` or `±hh:mm`) in, `Date` inside, ISO-8601 UTC out.
 * A timestamp without a zone is refused rather than guessed, and so is an impossible date.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 timestamp with time zone, e.g. 2026-11-29T13:36:00.000Z.',
  serialize: (value) => {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return parseDateTime(value).toISOString();
    throw new GraphQLError('DateTime cannot represent a non-date value.');
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string, e.g. "2026-12-01T09:00:00Z".', { extensions: { code: 'BAD_USER_INPUT' } });
    return parseDateTime(ast.value);
  },
});

/** The smallest value a `Long` carries: −2^63 (PostgreSQL's `bigint` minimum). */
export const LONG_MIN = -(2n ** 63n);
/** The largest value a `Long` carries: 2^63 − 1 (PostgreSQL's `bigint` maximum). */
export const LONG_MAX = 2n ** 63n - 1n;

/** Whether a `bigint` fits a `Long` (and so a PostgreSQL `bigint` column). */
export function fitsLong(value: bigint): boolean {
  return value >= LONG_MIN && value <= LONG_MAX;
}

/** Decimal digits with an optional minus sign: no plus, no fraction, no exponent, no spaces. */
const LONG_DIGITS = /^-?\d{1,19}$/;

function refuseLong(value: unknown, why = ''): never {
  const shown = typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
  throw new GraphQLError(
    `Long must be a whole number from ${LONG_MIN} to ${LONG_MAX}, sent as a string of decimal digits (e.g. "9007199254740993") or as a JSON integer up to ±${Number.MAX_SAFE_INTEGER}; got ${shown}${why}.`,
    { extensions: { code: 'BAD_USER_INPUT' } },
  );
}

/** A string of decimal digits within range, exactly. */
function longFromDigits(value: string): bigint {
  if (!LONG_DIGITS.test(value)) return refuseLong(value);
  const parsed = BigInt(value);
  if (!fitsLong(parsed)) return refuseLong(value, ' (out of range)');
  return parsed;
}

/**
 * Reads a `Long` input value: a string of decimal digits in range, or a JSON number that is a safe
 * integer (a larger JSON number may already have been rounded by the client's JSON encoder, so it
 * is refused rather than guessed). Fractions, exponents, `NaN`, booleans and the rest are refused.
 */
function parseLong(value: unknown): bigint {
  if (typeof value === 'string') return longFromDigits(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return refuseLong(value, ' (not a whole number)');
    if (!Number.isSafeInteger(value)) return refuseLong(value, ' (a JSON number this large is not exact: send it as a string)');
    return BigInt(value);
  }
  if (typeof value === 'bigint' && fitsLong(value)) return value;
  return refuseLong(value);
}

/**
 * Converts an amount as a driver or a JSON payload hands it over — a `bigint`, a safe integer, or
 * the decimal string postgres.js returns for `bigint` and `numeric` (sums) — to a `bigint`,
 * exactly. Throws (an internal error, not bad input) on anything else, e.g. a fraction.
 */
export function toLong(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an exact whole number`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new Error(`${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

/**
 * `Long`: a 64-bit signed integer (−2^63 … 2^63 − 1), e.g. an amount in minor units. It is
 * answered as a JSON string of decimal digits, because JSON numbers are exact only up to 2^53 in
 * most clients; inside resolvers and services it is a `bigint`. Input is such a string, a JSON
 * integer that is a safe integer, or an integer literal in range; anything else is BAD_USER_INPUT
 * naming the range.
 */
export const LongScalar = new GraphQLScalarType<bigint, string>({
  name: 'Long',
  description: `A 64-bit signed integer (${LONG_MIN} to ${LONG_MAX}), answered as a string of decimal digits, e.g. "9007199254740993". Input: such a string, or a JSON integer up to ±${Number.MAX_SAFE_INTEGER}.`,
  serialize: (value) => {
    const exact = typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string' ? toLong(value) : undefined;
    if (exact === undefined || !fitsLong(exact)) throw new GraphQLError(`Long cannot represent ${String(value)}.`);
    return exact.toString();
  },
  parseValue: parseLong,
  parseLiteral: (ast) => {
    // An integer literal is exact text, so the whole range is accepted there.
    if (ast.kind === Kind.INT) return longFromDigits(ast.value);
    if (ast.kind === Kind.STRING) return longFromDigits(ast.value);
    if (ast.kind === Kind.FLOAT) return refuseLong(ast.value, ' (not a whole number)');
    return refuseLong(ast.kind === Kind.BOOLEAN ? ast.value : ast.kind === Kind.ENUM ? ast.value : null);
  },
});
