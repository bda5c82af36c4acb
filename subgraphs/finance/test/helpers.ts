import { expect, vi } from 'vitest';
import { demoPartnerId } from '../../../scripts/demo/world';
import { TestWorld, linkProducts, ok, setSupplyPrice, type Result } from '../../../test/world';
import type { TestPlatformOptions } from '../../../test/platform';
import type { BillingPeriod, CommissionKind, LedgerKind, Side, StatementLineStatus, StatementStatus } from '../src/generated/resolvers';

export { ok, type Result } from '../../../test/world';

/**
 * Shared fixtures of the finance tests: a fresh demo database and the real platform per test
 * file, GraphQL documents for the finance API, and factories that make money move the way it does
 * in production — products, links and supply prices through catalog, stock and shipments through
 * inventory, sales, distribution and purchase orders through orders — so that the finance event
 * consumer books what it books for real. Where a test needs ledger entries at chosen moments
 * (period boundaries, ageing) it inserts them with the admin connection.
 */

/** The demo partners. */
export const CODES = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const;
export type Code = (typeof CODES)[number];

/** Partner ids by code (deterministic in the demo world). */
export const PARTNER: Record<Code, string> = Object.fromEntries(CODES.map((code) => [code, demoPartnerId(code)])) as Record<Code, string>;

/** Timeouts for `expect.poll` / `vi.waitFor` on the background workflows (chain, allocation, bookkeeping). */
export const POLL = { timeout: 15_000, interval: 25 } as const;

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Money as the API answers it: `amountMinor` is a `Long`, a string of decimal digits. */
export interface Money {
  amountMinor: string;
  currency: string;
}

/** Money in euro cents, as the API answers it. */
export function eur(amountMinor: number | bigint): Money {
  return { amountMinor: String(amountMinor), currency: 'EUR' };
}

/** The exact amount of money the API answered, for arithmetic in tests. */
export function minor(money: Pick<Money, 'amountMinor'>): bigint {
  return BigInt(money.amountMinor);
}

export interface LedgerEntry {
  id: string;
  kind: LedgerKind;
  side: Side;
  creditor: { id: string };
  debtor: { id: string };
  amount: Money;
  description: string;
  order: { id: string } | null;
  statementId: string | null;
  occurredAt: string;
}

export interface StatementLine {
  id: string;
  entry: LedgerEntry;
  status: StatementLineStatus;
  disputeReason: string | null;
  resolution: string | null;
}

export interface Statement {
  id: string;
  status: StatementStatus;
  side: Side;
  creditor: { id: string };
  debtor: { id: string };
  periodStart: string;
  periodEnd: string;
  dueDate: string;
  opening: Money;
  lines: StatementLine[];
  closing: Money;
  paid: Money;
  remaining: Money;
}

export interface PartnerBalance {
  partner: { id: string };
  net: Money;
  receivable: Money;
  payable: Money;
}

export interface SettlementRule {
  creditor: { id: string };
  debtor: { id: string };
  period: BillingPeriod;
  value: number;
  anchorDate: string | null;
  paymentTermsDays: number;
}

export interface CommissionRule {
  id: string;
  payer: { id: string };
  earner: { id: string } | null;
  productId: string | null;
  kind: CommissionKind;
  /** A `Long`: basis points or minor units per unit, as a string of digits. */
  value: string;
}

export interface CreditFile {
  customerId: string;
  limit: Money;
  outstanding: Money;
  available: Money;
  /** The first page (up to 100) of the payments, newest first. */
  payments: { edges: { node: CustomerPayment }[]; pageInfo: { hasNextPage: boolean } };
}

export interface CustomerPayment {
  amount: Money;
  reference: string | null;
  at: string;
}

export interface ProductCost {
  average: Money;
  units: number;
  value: Money;
}

export interface ReportRow {
  keys: { dimension: string; value: string }[];
  orders: number;
  units: number;
  revenue: Money;
  cost: Money;
  margin: Money;
}

export interface Report {
  rows: ReportRow[];
  totals: ReportRow;
  receivablesAgeing: { current: Money; days1to30: Money; days31to60: Money; days61to90: Money; over90: Money };
}

