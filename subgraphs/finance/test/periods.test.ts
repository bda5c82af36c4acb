import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, PARTNER, addDays, eur, expectBalanced, ok, type Code, type Statement } from './helpers';

/**
 * Statement generation across period boundaries (finance issue, DESIGN.md §3): per pair, by its
 * settlement rule — WEEKLY from an ISO weekday, MONTHLY from a day of the month, CUSTOM every N
 * days from an anchor date; default MONTHLY from the 1st with 30 days to pay. Periods are
 * [start, end) in UTC dates; a statement takes the pair's entries of its period that are on no
 * statement yet; opening = the previous statement's closing; due = period end + payment terms.
 *
 * The entries are inserted at chosen instants (a millisecond either side of each boundary) with
 * the admin connection, in years far from "now", each period kind on its own pair.
 */

let w: FinanceWorld;

beforeAll(async () => {
  w = await FinanceWorld.start();
});
afterAll(async () => {
  await w?.close();
});

/** Inserts entries of a pair at instants; returns their ids by amount. */
async function entries(creditor: Code, debtor: Code, at: [occurredAt: string, amountMinor: number][]): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  for (const [occurredAt, amountMinor] of at) ids.set(amountMinor, await w.insertEntry({ creditor, debtor, amountMinor, occurredAt }));
  return ids;
}

/** The statement's line entries as [entry id, amount], ordered by amount. */
function lineEntries(statement: Statement): [string, number][] {
  // The test amounts are small: as numbers they are exact.
  return statement.lines.map((l): [string, number] => [l.entry.id, Number(l.entry.amount.amountMinor)]).sort((a, b) => a[1] - b[1]);
}

function expectStatement(statement: Statement, expected: { creditor: Code; debtor: Code; start: string; end: string; due: string; opening: number; lines: [string, number][] }) {
  const closing = expected.opening + expected.lines.reduce((sum, [, amount]) => sum + amount, 0);
  expect(statement).toMatchObject({
    status: 'DRAFT',
    side: 'RECEIVABLE',
    creditor: { id: PARTNER[expected.creditor] },
    debtor: { id: PARTNER[expected.debtor] },
    periodStart: expected.start,
    periodEnd: expected.end,
    dueDate: expected.due,
    opening: eur(expected.opening),
    closing: eur(closing),
    paid: eur(0),
    remaining: eur(closing),
  });
  expect(lineEntries(statement)).toEqual(expected.lines);
  expect(statement.lines.every((l) => l.status === 'OPEN' && l.entry.statementId === statement.id && l.entry.kind === 'INVOICE')).toBe(true);
  expectBalanced(statement);
}

