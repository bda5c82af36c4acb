import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, PARTNER, eur, expectBalanced, minor, ok, sharedView, type Code, type Statement } from './helpers';

/**
 * The statement life cycle (finance issue, DESIGN.md §3): DRAFT → issue (creditor) → ISSUED →
 * confirm (debtor) → CONFIRMED, or dispute a line (debtor) → DISPUTED → resolve (creditor, with or
 * without a credit note counted on the statement) → ISSUED again once no dispute is open; payments
 * recorded by the creditor, SETTLED once they cover the closing balance. Wrong side and wrong
 * status are typed failures; both parties always see the same statement, each from its side;
 * nobody else sees it at all.
 *
 * TRADER-B bills SHOP-A daily here (CUSTOM, 1 day from 2024-01-01, 10 days to pay); each test
 * bills its own day, with entries inserted at chosen instants.
 */

let w: FinanceWorld;

beforeAll(async () => {
  w = await FinanceWorld.start();
  await w.setSettlementRule('TRADER-B', { debtorCode: 'SHOP-A', period: 'CUSTOM', value: 1, anchorDate: '2024-01-01', paymentTermsDays: 10 });
});
afterAll(async () => {
  await w?.close();
});

/** A DRAFT statement from TRADER-B to SHOP-A of one day with invoices of the given amounts. */
async function draft(day: string, amounts: (number | bigint)[]): Promise<Statement> {
  for (const [i, amountMinor] of amounts.entries()) {
    await w.insertEntry({ creditor: 'TRADER-B', debtor: 'SHOP-A', amountMinor, occurredAt: `${day}T${String(8 + i).padStart(2, '0')}:00:00Z`, description: `invoice ${i + 1}` });
  }
  const statement = await w.generateOne('TRADER-B', `${day}T12:00:00Z`, 'SHOP-A');
  expect(statement).toMatchObject({ status: 'DRAFT', periodStart: day });
  expect(statement.lines).toHaveLength(amounts.length);
  expectBalanced(statement);
  return statement;
}

/** The statement as both parties see it: the same numbers, each from its side. */
async function bothSides(id: string): Promise<Statement> {
  const creditor = (await w.statement('TRADER-B', id))!;
  const debtor = (await w.statement('SHOP-A', id))!;
  expect(creditor.side).toBe('RECEIVABLE');
  expect(debtor.side).toBe('PAYABLE');
  expect(creditor.lines.every((l) => l.entry.side === 'RECEIVABLE')).toBe(true);
  expect(debtor.lines.every((l) => l.entry.side === 'PAYABLE')).toBe(true);
  expect(sharedView(debtor)).toEqual(sharedView(creditor));
  expectBalanced(creditor);
  return creditor;
}

const lineOf = (statement: Statement, amountMinor: number) => statement.lines.find((l) => l.entry.kind === 'INVOICE' && l.entry.amount.amountMinor === String(amountMinor))!;

describe('issue and confirm', () => {
  it('the creditor issues, the debtor confirms; the wrong side or status is refused', async () => {
    const statement = await draft('2024-01-10', [1000, 2500]);
    expect(statement).toMatchObject({ opening: eur(0), closing: eur(3500), dueDate: '2024-01-21', paid: eur(0), remaining: eur(3500) });

    // A draft is the creditor's alone: for the debtor it does not exist yet.
    expect(await w.statement('SHOP-A', statement.id)).toBeNull();
    expect(await w.finance('SHOP-A', 'confirmStatement', { id: statement.id })).toMatchObject({ __typename: 'FinanceNotFound', errorCode: 'NOT_FOUND' });
    expect(await w.finance('SHOP-A', 'issueStatement', { id: statement.id })).toMatchObject({ __typename: 'FinanceNotFound' });
    expect(await w.finance('TRADER-B', 'recordPayment', { input: { statementId: statement.id, amountMinor: 100, currency: 'EUR' } })).toMatchObject({
      __typename: 'InvalidStatementTransition',
      errorCode: 'INVALID_TRANSITION',
      status: 'DRAFT',
    });

    const issued = await w.statementStep('TRADER-B', 'issueStatement', { id: statement.id });
    expect(issued).toMatchObject({ id: statement.id, status: 'ISSUED', closing: eur(3500) });
    expect(await w.finance('TRADER-B', 'issueStatement', { id: statement.id })).toMatchObject({ __typename: 'InvalidStatementTransition', status: 'ISSUED' });
    expect(await w.finance('SHOP-A', 'issueStatement', { id: statement.id })).toMatchObject({ __typename: 'NotPermittedForStatementSide', errorCode: 'NOT_PERMITTED_FOR_SIDE' });
    expect(await w.finance('TRADER-B', 'confirmStatement', { id: statement.id })).toMatchObject({ __typename: 'NotPermittedForStatementSide' });
    expect((await bothSides(statement.id)).status).toBe('ISSUED');

    const confirmed = await w.statementStep('SHOP-A', 'confirmStatement', { id: statement.id });
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', side: 'PAYABLE', closing: eur(3500) });
    expect(await w.finance('SHOP-A', 'confirmStatement', { id: statement.id })).toMatchObject({ __typename: 'InvalidStatementTransition', status: 'CONFIRMED' });
    const line = statement.lines[0]!;
    expect(await w.finance('SHOP-A', 'disputeStatementLine', { input: { statementId: statement.id, lineId: line.id, reason: 'too late' } })).toMatchObject({
      __typename: 'InvalidStatementTransition',
      status: 'CONFIRMED',
    });
    const final = await bothSides(statement.id);
    expect(final).toMatchObject({ status: 'CONFIRMED', closing: eur(3500), remaining: eur(3500) });
    expect(final.lines.map((l) => l.status)).toEqual(['OPEN', 'OPEN']);
  });
});

