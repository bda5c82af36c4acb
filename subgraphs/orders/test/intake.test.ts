import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { BERLIN, PARTNER, World, eur, lineBySku, ok, type Order } from './helpers';

/**
 * Intake (orders issue): channels with custom order fields, customers with region-coded
 * addresses, placeOrder (idempotent on channel + external number, with an optional idempotency
 * key) and importOrders (a result per order, running twice creates nothing new).
 */

let w: World;

beforeAll(async () => {
  // The 1,001-order import below is a literal document of about 20,000 tokens (as variables it would
  // pass the body limit): room for it, so that the service's own limit is what refuses it.
  w = await World.start({ limits: { maxTokens: 30_000 } });
});
afterAll(async () => {
  await w?.close();
});

const CUSTOM_FIELDS = [
  { key: 'giftNote', label: 'Gift note', type: 'TEXT' },
  { key: 'boxes', label: 'Boxes', type: 'NUMBER', required: true },
  { key: 'deliverOn', label: 'Deliver on', type: 'DATE' },
  { key: 'wrap', label: 'Wrapping', type: 'ENUM', required: true, options: ['NONE', 'PAPER', 'CLOTH'] },
];

const CREATE_CHANNEL = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { __typename
  ... on Channel { id code name kind customFields { key label type required options } }
  ... on OrdersError { errorCode message }
  ... on InvalidOrderInput { field } } }`;

const CREATE_CUSTOMER = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename
  ... on Customer { id name email phone addresses { name line1 line2 city postalCode regionCode country } }
  ... on OrdersError { errorCode message }
  ... on InvalidOrderInput { field } } }`;

const IMPORT = `mutation($orders: [PlaceOrderInput!]!) { importOrders(orders: $orders) {
  created duplicates errors
  results { index externalNumber outcome order { id externalNumber status } problems { field message } } } }`;

async function countOrders(channelId: string): Promise<number> {
  return (await w.listedOrders('SHOP-A', { channelId })).length;
}

