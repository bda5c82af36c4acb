import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { encodeEventCursor } from '@redthread/kit';
import { demoPartnerId } from '../../scripts/demo/world';
import { TestWorld, linkProducts, ok, type Result } from '../../test/world';

/**
 * Each hop of the drop-ship chain is private (issue 15, DESIGN.md §2): in a chain SHOP-A →
 * TRADER-B → SUPPLIER-C, nothing SHOP-A can reach names the TRADER-B–SUPPLIER-C link, order,
 * partner, products or prices, and nothing SUPPLIER-C can reach names SHOP-A, its sales order,
 * customer, channel, retail prices or the SHOP-A–TRADER-B link. The test walks a whole chain —
 * placed, approved, accepted twice, picked and dispatched by SUPPLIER-C, a return passed up —
 * and, as each party, collects everything it can reach through the gateway: every order it lists
 * with every nested field (lines with link, product and buyer product, parent and child orders,
 * timeline actors, returns, money), every chain order probed by id, and every `orderChanged`
 * event over graphql-ws with the same selection.
 */

const CODES = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C'] as const;
type Code = (typeof CODES)[number];
const PARTNER = Object.fromEntries(CODES.map((code) => [code, demoPartnerId(code)])) as Record<Code, string>;

/** Prices no demo product uses, so that finding one in a view means it came from this chain. */
const RETAIL = 9753;
const A_B_PRICE = 4321;
const B_C_PRICE = 2468;
const QUANTITY = 3;

class HopWorld extends TestWorld<Code> {
  static async start(): Promise<HopWorld> {
    return new HopWorld(await TestWorld.boot(CODES));
  }
}

/** Everything of an order a partner can select, ids of every reference included. */
const ORDER_FIELDS = `fragment Everything on Order {
  id kind status externalNumber warehouseId deliveryMethod placedAt updatedAt
  seller { id code name } buyer { id code name }
  customer { id name email phone addresses { name line1 city regionCode country } }
  channel { id code name }
  total { amountMinor currency }
  shipTo { name line1 line2 city postalCode regionCode country }
  customFields { key value }
  parentOrder { id kind seller { id } buyer { id } total { amountMinor currency } }
  childOrders { id kind seller { id } buyer { id } total { amountMinor currency } }
  lines {
    id lineNo quantity shippedQuantity status fulfilment
    unitPrice { amountMinor currency } lineTotal { amountMinor currency }
    product { id skuCode name owner { id code } }
    buyerProduct { id skuCode name owner { id code } }
    link { id }
    resolvedLink: link {
      id status mySide
      downstreamPartner { id } upstreamPartner { id } proposedBy { id }
      downstreamProduct { id skuCode } upstreamProduct { id skuCode }
      currentSupplyPrice { price { amountMinor currency } }
    }
  }
  timeline { at actor { id code name } from to reason }
  returns { id lineId quantity reason status note order { id } }
}`;

const LIST = `query($after: String) { orders(first: 50, after: $after) {
  edges { node { ...Everything } } pageInfo { hasNextPage endCursor } } } ${ORDER_FIELDS}`;
const BY_ID = `query($id: ID!) { order(id: $id) { ...Everything } } ${ORDER_FIELDS}`;
const CHANGES = `subscription($after: String) { orderChanged(after: $after) {
  cursor topic at orderId order { ...Everything } } } ${ORDER_FIELDS}`;

interface Line {
  id: string;
  quantity: number;
  status: string;
  link: { id: string } | null;
  product: { id: string; skuCode: string } | null;
}
interface OrderView {
  id: string;
  status: string;
  lines: Line[];
  childOrders: { id: string }[];
  returns: { id: string; status: string }[];
}
interface Change {
  orderChanged: { cursor: string; topic: string; orderId: string; order: OrderView | null };
}

let w: HopWorld;
const clients: Client[] = [];
/** What each party received over graphql-ws, subscribed before the chain started. */
const received = {} as Record<Code, { events: Change[]; errors: unknown[] }>;

/** The ids and figures of the chain, found while it is walked. */
const chain = {} as {
  productA: string;
  productB: string;
  productC: string;
  linkAB: string;
  linkBC: string;
  channelA: string;
  customerA: string;
  sales: string;
  toTrader: string;
  toSupplier: string;
  warehouseC: string;
};