describe('WEEKLY periods', () => {
  it('start on the rule’s ISO weekday at 00:00 UTC and end seven days later, exclusive', async () => {
    // 2021-03-03 is a Wednesday (ISO weekday 3).
    expect(new Date('2021-03-03T00:00:00Z').getUTCDay()).toBe(3);
    const rule = await w.setSettlementRule('SUPPLIER-C', { debtorCode: 'TRADER-B', period: 'WEEKLY', value: 3, paymentTermsDays: 14 });
    expect(rule).toEqual({ creditor: { id: PARTNER['SUPPLIER-C'] }, debtor: { id: PARTNER['TRADER-B'] }, period: 'WEEKLY', value: 3, anchorDate: null, paymentTermsDays: 14 });
    const ids = await entries('SUPPLIER-C', 'TRADER-B', [
      ['2021-03-02T23:59:59.999Z', 101],
      ['2021-03-03T00:00:00.000Z', 202],
      ['2021-03-09T23:59:59.999Z', 303],
      ['2021-03-10T00:00:00.000Z', 404],
    ]);

    // Monday 1 March lies in the week from Wednesday 24 February.
    const previous = await w.generateOne('SUPPLIER-C', '2021-03-01T12:00:00Z', 'TRADER-B');
    expectStatement(previous, { creditor: 'SUPPLIER-C', debtor: 'TRADER-B', start: '2021-02-24', end: '2021-03-03', due: '2021-03-17', opening: 0, lines: [[ids.get(101)!, 101]] });
    // Friday 5 March: Wednesday 3 to Wednesday 10 (exclusive) — both boundary entries inside.
    const week = await w.generateOne('SUPPLIER-C', '2021-03-05T15:30:00Z', 'TRADER-B');
    expectStatement(week, {
      creditor: 'SUPPLIER-C', debtor: 'TRADER-B', start: '2021-03-03', end: '2021-03-10', due: '2021-03-24', opening: 101,
      lines: [[ids.get(202)!, 202], [ids.get(303)!, 303]],
    });
    // The very first instant of the next week belongs to the next week.
    const next = await w.generateOne('SUPPLIER-C', '2021-03-10T00:00:00.000Z', 'TRADER-B');
    expectStatement(next, { creditor: 'SUPPLIER-C', debtor: 'TRADER-B', start: '2021-03-10', end: '2021-03-17', due: '2021-03-31', opening: 606, lines: [[ids.get(404)!, 404]] });
  });

  it('a week starting on Monday (1) and on Sunday (7)', async () => {
    await w.setSettlementRule('SUPPLIER-C', { debtorCode: 'TRADER-B', period: 'WEEKLY', value: 1, paymentTermsDays: 0 });
    // Sunday 2021-06-13, 23:00 UTC: the Monday week began on 2021-06-07.
    const ids = await entries('SUPPLIER-C', 'TRADER-B', [['2021-06-13T23:00:00Z', 17]]);
    const monday = await w.generateOne('SUPPLIER-C', '2021-06-13T23:00:00Z', 'TRADER-B');
    expect(monday).toMatchObject({ periodStart: '2021-06-07', periodEnd: '2021-06-14', dueDate: '2021-06-14' });
    expect(lineEntries(monday)).toEqual([[ids.get(17)!, 17]]);

    await w.setSettlementRule('SUPPLIER-C', { debtorCode: 'TRADER-B', period: 'WEEKLY', value: 7, paymentTermsDays: 0 });
    const more = await entries('SUPPLIER-C', 'TRADER-B', [['2021-06-20T00:00:00Z', 19]]);
    // Sunday 20 June starts a Sunday week.
    const sunday = await w.generateOne('SUPPLIER-C', '2021-06-20T00:00:00Z', 'TRADER-B');
    expect(sunday).toMatchObject({ periodStart: '2021-06-20', periodEnd: '2021-06-27' });
    expect(lineEntries(sunday)).toEqual([[more.get(19)!, 19]]);
  });
});

describe('MONTHLY periods', () => {
  it('start on the rule’s day of the month, across a year end, with the previous closing as opening', async () => {
    await w.setSettlementRule('TRADER-B', { debtorCode: 'SHOP-A', period: 'MONTHLY', value: 15, paymentTermsDays: 30 });
    const ids = await entries('TRADER-B', 'SHOP-A', [
      ['2021-12-31T12:00:00.000Z', 55],
      ['2022-01-14T23:59:59.999Z', 110],
      ['2022-01-15T00:00:00.000Z', 220],
      ['2022-02-14T23:59:59.999Z', 330],
      ['2022-02-15T00:00:00.000Z', 440],
    ]);
    // New Year's Day lies in the period from 15 December.
    const december = await w.generateOne('TRADER-B', '2022-01-01T00:00:00Z', 'SHOP-A');
    expectStatement(december, {
      creditor: 'TRADER-B', debtor: 'SHOP-A', start: '2021-12-15', end: '2022-01-15', due: addDays('2022-01-15', 30), opening: 0,
      lines: [[ids.get(55)!, 55], [ids.get(110)!, 110]],
    });
    // 3 February lies in the period from 15 January.
    const january = await w.generateOne('TRADER-B', '2022-02-03T08:00:00Z', 'SHOP-A');
    expectStatement(january, {
      creditor: 'TRADER-B', debtor: 'SHOP-A', start: '2022-01-15', end: '2022-02-15', due: '2022-03-17', opening: 165,
      lines: [[ids.get(220)!, 220], [ids.get(330)!, 330]],
    });
    const february = await w.generateOne('TRADER-B', '2022-02-15T00:00:00Z', 'SHOP-A');
    expectStatement(february, {
      creditor: 'TRADER-B', debtor: 'SHOP-A', start: '2022-02-15', end: '2022-03-15', due: '2022-04-14', opening: 715,
      lines: [[ids.get(440)!, 440]],
    });
    expect(february.closing).toEqual(eur(55 + 110 + 220 + 330 + 440));
  });

  it('the debtor sees the same statements from the payable side once they are issued', async () => {
    const drafts = (await w.statements('TRADER-B', { side: 'RECEIVABLE', partnerId: PARTNER['SHOP-A'] })).filter((s) => s.status === 'DRAFT');
    expect(drafts).toHaveLength(3);
    // A draft is the creditor's alone.
    for (const draft of drafts) expect(await w.statement('SHOP-A', draft.id)).toBeNull();
    for (const draft of drafts) ok(await w.finance('TRADER-B', 'issueStatement', { id: draft.id }), 'Statement');
    const mine = (await w.statements('SHOP-A', { side: 'PAYABLE', partnerId: PARTNER['TRADER-B'] })).filter((s) => s.periodStart.startsWith('2022-0') || s.periodStart === '2021-12-15');
    expect(mine.map((s) => [s.periodStart, s.side, s.opening.amountMinor, s.closing.amountMinor]).sort()).toEqual([
      ['2021-12-15', 'PAYABLE', '0', '165'],
      ['2022-01-15', 'PAYABLE', '165', '715'],
      ['2022-02-15', 'PAYABLE', '715', '1155'],
    ]);
  });
});