describe('channels', () => {
  it('creates a channel with its custom order field definitions, listed for its partner only', async () => {
    const data = await w.gql<{ createChannel: Record<string, unknown> }>('SHOP-A', CREATE_CHANNEL, {
      input: { code: 'WEB-DE', name: ' Web shop DE ', kind: 'SHOP', customFields: CUSTOM_FIELDS },
    });
    expect(data.createChannel).toEqual({
      __typename: 'Channel',
      id: expect.any(String),
      code: 'WEB-DE',
      name: 'Web shop DE',
      kind: 'SHOP',
      customFields: [
        { key: 'giftNote', label: 'Gift note', type: 'TEXT', required: false, options: null },
        { key: 'boxes', label: 'Boxes', type: 'NUMBER', required: true, options: null },
        { key: 'deliverOn', label: 'Deliver on', type: 'DATE', required: false, options: null },
        { key: 'wrap', label: 'Wrapping', type: 'ENUM', required: true, options: ['NONE', 'PAPER', 'CLOTH'] },
      ],
    });
    const id = data.createChannel['id'];
    const mine = await w.gql<{ channels: { id: string }[] }>('SHOP-A', '{ channels { id } }');
    expect(mine.channels.map((c) => c.id)).toContain(id);
    const theirs = await w.gql<{ channels: { id: string }[] }>('SHOP-D', '{ channels { id } }');
    expect(theirs.channels.map((c) => c.id)).not.toContain(id);
  });

  it('refuses a second channel with the same code for the same partner, not for another partner', async () => {
    const input = { code: 'MARKET-1', name: 'Marketplace', kind: 'MARKETPLACE' };
    expect((await w.gql<{ createChannel: unknown }>('SHOP-A', CREATE_CHANNEL, { input })).createChannel).toMatchObject({ __typename: 'Channel' });
    expect((await w.gql<{ createChannel: unknown }>('SHOP-A', CREATE_CHANNEL, { input })).createChannel).toMatchObject({
      __typename: 'ChannelCodeTaken',
      errorCode: 'CHANNEL_CODE_TAKEN',
    });
    expect((await w.gql<{ createChannel: unknown }>('SHOP-D', CREATE_CHANNEL, { input })).createChannel).toMatchObject({ __typename: 'Channel' });
  });

  it('names the bad field of an invalid definition', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ code: 'X 1', name: 'Bad code', kind: 'SHOP' }, 'code'],
      [{ code: 'ENUM-1', name: 'Enum without options', kind: 'SHOP', customFields: [{ key: 'size', label: 'Size', type: 'ENUM' }] }, 'customFields[0].options'],
      [{ code: 'DUP-1', name: 'Duplicate keys', kind: 'SHOP', customFields: [CUSTOM_FIELDS[0], CUSTOM_FIELDS[0]] }, 'customFields[1].key'],
      [{ code: 'KEY-1', name: 'Bad key', kind: 'SHOP', customFields: [{ key: '1st', label: 'First', type: 'TEXT' }] }, 'customFields[0].key'],
    ];
    for (const [input, field] of cases) {
      const data = await w.gql<{ createChannel: unknown }>('SHOP-A', CREATE_CHANNEL, { input });
      expect(data.createChannel, field).toMatchObject({ __typename: 'InvalidOrderInput', errorCode: 'INVALID_INPUT', field });
    }
  });

  it('is for admins only', async () => {
    const sales = await w.tokenFor('SHOP-A', ['sales']);
    const response = await w.raw(sales, CREATE_CHANNEL, { input: { code: 'SALES-1', name: 'x', kind: 'SHOP' } });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('customers', () => {
  it('creates a customer with region-coded addresses, visible to its partner only', async () => {
    const data = await w.gql<{ createCustomer: Record<string, unknown> }>('SHOP-A', CREATE_CUSTOMER, {
      input: {
        name: 'Max Muster',
        email: 'max@example.com',
        addresses: [{ line1: ' Hauptstr. 5 ', city: 'Munich', postalCode: '80331', regionCode: 'de-by', country: 'de' }],
      },
    });
    expect(data.createCustomer).toEqual({
      __typename: 'Customer',
      id: expect.any(String),
      name: 'Max Muster',
      email: 'max@example.com',
      phone: null,
      addresses: [{ name: null, line1: 'Hauptstr. 5', line2: null, city: 'Munich', postalCode: '80331', regionCode: 'DE-BY', country: 'DE' }],
    });
    const id = data.createCustomer['id'] as string;
    const query = `query($id: ID!) { customer(id: $id) { id name } }`;
    expect((await w.gql<{ customer: unknown }>('SHOP-A', query, { id })).customer).toEqual({ id, name: 'Max Muster' });
    const foreign = await w.raw('SHOP-D', query, { id });
    expect(foreign).toEqual(await w.raw('SHOP-D', query, { id: randomUUID() }));
    expect(foreign.data).toEqual({ customer: null });
    const listed = await w.gql<{ customers: { edges: { node: { id: string } }[] } }>('SHOP-A', '{ customers(search: "max mus") { edges { node { id } } } }');
    expect(listed.customers.edges.map((e) => e.node.id)).toEqual([id]);
    const elsewhere = await w.gql<{ customers: { edges: unknown[] } }>('SHOP-D', '{ customers(search: "Max Muster") { edges { node { id } } } }');
    expect(elsewhere.customers.edges).toEqual([]);
  });

  it('names the bad field of an invalid customer', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: ' ' }, 'name'],
      [{ name: 'N', email: 'not-an-email' }, 'email'],
      [{ name: 'N', addresses: [BERLIN, { ...BERLIN, regionCode: 'Berlin' }] }, 'addresses[1].regionCode'],
      [{ name: 'N', addresses: [{ ...BERLIN, country: 'Germany' }] }, 'addresses[0].country'],
    ];
    for (const [input, field] of cases) {
      const data = await w.gql<{ createCustomer: unknown }>('SHOP-A', CREATE_CUSTOMER, { input });
      expect(data.createCustomer, field).toMatchObject({ __typename: 'InvalidOrderInput', field });
    }
  });
});

