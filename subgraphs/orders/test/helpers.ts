import { expect, vi } from 'vitest';
import type { TestPlatformOptions } from '../../../test/platform';
import { demoPartnerId } from '../../../scripts/demo/world';
import { TestWorld } from '../../../test/world';

/**
 * Shared fixtures of the orders tests: a fresh database and platform per test file, GraphQL
 * documents for every orders mutation, and factories that create the channels, customers and
 * orders a test needs (tests never rely on seeded orders).
 */

/** The demo partners. */
export const CODES = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const;
export type Code = (typeof CODES)[number];

/** Partner ids by code (deterministic in the demo world). */
export const PARTNER: Record<Code, string> = Object.fromEntries(CODES.map((code) => [code, demoPartnerId(code)])) as Record<Code, string>;

/** The code of a demo partner id (for readable assertions). */
export function codeOf(partnerId: string | null | undefined): Code | null {
  return CODES.find((code) => PARTNER[code] === partnerId) ?? null;
}

/**
 * The statuses of an approved order that is being fulfilled. Where the platform runs inventory,
 * its allocation workflow moves an order with own-fulfilment lines from APPROVED to ALLOCATED or
 * BACKORDERED in the background; the orders rules treat the three alike.
 */
export const APPROVED_STATUSES = ['APPROVED', 'ALLOCATED', 'BACKORDERED'];

/** Timeouts for `expect.poll` on the background chain workflow. */
export const POLL = { timeout: 10_000, interval: 25 } as const;

/** Money as the API answers it: `amountMinor` is a `Long`, a string of decimal digits. */
export interface Money {
  amountMinor: string;
  currency: string;
}

export interface Address {
  name?: string | null;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode?: string | null;
  regionCode: string;
  country: string;
}

export interface OrderLine {
  id: string;
  lineNo: number;
  quantity: number;
  shippedQuantity: number;
  status: string;
  fulfilment: string | null;
  unitPrice: Money;
  lineTotal: Money;
  product: { id: string; skuCode: string };
  buyerProduct: { id: string; skuCode: string } | null;
  link: { id: string } | null;
}

export interface TimelineEntry {
  at: string;
  actor: { id: string };
  from: string | null;
  to: string;
  reason: string | null;
}

export interface ReturnView {
  id: string;
  lineId: string;
  quantity: number;
  reason: string;
  status: string;
  note: string | null;
  order: { id: string } | null;
}

export interface Order {
  id: string;
  kind: 'SALES' | 'DISTRIBUTION' | 'PURCHASE';
  status: string;
  externalNumber: string | null;
  seller: { id: string };
  buyer: { id: string } | null;
  customer: { id: string; name: string } | null;
  channel: { id: string; code: string } | null;
  total: Money;
  shipTo: Address | null;
  deliveryMethod: string | null;
  customFields: { key: string; value: string }[];
  warehouseId: string | null;
  parentOrder: { id: string } | null;
  childOrders: { id: string; kind: string; status: string }[];
  lines: OrderLine[];
  timeline: TimelineEntry[];
  returns: ReturnView[];
  placedAt: string;
  updatedAt: string;
}

/** Everything a test reads of an order. */
export const ORDER_FIELDS = `fragment OrderFields on Order {
  id kind status externalNumber
  seller { id } buyer { id }
  customer { id name } channel { id code }
  total { amountMinor currency }
  shipTo { name line1 line2 city postalCode regionCode country }
  deliveryMethod
  customFields { key value }
  warehouseId
  parentOrder { id }
  childOrders { id kind status }
  lines {
    id lineNo quantity shippedQuantity status fulfilment
    unitPrice { amountMinor currency } lineTotal { amountMinor currency }
    product { id skuCode } buyerProduct { id skuCode } link { id }
  }
  timeline { at actor { id } from to reason }
  returns { id lineId quantity reason status note order { id } }
  placedAt updatedAt
}`;