describe('CUSTOM periods', () => {
  it('run every N days from the anchor date', async () => {
    const rule = await w.setSettlementRule('SHOP-A', { debtorCode: 'TRADER-B', period: 'CUSTOM', value: 10, anchorDate: '2023-01-01', paymentTermsDays: 7 });
    expect(rule).toMatchObject({ period: 'CUSTOM', value: 10, anchorDate: '2023-01-01', paymentTermsDays: 7 });
    const ids = await entries('SHOP-A', 'TRADER-B', [
      ['2023-01-20T23:59:59.999Z', 70],
      ['2023-01-21T00:00:00.000Z', 80],
      ['2023-01-30T23:59:59.999Z', 90],
      ['2023-01-31T00:00:00.000Z', 100],
    ]);
    const second = await w.generateOne('SHOP-A', '2023-01-15T12:00:00Z', 'TRADER-B');
    expectStatement(second, { creditor: 'SHOP-A', debtor: 'TRADER-B', start: '2023-01-11', end: '2023-01-21', due: '2023-01-28', opening: 0, lines: [[ids.get(70)!, 70]] });
    const third = await w.generateOne('SHOP-A', '2023-01-25T00:00:00Z', 'TRADER-B');
    expectStatement(third, {
      creditor: 'SHOP-A', debtor: 'TRADER-B', start: '2023-01-21', end: '2023-01-31', due: '2023-02-07', opening: 70,
      lines: [[ids.get(80)!, 80], [ids.get(90)!, 90]],
    });
    // The period after the end of January runs into February.
    const fourth = await w.generateOne('SHOP-A', '2023-02-09T23:00:00Z', 'TRADER-B');
    expectStatement(fourth, { creditor: 'SHOP-A', debtor: 'TRADER-B', start: '2023-01-31', end: '2023-02-10', due: '2023-02-17', opening: 240, lines: [[ids.get(100)!, 100]] });
  });
});