describe('placeOrder', () => {
  let channelId: string;
  let customerId: string;

  beforeAll(async () => {
    channelId = await w.createChannel('SHOP-A', CUSTOM_FIELDS);
    customerId = await w.createCustomer('SHOP-A', 'Paula Placer');
  });

  const valid = (overrides: Record<string, unknown> = {}) => ({
    channelId,
    externalNumber: w.unique('WEB'),
    customerId,
    deliveryMethod: 'DHL',
    currency: 'eur',
    lines: [
      { skuCode: 'A-TEA-001', quantity: 3, unitPriceMinor: 1299 },
      { skuCode: 'A-POT-001', quantity: 1, unitPriceMinor: 3450 },
    ],
    customFields: [
      { key: 'boxes', value: ' 02 ' },
      { key: 'wrap', value: 'PAPER' },
      { key: 'deliverOn', value: '2026-12-24' },
      { key: 'giftNote', value: 'Happy holidays' },
    ],
    ...overrides,
  });

  it('takes a sales order from a channel: PENDING_REVIEW, lines, total in minor units, ship-to, fields, timeline, event', async () => {
    const input = valid({ externalNumber: 'WEB-1000' });
    const order = ok(await w.placeOrder('SHOP-A', input));
    expect(order).toMatchObject({
      kind: 'SALES',
      status: 'PENDING_REVIEW',
      externalNumber: 'WEB-1000',
      seller: { id: PARTNER['SHOP-A'] },
      buyer: null,
      customer: { id: customerId, name: 'Paula Placer' },
      channel: { id: channelId },
      total: eur(3 * 1299 + 3450),
      shipTo: BERLIN,
      deliveryMethod: 'DHL',
      parentOrder: null,
      childOrders: [],
      returns: [],
      warehouseId: null,
    });
    expect(order.lines).toEqual([
      expect.objectContaining({ lineNo: 1, quantity: 3, shippedQuantity: 0, status: 'OPEN', fulfilment: null, unitPrice: eur(1299), lineTotal: eur(3897), product: expect.objectContaining({ skuCode: 'A-TEA-001' }), buyerProduct: null, link: null }),
      expect.objectContaining({ lineNo: 2, quantity: 1, status: 'OPEN', unitPrice: eur(3450), lineTotal: eur(3450), product: expect.objectContaining({ skuCode: 'A-POT-001' }) }),
    ]);
    expect(new Map(order.customFields.map((f) => [f.key, f.value]))).toEqual(
      new Map([['boxes', '2'], ['wrap', 'PAPER'], ['deliverOn', '2026-12-24'], ['giftNote', 'Happy holidays']]),
    );
    expect(order.timeline).toEqual([
      { at: expect.any(String), actor: { id: PARTNER['SHOP-A'] }, from: null, to: 'PENDING_REVIEW', reason: expect.any(String) },
    ]);
    expect(await w.events(order.id)).toEqual([expect.objectContaining({ topic: 'order.placed', audience: ['SHOP-A'] })]);
  });

  it('takes an explicit ship-to and products by id, and works without a customer', async () => {
    const potId = await w.productId('SHOP-A', 'A-POT-001');
    const shipTo = { line1: 'Kurfürstendamm 21', city: 'Berlin', regionCode: 'de-be', country: 'de' };
    const order = ok(
      await w.placeOrder('SHOP-A', valid({ customerId: null, shipTo, lines: [{ productId: potId, quantity: 2, unitPriceMinor: 0 }] })),
    );
    expect(order).toMatchObject({ customer: null, total: eur(0), shipTo: { ...shipTo, regionCode: 'DE-BE', country: 'DE', name: null } });
    expect(lineBySku(order, 'A-POT-001')).toMatchObject({ product: { id: potId }, quantity: 2 });
  });

  it('validates custom fields against the channel: a bad field is a typed error naming it, and nothing is created', async () => {
    const fields = (changes: Record<string, string | undefined>) => {
      const values = { boxes: '2', wrap: 'PAPER', ...changes };
      return Object.entries(values)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ({ key, value: value! }));
    };
    const cases: [Record<string, string | undefined>, string][] = [
      [{ boxes: undefined }, 'customFields.boxes'],
      [{ boxes: 'two' }, 'customFields.boxes'],
      [{ wrap: 'GOLD' }, 'customFields.wrap'],
      [{ wrap: undefined }, 'customFields.wrap'],
      [{ deliverOn: '2026-02-30' }, 'customFields.deliverOn'],
      [{ deliverOn: '24.12.2026' }, 'customFields.deliverOn'],
      [{ giftNote: 'x'.repeat(1001) }, 'customFields.giftNote'],
      [{ colour: 'red' }, 'customFields.colour'],
    ];
    const before = await countOrders(channelId);
    for (const [changes, field] of cases) {
      const result = await w.placeOrder('SHOP-A', valid({ customFields: fields(changes) }));
      expect(result, JSON.stringify(changes)).toMatchObject({ __typename: 'InvalidOrderInput', errorCode: 'INVALID_INPUT', field });
    }
    expect(await countOrders(channelId)).toBe(before);
  });

  it('names the bad field of invalid lines, currency, customer, channel and address', async () => {
    const shopDProduct = await w.productId('SHOP-D', 'D-CUP-001');
    const cases: [Record<string, unknown>, string][] = [
      [{ lines: [] }, 'lines'],
      [{ lines: [{ skuCode: 'A-TEA-001', quantity: 1, unitPriceMinor: 100 }, { skuCode: 'NOPE', quantity: 1, unitPriceMinor: 100 }] }, 'lines[1].skuCode'],
      [{ lines: [{ skuCode: 'A-TEA-001', quantity: 0, unitPriceMinor: 100 }] }, 'lines[0].quantity'],
      [{ lines: [{ skuCode: 'A-TEA-001', quantity: 1, unitPriceMinor: -1 }] }, 'lines[0].unitPriceMinor'],
      [{ lines: [{ productId: shopDProduct, quantity: 1, unitPriceMinor: 100 }] }, 'lines[0].productId'],
      // TRADER-B's product is visible to SHOP-A through a link, but it is not SHOP-A's to sell.
      [{ lines: [{ productId: await w.productId('TRADER-B', 'B-TEA-GRN'), quantity: 1, unitPriceMinor: 100 }] }, 'lines[0].productId'],
      [{ lines: [{ quantity: 1, unitPriceMinor: 100 }] }, 'lines[0].productId'],
      [{ currency: 'euro' }, 'currency'],
      [{ customerId: randomUUID() }, 'customerId'],
      [{ customerId: null, shipTo: null }, 'shipTo'],
      [{ shipTo: { ...BERLIN, regionCode: 'Berlin' } }, 'shipTo.regionCode'],
      [{ channelId: randomUUID() }, 'channelId'],
      [{ externalNumber: '  ' }, 'externalNumber'],
    ];
    const before = await countOrders(channelId);
    for (const [overrides, field] of cases) {
      const result = await w.placeOrder('SHOP-A', valid(overrides));
      expect(result, field).toMatchObject({ __typename: 'InvalidOrderInput', field });
    }
    expect(await countOrders(channelId)).toBe(before);
  });

  it("answers another partner's channel, customer and product exactly like unknown ids", async () => {
    const shopDChannel = await w.createChannel('SHOP-D');
    const shopDCustomer = await w.createCustomer('SHOP-D');
    const shopDProduct = await w.productId('SHOP-D', 'D-CUP-001');
    const pairs: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ channelId: shopDChannel }, { channelId: randomUUID() }],
      [{ customerId: shopDCustomer }, { customerId: randomUUID() }],
      [{ lines: [{ productId: shopDProduct, quantity: 1, unitPriceMinor: 1 }] }, { lines: [{ productId: randomUUID(), quantity: 1, unitPriceMinor: 1 }] }],
    ];
    for (const [foreign, random] of pairs) {
      const number = w.unique('PROBE');
      const a = await w.raw('SHOP-A', PLACE_MINIMAL, { input: valid({ ...foreign, externalNumber: number }) });
      const b = await w.raw('SHOP-A', PLACE_MINIMAL, { input: valid({ ...random, externalNumber: number }) });
      expect(a).toEqual(b);
    }
  });

  it('is idempotent on (channel, external number): a second order answers DuplicateOrder with the existing one', async () => {
    const first = ok(await w.placeOrder('SHOP-A', valid({ externalNumber: 'WEB-2000' })));
    const again = await w.placeOrder('SHOP-A', valid({ externalNumber: ' WEB-2000 ', lines: [{ skuCode: 'A-GFT-001', quantity: 9, unitPriceMinor: 1 }] }));
    expect(again).toMatchObject({ __typename: 'DuplicateOrder', errorCode: 'DUPLICATE_ORDER', existingOrder: { id: first.id } });
    expect((await w.listedOrders('SHOP-A', { externalNumber: 'WEB-2000' })).map((o) => o.id)).toEqual([first.id]);
    const unchanged = await w.visibleOrder('SHOP-A', first.id);
    expect(unchanged.lines.map((l) => [l.product.skuCode, l.quantity])).toEqual([['A-TEA-001', 3], ['A-POT-001', 1]]);
    // The same number in another channel is another order.
    const other = await w.createChannel('SHOP-A', CUSTOM_FIELDS);
    expect(await w.placeOrder('SHOP-A', valid({ channelId: other, externalNumber: 'WEB-2000' }))).toMatchObject({ __typename: 'Order' });
  });

  it('replays an idempotency key with the same payload as the original order; another payload is IdempotencyKeyReused', async () => {
    const input = valid({ idempotencyKey: 'key-42' });
    const first = ok(await w.placeOrder('SHOP-A', input));
    const replay = ok(await w.placeOrder('SHOP-A', input));
    expect(replay.id).toBe(first.id);
    expect(replay.timeline).toHaveLength(1);
    // Key order in the payload does not matter.
    const reordered = Object.fromEntries(Object.entries(input).reverse());
    expect(ok(await w.placeOrder('SHOP-A', reordered)).id).toBe(first.id);

    const before = await countOrders(channelId);
    const changed = await w.placeOrder('SHOP-A', { ...input, lines: [{ skuCode: 'A-TEA-001', quantity: 4, unitPriceMinor: 1299 }] });
    expect(changed).toMatchObject({ __typename: 'IdempotencyKeyReused', errorCode: 'IDEMPOTENCY_KEY_REUSED' });
    const renumbered = await w.placeOrder('SHOP-A', { ...input, externalNumber: w.unique('WEB') });
    expect(renumbered).toMatchObject({ __typename: 'IdempotencyKeyReused' });
    expect(await countOrders(channelId)).toBe(before);
    expect((await w.events(first.id)).map((e) => e.topic)).toEqual(['order.placed']);
  });

  it('answers a replay racing its original with the original order, never DuplicateOrder (a client or load balancer retrying at once)', async () => {
    // The replay's key lookup can run before the original commits and its external-number lookup
    // after: the order it then finds carries its own key, so it is the replay's answer.
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const input = valid({ idempotencyKey: `race-${w.unique('k')}-${i}` });
        const first = w.placeOrder('SHOP-A', input);
        await new Promise((resolve) => setTimeout(resolve, (i % 8) * 3));
        const replay = w.placeOrder('SHOP-A', input);
        return [await first, await replay] as const;
      }),
    );
    for (const [first, replay] of outcomes) {
      expect(first).toMatchObject({ __typename: 'Order' });
      expect(replay, 'the replay must answer the original order').toMatchObject({ __typename: 'Order', id: (first as { id: string }).id });
    }
  });

  it("keeps idempotency keys per partner: another partner's key does not collide", async () => {
    const key = 'shared-key-1';
    const a = ok(await w.placeOrder('SHOP-A', valid({ idempotencyKey: key })));
    const d = await w.salesOrder('SHOP-D', { lines: [['D-CUP-001', 1, 500]], idempotencyKey: key });
    expect(d.id).not.toBe(a.id);
    expect(d.seller.id).toBe(PARTNER['SHOP-D']);
  });

  it('is for admin and sales roles', async () => {
    for (const roles of [['viewer'], ['reviewer'], ['warehouse']] as const) {
      const token = await w.tokenFor('SHOP-A', [...roles]);
      const response = await w.raw(token, PLACE_MINIMAL, { input: valid() });
      expect(response.errors?.[0]?.extensions?.['code'], roles.join()).toBe('FORBIDDEN');
    }
    const sales = await w.tokenFor('SHOP-A', ['sales']);
    expect((await w.raw<{ result: { __typename: string } }>(sales, PLACE_MINIMAL, { input: valid() })).data?.result.__typename).toBe('Order');
  });
});