const ORDER_RESULT = `__typename
  ... on Order { ...OrderFields }
  ... on OrdersError { errorCode message }
  ... on InvalidOrderTransition { from action }
  ... on InvalidOrderInput { field }`;

const RETURN_RESULT = `__typename
  ... on Return { id lineId quantity reason status note order { id } }
  ... on OrdersError { errorCode message }
  ... on InvalidOrderTransition { from action }
  ... on InvalidOrderInput { field }`;

/** Variables of each `OrderResult` mutation. */
const ORDER_MUTATIONS = {
  reviewOrder: '$id: ID!, $decision: ReviewDecision!, $reason: String',
  financeReviewOrder: '$id: ID!, $decision: ReviewDecision!, $reason: String',
  holdOrder: '$id: ID!, $reason: String!',
  releaseOrder: '$id: ID!, $reason: String',
  cancelOrder: '$id: ID!, $reason: String!',
  adjustOrder: '$input: AdjustOrderInput!',
  acceptDistributionOrder: '$id: ID!',
  rejectDistributionOrder: '$id: ID!, $reason: String!',
  decideLines: '$input: DecideLinesInput!',
  confirmShipment: '$input: ConfirmShipmentInput!',
  confirmDelivery: '$id: ID!',
  completeOrder: '$id: ID!',
  createPurchaseOrder: '$input: CreatePurchaseOrderInput!',
  submitPurchaseOrder: '$id: ID!',
} as const;
export type OrderMutation = keyof typeof ORDER_MUTATIONS;

/** Variables of each `ReturnResult` mutation. */
const RETURN_MUTATIONS = {
  requestReturn: '$input: RequestReturnInput!',
  approveReturn: '$id: ID!, $note: String',
  rejectReturn: '$id: ID!, $note: String!',
  receiveReturn: '$id: ID!, $note: String',
  settleReturn: '$id: ID!, $outcome: ReturnOutcome!, $note: String',
} as const;
export type ReturnMutation = keyof typeof RETURN_MUTATIONS;

function mutationDocument(field: string, params: string, selection: string): string {
  const args = params
    .split(',')
    .map((param) => param.trim().split(':')[0]!.slice(1))
    .map((name) => `${name}: $${name}`)
    .join(', ');
  return `mutation(${params}) { result: ${field}(${args}) { ${selection} } }`;
}

/** The GraphQL document of an orders mutation returning `OrderResult`. */
export function orderMutationDocument(field: OrderMutation): string {
  return `${mutationDocument(field, ORDER_MUTATIONS[field], ORDER_RESULT)} ${ORDER_FIELDS}`;
}

/** A mutation result: the object, or a typed failure. */
export type Result<T> = (T & { __typename: string }) | Failure;
export interface Failure {
  __typename: string;
  errorCode: string;
  message: string;
  from?: string;
  action?: string;
  field?: string;
}

/** Narrows a mutation result to the object, failing the test with the failure otherwise. */
export function ok<T>(result: Result<T>, typename = 'Order'): T {
  expect(result, `expected a ${typename}, got ${JSON.stringify(result)}`).toMatchObject({ __typename: typename });
  // Without __typename, so that it compares equal to the object as a query returns it.
  const { __typename: _typename, ...object } = result as T & { __typename: string };
  return object as T;
}

/** A line to order: SKU code, quantity and retail unit price in minor units. */
export type LineSpec = [skuCode: string, quantity: number, unitPriceMinor: number];

export interface SalesOrderOptions {
  lines: LineSpec[];
  channelId?: string;
  customerId?: string | null;
  externalNumber?: string;
  shipTo?: Address;
  deliveryMethod?: string;
  currency?: string;
  customFields?: { key: string; value: string }[];
  idempotencyKey?: string;
}

/** A default ship-to (Berlin). */
export const BERLIN: Address = { name: 'Erika Mustermann', line1: 'Unter den Linden 1', line2: null, city: 'Berlin', postalCode: '10117', regionCode: 'DE-BE', country: 'DE' };

