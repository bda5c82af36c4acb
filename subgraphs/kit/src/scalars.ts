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