export interface OrderView {
  id: string;
  kind: string;
  status: string;
  seller: { id: string };
  buyer: { id: string } | null;
  total: Money;
  childOrders: { id: string; kind: string; status: string }[];
  lines: { id: string; quantity: number; shippedQuantity: number; status: string; fulfilment: string | null; unitPrice: Money; product: { id: string; skuCode: string } }[];
}

export interface Shipment {
  id: string;
  status: string;
  orderId: string;
  lines: { skuCode: string; quantity: number }[];
}

const MONEY = 'amountMinor currency';
export const ENTRY_FIELDS = `id kind side creditor { id } debtor { id } amount { ${MONEY} } description order { id } statementId occurredAt`;
export const STATEMENT_FIELDS = `id status side creditor { id } debtor { id } periodStart periodEnd dueDate
  opening { ${MONEY} } closing { ${MONEY} } paid { ${MONEY} } remaining { ${MONEY} }
  lines { id status disputeReason resolution entry { ${ENTRY_FIELDS} } }`;
export const RULE_FIELDS = 'creditor { id } debtor { id } period value anchorDate paymentTermsDays';
export const COMMISSION_FIELDS = `id payer { id } earner { id } productId kind value`;
export const CREDIT_FIELDS = `customerId limit { ${MONEY} } outstanding { ${MONEY} } available { ${MONEY} } payments(first: 100) { edges { node { amount { ${MONEY} } reference at } } pageInfo { hasNextPage } }`;
const ROW_FIELDS = `keys { dimension value } orders units revenue { ${MONEY} } cost { ${MONEY} } margin { ${MONEY} }`;
export const REPORT_FIELDS = `rows { ${ROW_FIELDS} } totals { ${ROW_FIELDS} }
  receivablesAgeing { current { ${MONEY} } days1to30 { ${MONEY} } days31to60 { ${MONEY} } days61to90 { ${MONEY} } over90 { ${MONEY} } }`;
const ORDER_FIELDS = `id kind status seller { id } buyer { id } total { ${MONEY} } childOrders { id kind status }
  lines { id quantity shippedQuantity status fulfilment unitPrice { ${MONEY} } product { id skuCode } }`;

const FINANCE_ERRORS = `... on FinanceError { errorCode message } ... on InvalidFinanceInput { field }`;
const STATEMENT_ERRORS = `${FINANCE_ERRORS} ... on InvalidStatementTransition { status }`;

/** The finance mutations, each as a document returning its result union as `result`. */
export const FINANCE_MUTATIONS = {
  setSettlementRule: `mutation($input: SettlementRuleInput!) { result: setSettlementRule(input: $input) { __typename ... on SettlementRule { ${RULE_FIELDS} } ${FINANCE_ERRORS} } }`,
  issueStatement: `mutation($id: ID!) { result: issueStatement(id: $id) { __typename ... on Statement { ${STATEMENT_FIELDS} } ${STATEMENT_ERRORS} } }`,
  confirmStatement: `mutation($id: ID!) { result: confirmStatement(id: $id) { __typename ... on Statement { ${STATEMENT_FIELDS} } ${STATEMENT_ERRORS} } }`,
  disputeStatementLine: `mutation($input: DisputeLineInput!) { result: disputeStatementLine(input: $input) { __typename ... on Statement { ${STATEMENT_FIELDS} } ${STATEMENT_ERRORS} } }`,
  resolveStatementLine: `mutation($input: ResolveLineInput!) { result: resolveStatementLine(input: $input) { __typename ... on Statement { ${STATEMENT_FIELDS} } ${STATEMENT_ERRORS} } }`,
  recordPayment: `mutation($input: RecordPaymentInput!) { result: recordPayment(input: $input) { __typename ... on Statement { ${STATEMENT_FIELDS} } ${STATEMENT_ERRORS} } }`,
  setCommissionRule: `mutation($input: CommissionRuleInput!) { result: setCommissionRule(input: $input) { __typename ... on CommissionRule { ${COMMISSION_FIELDS} } ${FINANCE_ERRORS} } }`,
  setCreditLimit: `mutation($input: CreditLimitInput!) { result: setCreditLimit(input: $input) { __typename ... on CreditFile { ${CREDIT_FIELDS} } ${FINANCE_ERRORS} } }`,
  recordCustomerPayment: `mutation($input: CustomerPaymentInput!) { result: recordCustomerPayment(input: $input) { __typename ... on CreditFile { ${CREDIT_FIELDS} } ${FINANCE_ERRORS} } }`,
} as const;
export type FinanceMutation = keyof typeof FINANCE_MUTATIONS;

