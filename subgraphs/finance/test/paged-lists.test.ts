import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, PARTNER, eur, type CustomerPayment } from './helpers';
import type { Connection } from '../../../test/world';

/**
 * The finance lists that grow without bound are keyset-paged connections (issue 15, "no silent
 * caps"): `settlementRules` (one per partner pair, by creditor then debtor), `commissionRules` (by
 * id) and `CreditFile.payments` (newest first). Each pages through every row once with opaque
 * cursors and `first` 1–100; a bad `first` or cursor is refused with BAD_USER_INPUT naming the
 * argument. `CreditFile.payments` under a list of customers is batched: one page per customer, as
 * many SQL statements for 100 customers as for 10.
 *
 * The 150 rows of each list are inserted in one statement behind row-level security, so they share
 * one timestamp and the id must break ties; the partners and products they name are fresh ids (a
 * rule's partner is only a reference, resolved by catalog), so these tests select only ids there.
 */

const ROWS = 150;
let w: FinanceWorld;
let statements = 0;
/** The settlement rules a partner is a party of, as `creditor>debtor`, by creditor then debtor (row-level security looked behind). */
const rulePairsOf = async (partnerId: string) =>
  (await w.admin`select creditor_partner_id::text || '>' || debtor_partner_id::text as pair from finance.settlement_rules
    where ${partnerId} in (creditor_partner_id, debtor_partner_id) order by creditor_partner_id, debtor_partner_id`).map((r) => r['pair'] as string);
/** TRADER-B's commission rules (the demo world's and 150 more), by id. */
let commissionIds: string[];
/** SHOP-A's customer with 150 payments, and their amounts newest first. */
let payingCustomer: string;
let paymentAmounts: string[];
/** 100 more of SHOP-A's customers with credit files, each with 3 payments. */
let batchCustomers: string[];

beforeAll(async () => {
  w = await FinanceWorld.start({ onQuery: () => (statements += 1) });
  const traderB = PARTNER['TRADER-B'];
  const shopA = PARTNER['SHOP-A'];
  await w.admin`insert into finance.settlement_rules (creditor_partner_id, debtor_partner_id, period, period_value, payment_terms_days)
    select ${traderB}, gen_random_uuid(), 'MONTHLY', 1 + i % 28, 30 from generate_series(1, ${ROWS}) i`;
  // A rule between two other partners, which TRADER-B must not see.
  await w.admin`insert into finance.settlement_rules (creditor_partner_id, debtor_partner_id, period, period_value, payment_terms_days)
    values (${PARTNER['SHOP-D']}, ${PARTNER['SUPPLIER-C']}, 'WEEKLY', 1, 14)`;
  await w.admin`insert into finance.commission_rules (payer_partner_id, product_id, kind, value)
    select ${traderB}, gen_random_uuid(), 'FIXED', i from generate_series(1, ${ROWS}) i`;
  commissionIds = (await w.admin`select id::text from finance.commission_rules where ${traderB} in (payer_partner_id, earner_partner_id) order by id`).map((r) => r['id'] as string);

  payingCustomer = await w.createCustomer('SHOP-A');
  await w.setCreditLimit('SHOP-A', payingCustomer, 1_000_000);
  // 100 payments at one moment (ties broken by id), 50 on the days before.
  const payments = await w.admin`insert into finance.customer_entries (owner_partner_id, customer_id, kind, signed_minor, currency, reference, at)
    select ${shopA}, ${payingCustomer}, 'PAYMENT', -i, 'EUR', 'payment ' || i, case when i <= 100 then now() else now() - make_interval(days => i - 100) end
    from generate_series(1, ${ROWS}) i returning id::text, signed_minor::text, at`;
  paymentAmounts = [...payments]
    .sort((a, b) => (b['at'] as Date).getTime() - (a['at'] as Date).getTime() || (b['id'] as string).localeCompare(a['id'] as string))
    .map((r) => (r['signed_minor'] as string).slice(1));

  const customers = await w.admin`insert into orders.customers (partner_id, name) select ${shopA}, 'Paged customer ' || lpad(i::text, 3, '0') from generate_series(1, 100) i returning id::text`;
  batchCustomers = customers.map((r) => r['id'] as string);
  await w.admin`insert into finance.credit_files (customer_id, owner_partner_id, limit_minor, currency) select unnest(${batchCustomers}::uuid[]), ${shopA}, 5000, 'EUR'`;
  await w.admin`insert into finance.customer_entries (owner_partner_id, customer_id, kind, signed_minor, currency, at)
    select ${shopA}, c, 'PAYMENT', -n, 'EUR', now() - make_interval(mins => n) from unnest(${batchCustomers}::uuid[]) c, generate_series(1, 3) n`;
});
afterAll(async () => {
  await w?.close();
});