/** A test world: a fresh database, the platform, tokens and factories. */
export class World extends TestWorld<Code> {
  #defaults = new Map<Code, { channelId: string; customerId: string }>();
  #productIds = new Map<string, string>();

  /** Clones a fresh demo database and starts the platform on it. Call in `beforeAll`. */
  static async start(options: TestPlatformOptions = {}): Promise<World> {
    return new World(await TestWorld.boot(CODES, options));
  }

  /** Runs an orders mutation that returns `OrderResult`. */
  async mutate(as: Code | string, field: OrderMutation, variables: Record<string, unknown>): Promise<Result<Order>> {
    const data = await this.gql<{ result: Result<Order> }>(as, orderMutationDocument(field), variables);
    return data.result;
  }

  /** Runs a returns mutation. */
  async returnMutation(as: Code | string, field: ReturnMutation, variables: Record<string, unknown>): Promise<Result<ReturnView>> {
    const data = await this.gql<{ result: Result<ReturnView> }>(as, mutationDocument(field, RETURN_MUTATIONS[field], RETURN_RESULT), variables);
    return data.result;
  }

  /** Whether the platform under test runs inventory (whose allocation follows approval). */
  get runsInventory(): boolean {
    return this.api.platform.subgraphs.some((subgraph) => subgraph.name === 'inventory');
  }

  /**
   * Waits for inventory's allocation of an approved order's own-fulfilment lines (when the
   * platform runs inventory; otherwise the order stays APPROVED) and returns the order then.
   */
  async settledAllocation(as: Code | string, id: string): Promise<Order> {
    // vi.waitFor, unlike expect.poll, may also run in beforeAll.
    if (this.runsInventory) await vi.waitFor(async () => expect(await this.status(as, id)).not.toBe('APPROVED'), POLL);
    return this.visibleOrder(as, id);
  }

  /** An order as `as` sees it; null when invisible. */
  async order(as: Code | string, id: string): Promise<Order | null> {
    const data = await this.gql<{ order: Order | null }>(as, `query($id: ID!) { order(id: $id) { ...OrderFields } } ${ORDER_FIELDS}`, { id });
    return data.order;
  }

  /** An order `as` must see. */
  async visibleOrder(as: Code | string, id: string): Promise<Order> {
    const order = await this.order(as, id);
    expect(order, `order ${id} should be visible to ${as}`).not.toBeNull();
    return order!;
  }

  /** The status of an order as `as` sees it (for `expect.poll`). */
  async status(as: Code | string, id: string): Promise<string | null> {
    const data = await this.gql<{ order: { status: string } | null }>(as, `query($id: ID!) { order(id: $id) { status } }`, { id });
    return data.order?.status ?? null;
  }