/** A mutation result as the test sees it: the object with `__typename`, or a typed failure. */
/** The signed effect of a ledger entry on what the debtor owes the creditor. */
export function signed(entry: Pick<LedgerEntry, 'kind' | 'amount'>): bigint {
  const amount = minor(entry.amount) < 0n ? -minor(entry.amount) : minor(entry.amount);
  return entry.kind === 'INVOICE' || entry.kind === 'COMMISSION' ? amount : -amount;
}

/** The sum of the signed line amounts of a statement. */
export function lineSum(statement: Pick<Statement, 'lines'>): bigint {
  return statement.lines.reduce((sum, line) => sum + signed(line.entry), 0n);
}

/** Asserts a statement balances to the cent: closing = opening + lines, remaining = closing − paid. */
export function expectBalanced(statement: Statement): void {
  expect(minor(statement.closing), `closing of ${statement.id}`).toBe(minor(statement.opening) + lineSum(statement));
  expect(minor(statement.remaining), `remaining of ${statement.id}`).toBe(minor(statement.closing) - minor(statement.paid));
  for (const money of [statement.opening, statement.closing, statement.paid, statement.remaining]) expect(money.currency).toBe('EUR');
}

/** What both parties must see identically on a statement (everything but the side). */
export function sharedView(statement: Statement): unknown {
  const { side: _side, lines, ...rest } = statement;
  return { ...rest, lines: lines.map(({ entry: { side: _entrySide, ...entry }, ...line }) => ({ ...line, entry })).sort((a, b) => a.id.localeCompare(b.id)) };
}

/** YYYY-MM-DD of a date in UTC. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A YYYY-MM-DD date plus `days` days. */
export function addDays(date: string, days: number): string {
  return isoDate(new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS));
}

/** A shipping address in a region (only the region matters to allocation). */
export function addressIn(regionCode: string): Record<string, unknown> {
  return { name: 'Test Customer', line1: 'Teststraße 1', city: 'Teststadt', postalCode: '10000', regionCode, country: regionCode.slice(0, 2) };
}

/** A product of a partner as the tests hold it. */
export interface TestProduct {
  id: string;
  skuCode: string;
}

/** An order line to place: the caller's product, quantity and retail price. */
export interface PlaceLine {
  productId: string;
  quantity: number;
  unitPriceMinor: number;
}

/** A test world: a fresh demo database, the platform, tokens and factories. */
export class FinanceWorld extends TestWorld<Code> {
  #channels = new Map<Code, string>();
  #warehouses = new Map<Code, string>();

  /** Clones a fresh demo database and starts the platform on it (with `options`, e.g. a statement counter). Call in `beforeAll`. */
  static async start(options: TestPlatformOptions = {}): Promise<FinanceWorld> {
    return new FinanceWorld(await TestWorld.boot(CODES, options));
  }

  // ---- finance -------------------------------------------------------------------------------

  /** Runs a finance mutation and returns its result union. */
  async finance(as: Code | string, mutation: FinanceMutation, variables: Record<string, unknown>): Promise<Result> {
    return (await this.gql<{ result: Result }>(as, FINANCE_MUTATIONS[mutation], variables)).result;
  }

  /** Runs a statement mutation and expects the statement back. */
  async statementStep(as: Code, mutation: 'issueStatement' | 'confirmStatement' | 'disputeStatementLine' | 'resolveStatementLine' | 'recordPayment', variables: Record<string, unknown>): Promise<Statement> {
    return ok<Statement>(await this.finance(as, mutation, variables), 'Statement');
  }