/** Follows a connection page after page (`first` per page); returns every page. */
async function pagesOf<Node>(first: number, fetchPage: (first: number, after: string | null) => Promise<Connection<Node>>): Promise<Connection<Node>[]> {
  const pages: Connection<Node>[] = [];
  let after: string | null = null;
  for (;;) {
    expect(pages.length, 'too many pages').toBeLessThan(50);
    const page = await fetchPage(first, after);
    pages.push(page);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    after = page.pageInfo.endCursor;
  }
}

const SETTLEMENT_RULES = `query($first: Int, $after: String) { list: settlementRules(first: $first, after: $after) {
  edges { cursor node { creditor { id } debtor { id } period value paymentTermsDays } } pageInfo { hasNextPage endCursor } } }`;
const COMMISSION_RULES = `query($first: Int, $after: String) { list: commissionRules(first: $first, after: $after) {
  edges { cursor node { id payer { id } kind value } } pageInfo { hasNextPage endCursor } } }`;
const PAYMENTS = `query($id: ID!, $first: Int, $after: String) { customer(id: $id) { credit { list: payments(first: $first, after: $after) {
  edges { cursor node { amount { amountMinor currency } reference at } } pageInfo { hasNextPage endCursor } } } } }`;

const rootPage = <Node>(as: string, query: string) => async (first: number, after: string | null) =>
  (await w.gql<{ list: Connection<Node> }>(as, query, { first, after })).list;
const paymentsPage = (as: string, customerId: string) => async (first: number, after: string | null) =>
  (await w.gql<{ customer: { credit: { list: Connection<CustomerPayment> } } }>(as, PAYMENTS, { id: customerId, first, after })).customer.credit.list;

describe('settlementRules', () => {
  type Rule = { creditor: { id: string }; debtor: { id: string } };
  const pairs = (pages: Connection<Rule>[]) => pages.flatMap((page) => page.edges.map((edge) => `${edge.node.creditor.id}>${edge.node.debtor.id}`));

  it(`pages through all of TRADER-B's ${ROWS}+ rules, 100 then the rest, by creditor then debtor, each once`, async () => {
    const expected = await rulePairsOf(PARTNER['TRADER-B']);
    expect(expected.length).toBeGreaterThan(ROWS);
    const pages = await pagesOf(100, rootPage<Rule>('TRADER-B', SETTLEMENT_RULES));
    expect(pages.map((page) => page.edges.length)).toEqual([100, expected.length - 100]);
    expect(pairs(pages)).toEqual(expected);
    expect(pairs(await pagesOf(7, rootPage<Rule>('TRADER-B', SETTLEMENT_RULES)))).toEqual(expected);
  });

  it('shows each partner the rules it is a party of, and only those', async () => {
    for (const code of ['SHOP-A', 'SUPPLIER-C', 'SHOP-D'] as const) {
      const seen = pairs(await pagesOf(100, rootPage<Rule>(code, SETTLEMENT_RULES)));
      expect(seen, code).toEqual(await rulePairsOf(PARTNER[code]));
    }
    expect(pairs(await pagesOf(100, rootPage<Rule>('SHOP-D', SETTLEMENT_RULES)))).toContain(`${PARTNER['SHOP-D']}>${PARTNER['SUPPLIER-C']}`);
  });
});

describe('commissionRules', () => {
  it(`pages through all of TRADER-B's ${ROWS}+ rules, 100 then the rest, by id, each once; a rule replaced keeps its place`, async () => {
    const pages = await pagesOf(100, rootPage<{ id: string; value: string }>('TRADER-B', COMMISSION_RULES));
    expect(pages.map((page) => page.edges.length)).toEqual([100, commissionIds.length - 100]);
    expect(pages.flatMap((page) => page.edges.map((edge) => edge.node.id))).toEqual(commissionIds);
    // Updating a rule on the first page while paging does not move it onto the second.
    const firstPage = await rootPage<{ id: string }>('TRADER-B', COMMISSION_RULES)(100, null);
    await w.admin`update finance.commission_rules set value = value + 1, updated_at = now() where id = ${firstPage.edges[0]!.node.id}`;
    const rest = await rootPage<{ id: string }>('TRADER-B', COMMISSION_RULES)(100, firstPage.pageInfo.endCursor);
    expect(rest.edges.map((edge) => edge.node.id)).toEqual(commissionIds.slice(100));
    // Another partner sees the rules it pays or earns under, none of TRADER-B's 150.
    const supplierSees = (await rootPage<{ id: string }>('SUPPLIER-C', COMMISSION_RULES)(100, null)).edges.map((edge) => edge.node.id);
    const supplierRules = await w.admin`select id::text from finance.commission_rules where ${PARTNER['SUPPLIER-C']} in (payer_partner_id, earner_partner_id) order by id`;
    expect(supplierSees).toEqual(supplierRules.map((r) => r['id'] as string));
    expect(supplierSees.some((id) => commissionIds.slice(0, 100).includes(id) && !supplierRules.some((r) => r['id'] === id))).toBe(false);
  });
});

