import { sql, type SQL } from 'drizzle-orm';
import { LONG_MAX, fitsLong, type Identity, type Tx } from '@redthread/kit';
import type { ReportDimension, ReportInput } from '../generated/resolvers';
import { invalidInput, type Failure } from '../errors';
import { minorFromSql } from '../money';

/** The SDL's input and enum types, generated (`npm run codegen`). */
export type { ReportDimension, ReportInput };

const KEY_SQL: Record<ReportDimension, SQL> = {
  DAY: sql`to_char(date_trunc('day', f.placed_at at time zone 'UTC'), 'YYYY-MM-DD')`,
  WEEK: sql`to_char(date_trunc('week', f.placed_at at time zone 'UTC'), 'IYYY-"W"IW')`,
  MONTH: sql`to_char(date_trunc('month', f.placed_at at time zone 'UTC'), 'YYYY-MM')`,
  PARTNER: sql`coalesce(f.buyer_partner_id::text, 'customers')`,
  CHANNEL: sql`coalesce(f.channel_id::text, 'none')`,
  PRODUCT: sql`f.product_id::text`,
};

/**
 * Rows a report answers at most. Past them (a year by day and product, say) it is refused, not
 * cut: the caller groups it by fewer dimensions or reports a shorter period.
 */
export const MAX_REPORT_ROWS = 10_000;

/**
 * Sales, cost and margin of the units the caller shipped as seller, placed in [from, to), grouped
 * by the dimensions, plus receivables ageing. One SQL statement for the rows (totals are their
 * sum), one for the ageing; both see only what row-level security lets the caller see.
 */
export async function report(
  tx: Tx,
  identity: Identity,
  input: ReportInput,
  options: { maxRows?: number } = {},
): Promise<
  | {
      rows: { keys: { dimension: ReportDimension; value: string }[]; orders: number; units: number; revenue: bigint; cost: bigint; currency: string }[];
      currency: string;
      ageing: { current: bigint; days1to30: bigint; days31to60: bigint; days61to90: bigint; over90: bigint };
    }
  | Failure<'InvalidFinanceInput'>
> {
  if (input.to <= input.from) return invalidInput('to', '"to" must be after "from".');
  const currency = (input.currency ?? 'EUR').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) return invalidInput('currency', 'An ISO-4217 code such as EUR.');
  const maxRows = options.maxRows ?? MAX_REPORT_ROWS;
  const dimensions = [...new Set(input.groupBy)];
  const selectKeys = dimensions.length ? sql.join(dimensions.map((d, i) => sql`${KEY_SQL[d]} as ${sql.raw(`k${i}`)}`), sql`, `) : sql``;
  const groupBy = dimensions.length ? sql`group by ${sql.join(dimensions.map((d) => KEY_SQL[d]), sql`, `)} order by ${sql.join(dimensions.map((d) => KEY_SQL[d]), sql`, `)}` : sql``;
  const rows = await tx.execute<Record<string, unknown>>(sql`
    select ${selectKeys}${dimensions.length ? sql`,` : sql``}
           count(distinct f.order_id)::int as orders,
           coalesce(sum(f.shipped_quantity), 0)::int as units,
           -- Sums stay numeric (exact, never overflowing); they are read as bigint in TypeScript.
           coalesce(sum(f.shipped_quantity::numeric * f.unit_price_minor), 0) as revenue,
           -- Cost: goods from own stock at their average cost, plus what drop-shipped units were
           -- invoiced to the caller by its supplier.
           coalesce(sum(
             coalesce((select sum(c.amount_minor) from finance.cost_entries c where c.order_line_id = f.line_id and c.kind = 'COST_OF_GOODS'), 0)
             + coalesce((select sum(le.amount_minor) from finance.ledger_entries le
                         join orders.order_line_facts child on child.line_id = le.order_line_id
                         where child.parent_line_id = f.line_id and le.kind = 'INVOICE' and le.debtor_partner_id = ${identity.partnerId}::uuid), 0)
           ), 0) as cost,
           min(f.currency) as currency
    from orders.order_line_facts f
    where f.seller_partner_id = ${identity.partnerId}::uuid and f.shipped_quantity > 0 and f.currency = ${currency}
      and f.placed_at >= ${input.from.toISOString()}::timestamptz and f.placed_at < ${input.to.toISOString()}::timestamptz
    ${groupBy}
    limit ${maxRows + 1}`);
  if (rows.length > maxRows) {
    return invalidInput('groupBy', `This report has more than ${maxRows} rows, the most one answer carries; group it by fewer dimensions or report a shorter period.`);
  }
  const resultRows = [...rows]
    .filter((r) => dimensions.length > 0 || Number(r['units']) > 0)
    .map((r) => ({
      keys: dimensions.map((dimension, i) => ({ dimension, value: String(r[`k${i}`]) })),
      orders: Number(r['orders']),
      units: Number(r['units']),
      revenue: minorFromSql(r['revenue'] as string),
      cost: minorFromSql(r['cost'] as string),
      currency,
    }));
  const tooLarge = (amount: bigint) => !fitsLong(amount);
  if (
    resultRows.some((r) => tooLarge(r.revenue) || tooLarge(r.cost) || tooLarge(r.revenue - r.cost)) ||
    tooLarge(resultRows.reduce((sum, r) => sum + r.revenue, 0n)) ||
    tooLarge(resultRows.reduce((sum, r) => sum + r.cost, 0n))
  ) {
    return invalidInput('to', `A total of this report would exceed ${LONG_MAX} minor units, the most an amount can carry; report a shorter period or group it further.`);
  }
  // Receivables ageing, first in first out: each debtor's credits (payments, credit notes) pay its
  // oldest debits first; what remains of each debit is aged by its statement's due date (debits
  // not yet on a statement are current).
  const [ageing] = await tx.execute<Record<string, string>>(sql`
    with entries as (
      select e.id, e.debtor_partner_id, e.signed_minor, e.occurred_at, s.due_date
      from finance.ledger_entries e left join finance.statements s on s.id = e.statement_id
      where e.creditor_partner_id = ${identity.partnerId}::uuid and e.currency = ${currency}
    ),
    credits as (
      select debtor_partner_id, coalesce(-sum(signed_minor) filter (where signed_minor < 0), 0) as credited
      from entries group by debtor_partner_id
    ),
    debits as (
      select d.debtor_partner_id, d.signed_minor, d.due_date,
             sum(d.signed_minor) over (partition by d.debtor_partner_id order by d.due_date nulls last, d.occurred_at, d.id) as running
      from entries d where d.signed_minor > 0
    ),
    open as (
      select greatest(0, least(d.signed_minor, d.running - coalesce(c.credited, 0))) as remaining,
             case when d.due_date is null then 0 else current_date - d.due_date end as days_late
      from debits d left join credits c on c.debtor_partner_id = d.debtor_partner_id
    )
    select coalesce(sum(remaining) filter (where days_late <= 0), 0) as current,
           coalesce(sum(remaining) filter (where days_late between 1 and 30), 0) as d30,
           coalesce(sum(remaining) filter (where days_late between 31 and 60), 0) as d60,
           coalesce(sum(remaining) filter (where days_late between 61 and 90), 0) as d90,
           coalesce(sum(remaining) filter (where days_late > 90), 0) as over
    from open`);
  return {
    rows: resultRows,
    currency,
    ageing: {
      current: minorFromSql(ageing?.['current']),
      days1to30: minorFromSql(ageing?.['d30']),
      days31to60: minorFromSql(ageing?.['d60']),
      days61to90: minorFromSql(ageing?.['d90']),
      over90: minorFromSql(ageing?.['over']),
    },
  };
}