const PLACE_MINIMAL = `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename
  ... on Order { id } ... on OrdersError { errorCode message } ... on InvalidOrderInput { field } } }`;

describe('importOrders', () => {
  let channelId: string;
  let existing: Order;

  beforeAll(async () => {
    channelId = await w.createChannel('SHOP-A', [{ key: 'wrap', label: 'Wrapping', type: 'ENUM', required: true, options: ['NONE', 'PAPER'] }]);
    existing = ok(await w.placeOrder('SHOP-A', { ...(await w.placeInput('SHOP-A', { lines: [['A-GFT-001', 1, 990]], channelId, customFields: [{ key: 'wrap', value: 'NONE' }] })), externalNumber: 'IMP-0' }));
  });

  const batch = async () => {
    const base = await w.placeInput('SHOP-A', { lines: [['A-TEA-001', 2, 1299]], channelId, customFields: [{ key: 'wrap', value: 'PAPER' }] });
    return [
      { ...base, externalNumber: 'IMP-1' },
      { ...base, externalNumber: 'IMP-2', customFields: [{ key: 'wrap', value: 'GOLD' }] },
      { ...base, externalNumber: 'IMP-0' },
      { ...base, externalNumber: 'IMP-3', lines: [{ skuCode: 'A-TEA-002', quantity: 1, unitPriceMinor: 1599 }, { skuCode: 'A-NONE', quantity: 1, unitPriceMinor: 1 }] },
      { ...base, externalNumber: 'IMP-4', lines: [{ skuCode: 'A-MUG-001', quantity: 6, unitPriceMinor: 899 }] },
      { ...base, externalNumber: 'IMP-1' },
    ];
  };

  interface ImportPayload {
    created: number;
    duplicates: number;
    errors: number;
    results: { index: number; externalNumber: string; outcome: string; order: { id: string; externalNumber: string; status: string } | null; problems: { field: string; message: string }[] }[];
  }

  it('creates the good orders and reports a result per order: created, duplicate, or error with reasons', async () => {
    const data = await w.gql<{ importOrders: ImportPayload }>('SHOP-A', IMPORT, { orders: await batch() });
    const payload = data.importOrders;
    expect(payload).toMatchObject({ created: 2, duplicates: 2, errors: 2 });
    expect(payload.results.map((r) => [r.index, r.externalNumber, r.outcome])).toEqual([
      [0, 'IMP-1', 'CREATED'],
      [1, 'IMP-2', 'ERROR'],
      [2, 'IMP-0', 'DUPLICATE'],
      [3, 'IMP-3', 'ERROR'],
      [4, 'IMP-4', 'CREATED'],
      [5, 'IMP-1', 'DUPLICATE'],
    ]);
    const [r0, r1, r2, r3, r4, r5] = payload.results;
    expect(r0!.order).toMatchObject({ externalNumber: 'IMP-1', status: 'PENDING_REVIEW' });
    expect(r1).toMatchObject({ order: null, problems: [{ field: 'customFields.wrap', message: expect.any(String) }] });
    expect(r2).toMatchObject({ order: { id: existing.id }, problems: [] });
    expect(r3).toMatchObject({ order: null, problems: [{ field: 'lines[1].skuCode' }] });
    expect(r4!.order).toMatchObject({ externalNumber: 'IMP-4' });
    expect(r5!.order?.id).toBe(r0!.order!.id);

    const imported = await w.visibleOrder('SHOP-A', r4!.order!.id);
    expect(imported).toMatchObject({ total: eur(6 * 899), channel: { id: channelId } });
    expect((await w.listedOrders('SHOP-A', { channelId })).map((o) => o.id).sort()).toEqual(
      [existing.id, r0!.order!.id, r4!.order!.id].sort(),
    );
  });

  it('importing the same batch again creates no duplicates', async () => {
    const before = await w.listedOrders('SHOP-A', { channelId });
    const data = await w.gql<{ importOrders: ImportPayload }>('SHOP-A', IMPORT, { orders: await batch() });
    expect(data.importOrders).toMatchObject({ created: 0, duplicates: 4, errors: 2 });
    expect(data.importOrders.results.map((r) => r.outcome)).toEqual(['DUPLICATE', 'ERROR', 'DUPLICATE', 'ERROR', 'DUPLICATE', 'DUPLICATE']);
    const after = await w.listedOrders('SHOP-A', { channelId });
    expect(after.map((o) => o.id).sort()).toEqual(before.map((o) => o.id).sort());
    expect(after).toHaveLength(3);
  });

  it('takes at most 1,000 orders per call', async () => {
    // Inline literals with one variable keep 1,001 orders under the gateway's body limit.
    const one = '{channelId:$c,externalNumber:"X",currency:"EUR",lines:[]}';
    const query = `mutation($c: ID!) { importOrders(orders: [${Array.from({ length: 1001 }, () => one).join(',')}]) { created } }`;
    const response = await w.raw('SHOP-A', query, { c: channelId });
    expect(response.errors?.[0], JSON.stringify(response.errors)).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(await w.listedOrders('SHOP-A', { channelId })).toHaveLength(3);
  });

  it('is for admin and sales roles', async () => {
    const viewer = await w.tokenFor('SHOP-A', ['viewer']);
    const response = await w.raw(viewer, IMPORT, { orders: await batch() });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});
