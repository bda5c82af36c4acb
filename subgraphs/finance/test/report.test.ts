import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inTenantTransaction } from '@redthread/kit';
import { MAX_REPORT_ROWS, report as buildReport } from '../src/services/report';
import { DAY_MS, FinanceWorld, PARTNER, POLL, eur, isoDate, minor, ok, signed, type Code, type Report, type ReportRow, type Statement, type TestProduct } from './helpers';

/**
 * The report (finance issue, DESIGN.md §3): shipped units the caller sold in a period — orders,
 * units, revenue (shipped quantity × unit price), cost (cost of goods at the moving average) and
 * margin (revenue − cost) — grouped by any of day, week, month, partner, channel and product; the
 * totals are the sum of the rows. And the caller's receivables by age of their due dates.
 *
 * TRADER-B buys two products from SUPPLIER-C (R1 at 200, R2 at 120: the averages), suspends the
 * upstream links, and sells them: two distribution orders to SHOP-A, one to SHOP-D, and one sales
 * order of its own to a customer.
 */

let w: FinanceWorld;
let from: string;
const R = {} as Record<'R1' | 'R2', TestProduct>;
const orders = {} as Record<'O1' | 'O2' | 'O3' | 'S1', string>;

async function stocked(costMinor: number, quantity: number): Promise<TestProduct> {
  const product = await w.createProduct('TRADER-B');
  const upstream = await w.createProduct('SUPPLIER-C');
  const linkId = await w.link('TRADER-B', product.id, 'SUPPLIER-C', upstream.skuCode, costMinor);
  await w.purchaseAndReceive('TRADER-B', 'SUPPLIER-C', product.id, quantity);
  await vi.waitFor(async () => expect((await w.productCost('TRADER-B', product.id))?.cost?.units).toBe(quantity), POLL);
  await w.suspendLink('TRADER-B', linkId);
  return product;
}

async function linkedTo(buyer: Code, product: TestProduct, priceMinor: number): Promise<string> {
  const mine = await w.createProduct(buyer);
  await w.link(buyer, mine.id, 'TRADER-B', product.skuCode, priceMinor);
  return mine.id;
}

beforeAll(async () => {
  w = await FinanceWorld.start();
  from = new Date().toISOString();
  R.R1 = await stocked(200, 10);
  R.R2 = await stocked(120, 5);
  const a1 = await linkedTo('SHOP-A', R.R1, 450);
  const a2 = await linkedTo('SHOP-A', R.R2, 300);
  const d2 = await linkedTo('SHOP-D', R.R2, 310);
  orders.O1 = (await w.shippedDistribution('SHOP-A', 'TRADER-B', [{ productId: a1, quantity: 3, unitPriceMinor: 990 }])).distribution.id;
  orders.O2 = (await w.shippedDistribution('SHOP-A', 'TRADER-B', [
    { productId: a1, quantity: 2, unitPriceMinor: 990 },
    { productId: a2, quantity: 1, unitPriceMinor: 650 },
  ])).distribution.id;
  orders.O3 = (await w.shippedDistribution('SHOP-D', 'TRADER-B', [{ productId: d2, quantity: 2, unitPriceMinor: 700 }])).distribution.id;
  const own = await w.approvedOrder('TRADER-B', [{ productId: R.R1.id, quantity: 1, unitPriceMinor: 999 }], { customerId: await w.createCustomer('TRADER-B') });
  await w.shipOwn('TRADER-B', own.id);
  orders.S1 = own.id;
  // Cost of goods is booked from the dispatches: wait until all 7 units have left at the average.
  await vi.waitFor(async () => expect([(await w.productCost('TRADER-B', R.R1.id))?.cost?.units, (await w.productCost('TRADER-B', R.R2.id))?.cost?.units]).toEqual([4, 2]), POLL);
}, 60_000);
afterAll(async () => {
  await w?.close();
});

const to = () => new Date(Date.now() + DAY_MS).toISOString();
const row = (keys: [string, string][], orders: number, units: number, revenue: number, cost: number): ReportRow => ({
  keys: keys.map(([dimension, value]) => ({ dimension, value })),
  orders,
  units,
  revenue: eur(revenue),
  cost: eur(cost),
  margin: eur(revenue - cost),
});
const byKeys = (rows: ReportRow[]) => [...rows].sort((a, b) => JSON.stringify(a.keys).localeCompare(JSON.stringify(b.keys)));

/** Asserts every total is the sum of its rows, and margin = revenue − cost everywhere. */
function expectTotalsAreSums(report: Report): void {
  const sum = (f: (r: ReportRow) => number) => report.rows.reduce((total, r) => total + f(r), 0);
  const sumMinor = (f: (r: ReportRow) => bigint) => report.rows.reduce((total, r) => total + f(r), 0n);
  expect(report.totals).toMatchObject({
    orders: sum((r) => r.orders),
    units: sum((r) => r.units),
    revenue: eur(sumMinor((r) => minor(r.revenue))),
    cost: eur(sumMinor((r) => minor(r.cost))),
    margin: eur(sumMinor((r) => minor(r.margin))),
  });
  for (const r of [...report.rows, report.totals]) expect(minor(r.margin)).toBe(minor(r.revenue) - minor(r.cost));
}