describe('CreditFile.payments', () => {
  it(`pages through all ${ROWS} payments, 100 then 50, newest first, each once`, async () => {
    const pages = await pagesOf(100, paymentsPage('SHOP-A', payingCustomer));
    expect(pages.map((page) => page.edges.length)).toEqual([100, 50]);
    const nodes = pages.flatMap((page) => page.edges.map((edge) => edge.node));
    expect(nodes.map((node) => node.amount.amountMinor)).toEqual(paymentAmounts);
    expect(new Set(nodes.map((node) => node.reference)).size).toBe(ROWS);
    expect(nodes.every((node) => node.amount.currency === 'EUR')).toBe(true);
    // The default page is 20; the helper the other tests use reads every page.
    expect((await paymentsPage('SHOP-A', payingCustomer)(20, null)).edges).toHaveLength(20);
    expect((await w.customerPayments('SHOP-A', payingCustomer, 7)).map((p) => p.amount.amountMinor)).toEqual(paymentAmounts);
    // Paging changes nothing of the file: all 150 payments (1 + … + 150) count in what the customer owes.
    const credit = (await w.customerCredit('SHOP-A', payingCustomer))!.credit!;
    expect(credit.outstanding).toEqual(eur(-(ROWS * (ROWS + 1)) / 2));
  });

  it('costs the same number of SQL statements for the payments of 100 customers as of 10, each with its own page', async () => {
    const LIST = `query($first: Int!) { customers(search: "Paged customer", first: $first) { edges { node { id
      credit { payments(first: 2) { edges { node { amount { amountMinor } } } pageInfo { hasNextPage } } } } } } }`;
    type Listed = { customers: { edges: { node: { id: string; credit: { payments: { edges: { node: { amount: { amountMinor: string } } }[]; pageInfo: { hasNextPage: boolean } } } } }[] } };
    const count = async (first: number) => {
      statements = 0;
      const data = await w.gql<Listed>('SHOP-A', LIST, { first });
      expect(data.customers.edges).toHaveLength(first);
      for (const { node } of data.customers.edges) {
        expect(batchCustomers).toContain(node.id);
        // Each customer's own two newest of its three payments.
        expect(node.credit.payments.edges.map((edge) => edge.node.amount.amountMinor), node.id).toEqual(['1', '2']);
        expect(node.credit.payments.pageInfo.hasNextPage).toBe(true);
      }
      return statements;
    };
    const ten = await count(10);
    const hundred = await count(100);
    expect(hundred).toBe(ten);
  });
});

describe('page arguments', () => {
  const lists = {
    settlementRules: (args: string) => `{ settlementRules(${args}) { edges { cursor } } }`,
    commissionRules: (args: string) => `{ commissionRules(${args}) { edges { cursor } } }`,
    'CreditFile.payments': (args: string) => `query($id: ID!) { customer(id: $id) { credit { payments(${args}) { edges { cursor } } } } }`,
  };
  const ask = (field: keyof typeof lists, args: string) => w.raw(field === 'CreditFile.payments' ? 'SHOP-A' : 'TRADER-B', lists[field](args), { id: payingCustomer });

  it.each(Object.keys(lists))('%s refuses first 0, -1, 101 and 5000 with BAD_USER_INPUT naming "first"', async (field) => {
    for (const first of [0, -1, 101, 5_000]) {
      const response = await ask(field as keyof typeof lists, `first: ${first}`);
      expect(response.errors?.[0]?.extensions, `${field} first: ${first}`).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
  });

  it.each(Object.keys(lists))('%s refuses a forged, malformed or foreign cursor with BAD_USER_INPUT naming "after"', async (field) => {
    const cursors = {
      settlementRules: (await rootPage('TRADER-B', SETTLEMENT_RULES)(1, null)).edges[0]!.cursor!,
      commissionRules: (await rootPage('TRADER-B', COMMISSION_RULES)(1, null)).edges[0]!.cursor!,
      'CreditFile.payments': (await paymentsPage('SHOP-A', payingCustomer)(1, null)).edges[0]!.cursor!,
    };
    const foreign = Object.entries(cursors).filter(([list]) => list !== field).map(([, cursor]) => cursor);
    const forged = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const after of ['bm9wZQ', 'not a cursor!', forged(['customer-payments', 'soon', 'x']), forged(['commission-rules', 'not-a-uuid']), forged(['settlement-rules', PARTNER['SHOP-A']]), ...foreign]) {
      const response = await ask(field as keyof typeof lists, `after: ${JSON.stringify(after)}`);
      expect(response.errors?.[0]?.extensions, `${field} after: ${after}`).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    }
  });
});