function subscribe(code: Code, after: string | undefined): void {
  const client = createClient({
    url: w.api.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${w.tokens[code]}` },
  });
  clients.push(client);
  const sink = { events: [] as Change[], errors: [] as unknown[] };
  received[code] = sink;
  client.subscribe(
    { query: CHANGES, variables: after ? { after } : {} },
    {
      next: (value) => {
        if (value.errors) sink.errors.push(value.errors);
        if (value.data) sink.events.push(value.data as unknown as Change);
      },
      error: (error) => sink.errors.push(error),
      complete: () => {},
    },
  );
}

async function mutate(as: Code, document: string, variables: Record<string, unknown>): Promise<Result> {
  const data = await w.gql<{ result: Result }>(as, document, variables);
  return data.result;
}

const ORDER_RESULT = `__typename ... on Order { id status lines { id status quantity } childOrders { id } } ... on OrdersError { errorCode message }`;
const RETURN_RESULT = `__typename ... on Return { id status } ... on OrdersError { errorCode message }`;

async function orderAs(as: Code, id: string): Promise<OrderView | null> {
  return (await w.gql<{ order: OrderView | null }>(as, BY_ID, { id })).order;
}

async function statusAs(as: Code, id: string): Promise<string | null> {
  return (await orderAs(as, id))?.status ?? null;
}

/** Every order `as` lists, all pages, with every nested field. */
async function listAll(as: Code): Promise<OrderView[]> {
  const all: OrderView[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { orders: { edges: { node: OrderView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await w.gql(as, LIST, { after });
    all.push(...data.orders.edges.map((e) => e.node));
    if (!data.orders.pageInfo.hasNextPage) return all;
    after = data.orders.pageInfo.endCursor;
  }
}

/** Every scalar value anywhere in `value`, as strings (ids, codes, amounts, reasons). */
function leaves(value: unknown, into = new Set<string>()): Set<string> {
  if (value === null || value === undefined) return into;
  if (Array.isArray(value)) for (const item of value) leaves(item, into);
  else if (typeof value === 'object') for (const item of Object.values(value)) leaves(item, into);
  else into.add(String(value));
  return into;
}

/** What a party reached, as one text (to find an id anywhere, even inside a reason) and as its scalar values. */
interface Reached {
  text: string;
  values: Set<string>;
}

async function reachedBy(as: Code): Promise<Reached> {
  const listed = await listAll(as);
  // Probed by id: only what the answer holds counts (null for an order of another hop).
  const probed = await Promise.all([chain.sales, chain.toTrader, chain.toSupplier].map((id) => orderAs(as, id)));
  const everything = { listed, probed, events: received[as].events };
  return { text: JSON.stringify(everything), values: leaves(everything) };
}

/** Ids and figures a party must never reach. */
interface Secrets {
  ids: string[];
  figures: number[];
}

function expectNone(as: Code, reached: Reached, secrets: Secrets): void {
  const leakedIds = secrets.ids.filter((id) => reached.text.includes(id));

  expect(leakedIds, `${as} reaches ids of a hop it is not party to`).toEqual([]);
  const leakedFigures = secrets.figures.filter((figure) => reached.values.has(String(figure)));
  expect(leakedFigures, `${as} reaches prices of a hop it is not party to`).toEqual([]);
}

async function ids(query: Promise<Record<string, unknown>[]>): Promise<string[]> {
  return (await query).map((row) => row['id'] as string);
}

beforeAll(async () => {
  w = await HopWorld.start();
  // Subscribed from the log position before the chain: every event of it is delivered, replayed or live.
  const [last] = await w.admin`select txid::text as txid, id from events.event_log order by txid desc, id desc limit 1`;
  const after = last ? encodeEventCursor({ txid: last['txid'] as string, id: Number(last['id']) }) : undefined;
  for (const code of CODES) subscribe(code, after);

  // Products of the test's own, linked SHOP-A → TRADER-B → SUPPLIER-C at prices no other product has.
  const product = async (as: Code, sku: string) => {
    const data = await w.gql<{ createProduct: Result }>(
      as,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id } ... on CatalogError { errorCode message } } }`,
      { input: { skuCode: sku, name: `Hop ${sku}` } },
    );
    return ok<{ id: string }>(data.createProduct, 'Product').id;
  };
  const tag = w.unique('HOP');
  chain.productA = await product('SHOP-A', `A-${tag}`);
  chain.productB = await product('TRADER-B', `B-${tag}`);
  chain.productC = await product('SUPPLIER-C', `C-${tag}`);
  chain.linkAB = await linkProducts(w, 'SHOP-A', chain.productA, 'TRADER-B', `B-${tag}`, A_B_PRICE);
  chain.linkBC = await linkProducts(w, 'TRADER-B', chain.productB, 'SUPPLIER-C', `C-${tag}`, B_C_PRICE);

  // SUPPLIER-C holds the stock it will pick.
  const [warehouse] = await w.admin`select id from inventory.warehouses where owner_partner_id = ${PARTNER['SUPPLIER-C']} and kind = 'OWN' order by priority limit 1`;
  chain.warehouseC = warehouse!['id'] as string;
  ok(
    await mutate('SUPPLIER-C', `mutation($input: ReceiveStockInput!) { result: receiveStock(input: $input) { __typename ... on InventoryError { errorCode message } } }`, {
      input: { warehouseId: chain.warehouseC, lines: [{ productId: chain.productC, quantity: 10 }] },
    }),
    'Receipt',
  );

  // SHOP-A's sales order, with its own channel and customer.
  const channel = await w.gql<{ createChannel: Result }>('SHOP-A', `mutation($code: String!) { createChannel(input: { code: $code, name: $code, kind: SHOP }) { __typename ... on Channel { id } } }`, { code: w.unique('CH') });
  chain.channelA = ok<{ id: string }>(channel.createChannel, 'Channel').id;
  const customer = await w.gql<{ createCustomer: Result }>(
    'SHOP-A',
    `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename ... on Customer { id } } }`,
    { input: { name: 'Hop Customer', email: 'hop@example.com', addresses: [{ name: 'Hop Customer', line1: 'Torstraße 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' }] } },
  );
  chain.customerA = ok<{ id: string }>(customer.createCustomer, 'Customer').id;
  const placed = await mutate('SHOP-A', `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { ${ORDER_RESULT} } }`, {
    input: { channelId: chain.channelA, externalNumber: w.unique('EXT'), customerId: chain.customerA, currency: 'EUR', lines: [{ productId: chain.productA, quantity: QUANTITY, unitPriceMinor: RETAIL }] },
  });
  chain.sales = ok<{ id: string }>(placed, 'Order').id;
  ok(await mutate('SHOP-A', `mutation($id: ID!) { result: reviewOrder(id: $id, decision: APPROVE) { ${ORDER_RESULT} } }`, { id: chain.sales }), 'Order');
  const approved = ok<OrderView>(await mutate('SHOP-A', `mutation($id: ID!) { result: financeReviewOrder(id: $id, decision: APPROVE) { ${ORDER_RESULT} } }`, { id: chain.sales }), 'Order');
  expect(approved.childOrders).toHaveLength(1);
  chain.toTrader = approved.childOrders[0]!.id;

  // TRADER-B accepts: the line goes on up to SUPPLIER-C, who accepts and ships from stock.
  const accepted = ok<OrderView>(await mutate('TRADER-B', `mutation($id: ID!) { result: acceptDistributionOrder(id: $id) { ${ORDER_RESULT} } }`, { id: chain.toTrader }), 'Order');
  expect(accepted.childOrders).toHaveLength(1);
  chain.toSupplier = accepted.childOrders[0]!.id;
  ok(await mutate('SUPPLIER-C', `mutation($id: ID!) { result: acceptDistributionOrder(id: $id) { ${ORDER_RESULT} } }`, { id: chain.toSupplier }), 'Order');
  await vi.waitFor(async () => expect(await statusAs('SUPPLIER-C', chain.toSupplier)).toBe('ALLOCATED'), { timeout: 10_000, interval: 25 });
  const queue = await w.gql<{ shipments: { edges: { node: { id: string; lines: { skuCode: string; quantity: number }[] } }[] } }>(
    'SUPPLIER-C',
    `query($filter: ShipmentFilter) { shipments(filter: $filter) { edges { node { id lines { skuCode quantity } } } } }`,
    { filter: { orderId: chain.toSupplier } },
  );
  const shipment = queue.shipments.edges[0]!.node;
  const inspected = await mutate('SUPPLIER-C', `mutation($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { __typename ... on Inspection { passed } ... on InventoryError { errorCode message } } }`, {
    input: { shipmentId: shipment.id, scans: shipment.lines.map((l) => ({ code: l.skuCode, quantity: l.quantity })) },
  });
  expect(ok<{ passed: boolean }>(inspected, 'Inspection').passed).toBe(true);
  ok(
    await mutate('SUPPLIER-C', `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { __typename ... on Shipment { id status } ... on InventoryError { errorCode message } } }`, {
      input: { shipmentId: shipment.id, carrier: 'DHL', trackingNumber: w.unique('TRK') },
    }),
    'Shipment',
  );
  await vi.waitFor(async () => expect(await statusAs('SHOP-A', chain.sales)).toBe('SHIPPED'), { timeout: 10_000, interval: 25 });

  // The customer returns one unit: SHOP-A approves, the return is passed up hop by hop.
  const salesLine = (await orderAs('SHOP-A', chain.sales))!.lines[0]!;
  const requested = ok<{ id: string }>(
    await mutate('SHOP-A', `mutation($input: RequestReturnInput!) { result: requestReturn(input: $input) { ${RETURN_RESULT} } }`, {
      input: { orderId: chain.sales, lineId: salesLine.id, quantity: 1, reason: 'too strong' },
    }),
    'Return',
  );
  ok(await mutate('SHOP-A', `mutation($id: ID!) { result: approveReturn(id: $id) { ${RETURN_RESULT} } }`, { id: requested.id }), 'Return');
  await vi.waitFor(async () => expect((await orderAs('TRADER-B', chain.toTrader))!.returns).toHaveLength(1), { timeout: 10_000, interval: 25 });
  const passedOn = (await orderAs('TRADER-B', chain.toTrader))!.returns[0]!;
  ok(await mutate('TRADER-B', `mutation($id: ID!) { result: approveReturn(id: $id) { ${RETURN_RESULT} } }`, { id: passedOn.id }), 'Return');
  await vi.waitFor(async () => expect((await orderAs('SUPPLIER-C', chain.toSupplier))!.returns).toHaveLength(1), { timeout: 10_000, interval: 25 });

  // Every party has received the shipment of each of its orders of the chain over graphql-ws.
  const shipped = (code: Code, orderId: string) => () => {
    expect(received[code].errors, code).toEqual([]);
    const topics = received[code].events.filter((e) => e.orderChanged.orderId === orderId).map((e) => e.orderChanged.topic);
    expect(topics, `${code} ${orderId}`).toContain('order.lines_shipped');
  };
  for (const [code, orderId] of [
    ['SHOP-A', chain.sales],
    ['SHOP-A', chain.toTrader],
    ['TRADER-B', chain.toTrader],
    ['TRADER-B', chain.toSupplier],
    ['SUPPLIER-C', chain.toSupplier],
  ] as const) {
    await vi.waitFor(shipped(code, orderId), { timeout: 10_000, interval: 25 });
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await w?.close();
});

