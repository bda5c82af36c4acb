import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { World, eur, ok, type Order } from './helpers';

/**
 * Money as 64-bit integers end to end (issue 15): amounts are `Long`s, strings of decimal digits on
 * the wire and `bigint`s inside, exact up to 2^63 − 1. The bug: an order of 1,000,000 × 2^31 − 1
 * minor units was stored, then `orders { total { amountMinor } }` (a 32-bit `Int`) nulled the
 * seller's whole order list.
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

const LONG_MAX = '9223372036854775807';
const LIST = `query($filter: OrderFilter) { orders(filter: $filter, first: 100) { edges { node {
  id total { amountMinor currency } lines { quantity unitPrice { amountMinor } lineTotal { amountMinor currency } } } } } }`;

interface Listed {
  id: string;
  total: { amountMinor: string; currency: string };
  lines: { quantity: number; unitPrice: { amountMinor: string }; lineTotal: { amountMinor: string; currency: string } }[];
}

/** The caller's orders of one channel, listed; the response must carry no error. */
async function listed(channelId: string): Promise<Listed[]> {
  const response = await w.raw<{ orders: { edges: { node: Listed }[] } }>('SHOP-A', LIST, { filter: { channelId } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.orders.edges.map((edge) => edge.node);
}

/** Places a SHOP-A order through the gateway with raw line input (amounts as the client sends them). */
async function place(channelId: string, lines: Record<string, unknown>[]) {
  return w.raw<{ result: { __typename: string; field?: string; message?: string } & Partial<Order> }>(
    'SHOP-A',
    `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename
      ... on Order { id total { amountMinor currency } lines { lineTotal { amountMinor } } }
      ... on OrdersError { message } ... on InvalidOrderInput { field } } }`,
    { input: { channelId, externalNumber: w.unique('MONEY'), customerId: (await w.defaults('SHOP-A')).customerId, currency: 'EUR', lines } },
  );
}

describe('an order total above 2^31 minor units', () => {
  it('round-trips exactly through placeOrder, the order list and its lines (regression)', async () => {
    const channelId = await w.createChannel('SHOP-A');
    const placed = ok(await w.placeOrder('SHOP-A', await w.placeInput('SHOP-A', { channelId, lines: [['A-TEA-001', 1_000_000, 2_147_483_647]] })));
    expect(placed.total).toEqual(eur(2_147_483_647_000_000n));
    expect(placed.lines[0]).toMatchObject({ unitPrice: eur(2_147_483_647), lineTotal: eur(2_147_483_647_000_000n) });

    const [order] = await listed(channelId);
    expect(order).toEqual({
      id: placed.id,
      total: { amountMinor: '2147483647000000', currency: 'EUR' },
      lines: [{ quantity: 1_000_000, unitPrice: { amountMinor: '2147483647' }, lineTotal: { amountMinor: '2147483647000000', currency: 'EUR' } }],
    });
  });

  it('stays exact beyond 2^53, where JSON numbers are not, up to 2^63 − 1', async () => {
    const channelId = await w.createChannel('SHOP-A');
    // 1,000,000 × 9,223,372,036,854 + 775,807 × 1 = 2^63 − 1 exactly.
    const response = await place(channelId, [
      { skuCode: 'A-TEA-001', quantity: 1_000_000, unitPriceMinor: '9223372036854' },
      { skuCode: 'A-POT-001', quantity: 1, unitPriceMinor: 775_807 },
    ]);
    expect(response.errors).toBeUndefined();
    expect(response.data!.result).toMatchObject({ __typename: 'Order', total: { amountMinor: LONG_MAX, currency: 'EUR' } });
    const [order] = await listed(channelId);
    expect(order!.total.amountMinor).toBe(LONG_MAX);
    expect(order!.lines.map((l) => l.lineTotal.amountMinor)).toEqual(['9223372036854000000', '775807']);
  });

  it('accepts 9223372036854775807 as a single amount: a unit price, an order total and a supply price', async () => {
    const channelId = await w.createChannel('SHOP-A');
    const response = await place(channelId, [{ skuCode: 'A-GFT-001', quantity: 1, unitPriceMinor: LONG_MAX }]);
    expect(response.data!.result).toMatchObject({ __typename: 'Order', total: { amountMinor: LONG_MAX } });
    const [order] = await listed(channelId);
    expect(order).toMatchObject({ total: { amountMinor: LONG_MAX }, lines: [{ unitPrice: { amountMinor: LONG_MAX }, lineTotal: { amountMinor: LONG_MAX } }] });

    await w.createProduct('TRADER-B', 'B-MONEY-1', 'Gold bar');
    await w.createProduct('SHOP-A', 'A-MONEY-1', 'Gold bar');
    const linkId = await w.link(['SHOP-A', 'A-MONEY-1'], ['TRADER-B', 'B-MONEY-1']);
    const priced = await w.raw<{ setSupplyPrice: { __typename: string; currentSupplyPrice: { price: { amountMinor: string } } | null } }>(
      'TRADER-B',
      `mutation($input: SetSupplyPriceInput!) { setSupplyPrice(input: $input) { __typename ... on ProductLink { currentSupplyPrice { price { amountMinor } } } } }`,
      { input: { linkId, amountMinor: LONG_MAX, currency: 'EUR' } },
    );
    expect(priced.errors).toBeUndefined();
    expect(priced.data!.setSupplyPrice).toEqual({ __typename: 'ProductLink', currentSupplyPrice: { price: { amountMinor: LONG_MAX } } });
  });
});

describe('amounts a Long cannot carry', () => {
  it.each([
    ['one above 2^63 − 1', '9223372036854775808', /out of range/],
    ['a fraction', 1.5, /not a whole number/],
    ['text that is not a number', '12abc', /Long must be/],
    ['a JSON number beyond 2^53 (already rounded by the client)', 2 ** 60, /send it as a string/],
  ])('refuses %s with BAD_USER_INPUT naming the range, changing nothing', async (_what, unitPriceMinor, why) => {
    const channelId = await w.createChannel('SHOP-A');
    const response = await place(channelId, [{ skuCode: 'A-TEA-001', quantity: 1, unitPriceMinor }]);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(why);
    expect(response.errors?.[0]?.message).toContain('-9223372036854775808 to 9223372036854775807');
    expect(await listed(channelId)).toEqual([]);
  });

  it('refuses a literal beyond the range or with a fraction the same way', async () => {
    const channelId = await w.createChannel('SHOP-A');
    for (const literal of ['9223372036854775808', '1.5', '"12abc"']) {
      const response = await w.raw(
        'SHOP-A',
        `mutation($c: ID!) { placeOrder(input: { channelId: $c, externalNumber: "LIT", currency: "EUR",
          shipTo: { line1: "x", city: "Berlin", regionCode: "DE-BE", country: "DE" },
          lines: [{ skuCode: "A-TEA-001", quantity: 1, unitPriceMinor: ${literal} }] }) { __typename } }`,
        { c: channelId },
      );
      expect(response.errors?.[0]?.extensions?.['code'], literal).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message, literal).toContain('9223372036854775807');
    }
    expect(await listed(channelId)).toEqual([]);
  });

  it('refuses an order whose total would overflow 2^63 − 1 with InvalidOrderInput on the line, changing nothing', async () => {
    const channelId = await w.createChannel('SHOP-A');
    // Each line fits; their sum (1 + 2^63 − 1) does not.
    const summed = await place(channelId, [
      { skuCode: 'A-TEA-001', quantity: 1, unitPriceMinor: 1 },
      { skuCode: 'A-POT-001', quantity: 1, unitPriceMinor: LONG_MAX },
    ]);
    expect(summed.errors).toBeUndefined();
    expect(summed.data!.result).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[1].unitPriceMinor', message: expect.stringContaining(LONG_MAX) });
    // One line whose quantity × unit price does not fit.
    const multiplied = await place(channelId, [{ skuCode: 'A-TEA-001', quantity: 2, unitPriceMinor: '4611686018427387904' }]);
    expect(multiplied.data!.result).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[0].unitPriceMinor' });
    expect(await listed(channelId)).toEqual([]);
  });

  it('refuses an adjustment that would take the total past 2^63 − 1, changing nothing', async () => {
    const channelId = await w.createChannel('SHOP-A');
    const placed = await place(channelId, [{ skuCode: 'A-TEA-001', quantity: 1, unitPriceMinor: String(2n ** 62n) }]);
    const order = await w.visibleOrder('SHOP-A', placed.data!.result.id!);
    expect(order.total).toEqual(eur(2n ** 62n));
    const adjusted = await w.mutate('SHOP-A', 'adjustOrder', { input: { orderId: order.id, quantities: [{ lineId: order.lines[0]!.id, quantity: 2 }], reason: 'more' } });
    expect(adjusted).toMatchObject({ __typename: 'InvalidOrderInput', message: expect.stringContaining(LONG_MAX) });
    expect((await w.visibleOrder('SHOP-A', order.id)).lines[0]).toMatchObject({ quantity: 1, lineTotal: eur(2n ** 62n) });
  });
});