describe('sales, cost and margin', () => {
  it('by product: revenue at the prices sold, cost at the average', async () => {
    const report = await w.report('TRADER-B', { from, to: to(), groupBy: ['PRODUCT'] });
    // R1: O1 3 × 450, O2 2 × 450, S1 1 × 999; cost 6 × 200. R2: O2 1 × 300, O3 2 × 310; cost 3 × 120.
    expect(byKeys(report.rows)).toEqual(byKeys([row([['PRODUCT', R.R1.id]], 3, 6, 1350 + 900 + 999, 1200), row([['PRODUCT', R.R2.id]], 2, 3, 300 + 620, 360)]));
    expectTotalsAreSums(report);
    expect(report.totals).toMatchObject({ units: 9, revenue: eur(4169), cost: eur(1560), margin: eur(2609) });
  });

  it('by partner: each buyer partner, and “customers” for sales to customers', async () => {
    const report = await w.report('TRADER-B', { from, to: to(), groupBy: ['PARTNER'] });
    expect(byKeys(report.rows)).toEqual(
      byKeys([
        row([['PARTNER', PARTNER['SHOP-A']]], 2, 6, 1350 + 1200, 600 + 520),
        row([['PARTNER', PARTNER['SHOP-D']]], 1, 2, 620, 240),
        row([['PARTNER', 'customers']], 1, 1, 999, 200),
      ]),
    );
    expectTotalsAreSums(report);
    expect(report.totals).toMatchObject({ orders: 4, units: 9, revenue: eur(4169), cost: eur(1560) });
  });

  it('by product and partner', async () => {
    const report = await w.report('TRADER-B', { from, to: to(), groupBy: ['PRODUCT', 'PARTNER'] });
    expect(byKeys(report.rows)).toEqual(
      byKeys([
        row([['PRODUCT', R.R1.id], ['PARTNER', PARTNER['SHOP-A']]], 2, 5, 2250, 1000),
        row([['PRODUCT', R.R1.id], ['PARTNER', 'customers']], 1, 1, 999, 200),
        row([['PRODUCT', R.R2.id], ['PARTNER', PARTNER['SHOP-A']]], 1, 1, 300, 120),
        row([['PRODUCT', R.R2.id], ['PARTNER', PARTNER['SHOP-D']]], 1, 2, 620, 240),
      ]),
    );
    expectTotalsAreSums(report);
  });

  it('without grouping (the default): one row of everything', async () => {
    const flat = await w.report('TRADER-B', { from, to: to(), groupBy: [] });
    expect(flat.rows).toEqual([row([], 4, 9, 4169, 1560)]);
    expectTotalsAreSums(flat);
  });

  it('by day and by channel', async () => {
    const byDay = await w.report('TRADER-B', { from, to: to(), groupBy: ['DAY'] });
    expectTotalsAreSums(byDay);
    expect(byDay.totals).toMatchObject({ orders: 4, units: 9, revenue: eur(4169), cost: eur(1560) });
    expect(byDay.rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r.keys[0]!.value))).toBe(true);
    expect(byDay.rows.map((r) => r.keys[0]!.value)).toContain(isoDate(new Date()));
    const byChannel = await w.report('TRADER-B', { from, to: to(), groupBy: ['CHANNEL'] });
    expectTotalsAreSums(byChannel);
    expect(byChannel.totals).toMatchObject({ units: 9, revenue: eur(4169) });
    // Only the own sales order has a channel of TRADER-B's.
    expect(byChannel.rows.filter((r) => r.revenue.amountMinor === '999' && r.units === 1)).toHaveLength(1);
  });

  it('refuses a report of more rows than one answer carries, saying what to do, instead of cutting it', async () => {
    const byProductAndPartner = await w.report('TRADER-B', { from, to: to(), groupBy: ['PRODUCT', 'PARTNER'] });
    const rows = byProductAndPartner.rows.length;
    expect(rows).toBeGreaterThan(2);
    const trader = { subject: 'dev:TRADER-B', partnerId: PARTNER['TRADER-B'], roles: ['admin' as const] };
    const input = { from: new Date(from), to: new Date(to()), groupBy: ['PRODUCT' as const, 'PARTNER' as const], currency: 'EUR' };
    const capped = (maxRows: number) => inTenantTransaction(w.api.platform.database.db, trader, (tx) => buildReport(tx, trader, input, { maxRows }));
    expect(await capped(rows - 1)).toMatchObject({ field: 'groupBy', message: `This report has more than ${rows - 1} rows, the most one answer carries; group it by fewer dimensions or report a shorter period.` });
    expect(((await capped(rows)) as { rows: unknown[] }).rows).toHaveLength(rows);
    // The API's own limit (the SDL documents it).
    expect(MAX_REPORT_ROWS).toBe(10_000);
  });

  it('a period without shipments is empty; every partner sees only what it sold', async () => {
    const empty = await w.report('TRADER-B', { from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z', groupBy: ['PRODUCT'] });
    expect(empty.rows).toEqual([]);
    expect(empty.totals).toMatchObject({ orders: 0, units: 0, revenue: eur(0), cost: eur(0), margin: eur(0) });
    // SUPPLIER-C shipped nothing in the period; SHOP-A and SHOP-D report their own sales to their customers.
    expect((await w.report('SUPPLIER-C', { from, to: to(), groupBy: ['PRODUCT'] })).rows).toEqual([]);
    for (const seller of ['SHOP-A', 'SHOP-D'] as const) {
      const report = await w.report(seller, { from, to: to(), groupBy: ['PRODUCT', 'PARTNER'] });
      expectTotalsAreSums(report);
      expect(report.rows.length, seller).toBeGreaterThan(0);
      expect(report.rows.some((r) => r.keys.some((k) => k.value === R.R1.id || k.value === R.R2.id)), seller).toBe(false);
      expect(report.rows.every((r) => r.keys.find((k) => k.dimension === 'PARTNER')?.value === 'customers'), seller).toBe(true);
    }
    const shopD = await w.report('SHOP-D', { from, to: to(), groupBy: ['PARTNER'] });
    expect(shopD.totals).toMatchObject({ orders: 1, units: 2, revenue: eur(1400) });
  });
});

