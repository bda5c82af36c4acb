/**
 * A channel's bulk intake through the gateway with the limits `npm start` and the gateway role
 * default to: `importOrders` takes up to MAX_IMPORT orders per call, and a call that size must get
 * through the gateway's body limit, its operation limits and the gateway → orders hop.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { MAX_IMPORT } from '@redthread/orders/services/intake';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

let db: TestDatabase;
let api: TestPlatform;
let token: string;
let channelId: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  token = await api.tokenFor('SHOP-A');
  const created = await api.query<{ createChannel: { id: string } }>(token, `mutation { createChannel(input: { code: "bulk", name: "Bulk import", kind: API }) { ... on Channel { id } } }`);
  channelId = created.data!.createChannel.id;
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const IMPORT = `mutation($orders: [PlaceOrderInput!]!) {
  importOrders(orders: $orders) { created duplicates errors results { index externalNumber outcome order { id } } }
}`;

/** An order as a shop system sends it: a delivery address, a delivery method, two lines, a key. */
function order(n: number) {
  return {
    channelId,
    externalNumber: `BULK-${String(n).padStart(6, '0')}`,
    currency: 'EUR',
    deliveryMethod: 'standard',
    shipTo: { name: `Customer ${n}`, line1: `Hauptstraße ${n}`, city: 'Berlin', postalCode: '10115', regionCode: 'DE-BE', country: 'DE' },
    lines: [
      { skuCode: 'A-TEA-001', quantity: 2, unitPriceMinor: 499 },
      { skuCode: 'A-GFT-001', quantity: 1, unitPriceMinor: 1299 },
    ],
    idempotencyKey: randomUUID(),
  };
}

type ImportAnswer = { importOrders: { created: number; duplicates: number; errors: number; results: { index: number; externalNumber: string; outcome: string; order: { id: string } | null }[] } };

async function ordersOfChannel(): Promise<number> {
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select count(*)::int as n from orders.orders where channel_id = ${channelId}`;
    return row!['n'] as number;
  } finally {
    await admin.end();
  }
}

describe('importOrders through the gateway', () => {
  it(`takes ${MAX_IMPORT} orders in one call with the default limits`, async () => {
    const orders = Array.from({ length: MAX_IMPORT }, (_, n) => order(n));
    // What the call sends is well over the 100 KB the gateway used to accept.
    expect(JSON.stringify({ query: IMPORT, variables: { orders } }).length).toBeGreaterThan(300_000);
    const response = await api.query<ImportAnswer>(token, IMPORT, { orders });
    expect(response.errors).toBeUndefined();
    expect(response.data!.importOrders).toMatchObject({ created: MAX_IMPORT, duplicates: 0, errors: 0 });
    const results = response.data!.importOrders.results;
    expect(results.map((r) => r.index)).toEqual(orders.map((_, n) => n));
    expect(results.map((r) => r.externalNumber)).toEqual(orders.map((o) => o.externalNumber));
    expect(new Set(results.map((r) => r.order?.id)).size).toBe(MAX_IMPORT);
    expect(await ordersOfChannel()).toBe(MAX_IMPORT);

    // The same call again (a retry after a lost answer) creates nothing: every order carries its
    // idempotency key, so each answers as it did the first time, with the same order.
    const again = await api.query<ImportAnswer>(token, IMPORT, { orders });
    expect(again.errors).toBeUndefined();
    expect(again.data!.importOrders.results).toEqual(results);
    expect(await ordersOfChannel()).toBe(MAX_IMPORT);
  });

  it(`refuses ${MAX_IMPORT + 1} orders with a clear error and writes none of them`, async () => {
    const before = await ordersOfChannel();
    const orders = Array.from({ length: MAX_IMPORT + 1 }, (_, n) => order(100_000 + n));
    const response = await api.query<ImportAnswer>(token, IMPORT, { orders });
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(`at most ${MAX_IMPORT} orders per call; got ${MAX_IMPORT + 1}. Split the import.`);
    expect(await ordersOfChannel()).toBe(before);
  });
});
