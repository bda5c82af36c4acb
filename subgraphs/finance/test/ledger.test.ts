import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FinanceWorld,
  PARTNER,
  POLL,
  addDays,
  eur,
  expectBalanced,
  minor,
  ok,
  sharedView,
  signed,
  type Code,
  type LedgerEntry,
  type OrderView,
  type PartnerBalance,
  type Statement,
} from './helpers';

/**
 * The partner ledger through the gateway (finance issue, acceptance): when a distribution order
 * that TRADER-B fulfils itself ships, finance books an invoice at the supply price — a receivable
 * for TRADER-B from SHOP-A, the same amount payable for SHOP-A — and SUPPLIER-C and SHOP-D see
 * nothing of it. The statement generated for the period balances to the cent, and both parties see
 * the same numbers from their sides.
 *
 * The orders are real: SHOP-A places and approves a sales order for its product linked to a
 * TRADER-B product (supply price 450) that TRADER-B stocks in its own warehouse; TRADER-B accepts
 * the distribution order, inspects and dispatches the allocated shipment.
 */

let w: FinanceWorld;

beforeAll(async () => {
  w = await FinanceWorld.start();
});
afterAll(async () => {
  await w?.close();
});

const ZERO = { net: eur(0), receivable: eur(0), payable: eur(0) };
async function balance(as: Code, partner: Code): Promise<Pick<PartnerBalance, 'net' | 'receivable' | 'payable'>> {
  return (await w.balanceWith(as, partner)) ?? ZERO;
}

/** Balance and entries with one partner in a single request, so they are read together. */
async function ledgerWith(as: Code, partner: Code): Promise<{ balance: bigint | null; entries: LedgerEntry[] }> {
  const data = await w.gql<{ balances: { edges: { node: PartnerBalance }[] }; ledgerEntries: { edges: { node: LedgerEntry }[]; pageInfo: { hasNextPage: boolean } } }>(
    as,
    `query($partnerId: ID!) { balances(first: 100) { edges { node { partner { id } net { amountMinor currency } receivable { amountMinor currency } payable { amountMinor currency } } } }
      ledgerEntries(filter: { partnerId: $partnerId }, first: 100) { edges { node { id kind side amount { amountMinor currency } creditor { id } debtor { id } statementId order { id } description occurredAt } }
        pageInfo { hasNextPage } } }`,
    { partnerId: PARTNER[partner] },
  );
  expect(data.ledgerEntries.pageInfo.hasNextPage, 'all entries with the partner fit one page').toBe(false);
  const found = data.balances.edges.map((e) => e.node).find((b) => b.partner.id === PARTNER[partner] && b.net.currency === 'EUR');
  return { balance: found ? minor(found.net) : null, entries: data.ledgerEntries.edges.map((e) => e.node) };
}