describe('disputes', () => {
  it('a disputed line is resolved with a credit note on the statement, another without; then ISSUED again and confirmed', async () => {
    const statement = await draft('2024-01-20', [700, 300, 450]);
    const opening = minor(statement.opening);
    ok(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement');
    const balanceBefore = (await w.balanceWith('SHOP-A', 'TRADER-B'))!;
    const line700 = lineOf(statement, 700);
    const line300 = lineOf(statement, 300);

    expect(await w.finance('TRADER-B', 'disputeStatementLine', { input: { statementId: statement.id, lineId: line700.id, reason: 'no' } })).toMatchObject({ __typename: 'NotPermittedForStatementSide' });
    const disputed = await w.statementStep('SHOP-A', 'disputeStatementLine', { input: { statementId: statement.id, lineId: line700.id, reason: 'only 2 of 3 arrived' } });
    expect(disputed.status).toBe('DISPUTED');
    expect(disputed.lines.find((l) => l.id === line700.id)).toMatchObject({ status: 'DISPUTED', disputeReason: 'only 2 of 3 arrived', resolution: null });
    expect(await w.finance('SHOP-A', 'confirmStatement', { id: statement.id })).toMatchObject({ __typename: 'InvalidStatementTransition', status: 'DISPUTED' });
    expect(await w.finance('TRADER-B', 'recordPayment', { input: { statementId: statement.id, amountMinor: 100, currency: 'EUR' } })).toMatchObject({
      __typename: 'InvalidStatementTransition',
      status: 'DISPUTED',
    });
    ok(await w.finance('SHOP-A', 'disputeStatementLine', { input: { statementId: statement.id, lineId: line300.id, reason: 'price was 250' } }), 'Statement');
    expect(await w.finance('SHOP-A', 'resolveStatementLine', { input: { statementId: statement.id, lineId: line700.id, creditMinor: 233, note: 'mine' } })).toMatchObject({
      __typename: 'NotPermittedForStatementSide',
    });

    // A credit of one unit: a CREDIT_NOTE on this statement lowers its closing; one dispute is still open.
    const credited = await w.statementStep('TRADER-B', 'resolveStatementLine', { input: { statementId: statement.id, lineId: line700.id, creditMinor: 233, note: 'one unit credited' } });
    expect(credited.status).toBe('DISPUTED');
    expect(credited.closing).toEqual(eur(opening + 1450n - 233n));
    expect(credited.lines.find((l) => l.id === line700.id)).toMatchObject({ status: 'RESOLVED', resolution: 'one unit credited', disputeReason: 'only 2 of 3 arrived' });
    const creditLine = credited.lines.find((l) => l.entry.kind === 'CREDIT_NOTE');
    expect(creditLine?.entry).toMatchObject({ amount: eur(233), creditor: { id: PARTNER['TRADER-B'] }, debtor: { id: PARTNER['SHOP-A'] }, statementId: statement.id });
    expectBalanced(credited);

    // Rejected without credit: nothing is added; no dispute is open, so the statement is ISSUED again.
    const reissued = await w.statementStep('TRADER-B', 'resolveStatementLine', { input: { statementId: statement.id, lineId: line300.id, creditMinor: 0, note: 'the agreed price was 300' } });
    expect(reissued).toMatchObject({ status: 'ISSUED', closing: eur(opening + 1450n - 233n) });
    expect(reissued.lines).toHaveLength(4);
    expect(reissued.lines.find((l) => l.id === line300.id)).toMatchObject({ status: 'RESOLVED', resolution: 'the agreed price was 300' });
    expect(reissued.lines.find((l) => l.entry.id === lineOf(statement, 450).entry.id)).toMatchObject({ status: 'OPEN' });
    await bothSides(statement.id);

    // The credit note is in the ledger, and what SHOP-A owes TRADER-B is 233 less.
    const credits = await w.ledgerEntries('SHOP-A', { partnerId: PARTNER['TRADER-B'], kind: ['CREDIT_NOTE'] });
    expect(credits.filter((e) => e.statementId === statement.id)).toEqual([expect.objectContaining({ kind: 'CREDIT_NOTE', side: 'PAYABLE', amount: eur(233) })]);
    expect((await w.balanceWith('SHOP-A', 'TRADER-B'))!.net).toEqual(eur(minor(balanceBefore.net) + 233n));

    const confirmed = await w.statementStep('SHOP-A', 'confirmStatement', { id: statement.id });
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', remaining: eur(opening + 1217n) });
  });

  it('only lines of the statement can be disputed, and only with a reason', async () => {
    const other = await draft('2024-01-24', [12]);
    const statement = await draft('2024-01-25', [640]);
    ok(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement');
    expect(await w.finance('SHOP-A', 'disputeStatementLine', { input: { statementId: statement.id, lineId: other.lines[0]!.id, reason: 'wrong' } })).toMatchObject({
      __typename: 'InvalidFinanceInput',
      field: 'lineId',
    });
    expect(await w.finance('SHOP-A', 'disputeStatementLine', { input: { statementId: statement.id, lineId: statement.lines[0]!.id, reason: '   ' } })).toMatchObject({
      __typename: 'InvalidFinanceInput',
      field: 'reason',
    });
    expect((await w.statement('SHOP-A', statement.id))!.status).toBe('ISSUED');
  });
});

describe('payments', () => {
  it('partial payments by the creditor, SETTLED once they cover the closing balance', async () => {
    const statement = await draft('2024-01-30', [2000]);
    const closing = minor(statement.closing);
    ok(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement');
    ok(await w.finance('SHOP-A', 'confirmStatement', { id: statement.id }), 'Statement');
    const before = (await w.balanceWith('TRADER-B', 'SHOP-A'))!;

    const pay = (as: Code, amountMinor: number | bigint, currency = 'EUR', reference?: string) =>
      w.finance(as, 'recordPayment', { input: { statementId: statement.id, amountMinor: String(amountMinor), currency, ...(reference ? { reference } : {}) } });
    expect(await pay('SHOP-A', 500)).toMatchObject({ __typename: 'NotPermittedForStatementSide' });
    expect(await pay('TRADER-B', 500, 'USD')).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'currency' });
    expect(await pay('TRADER-B', 0)).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'amountMinor' });
    expect(await pay('TRADER-B', -5)).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'amountMinor' });

    const partly = ok<Statement>(await pay('TRADER-B', closing - 500n, 'EUR', 'SEPA-1'), 'Statement');
    expect(partly).toMatchObject({ status: 'CONFIRMED', paid: eur(closing - 500n), remaining: eur(500), closing: eur(closing) });
    expect((await bothSides(statement.id)).paid).toEqual(eur(closing - 500n));

    const settled = ok<Statement>(await pay('TRADER-B', 500, 'EUR', 'SEPA-2'), 'Statement');
    expect(settled).toMatchObject({ status: 'SETTLED', paid: eur(closing), remaining: eur(0) });
    expect(await pay('TRADER-B', 1)).toMatchObject({ __typename: 'InvalidStatementTransition', status: 'SETTLED' });
    expect((await bothSides(statement.id)).status).toBe('SETTLED');

    // The payments are ledger entries against this statement; the balance falls by what was paid.
    const payments = (await w.ledgerEntries('TRADER-B', { partnerId: PARTNER['SHOP-A'], kind: ['PAYMENT'] })).filter((e) => e.statementId === statement.id);
    expect(payments.map((e) => [e.amount.amountMinor, e.side]).sort()).toEqual([['500', 'RECEIVABLE'], [String(closing - 500n), 'RECEIVABLE']].sort());
    expect((await w.balanceWith('TRADER-B', 'SHOP-A'))!.net).toEqual(eur(minor(before.net) - closing));
    expect((await w.balanceWith('SHOP-A', 'TRADER-B'))!.net).toEqual(eur(-(minor(before.net) - closing)));
  });

  it('the next statement opens with what the previous one left open', async () => {
    // Payments are recorded against the statement they pay (not billed again as lines), so the
    // balance carried into the next period is the previous closing less what was paid on it.
    const first = await draft('2024-02-10', [1000]);
    ok(await w.finance('TRADER-B', 'issueStatement', { id: first.id }), 'Statement');
    const paid = ok<Statement>(await w.finance('TRADER-B', 'recordPayment', { input: { statementId: first.id, amountMinor: 600, currency: 'EUR' } }), 'Statement');
    expect(paid).toMatchObject({ status: 'ISSUED', paid: eur(600), remaining: eur(minor(first.closing) - 600n) });
    const second = await draft('2024-02-11', [400]);
    expect(second.opening).toEqual(eur(minor(first.closing) - 600n));
    expect(second.closing).toEqual(eur(minor(first.closing) - 600n + 400n));
    // Without payments, the opening is exactly the previous closing.
    const third = await draft('2024-02-12', [50]);
    expect(third.opening).toEqual(second.closing);
    expect(third.closing).toEqual(eur(minor(second.closing) + 50n));
  });
});