describe('receivables ageing', () => {
  const daysAgo = (days: number) => isoDate(new Date(Date.now() - days * DAY_MS));

  it('unpaid receivables by days past their due date; the buckets add up to what is owed', async () => {
    // TRADER-B bills SUPPLIER-C daily with no terms (due the day after); four invoices, each on its
    // own issued statement, 150, 75, 45 and 20 days ago; 500 of the oldest is paid.
    await w.setSettlementRule('TRADER-B', { debtorCode: 'SUPPLIER-C', period: 'CUSTOM', value: 1, anchorDate: '2020-01-01', paymentTermsDays: 0 });
    const issued: Statement[] = [];
    for (const [days, amountMinor] of [[150, 4000], [75, 3000], [45, 2000], [20, 1000]] as const) {
      const day = daysAgo(days);
      await w.insertEntry({ creditor: 'TRADER-B', debtor: 'SUPPLIER-C', amountMinor, occurredAt: `${day}T12:00:00Z` });
      const statement = await w.generateOne('TRADER-B', `${day}T12:00:00Z`, 'SUPPLIER-C');
      issued.push(ok<Statement>(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement'));
    }
    ok(await w.finance('TRADER-B', 'recordPayment', { input: { statementId: issued[0]!.id, amountMinor: 500, currency: 'EUR' } }), 'Statement');
    const owed = minor((await w.balanceWith('TRADER-B', 'SUPPLIER-C'))!.receivable);
    expect(owed).toBe(10_000n - 500n);

    const ageing = (await w.report('TRADER-B', { from, to: to(), groupBy: ['PARTNER'] })).receivablesAgeing;
    expect({ over90: ageing.over90, days61to90: ageing.days61to90, days31to60: ageing.days31to60, days1to30: ageing.days1to30 }).toEqual({
      over90: eur(3500),
      days61to90: eur(3000),
      days31to60: eur(2000),
      days1to30: eur(1000),
    });
    // Nothing else of TRADER-B's is overdue: the overdue buckets hold exactly what SUPPLIER-C owes.
    expect(minor(ageing.over90) + minor(ageing.days61to90) + minor(ageing.days31to60) + minor(ageing.days1to30)).toBe(owed);
    // SHOP-D, which owes TRADER-B for O3, has nothing to age for itself.
    const shopD = (await w.report('SHOP-D', { from, to: to(), groupBy: ['PARTNER'] })).receivablesAgeing;
    expect(shopD).toEqual({ current: eur(0), days1to30: eur(0), days31to60: eur(0), days61to90: eur(0), over90: eur(0) });
  });

  it('receivables not yet due are current, whether or not they are on a statement yet', async () => {
    // TRADER-B's unpaid receivables that are not on an issued statement: today's invoices to
    // SHOP-A and SHOP-D (due at the end of this month + 30 days).
    const unbilled = (await w.ledgerEntries('TRADER-B'))
      .filter((e) => e.side === 'RECEIVABLE' && e.statementId === null)
      .reduce((sum, e) => sum + signed(e), 0n);
    expect(unbilled).toBeGreaterThanOrEqual(1350n + 1200n + 620n);
    const ageing = (await w.report('TRADER-B', { from, to: to(), groupBy: ['PARTNER'] })).receivablesAgeing;
    expect(ageing.current).toEqual(eur(unbilled));
  });
});