describe('each hop of a three-party chain is private', () => {
  it('SHOP-A sees its line come through the SHOP-A–TRADER-B link, before and after TRADER-B routed it on', async () => {
    const sales = (await orderAs('SHOP-A', chain.sales))!;
    const toTrader = (await orderAs('SHOP-A', chain.toTrader))!;
    expect(sales.lines.map((l) => l.link?.id)).toEqual([chain.linkAB]);
    expect(toTrader.lines.map((l) => l.link?.id)).toEqual([chain.linkAB]);
    // TRADER-B sees the same link on that line; its own order to SUPPLIER-C carries the next one.
    expect((await orderAs('TRADER-B', chain.toTrader))!.lines.map((l) => l.link?.id)).toEqual([chain.linkAB]);
    expect((await orderAs('TRADER-B', chain.toSupplier))!.lines.map((l) => l.link?.id)).toEqual([chain.linkBC]);
    // Every change SHOP-A received of its order to TRADER-B names that link, never the next one.
    const delivered = received['SHOP-A'].events.filter((e) => e.orderChanged.orderId === chain.toTrader);
    expect(delivered.length).toBeGreaterThan(2);
    for (const event of delivered) expect(event.orderChanged.order!.lines.map((l) => l.link?.id)).toEqual([chain.linkAB]);
    for (const code of CODES) expect(received[code].errors, code).toEqual([]);
  });

  it('SHOP-A reaches nothing of the TRADER-B–SUPPLIER-C hop', async () => {
    const reached = await reachedBy('SHOP-A');
    // What it is party to is there, so the walk did reach the chain.
    for (const id of [chain.sales, chain.toTrader, chain.linkAB, chain.productA, chain.productB, PARTNER['TRADER-B']]) expect(reached.text).toContain(id);
    expect(reached.values.has(String(A_B_PRICE))).toBe(true);
    expectNone('SHOP-A', reached, {
      ids: [
        chain.toSupplier,
        PARTNER['SUPPLIER-C'],
        // Every link between TRADER-B and SUPPLIER-C, every product and order of SUPPLIER-C.
        ...(await ids(w.admin`select id from catalog.product_links where downstream_partner_id = ${PARTNER['TRADER-B']} and upstream_partner_id = ${PARTNER['SUPPLIER-C']}`)),
        ...(await ids(w.admin`select id from catalog.products where owner_partner_id = ${PARTNER['SUPPLIER-C']}`)),
        ...(await ids(w.admin`select id from orders.orders where ${PARTNER['SUPPLIER-C']} in (seller_partner_id, buyer_partner_id)`)),
      ],
      figures: [B_C_PRICE, B_C_PRICE * QUANTITY],
    });
  });

  it('SUPPLIER-C reaches nothing of SHOP-A: not its sales order, customer, channel, retail price or link', async () => {
    const reached = await reachedBy('SUPPLIER-C');
    for (const id of [chain.toSupplier, chain.linkBC, chain.productB, chain.productC, PARTNER['TRADER-B']]) expect(reached.text).toContain(id);
    expect(reached.values.has(String(B_C_PRICE))).toBe(true);
    expectNone('SUPPLIER-C', reached, {
      ids: [
        chain.sales,
        chain.toTrader,
        chain.customerA,
        chain.channelA,
        PARTNER['SHOP-A'],
        ...(await ids(w.admin`select id from catalog.product_links where downstream_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from catalog.products where owner_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from orders.orders where seller_partner_id = ${PARTNER['SHOP-A']} or buyer_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from orders.customers where partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from orders.order_lines where seller_partner_id = ${PARTNER['SHOP-A']} or buyer_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from orders.order_returns where seller_partner_id = ${PARTNER['SHOP-A']} or buyer_partner_id = ${PARTNER['SHOP-A']}`)),
      ],
      figures: [RETAIL, RETAIL * QUANTITY, A_B_PRICE, A_B_PRICE * QUANTITY],
    });
  });

  it('TRADER-B, party to both hops, reaches neither the sales order above it nor its customer or retail price', async () => {
    const reached = await reachedBy('TRADER-B');
    for (const id of [chain.toTrader, chain.toSupplier, chain.linkAB, chain.linkBC]) expect(reached.text).toContain(id);
    expectNone('TRADER-B', reached, {
      ids: [
        chain.sales,
        chain.customerA,
        chain.channelA,
        ...(await ids(w.admin`select id from orders.orders where kind = 'SALES' and seller_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select l.id from orders.order_lines l join orders.orders o on o.id = l.order_id where o.kind = 'SALES' and o.seller_partner_id = ${PARTNER['SHOP-A']}`)),
        ...(await ids(w.admin`select id from orders.customers where partner_id = ${PARTNER['SHOP-A']}`)),
      ],
      figures: [RETAIL, RETAIL * QUANTITY],
    });
  });
  it('the event log addresses nobody a payload that names another hop (what subscriptions and workflows read)', async () => {
    const addressedTo = async (code: Code): Promise<Reached> => {
      const rows = await w.admin`select topic, payload from events.event_log where ${PARTNER[code]} = any(audience) order by txid, id`;
      const payloads = rows.map((r) => ({ topic: r['topic'], payload: r['payload'] }));
      return { text: JSON.stringify(payloads), values: leaves(payloads) };
    };
    const toSupplierLines = await ids(w.admin`select id from orders.order_lines where order_id = ${chain.toSupplier}`);
    const toTraderLines = await ids(w.admin`select id from orders.order_lines where order_id = ${chain.toTrader}`);
    const salesLines = await ids(w.admin`select id from orders.order_lines where order_id = ${chain.sales}`);
    const returnsOf = (orderId: string) => ids(w.admin`select id from orders.order_returns where order_id = ${orderId}`);
    expectNone('SHOP-A', await addressedTo('SHOP-A'), {
      ids: [chain.toSupplier, chain.linkBC, PARTNER['SUPPLIER-C'], chain.productC, ...toSupplierLines, ...(await returnsOf(chain.toSupplier))],
      figures: [],
    });
    expectNone('TRADER-B', await addressedTo('TRADER-B'), { ids: [chain.sales, chain.customerA, chain.channelA, ...salesLines, ...(await returnsOf(chain.sales))], figures: [] });
    expectNone('SUPPLIER-C', await addressedTo('SUPPLIER-C'), {
      ids: [chain.sales, chain.toTrader, chain.linkAB, PARTNER['SHOP-A'], chain.productA, ...salesLines, ...toTraderLines, ...(await returnsOf(chain.toTrader)), ...(await returnsOf(chain.sales))],
      figures: [],
    });
  });
});