  /** Ids of every order `as` lists (all pages, optionally filtered). */
  async listedOrders(as: Code | string, filter: Record<string, unknown> = {}): Promise<{ id: string; kind: string; seller: { id: string }; buyer: { id: string } | null }[]> {
    const all: { id: string; kind: string; seller: { id: string }; buyer: { id: string } | null }[] = [];
    let after: string | null = null;
    for (;;) {
      const data: { orders: { edges: { node: (typeof all)[number] }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
        await this.gql(as, `query($filter: OrderFilter, $after: String) { orders(filter: $filter, first: 100, after: $after) {
          edges { node { id kind seller { id } buyer { id } } } pageInfo { hasNextPage endCursor } } }`, { filter, after });
      all.push(...data.orders.edges.map((e) => e.node));
      if (!data.orders.pageInfo.hasNextPage) return all;
      after = data.orders.pageInfo.endCursor;
    }
  }

  /** Creates a channel for a partner and returns its id. */
  async createChannel(as: Code, customFields: Record<string, unknown>[] = [], code = this.unique('CH')): Promise<string> {
    const data = await this.gql<{ createChannel: { __typename: string; id: string } }>(
      as,
      `mutation($input: CreateChannelInput!) { createChannel(input: $input) { __typename ... on Channel { id } ... on OrdersError { message } } }`,
      { input: { code, name: `Channel ${code}`, kind: 'SHOP', customFields } },
    );
    return ok(data.createChannel, 'Channel').id;
  }

  /** Creates a customer with one address and returns its id. */
  async createCustomer(as: Code, name = this.unique('Customer'), address: Address = BERLIN): Promise<string> {
    const data = await this.gql<{ createCustomer: { __typename: string; id: string } }>(
      as,
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename ... on Customer { id } ... on OrdersError { message } } }`,
      { input: { name, email: 'buyer@example.com', addresses: [address] } },
    );
    return ok(data.createCustomer, 'Customer').id;
  }

  /** The partner's default test channel and customer (created once per world). */
  async defaults(as: Code): Promise<{ channelId: string; customerId: string }> {
    let found = this.#defaults.get(as);
    if (!found) {
      found = { channelId: await this.createChannel(as), customerId: await this.createCustomer(as) };
      this.#defaults.set(as, found);
    }
    return found;
  }

  /** The `placeOrder` input for a sales order. */
  async placeInput(as: Code, options: SalesOrderOptions): Promise<Record<string, unknown>> {
    const defaults = await this.defaults(as);
    return {
      channelId: options.channelId ?? defaults.channelId,
      externalNumber: options.externalNumber ?? this.unique('EXT'),
      ...(options.customerId !== null ? { customerId: options.customerId ?? defaults.customerId } : {}),
      ...(options.shipTo ? { shipTo: options.shipTo } : {}),
      ...(options.deliveryMethod ? { deliveryMethod: options.deliveryMethod } : {}),
      currency: options.currency ?? 'EUR',
      lines: options.lines.map(([skuCode, quantity, unitPriceMinor]) => ({ skuCode, quantity, unitPriceMinor })),
      ...(options.customFields ? { customFields: options.customFields } : {}),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    };
  }

  /** Runs `placeOrder`. */
  async placeOrder(as: Code | string, input: Record<string, unknown>): Promise<Result<Order> & { existingOrder?: { id: string } }> {
    const data = await this.gql<{ result: Result<Order> }>(
      as,
      `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename
        ... on Order { ...OrderFields }
        ... on OrdersError { errorCode message }
        ... on InvalidOrderInput { field }
        ... on DuplicateOrder { existingOrder { id } } } } ${ORDER_FIELDS}`,
      { input },
    );
    return data.result;
  }

  /** Places a sales order (PENDING_REVIEW). */
  async salesOrder(as: Code, options: SalesOrderOptions): Promise<Order> {
    return ok(await this.placeOrder(as, await this.placeInput(as, options)));
  }

  /** Places a sales order and takes it through review and finance review (APPROVED, routed). */
  async approvedOrder(as: Code, options: SalesOrderOptions): Promise<Order> {
    const placed = await this.salesOrder(as, options);
    ok(await this.mutate(as, 'reviewOrder', { id: placed.id, decision: 'APPROVE' }));
    return ok(await this.mutate(as, 'financeReviewOrder', { id: placed.id, decision: 'APPROVE' }));
  }

  /** The id of a demo product by owner and SKU code (setup only). */
  /** The id of a demo partner's first own warehouse (where its purchase orders are delivered). */
  async warehouseId(owner: Code): Promise<string> {
    const [row] = await this.admin`select id from inventory.warehouses where owner_partner_id = ${PARTNER[owner]} and kind = 'OWN' order by priority, code limit 1`;
    if (!row) throw new Error(`${owner} has no own warehouse in the demo world`);
    return row['id'] as string;
  }

  async productId(owner: Code, skuCode: string): Promise<string> {
    const key = `${owner}/${skuCode}`;
    let id = this.#productIds.get(key);
    if (!id) {
      const [row] = await this.admin`select id from catalog.products where owner_partner_id = ${PARTNER[owner]} and sku_code = ${skuCode}`;
      id = row!['id'] as string;
      this.#productIds.set(key, id);
    }
    return id;
  }

  /** Creates a product in a partner's catalog (through catalog) and returns its id. */
  async createProduct(as: Code, skuCode: string, name: string): Promise<string> {
    const data = await this.gql<{ createProduct: { __typename: string; id: string } }>(
      as,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id } ... on CatalogError { message } } }`,
      { input: { skuCode, name } },
    );
    const id = ok(data.createProduct, 'Product').id;
    this.#productIds.set(`${as}/${skuCode}`, id);
    return id;
  }

  /**
   * Links a downstream product to an upstream one through catalog: proposed by the downstream
   * party, accepted and (optionally) priced by the upstream party. Returns the link id.
   */
  async link(downstream: [Code, string], upstream: [Code, string], price?: { amountMinor: number; currency?: string; effectiveFrom?: string }): Promise<string> {
    const [downCode, downSku] = downstream;
    const [upCode, upSku] = upstream;
    const LINK = `__typename ... on ProductLink { id status } ... on CatalogError { errorCode message }`;
    const proposed = await this.gql<{ proposeLink: { __typename: string; id: string } }>(
      downCode,
      `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { ${LINK} } }`,
      { input: { myProductId: await this.productId(downCode, downSku), mySide: 'DOWNSTREAM', counterpart: { partnerCode: upCode, skuCode: upSku } } },
    );
    const linkId = ok(proposed.proposeLink, 'ProductLink').id;
    const accepted = await this.gql<{ acceptLink: { __typename: string; status: string } }>(upCode, `mutation($id: ID!) { acceptLink(id: $id) { ${LINK} } }`, { id: linkId });
    expect(ok(accepted.acceptLink, 'ProductLink').status).toBe('ACTIVE');
    if (price) {
      const priced = await this.gql<{ setSupplyPrice: { __typename: string } }>(
        upCode,
        `mutation($input: SetSupplyPriceInput!) { setSupplyPrice(input: $input) { ${LINK} } }`,
        { input: { linkId, amountMinor: price.amountMinor, currency: price.currency ?? 'EUR', ...(price.effectiveFrom ? { effectiveFrom: price.effectiveFrom } : {}) } },
      );
      ok(priced.setSupplyPrice, 'ProductLink');
    }
    return linkId;
  }

  /** The events of an entity (behind row-level security), oldest first, with audiences as codes. */
  async events(entityId: string): Promise<{ topic: string; audience: (Code | null)[]; payload: Record<string, unknown> }[]> {
    const rows = await this.admin`select topic, audience::text[] as audience, payload from events.event_log where entity_id = ${entityId} order by id`;
    return rows.map((row) => ({
      topic: row['topic'] as string,
      audience: (row['audience'] as string[]).map(codeOf),
      payload: row['payload'] as Record<string, unknown>,
    }));
  }

  /** The only child order `as` sees of an order, once the routing has produced it. */
  async onlyChild(as: Code, parentId: string): Promise<Order> {
    const parent = await this.visibleOrder(as, parentId);
    expect(parent.childOrders, `children of ${parentId} seen by ${as}`).toHaveLength(1);
    return this.visibleOrder(as, parent.childOrders[0]!.id);
  }
}

/** The lines of an order by SKU code of their product. */
export function lineBySku(order: Order, skuCode: string): OrderLine {
  const line = order.lines.find((l) => l.product.skuCode === skuCode);
  expect(line, `line ${skuCode} of order ${order.id}`).toBeDefined();
  return line!;
}

/** The last timeline entry of an order. */
export function lastEntry(order: Order): TimelineEntry {
  const entry = order.timeline.at(-1);
  expect(entry).toBeDefined();
  return entry!;
}

/** EUR money as the API answers it (the amount as a string of decimal digits). */
export const eur = (amountMinor: number | bigint): Money => ({ amountMinor: String(amountMinor), currency: 'EUR' });