describe('visibility and roles', () => {
  it('a statement is its two parties’ only: others see null, empty lists, and not-found failures', async () => {
    const statement = await draft('2024-03-01', [321]);
    for (const outsider of ['SUPPLIER-C', 'SHOP-D'] as const) {
      expect(await w.statement(outsider, statement.id), outsider).toBeNull();
      expect((await w.statements(outsider)).map((s) => s.id), outsider).not.toContain(statement.id);
      expect(await w.finance(outsider, 'issueStatement', { id: statement.id }), outsider).toMatchObject({ __typename: 'FinanceNotFound', errorCode: 'NOT_FOUND' });
      expect(await w.finance(outsider, 'recordPayment', { input: { statementId: statement.id, amountMinor: 1, currency: 'EUR' } })).toMatchObject({ __typename: 'FinanceNotFound' });
      expect((await w.ledgerEntries(outsider)).some((e) => e.statementId === statement.id)).toBe(false);
    }
    expect((await w.statements('TRADER-B', { status: ['DRAFT'], side: 'RECEIVABLE' })).map((s) => s.id)).toContain(statement.id);
    expect((await w.statements('SHOP-A')).map((s) => s.id)).not.toContain(statement.id);
    // Unknown and malformed ids look the same as foreign ones.
    expect(await w.statement('TRADER-B', '0b6f1e0a-9a0c-4c3e-8a59-1f0e7c2d4b11')).toBeNull();
    expect(await w.finance('TRADER-B', 'issueStatement', { id: '0b6f1e0a-9a0c-4c3e-8a59-1f0e7c2d4b11' })).toMatchObject({ __typename: 'FinanceNotFound' });
    expect(await w.finance('TRADER-B', 'issueStatement', { id: 'statement-1' })).toMatchObject({ __typename: 'FinanceNotFound' });
    // Nothing changed.
    expect((await w.statement('TRADER-B', statement.id))!.status).toBe('DRAFT');
    // Issued, the debtor sees it among its payables (not its receivables); outsiders still do not.
    ok(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement');
    expect((await w.statements('SHOP-A', { side: 'PAYABLE' })).map((s) => s.id)).toContain(statement.id);
    expect((await w.statements('SHOP-A', { side: 'RECEIVABLE' })).map((s) => s.id)).not.toContain(statement.id);
    expect((await w.statements('SHOP-A', { status: ['ISSUED'], partnerId: PARTNER['TRADER-B'] })).map((s) => s.id)).toContain(statement.id);
    for (const outsider of ['SUPPLIER-C', 'SHOP-D'] as const) expect(await w.statement(outsider, statement.id), outsider).toBeNull();
  });

  it('money needs the finance or admin role', async () => {
    const statement = await draft('2024-03-02', [99]);
    for (const roles of [['viewer'], ['sales', 'reviewer', 'warehouse']] as const) {
      const token = await w.tokenFor('TRADER-B', [...roles]);
      for (const query of ['{ balances { edges { node { net { amountMinor } } } } }', '{ statements { edges { node { id } } } }', '{ ledgerEntries { edges { node { id } } } }']) {
        const response = await w.raw(token, query);
        expect(response.errors?.[0]?.extensions?.['code'], `${roles.join()} ${query}`).toBe('FORBIDDEN');
      }
      const issue = await w.raw(token, `mutation($id: ID!) { issueStatement(id: $id) { __typename } }`, { id: statement.id });
      expect(issue.errors?.[0]?.extensions?.['code'], roles.join()).toBe('FORBIDDEN');
    }
    const financeOnly = await w.tokenFor('TRADER-B', ['finance']);
    expect(ok<Statement>((await w.gql<{ result: never }>(financeOnly, `mutation($id: ID!) { result: issueStatement(id: $id) { __typename ... on Statement { id status } } }`, { id: statement.id })).result, 'Statement').status).toBe('ISSUED');
  });
});

describe('amounts beyond 2^53', () => {
  const LONG_MAX = 9_223_372_036_854_775_807n;
  const PAID = 9_007_199_254_740_993n; // 2^53 + 1: where doubles start to skip integers

  it('a statement totals up to 2^63 − 1 exactly, payments and balances stay exact, and a closing beyond it is refused', async () => {
    // SUPPLIER-C bills TRADER-B (monthly, by the demo world's rule; no other statements of this pair here).
    const before = minor((await w.balanceWith('SUPPLIER-C', 'TRADER-B'))?.net ?? eur(0));
    // Two invoices no JavaScript number holds, summing to exactly 2^63 − 1.
    await w.insertEntry({ creditor: 'SUPPLIER-C', debtor: 'TRADER-B', amountMinor: 2n ** 62n, occurredAt: '2024-06-03T09:00:00Z' });
    await w.insertEntry({ creditor: 'SUPPLIER-C', debtor: 'TRADER-B', amountMinor: 2n ** 62n - 1n, occurredAt: '2024-06-04T09:00:00Z' });
    const statement = await w.generateOne('SUPPLIER-C', '2024-06-15T12:00:00Z', 'TRADER-B');
    expect(statement).toMatchObject({ opening: eur(0), closing: { amountMinor: '9223372036854775807', currency: 'EUR' }, remaining: eur(LONG_MAX) });
    expect(statement.lines.map((l) => l.entry.amount.amountMinor).sort()).toEqual(['4611686018427387903', '4611686018427387904']);
    expectBalanced(statement);
    ok(await w.finance('SUPPLIER-C', 'issueStatement', { id: statement.id }), 'Statement');

    const paid = await w.statementStep('SUPPLIER-C', 'recordPayment', { input: { statementId: statement.id, amountMinor: String(PAID), currency: 'EUR' } });
    expect(paid).toMatchObject({ status: 'ISSUED', paid: { amountMinor: '9007199254740993' }, remaining: { amountMinor: '9214364837600034814' } });
    expectBalanced(paid);
    expect(minor((await w.balanceWith('SUPPLIER-C', 'TRADER-B'))!.net)).toBe(before + LONG_MAX - PAID);
    expect(minor((await w.balanceWith('TRADER-B', 'SUPPLIER-C'))!.net)).toBe(-(before + LONG_MAX - PAID));

    // The next period opens with what is left; an invoice of 2^53 + 2 would take its closing past
    // 2^63 − 1: refused with a clear error, nothing generated, the entry still unbilled.
    const entryId = await w.insertEntry({ creditor: 'SUPPLIER-C', debtor: 'TRADER-B', amountMinor: PAID + 1n, occurredAt: '2024-07-02T09:00:00Z' });
    const refused = await w.raw('SUPPLIER-C', `mutation($input: GenerateStatementsInput!) { generateStatements(input: $input) { statements { id } } }`, {
      input: { periodContaining: '2024-07-15T12:00:00Z', debtorCode: 'TRADER-B' },
    });
    expect(refused.errors?.[0], JSON.stringify(refused)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('9223372036854775807') });
    expect((await w.statements('SUPPLIER-C', { partnerId: PARTNER['TRADER-B'] })).map((s) => s.id)).toEqual([statement.id]);
    expect([...(await w.admin`select statement_id from finance.ledger_entries where id = ${entryId}`)]).toEqual([{ statement_id: null }]);
    // Leave the pair's balance within range for whoever reads it later.
    await w.admin`delete from finance.ledger_entries where id = ${entryId}`;
  });
});