describe('a distribution order shipped by TRADER-B to SHOP-A', () => {
  let distribution: OrderView;
  let sales: OrderView;
  let invoice: LedgerEntry;
  let before: { trader: Awaited<ReturnType<typeof balance>>; shop: Awaited<ReturnType<typeof balance>> };

  beforeAll(async () => {
    const { buyerProduct } = await w.linkedStock({ supplyPriceMinor: 450 });
    before = { trader: await balance('TRADER-B', 'SHOP-A'), shop: await balance('SHOP-A', 'TRADER-B') };
    ({ sales, distribution } = await w.shippedDistribution('SHOP-A', 'TRADER-B', [{ productId: buyerProduct.id, quantity: 3, unitPriceMinor: 1299 }]));
  });

  it('is priced at the supply price and shipped in full', () => {
    expect(distribution).toMatchObject({ kind: 'DISTRIBUTION', status: 'SHIPPED', seller: { id: PARTNER['TRADER-B'] }, buyer: { id: PARTNER['SHOP-A'] }, total: eur(1350) });
    expect(distribution.lines.map((l) => [l.quantity, l.shippedQuantity, l.unitPrice])).toEqual([[3, 3, eur(450)]]);
  });

  it('TRADER-B sees a receivable from SHOP-A at the supply price', async () => {
    await expect.poll(async () => (await w.entriesOfOrder('TRADER-B', distribution.id)).length, POLL).toBe(1);
    [invoice] = await w.entriesOfOrder('TRADER-B', distribution.id) as [LedgerEntry];
    expect(invoice).toMatchObject({
      kind: 'INVOICE',
      side: 'RECEIVABLE',
      creditor: { id: PARTNER['TRADER-B'] },
      debtor: { id: PARTNER['SHOP-A'] },
      amount: eur(3 * 450),
      order: { id: distribution.id },
      statementId: null,
    });
    expect(Math.abs(Date.parse(invoice.occurredAt) - Date.now())).toBeLessThan(60_000);
    const after = await balance('TRADER-B', 'SHOP-A');
    expect(after.net).toEqual(eur(minor(before.trader.net) + 1350n));
    expect(after.receivable).toEqual(eur(minor(before.trader.receivable) + 1350n));
    expect(after.payable).toEqual(before.trader.payable);
    // No commission rule: no commission entry. The sales order itself is no partner debt.
    expect((await w.ledgerEntries('TRADER-B', { kind: ['COMMISSION'] })).filter((e) => e.order?.id === distribution.id)).toEqual([]);
    expect(await w.entriesOfOrder('TRADER-B', sales.id)).toEqual([]);
  });

  it('SHOP-A sees the same amount as a payable to TRADER-B', async () => {
    const mine = await w.entriesOfOrder('SHOP-A', distribution.id);
    expect(mine).toEqual([{ ...invoice, side: 'PAYABLE' }]);
    const after = await balance('SHOP-A', 'TRADER-B');
    expect(after.net).toEqual(eur(minor(before.shop.net) - 1350n));
    expect(after.payable).toEqual(eur(minor(before.shop.payable) + 1350n));
    expect(after.receivable).toEqual(before.shop.receivable);
    expect(await w.entriesOfOrder('SHOP-A', sales.id)).toEqual([]);
  });

  it('each balance is the sum of the entries with that partner, from the caller’s side', async () => {
    for (const [as, partner] of [['TRADER-B', 'SHOP-A'], ['SHOP-A', 'TRADER-B']] as const) {
      await expect
        .poll(async () => {
          const { balance: net, entries } = await ledgerWith(as, partner);
          const sum = entries.reduce((total, e) => total + (e.side === 'RECEIVABLE' ? signed(e) : -signed(e)), 0n);
          return net === sum;
        }, POLL)
        .toBe(true);
    }
  });

  it('SUPPLIER-C and SHOP-D see nothing of it', async () => {
    for (const outsider of ['SUPPLIER-C', 'SHOP-D'] as const) {
      const entries = await w.ledgerEntries(outsider);
      expect(entries.filter((e) => e.id === invoice.id || e.order?.id === distribution.id || e.order?.id === sales.id), outsider).toEqual([]);
      expect(entries.some((e) => [e.creditor.id, e.debtor.id].includes(PARTNER['SHOP-A'])), outsider).toBe(false);
      expect((await w.balances(outsider)).some((b) => b.partner.id === PARTNER['SHOP-A']), outsider).toBe(false);
      expect(await w.ledgerEntries(outsider, { partnerId: PARTNER['SHOP-A'] }), outsider).toEqual([]);
    }
    // SHOP-D has no partner relation at all: nothing to see.
    expect(await w.balances('SHOP-D')).toEqual([]);
    expect(await w.ledgerEntries('SHOP-D')).toEqual([]);
  });

  it('the statement for the period balances to the cent, and both parties see the same numbers', async () => {
    const statement = await w.generateOne('TRADER-B', invoice.occurredAt, 'SHOP-A');
    // No settlement rule: monthly from the 1st (UTC), 30 days to pay.
    const month = invoice.occurredAt.slice(0, 7);
    const start = `${month}-01`;
    const end = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1)).toISOString().slice(0, 10);
    expect(statement).toMatchObject({ status: 'DRAFT', side: 'RECEIVABLE', creditor: { id: PARTNER['TRADER-B'] }, debtor: { id: PARTNER['SHOP-A'] }, periodStart: start, periodEnd: end, dueDate: addDays(end, 30), opening: eur(0) });
    expect(statement.lines.map((l) => l.entry.id)).toContain(invoice.id);
    for (const line of statement.lines) {
      expect(line.entry).toMatchObject({ creditor: { id: PARTNER['TRADER-B'] }, debtor: { id: PARTNER['SHOP-A'] }, statementId: statement.id, side: 'RECEIVABLE' });
      expect(line.entry.occurredAt >= `${start}T00:00:00` && line.entry.occurredAt < `${end}T00:00:00`, line.entry.occurredAt).toBe(true);
    }
    expectBalanced(statement);
    // While it is a DRAFT the debtor does not see which statement its entries are on.
    const beforeIssue = (await w.ledgerEntries('SHOP-A', { partnerId: PARTNER['TRADER-B'] })).filter((e) => e.statementId === statement.id);
    expect(beforeIssue).toEqual([]);

    const issued = ok<Statement>(await w.finance('TRADER-B', 'issueStatement', { id: statement.id }), 'Statement');
    // Every entry of the pair in this period that was unbilled is on it: the debtor's view of the pair's entries agrees.
    const billed = (await w.ledgerEntries('SHOP-A', { partnerId: PARTNER['TRADER-B'] })).filter((e) => e.statementId === statement.id);
    expect(billed.map((e) => e.id).sort()).toEqual(statement.lines.map((l) => l.entry.id).sort());
    expect(billed.reduce((sum, e) => sum + signed(e), 0n)).toBe(minor(statement.closing) - minor(statement.opening));
    const debtorView = (await w.statement('SHOP-A', statement.id))!;
    expect(debtorView.side).toBe('PAYABLE');
    expect(sharedView(debtorView)).toEqual(sharedView(issued));
    expect((await w.statements('SHOP-A', { side: 'PAYABLE', partnerId: PARTNER['TRADER-B'] })).map((s) => s.id)).toContain(statement.id);
    for (const outsider of ['SUPPLIER-C', 'SHOP-D'] as const) {
      expect(await w.statement(outsider, statement.id), outsider).toBeNull();
      expect((await w.statements(outsider)).map((s) => s.id), outsider).not.toContain(statement.id);
    }
  });
});