describe('generation rules', () => {
  it('without a rule: MONTHLY from the 1st, 30 days to pay; every debtor with entries when no debtor is named', async () => {
    expect((await w.settlementRules('TRADER-B')).some((r) => r.debtor.id === PARTNER['SHOP-D'])).toBe(false);
    const d = await entries('TRADER-B', 'SHOP-D', [['2020-02-29T10:00:00Z', 1234], ['2020-02-01T00:00:00Z', 766]]);
    const c = await entries('TRADER-B', 'SUPPLIER-C', [['2020-02-10T10:00:00Z', 999]]);
    const generated = await w.generate('TRADER-B', '2020-02-15T00:00:00Z');
    expect(generated.map((s) => s.debtor.id).sort()).toEqual([PARTNER['SHOP-D'], PARTNER['SUPPLIER-C']].sort());
    const toD = generated.find((s) => s.debtor.id === PARTNER['SHOP-D'])!;
    expectStatement(toD, {
      creditor: 'TRADER-B', debtor: 'SHOP-D', start: '2020-02-01', end: '2020-03-01', due: '2020-03-31', opening: 0,
      lines: [[d.get(766)!, 766], [d.get(1234)!, 1234]],
    });
    const toC = generated.find((s) => s.debtor.id === PARTNER['SUPPLIER-C'])!;
    expectStatement(toC, { creditor: 'TRADER-B', debtor: 'SUPPLIER-C', start: '2020-02-01', end: '2020-03-01', due: '2020-03-31', opening: 0, lines: [[c.get(999)!, 999]] });
  });

  it('an entry is billed once: generating again adds no statement and moves no entry', async () => {
    const ids = await entries('TRADER-B', 'SHOP-D', [['2020-05-05T05:05:05Z', 505]]);
    const first = await w.generateOne('TRADER-B', '2020-05-20T00:00:00Z', 'SHOP-D');
    expect(lineEntries(first)).toEqual([[ids.get(505)!, 505]]);
    expect(await w.generate('TRADER-B', '2020-05-20T00:00:00Z', 'SHOP-D')).toEqual([]);
    const may = (await w.statements('TRADER-B', { partnerId: PARTNER['SHOP-D'] })).filter((s) => s.periodStart === '2020-05-01');
    expect(may).toHaveLength(1);
    expect(may[0]).toEqual(first);
    // A period without entries yields no statement.
    expect(await w.generate('TRADER-B', '2020-07-20T00:00:00Z', 'SHOP-D')).toEqual([]);
  });

  it('entries of the debtor’s own billing (as creditor) are not on the creditor’s statement', async () => {
    // SHOP-D bills TRADER-B in the same month: a separate pair, a separate statement.
    const mine = await entries('TRADER-B', 'SHOP-D', [['2020-09-09T09:00:00Z', 900]]);
    await entries('SHOP-D', 'TRADER-B', [['2020-09-10T09:00:00Z', 40]]);
    const statement = await w.generateOne('TRADER-B', '2020-09-15T00:00:00Z', 'SHOP-D');
    expect(lineEntries(statement)).toEqual([[mine.get(900)!, 900]]);
    const reverse = await w.generateOne('SHOP-D', '2020-09-15T00:00:00Z', 'TRADER-B');
    expect(reverse).toMatchObject({ creditor: { id: PARTNER['SHOP-D'] }, debtor: { id: PARTNER['TRADER-B'] }, closing: eur(40) });
  });

  it('refuses rules outside their ranges, naming the field', async () => {
    const bad = async (input: Record<string, unknown>) => w.finance('TRADER-B', 'setSettlementRule', { input: { debtorCode: 'SHOP-A', paymentTermsDays: 30, ...input } });
    expect(await bad({ period: 'WEEKLY', value: 0 })).toMatchObject({ __typename: 'InvalidFinanceInput', errorCode: 'INVALID_INPUT', field: 'value' });
    expect(await bad({ period: 'WEEKLY', value: 8 })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'value' });
    expect(await bad({ period: 'MONTHLY', value: 29 })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'value' });
    expect(await bad({ period: 'CUSTOM', value: 10 })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'anchorDate' });
    expect(await bad({ period: 'MONTHLY', value: 1, paymentTermsDays: -1 })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'paymentTermsDays' });
    expect(await bad({ period: 'MONTHLY', value: 1, debtorCode: 'NO-SUCH-PARTNER' })).toMatchObject({ __typename: expect.stringMatching(/^(InvalidFinanceInput|FinanceNotFound)$/) });
    // The MONTHLY 15 rule set above is unchanged.
    expect((await w.settlementRules('TRADER-B')).find((r) => r.debtor.id === PARTNER['SHOP-A'])).toMatchObject({ period: 'MONTHLY', value: 15, paymentTermsDays: 30 });
  });

  it('settlement rules are seen by their two parties only', async () => {
    const pairs = async (as: Code) => (await w.settlementRules(as)).map((r) => `${r.creditor.id}>${r.debtor.id}`).sort();
    const rule = (creditor: Code, debtor: Code) => `${PARTNER[creditor]}>${PARTNER[debtor]}`;
    expect(await pairs('SHOP-A')).toEqual([rule('SHOP-A', 'TRADER-B'), rule('TRADER-B', 'SHOP-A')].sort());
    expect(await pairs('SUPPLIER-C')).toEqual([rule('SUPPLIER-C', 'TRADER-B')]);
    expect(await pairs('SHOP-D')).toEqual([]);
    expect(await pairs('TRADER-B')).toEqual([rule('SHOP-A', 'TRADER-B'), rule('SUPPLIER-C', 'TRADER-B'), rule('TRADER-B', 'SHOP-A')].sort());
  });
});
