import type { BillingPeriod } from '../generated/resolvers';

/** The SDL's enum type, generated (`npm run codegen`). */
export type { BillingPeriod };

/** A settlement rule's billing period. */
export interface PeriodRule {
  period: BillingPeriod;
  value: number;
  /** CUSTOM: YYYY-MM-DD. */
  anchorDate?: string | null;
}

/** The rule used when a pair has none: monthly from the 1st, 30 days to pay. */
export const DEFAULT_RULE = { period: 'MONTHLY' as const, value: 1, anchorDate: null, paymentTermsDays: 30 };

const DAY_MS = 86_400_000;

function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

/** YYYY-MM-DD of a UTC day. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The billing period [start, end) (UTC dates) that contains `moment`:
 * WEEKLY starts on ISO weekday `value`; MONTHLY on day `value` of the month; CUSTOM every
 * `value` days from the anchor date (also before it).
 */
export function periodContaining(rule: PeriodRule, moment: Date): { start: string; end: string } {
  const day = utcDay(moment);
  if (rule.period === 'WEEKLY') {
    const isoWeekday = ((new Date(day).getUTCDay() + 6) % 7) + 1;
    const back = (isoWeekday - rule.value + 7) % 7;
    const start = day - back * DAY_MS;
    return { start: isoDay(start), end: isoDay(start + 7 * DAY_MS) };
  }
  if (rule.period === 'MONTHLY') {
    const d = new Date(day);
    let year = d.getUTCFullYear();
    let month = d.getUTCMonth();
    if (d.getUTCDate() < rule.value) month -= 1;
    if (month < 0) {
      month += 12;
      year -= 1;
    }
    const start = Date.UTC(year, month, rule.value);
    const end = Date.UTC(year, month + 1, rule.value);
    return { start: isoDay(start), end: isoDay(end) };
  }
  const anchor = Date.parse(`${rule.anchorDate}T00:00:00Z`);
  const length = rule.value * DAY_MS;
  const index = Math.floor((day - anchor) / length);
  const start = anchor + index * length;
  return { start: isoDay(start), end: isoDay(start + length) };
}

/** The due date: the period's end plus the payment terms. */
export function dueDate(periodEnd: string, paymentTermsDays: number): string {
  return isoDay(Date.parse(`${periodEnd}T00:00:00Z`) + paymentTermsDays * DAY_MS);
}