describe('partial shipments', () => {
  it('each shipment books what it shipped, at the supply price', async () => {
    const { buyerProduct } = await w.linkedStock({ supplyPriceMinor: 275 });
    const sales = await w.approvedOrder('SHOP-A', [{ productId: buyerProduct.id, quantity: 3, unitPriceMinor: 999 }]);
    await expect.poll(async () => (await w.order('SHOP-A', sales.id))?.childOrders.length, POLL).toBe(1);
    const childId = (await w.order('SHOP-A', sales.id))!.childOrders[0]!.id;
    const accepted = ok<OrderView>(await w.orderStep('TRADER-B', 'acceptDistributionOrder', { id: childId }), 'Order');
    const lineId = accepted.lines[0]!.id;
    const CONFIRM = `mutation($input: ConfirmShipmentInput!) { result: confirmShipment(input: $input) { __typename ... on Order { status } ... on OrdersError { errorCode message } } }`;
    ok((await w.gql<{ result: never }>('TRADER-B', CONFIRM, { input: { orderId: childId, lines: [{ lineId, quantity: 1 }] } })).result, 'Order');
    await expect.poll(async () => (await w.entriesOfOrder('TRADER-B', childId)).map((e) => e.amount.amountMinor), POLL).toEqual(['275']);
    ok((await w.gql<{ result: never }>('TRADER-B', CONFIRM, { input: { orderId: childId, lines: [{ lineId, quantity: 2 }] } })).result, 'Order');
    await expect.poll(async () => (await w.entriesOfOrder('TRADER-B', childId)).map((e) => e.amount.amountMinor).sort(), POLL).toEqual(['275', '550']);
    const entries = await w.entriesOfOrder('SHOP-A', childId);
    expect(entries.every((e) => e.kind === 'INVOICE' && e.side === 'PAYABLE' && e.creditor.id === PARTNER['TRADER-B'])).toBe(true);
  });
});