  async balances(as: Code | string): Promise<PartnerBalance[]> {
    return this.allNodes<PartnerBalance>(
      as,
      `query($first: Int, $after: String) { balances(first: $first, after: $after) {
        edges { node { partner { id } net { ${MONEY} } receivable { ${MONEY} } payable { ${MONEY} } } } pageInfo { hasNextPage endCursor } } }`,
      'balances',
    );
  }

  /** The caller's balance with one partner (EUR); null when there is none. */
  async balanceWith(as: Code, partner: Code): Promise<PartnerBalance | null> {
    return (await this.balances(as)).find((b) => b.partner.id === PARTNER[partner] && b.net.currency === 'EUR') ?? null;
  }

  async ledgerEntries(as: Code | string, filter: { partnerId?: string; kind?: string[] } = {}): Promise<LedgerEntry[]> {
    return this.allNodes<LedgerEntry>(
      as,
      `query($filter: LedgerFilter, $first: Int, $after: String) { ledgerEntries(filter: $filter, first: $first, after: $after) {
        edges { node { ${ENTRY_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'ledgerEntries',
      { filter },
    );
  }

  /** The ledger entries of one order as `as` sees them. */
  async entriesOfOrder(as: Code | string, orderId: string): Promise<LedgerEntry[]> {
    return (await this.ledgerEntries(as)).filter((e) => e.order?.id === orderId);
  }

  async statements(as: Code | string, filter: Record<string, unknown> = {}): Promise<Statement[]> {
    return this.allNodes<Statement>(
      as,
      `query($filter: StatementFilter, $first: Int, $after: String) { statements(filter: $filter, first: $first, after: $after) {
        edges { node { ${STATEMENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'statements',
      { filter },
    );
  }

  async statement(as: Code | string, id: string): Promise<Statement | null> {
    return (await this.gql<{ statement: Statement | null }>(as, `query($id: ID!) { statement(id: $id) { ${STATEMENT_FIELDS} } }`, { id })).statement;
  }

  /** Every settlement rule `as` sees, page after page. */
  async settlementRules(as: Code | string): Promise<SettlementRule[]> {
    return this.allNodes<SettlementRule>(
      as,
      `query($first: Int, $after: String) { settlementRules(first: $first, after: $after) { edges { node { ${RULE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'settlementRules',
    );
  }

  async setSettlementRule(as: Code, input: { debtorCode: Code; period: BillingPeriod; value: number; anchorDate?: string; paymentTermsDays: number }): Promise<SettlementRule> {
    return ok<SettlementRule>(await this.finance(as, 'setSettlementRule', { input }), 'SettlementRule');
  }

  /** generateStatements; returns the payload's statements. */
  async generate(as: Code | string, periodContaining: string | Date, debtorCode?: Code): Promise<Statement[]> {
    const input = { periodContaining: typeof periodContaining === 'string' ? periodContaining : periodContaining.toISOString(), ...(debtorCode ? { debtorCode } : {}) };
    const data = await this.gql<{ generateStatements: { statements: Statement[] } }>(
      as,
      `mutation($input: GenerateStatementsInput!) { generateStatements(input: $input) { statements { ${STATEMENT_FIELDS} } } }`,
      { input },
    );
    return data.generateStatements.statements;
  }

  /** generateStatements for one debtor, expecting exactly one statement. */
  async generateOne(as: Code, periodContaining: string | Date, debtorCode: Code): Promise<Statement> {
    const statements = await this.generate(as, periodContaining, debtorCode);
    expect(statements, `statements generated by ${as} for ${debtorCode} around ${String(periodContaining)}`).toHaveLength(1);
    return statements[0]!;
  }

  /** Every commission rule `as` sees, page after page. */
  async commissionRules(as: Code | string): Promise<CommissionRule[]> {
    return this.allNodes<CommissionRule>(
      as,
      `query($first: Int, $after: String) { commissionRules(first: $first, after: $after) { edges { node { ${COMMISSION_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'commissionRules',
    );
  }

  /** Every payment of a customer's credit file as `as` sees it, newest first, page after page (`first` per page). */
  async customerPayments(as: Code | string, customerId: string, first = 100): Promise<CustomerPayment[]> {
    const payments: CustomerPayment[] = [];
    let after: string | null = null;
    for (let page = 0; ; page += 1) {
      expect(page, 'payments: more than 1,000 pages').toBeLessThan(1_000);
      type Page = { customer: { credit: { payments: { edges: { node: CustomerPayment }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } | null };
      const data: Page = await this.gql<Page>(
        as,
        `query($id: ID!, $first: Int, $after: String) { customer(id: $id) { credit { payments(first: $first, after: $after) {
          edges { node { amount { ${MONEY} } reference at } } pageInfo { hasNextPage endCursor } } } } }`,
        { id: customerId, first, after },
      );
      const connection = data.customer!.credit!.payments;
      payments.push(...connection.edges.map((edge) => edge.node));
      if (!connection.pageInfo.hasNextPage) return payments;
      after = connection.pageInfo.endCursor;
    }
  }

  async setCommissionRule(as: Code, input: { earnerCode?: Code; productId?: string; kind: CommissionKind; value: number | string }): Promise<CommissionRule> {
    return ok<CommissionRule>(await this.finance(as, 'setCommissionRule', { input }), 'CommissionRule');
  }

  async setCreditLimit(as: Code, customerId: string, limitMinor: number): Promise<CreditFile> {
    return ok<CreditFile>(await this.finance(as, 'setCreditLimit', { input: { customerId, limitMinor, currency: 'EUR' } }), 'CreditFile');
  }

  async recordCustomerPayment(as: Code, customerId: string, amountMinor: number, reference?: string): Promise<CreditFile> {
    return ok<CreditFile>(
      await this.finance(as, 'recordCustomerPayment', { input: { customerId, amountMinor, currency: 'EUR', ...(reference ? { reference } : {}) } }),
      'CreditFile',
    );
  }

  /** A customer with its credit file as `as` sees it; null when the customer is invisible. */
  async customerCredit(as: Code | string, customerId: string): Promise<{ id: string; credit: CreditFile | null } | null> {
    return (await this.gql<{ customer: { id: string; credit: CreditFile | null } | null }>(as, `query($id: ID!) { customer(id: $id) { id credit { ${CREDIT_FIELDS} } } }`, { id: customerId })).customer;
  }

  /** A product with its cost as `as` sees it; null when the product is invisible. */
  async productCost(as: Code | string, productId: string): Promise<{ id: string; cost: ProductCost | null } | null> {
    return (await this.gql<{ product: { id: string; cost: ProductCost | null } | null }>(
      as,
      `query($id: ID!) { product(id: $id) { id cost { average { ${MONEY} } units value { ${MONEY} } } } }`,
      { id: productId },
    )).product;
  }

  async report(as: Code | string, input: { from: string; to: string; groupBy: string[] }): Promise<Report> {
    return (await this.gql<{ report: Report }>(as, `query($input: ReportInput!) { report(input: $input) { ${REPORT_FIELDS} } }`, { input })).report;
  }

  /**
   * Inserts a ledger entry directly (admin connection, behind row-level security), for tests that
   * need entries at chosen moments. Returns its id.
   */
  async insertEntry(entry: { creditor: Code; debtor: Code; amountMinor: number | bigint; occurredAt: string; kind?: 'INVOICE' | 'COMMISSION'; description?: string }): Promise<string> {
    const [row] = await this.admin`
      insert into finance.ledger_entries (creditor_partner_id, debtor_partner_id, kind, amount_minor, signed_minor, currency, description, occurred_at)
      values (${PARTNER[entry.creditor]}, ${PARTNER[entry.debtor]}, ${entry.kind ?? 'INVOICE'}, ${String(entry.amountMinor)}, ${String(entry.amountMinor)}, 'EUR',
              ${entry.description ?? `test entry at ${entry.occurredAt}`}, ${entry.occurredAt})
      returning id`;
    return row!['id'] as string;
  }

  // ---- catalog -------------------------------------------------------------------------------

  /** Creates a product (fresh SKU code) in a partner's catalog. */
  async createProduct(as: Code, name = 'Finance test product'): Promise<TestProduct> {
    const skuCode = this.unique(`${as.slice(0, 1)}-FIN`);
    const data = await this.gql<{ createProduct: Result }>(
      as,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id skuCode } ... on CatalogError { errorCode message } } }`,
      { input: { skuCode, name: `${name} ${skuCode}` } },
    );
    return ok<TestProduct>(data.createProduct, 'Product');
  }

  /** Links two products, priced (see linkProducts in test/world.ts). Returns the link id. */
  link(downstream: Code, downstreamProductId: string, upstream: Code, upstreamSku: string, priceMinor: number): Promise<string> {
    return linkProducts(this, downstream, downstreamProductId, upstream, upstreamSku, priceMinor);
  }

  /** Sets the supply price of a link (in force from now). */
  setSupplyPrice(upstream: Code, linkId: string, priceMinor: number): Promise<void> {
    return setSupplyPrice(this, upstream, linkId, priceMinor);
  }

  /** Suspends a link: orders stop flowing through it (so the downstream party fulfils itself). */
  async suspendLink(as: Code, linkId: string): Promise<void> {
    const data = await this.gql<{ suspendLink: Result }>(
      as,
      `mutation($id: ID!) { suspendLink(id: $id, reason: "finance test: fulfil from own stock") { __typename ... on ProductLink { id status } ... on CatalogError { errorCode message } } }`,
      { id: linkId },
    );
    expect(ok<{ status: string }>(data.suspendLink, 'ProductLink').status).toBe('SUSPENDED');
  }

  // ---- inventory -----------------------------------------------------------------------------

  /** A warehouse of the partner covering DE-BE at top priority (created once per world). */
  async warehouse(as: Code): Promise<string> {
    let id = this.#warehouses.get(as);
    if (!id) {
      const code = this.unique(`${as.slice(0, 1)}-WH`);
      const data = await this.gql<{ result: Result }>(
        as,
        `mutation($input: CreateWarehouseInput!) { result: createWarehouse(input: $input) { __typename ... on Warehouse { id } ... on InventoryError { errorCode message } } }`,
        { input: { code, name: `Finance test ${code}`, kind: 'OWN', regions: ['DE-BE'], priority: 1 } },
      );
      id = ok<{ id: string }>(data.result, 'Warehouse').id;
      this.#warehouses.set(as, id);
    }
    return id;
  }

  /** Receives stock into the partner's test warehouse: free, or against a purchase order. */
  async receive(as: Code, lines: { productId: string; quantity: number }[], purchaseOrderId?: string): Promise<void> {
    const data = await this.gql<{ result: Result }>(
      as,
      `mutation($input: ReceiveStockInput!) { result: receiveStock(input: $input) { __typename ... on Receipt { warehouse { id } } ... on InventoryError { errorCode message } ... on InvalidInventoryInput { field } } }`,
      { input: { warehouseId: await this.warehouse(as), lines, ...(purchaseOrderId ? { purchaseOrderId } : {}) } },
    );
    ok(data.result, 'Receipt');
  }

  async shipments(as: Code | string, orderId: string): Promise<Shipment[]> {
    return this.allNodes<Shipment>(
      as,
      `query($filter: ShipmentFilter, $first: Int, $after: String) { shipments(filter: $filter, first: $first, after: $after) {
        edges { node { id status orderId lines { skuCode quantity } } } pageInfo { hasNextPage endCursor } } }`,
      'shipments',
      { filter: { orderId } },
    );
  }

  /**
   * Ships an order the caller fulfils from its own stock, through inventory: waits for the
   * allocation's TO_PICK shipments, inspects them (scanning exactly the pick list) and dispatches
   * them. Returns once the order shows SHIPPED.
   */
  async shipOwn(as: Code, orderId: string): Promise<void> {
    await vi.waitFor(async () => expect(await this.orderStatus(as, orderId)).toBe('ALLOCATED'), POLL);
    const shipments = (await this.shipments(as, orderId)).filter((s) => s.status === 'TO_PICK');
    expect(shipments.length, `shipments of ${orderId}`).toBeGreaterThan(0);
    const SHIPMENT = `__typename ... on Shipment { id status } ... on InventoryError { errorCode message }`;
    for (const shipment of shipments) {
      const scans = shipment.lines.map((l) => ({ code: l.skuCode, quantity: l.quantity }));
      const inspected = await this.gql<{ result: Result }>(
        as,
        `mutation($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { __typename ... on Inspection { passed } ... on InventoryError { errorCode message } } }`,
        { input: { shipmentId: shipment.id, scans } },
      );
      expect(ok<{ passed: boolean }>(inspected.result, 'Inspection').passed).toBe(true);
      const dispatched = await this.gql<{ result: Result }>(
        as,
        `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { ${SHIPMENT} } }`,
        { input: { shipmentId: shipment.id, carrier: 'DHL', trackingNumber: this.unique('JJD') } },
      );
      ok(dispatched.result, 'Shipment');
    }
    await vi.waitFor(async () => expect(await this.orderStatus(as, orderId)).toBe('SHIPPED'), POLL);
  }

  // ---- orders --------------------------------------------------------------------------------

  /** A channel of the partner (created once per world). */
  async channel(as: Code): Promise<string> {
    let id = this.#channels.get(as);
    if (!id) {
      const code = this.unique('CH');
      const data = await this.gql<{ createChannel: Result }>(
        as,
        `mutation($input: CreateChannelInput!) { createChannel(input: $input) { __typename ... on Channel { id } ... on OrdersError { message } } }`,
        { input: { code, name: `Channel ${code}`, kind: 'SHOP', customFields: [] } },
      );
      id = ok<{ id: string }>(data.createChannel, 'Channel').id;
      this.#channels.set(as, id);
    }
    return id;
  }

  /** Creates a customer (Berlin address) and returns its id. */
  async createCustomer(as: Code, name = this.unique('Customer')): Promise<string> {
    const data = await this.gql<{ createCustomer: Result }>(
      as,
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename ... on Customer { id } ... on OrdersError { message } } }`,
      { input: { name, email: 'buyer@example.com', addresses: [addressIn('DE-BE')] } },
    );
    return ok<{ id: string }>(data.createCustomer, 'Customer').id;
  }

  /** Places a sales order (PENDING_REVIEW) shipped to Berlin. */
  async placeOrder(as: Code, lines: PlaceLine[], options: { customerId?: string; channelId?: string } = {}): Promise<OrderView> {
    const data = await this.gql<{ result: Result }>(
      as,
      `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename ... on Order { ${ORDER_FIELDS} } ... on OrdersError { errorCode message } } }`,
      {
        input: {
          channelId: options.channelId ?? (await this.channel(as)),
          externalNumber: this.unique('EXT'),
          ...(options.customerId ? { customerId: options.customerId } : {}),
          shipTo: addressIn('DE-BE'),
          currency: 'EUR',
          lines,
        },
      },
    );
    return ok<OrderView>(data.result, 'Order');
  }

  /** reviewOrder / financeReviewOrder / acceptDistributionOrder and friends: returns the result union. */
  async orderStep(as: Code | string, field: 'reviewOrder' | 'financeReviewOrder' | 'acceptDistributionOrder' | 'submitPurchaseOrder', variables: Record<string, unknown>): Promise<Result> {
    const params = field === 'reviewOrder' || field === 'financeReviewOrder' ? '$id: ID!, $decision: ReviewDecision!, $reason: String' : '$id: ID!';
    const args = field === 'reviewOrder' || field === 'financeReviewOrder' ? 'id: $id, decision: $decision, reason: $reason' : 'id: $id';
    const data = await this.gql<{ result: Result }>(
      as,
      `mutation(${params}) { result: ${field}(${args}) { __typename ... on Order { ${ORDER_FIELDS} } ... on OrdersError { errorCode message } } }`,
      variables,
    );
    return data.result;
  }

  /** Places a sales order and approves it through review and finance review. */
  async approvedOrder(as: Code, lines: PlaceLine[], options: { customerId?: string } = {}): Promise<OrderView> {
    const placed = await this.placeOrder(as, lines, options);
    ok(await this.orderStep(as, 'reviewOrder', { id: placed.id, decision: 'APPROVE' }), 'Order');
    return ok<OrderView>(await this.orderStep(as, 'financeReviewOrder', { id: placed.id, decision: 'APPROVE' }), 'Order');
  }

  async order(as: Code | string, id: string): Promise<OrderView | null> {
    return (await this.gql<{ order: OrderView | null }>(as, `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id })).order;
  }

  async orderStatus(as: Code | string, id: string): Promise<string | null> {
    return (await this.gql<{ order: { status: string } | null }>(as, `query($id: ID!) { order(id: $id) { status } }`, { id })).order?.status ?? null;
  }

  /**
   * A product of the seller with stock in its test warehouse, and a buyer's product linked to it
   * at `supplyPriceMinor`. The seller's stock enters by a free receipt.
   */
  async linkedStock(options: { seller?: Code; buyer?: Code; supplyPriceMinor: number; stock?: number }): Promise<{ sellerProduct: TestProduct; buyerProduct: TestProduct; linkId: string }> {
    const seller = options.seller ?? 'TRADER-B';
    const buyer = options.buyer ?? 'SHOP-A';
    const sellerProduct = await this.createProduct(seller);
    const buyerProduct = await this.createProduct(buyer);
    const linkId = await this.link(buyer, buyerProduct.id, seller, sellerProduct.skuCode, options.supplyPriceMinor);
    await this.receive(seller, [{ productId: sellerProduct.id, quantity: options.stock ?? 100 }]);
    return { sellerProduct, buyerProduct, linkId };
  }

  /**
   * A distribution order that the seller fulfils itself: the buyer places and approves a sales
   * order, the seller accepts the distribution order routed to it, inspects and dispatches the
   * allocated shipment. Returns once the distribution order shows SHIPPED.
   */
  async shippedDistribution(buyer: Code, seller: Code, lines: PlaceLine[], options: { customerId?: string } = {}): Promise<{ sales: OrderView; distribution: OrderView }> {
    const sales = await this.approvedOrder(buyer, lines, options);
    let childId = '';
    await vi.waitFor(async () => {
      const order = await this.order(buyer, sales.id);
      const child = order?.childOrders.find((c) => c.kind === 'DISTRIBUTION');
      expect(child, `distribution order of ${sales.id}`).toBeDefined();
      childId = child!.id;
    }, POLL);
    const accepted = ok<OrderView>(await this.orderStep(seller, 'acceptDistributionOrder', { id: childId }), 'Order');
    expect(accepted.seller.id).toBe(PARTNER[seller]);
    expect(accepted.lines.every((l) => l.fulfilment === 'OWN'), JSON.stringify(accepted.lines)).toBe(true);
    await this.shipOwn(seller, childId);
    return { sales, distribution: (await this.order(seller, childId))! };
  }

  /**
   * Buys `quantity` units of a buyer's product from its linked supplier into the buyer's test
   * warehouse: a purchase order drafted at the supply price in force, submitted, accepted by the
   * supplier and received in full (a purchase receipt at the order line's unit price).
   */
  async purchaseAndReceive(buyer: Code, supplier: Code, productId: string, quantity: number): Promise<OrderView> {
    const created = await this.gql<{ result: Result }>(
      buyer,
      `mutation($input: CreatePurchaseOrderInput!) { result: createPurchaseOrder(input: $input) { __typename ... on Order { ${ORDER_FIELDS} } ... on OrdersError { errorCode message } } }`,
      { input: { warehouseId: await this.warehouse(buyer), lines: [{ productId, quantity }] } },
    );
    const po = ok<OrderView>(created.result, 'Order');
    ok(await this.orderStep(buyer, 'submitPurchaseOrder', { id: po.id }), 'Order');
    ok(await this.orderStep(supplier, 'acceptDistributionOrder', { id: po.id }), 'Order');
    await this.receive(buyer, [{ productId, quantity }], po.id);
    return po;
  }
}
