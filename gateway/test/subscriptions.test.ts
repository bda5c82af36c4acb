import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import postgres from 'postgres';
import { decodeEventCursor, comparePositions } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

let db: TestDatabase;
let api: TestPlatform;
const clients: Client[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db, { maxSubscriptionsPerConnection: 3 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.close();
  await db?.drop();
});

function wsUrl(platform: TestPlatform): string {
  return platform.gatewayUrl.replace(/^http/, 'ws');
}

function connect(token: string, platform: TestPlatform = api): Client {
  const client = createClient({ url: wsUrl(platform), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  return client;
}

interface Collector<T> {
  events: T[];
  errors: unknown[];
  /** Resolves once `count` events have arrived. */
  reach(count: number): Promise<void>;
  /** Resolves when the subscription is acknowledged by the first event or error (used as a barrier). */
  stop(): void;
}

function collect<T = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Collector<T> {
  const events: T[] = [];
  const errors: unknown[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const stop = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        if (value.data) events.push(value.data as T);
        for (const w of waiters.filter((w) => events.length >= w.count)) w.resolve();
      },
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  return {
    events,
    errors,
    stop,
    reach: (count) =>
      events.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

const ORDER_CHANGES = `subscription($after: String) { orderChanged(after: $after) {
  cursor topic orderId order { kind status lines { quantity product { skuCode name } } } } }`;

async function channelOf(token: string, code: string): Promise<string> {
  const created = await api.query<{ createChannel: { id: string } }>(token, `mutation($code: String!) { createChannel(input: { code: $code, name: $code, kind: API }) { ... on Channel { id } } }`, { code });
  return created.data!.createChannel.id;
}

async function placeOrder(token: string, channelId: string, externalNumber: string, skuCode: string, quantity = 1) {
  const placed = await api.query<{ placeOrder: { id: string } }>(
    token,
    `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on Order { id } } }`,
    {
      input: {
        channelId,
        externalNumber,
        currency: 'EUR',
        shipTo: { line1: 'Torstraße 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
        lines: [{ skuCode, quantity, unitPriceMinor: 990 }],
      },
    },
  );
  return placed.data!.placeOrder.id;
}

async function approve(token: string, orderId: string) {
  await api.query(token, `mutation($id: ID!) { reviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: orderId });
  await api.query(token, `mutation($id: ID!) { financeReviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: orderId });
}

type OrderChange = {
  orderChanged: {
    cursor: string;
    topic: string;
    orderId: string;
    order: { kind: string; status: string; lines: { quantity: number; product: { skuCode: string; name: string } | null }[] } | null;
  };
};

describe('federated subscriptions through the gateway', () => {
  it('frees the slot of a subscription the client completes at once, and its upstream within a second', async () => {
    // A warehouse screen switching between quiet filters: nothing ever arrives on them.
    const metric = async (service: string) => {
      const text = await (await fetch(`${api.platform.gateway.url}/metrics`)).text();
      const match = new RegExp(`^redthread_subscriptions\\{service="${service}"\\} (\\d+)$`, 'm').exec(text);
      return match ? Number(match[1]) : 0;
    };
    // First in this file: no other subscription is open yet.
    const upstreamBefore = 0;
    expect(await metric('event-hub')).toBe(0);
    const client = connect(await api.tokenFor('SHOP-A'));
    for (let round = 0; round < 8; round += 1) {
      const quiet = collect(client, 'subscription($id: ID!) { orderChanged(filter: { orderId: $id }) { cursor } }', { id: randomUUID() });
      await expect.poll(() => metric('event-hub'), { timeout: 5_000, interval: 20 }).toBe(upstreamBefore + 1);
      quiet.stop();
      const stopped = Date.now();
      await expect.poll(() => metric('event-hub'), { timeout: 5_000, interval: 20 }).toBe(upstreamBefore);
      expect(Date.now() - stopped, `round ${round}: upstream gone within a second`).toBeLessThan(1_000);
      expect(quiet.errors).toEqual([]);
    }
    // Eight switches on a connection capped at three: every slot was given back.
    const open = [0, 1, 2].map(() => collect(client, 'subscription { orderChanged { cursor } }'));
    await expect.poll(() => metric('gateway'), { timeout: 5_000, interval: 20 }).toBeGreaterThanOrEqual(3);
    expect(open.every((sub) => sub.errors.length === 0)).toBe(true);
    for (const sub of open) sub.stop();
  });

  it('serves identical subscriptions of one connection from one upstream subscription; each gets every event, and completes on its own', async () => {
    const hubSubscribers = async () => {
      const text = await (await fetch(`${api.platform.gateway.url}/metrics`)).text();
      return Number(/^redthread_subscriptions\{service="event-hub"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    // The previous test's subscriptions are gone upstream within a second.
    await expect.poll(hubSubscribers, { timeout: 2_000, interval: 20 }).toBe(0);
    const before = 0;
    const shopA = await api.tokenFor('SHOP-A');
    const client = connect(shopA);
    const other = connect(shopA); // another connection: its own upstream, even for the same document
    const query = 'subscription { orderChanged(filter: { kind: [SALES] }) { cursor topic orderId } }';
    const [first, second, third] = [collect<OrderChange>(client, query), collect<OrderChange>(client, query), collect<OrderChange>(other, query)];
    await expect.poll(hubSubscribers, { timeout: 5_000, interval: 20 }).toBe(before + 2);
    const channel = await channelOf(shopA, 'live-shared');
    const orderId = await placeOrder(shopA, channel, 'SHARED-1', 'A-POT-001');
    await Promise.all([first.reach(1), second.reach(1), third.reach(1)]);
    for (const sub of [first, second, third]) expect(sub.events.map((e) => [e.orderChanged.topic, e.orderChanged.orderId])).toEqual([['order.placed', orderId]]);
    expect(first.events).toEqual(second.events);
    // Completing one leaves the other served by the same upstream subscription.
    first.stop();
    const later = await placeOrder(shopA, channel, 'SHARED-2', 'A-POT-001');
    await second.reach(2);
    expect(second.events.map((e) => e.orderChanged.orderId)).toEqual([orderId, later]);
    expect(await hubSubscribers()).toBe(before + 2);
    expect(first.events).toHaveLength(1);
    // The last one out closes the upstream subscription at once.
    second.stop();
    await expect.poll(hubSubscribers, { timeout: 1_000, interval: 20 }).toBe(before + 1);
    third.stop();
    await expect.poll(hubSubscribers, { timeout: 1_000, interval: 20 }).toBe(before);
    expect([first, second, third].flatMap((sub) => sub.errors)).toEqual([]);
  });

  it("delivers SHOP-A's order changes with fields from catalog resolved, and nothing of them to SHOP-D", async () => {
    const shopA = await api.tokenFor('SHOP-A');
    const shopD = await api.tokenFor('SHOP-D');
    const a = collect<OrderChange>(connect(shopA), ORDER_CHANGES);
    const d = collect<OrderChange>(connect(shopD), ORDER_CHANGES);
    const channelA = await channelOf(shopA, 'live-a');
    const channelD = await channelOf(shopD, 'live-d');
    // The subscription is live once it has delivered something: place until it has.
    const orderId = await placeOrder(shopA, channelA, 'LIVE-1', 'A-POT-001', 2);
    await approve(shopA, orderId);
    await a.reach(3);
    const first = a.events.find((e) => e.orderChanged.orderId === orderId && e.orderChanged.topic === 'order.placed');
    expect(first?.orderChanged.order).toMatchObject({
      kind: 'SALES',
      lines: [{ quantity: 2, product: { skuCode: 'A-POT-001', name: 'Teapot 1l' } }],
    });
    expect(a.events.map((e) => e.orderChanged.topic)).toEqual(expect.arrayContaining(['order.placed', 'order.reviewed', 'order.approved']));
    // SHOP-D's own change is the barrier: had SHOP-A's leaked, it would have arrived before it.
    const ownD = await placeOrder(shopD, channelD, 'LIVE-D-1', 'D-CUP-001');
    await d.reach(1);
    expect(d.events.map((e) => e.orderChanged.orderId)).toEqual([ownD]);
    a.stop();
    d.stop();
  });

  it("delivers SUPPLIER-C its distribution orders' events and nothing of the sales order above", async () => {
    const shopA = await api.tokenFor('SHOP-A');
    const trader = await api.tokenFor('TRADER-B');
    const supplier = await api.tokenFor('SUPPLIER-C');
    const c = collect<OrderChange>(connect(supplier), ORDER_CHANGES);
    const channelA = await channelOf(shopA, 'live-chain');
    const salesId = await placeOrder(shopA, channelA, 'CHAIN-1', 'A-TEA-001', 3);
    await approve(shopA, salesId);
    const toTrader = await api.query<{ order: { childOrders: { id: string }[] } }>(shopA, `query($id: ID!) { order(id: $id) { childOrders { id } } }`, { id: salesId });
    const traderOrderId = toTrader.data!.order.childOrders[0]!.id;
    await api.query(trader, `mutation($id: ID!) { acceptDistributionOrder(id: $id) { __typename } }`, { id: traderOrderId });
    await c.reach(1);
    const supplierOrderIds = new Set(c.events.map((e) => e.orderChanged.orderId));
    expect(supplierOrderIds.has(salesId)).toBe(false);
    expect(supplierOrderIds.has(traderOrderId)).toBe(false);
    for (const event of c.events) {
      expect(event.orderChanged.order).toMatchObject({ kind: 'DISTRIBUTION', lines: [{ quantity: 3, product: { skuCode: 'C-GT-100' } }] });
    }
    c.stop();
  });

  it('resumes a subscriber that disconnected during 1,000 events with every missed event exactly once, in order', async () => {
    const shopA = await api.tokenFor('SHOP-A');
    const channelId = await channelOf(shopA, 'live-resume');
    const QUERY = `subscription($after: String) { orderChanged(after: $after, filter: { kind: [SALES] }) { cursor topic orderId } }`;
    type Change = { orderChanged: { cursor: string; topic: string; orderId: string } };
    const importBatch = (from: number) =>
      api.query(shopA, `mutation($orders: [PlaceOrderInput!]!) { importOrders(orders: $orders) { created } }`, {
        orders: Array.from({ length: 250 }, (_, i) => ({
          channelId,
          externalNumber: `RES-${from + i}`,
          currency: 'EUR',
          shipTo: { line1: 'x', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
          lines: [{ skuCode: 'A-GFT-001', quantity: 1, unitPriceMinor: 100 }],
        })),
      });

    const first = collect<Change>(connect(shopA), QUERY);
    await importBatch(0);
    await first.reach(100);
    first.stop(); // disconnects mid-stream
    const seen = [...first.events];
    const last = seen[seen.length - 1]!.orderChanged.cursor;
    // More events commit while nobody listens.
    await importBatch(250);
    await importBatch(500);
    const resumed = collect<Change>(connect(shopA), QUERY, { after: last });
    await importBatch(750);
    const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    const [{ n } = { n: 0 }] = await admin<{ n: number }[]>`
      select count(*)::int as n from events.event_log e join orders.orders o on o.id::text = e.entity_id
      where o.channel_id = ${channelId} and e.topic like 'order.%'`;
    await admin.end();
    expect(n).toBe(1000);
    await expect.poll(() => resumed.events.length + ':' + JSON.stringify(resumed.errors).slice(0, 300), { timeout: 20_000 }).toBe(`${n - seen.length}:[]`);
    const all = [...seen, ...resumed.events].map((e) => e.orderChanged);
    expect(all.length).toBe(1000);
    expect(new Set(all.map((e) => e.cursor)).size).toBe(1000);
    for (let i = 1; i < all.length; i += 1) {
      expect(comparePositions(decodeEventCursor(all[i]!.cursor)!, decodeEventCursor(all[i - 1]!.cursor)!)).toBeGreaterThan(0);
    }
    expect(resumed.errors).toEqual([]);
    resumed.stop();
  }, 60_000);

  it('refuses a bad token with 4403 and closes the socket when the token expires', async () => {
    const closes: { code: number; reason: string }[] = [];
    const refused = createClient({
      url: wsUrl(api),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: 'Bearer not-a-token' },
      on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
    });
    clients.push(refused);
    const refusal = await new Promise<unknown>((resolve) =>
      refused.subscribe({ query: 'subscription { orderChanged { cursor } }' }, { next: () => {}, error: resolve, complete: () => resolve('completed') }),
    );
    expect((refusal as { code?: number }).code).toBe(4403);
    // The close reason is the gateway's own message, which says what to do.
    expect((refusal as { reason?: string }).reason).toBe('Your token is not valid. Sign in again for a new one.');

    const { mintDevToken } = await import('../../scripts/lib/tokens');
    const { demoPartnerId } = await import('../../scripts/demo/world');
    const { DEV_JWT_SECRET } = await import('@redthread/kit');
    const shortLived = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A', ttl: '2s' }, DEV_JWT_SECRET);
    const started = Date.now();
    const expiring = createClient({ url: wsUrl(api), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${shortLived}` } });
    clients.push(expiring);
    const ended = await new Promise<unknown>((resolve) =>
      expiring.subscribe({ query: 'subscription { orderChanged { cursor } }' }, { next: () => {}, error: resolve, complete: () => resolve('completed') }),
    );
    expect((ended as { code?: number; reason?: string }).code).toBe(4403);
    expect((ended as { reason?: string }).reason).toMatch(/expired/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('holds the cap of subscriptions per connection', async () => {
    const client = connect(await api.tokenFor('SHOP-A'));
    const open = [0, 1, 2].map(() => collect(client, 'subscription { orderChanged { cursor } }'));
    const fourth = collect(client, 'subscription { orderChanged { cursor } }');
    await expect.poll(() => fourth.errors.length).toBe(1);
    expect(JSON.stringify(fourth.errors[0])).toContain('OPERATION_LIMIT_EXCEEDED');
    expect(open.every((s) => s.errors.length === 0)).toBe(true);
    for (const s of open) s.stop();
  });

  it('delivers an event committed through one replica to subscribers on the other', async () => {
    const second = await startTestPlatform(db);
    try {
      const shopA = await api.tokenFor('SHOP-A');
      const listener = collect<OrderChange>(connect(shopA, api), ORDER_CHANGES);
      const channelId = await channelOf(shopA, 'live-replica');
      const viaSecond = await second.query<{ placeOrder: { id: string } }>(
        shopA,
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on Order { id } } }`,
        {
          input: {
            channelId,
            externalNumber: 'REPLICA-1',
            currency: 'EUR',
            shipTo: { line1: 'x', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
            lines: [{ skuCode: 'A-POT-001', quantity: 1, unitPriceMinor: 100 }],
          },
        },
      );
      const orderId = viaSecond.data!.placeOrder.id;
      await expect.poll(() => listener.events.some((e) => e.orderChanged.orderId === orderId), { timeout: 10_000 }).toBe(true);
      listener.stop();
    } finally {
      await second.close();
    }
  });
});
