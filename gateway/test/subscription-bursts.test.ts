import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { comparePositions, decodeEventCursor } from '@redthread/kit';
import { mergingEntityFetches } from '../src/subscriptions/federated';
import type { GatewayContext } from '../src/index';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

/**
 * A burst of events for one subscription (here a replay after `after`) is resolved together: the
 * fields other subgraphs answer are fetched for the whole burst in one `_entities` request per
 * subgraph, not one request per event. Counted on the catalog's SQL: each `_entities` request for
 * products is one statement reading catalog.products.
 */

let db: TestDatabase;
let api: TestPlatform;
const clients: Client[] = [];
let productReads = 0;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db, {
    onQuery: (query) => {
      if (/from "catalog"\."products"/.test(query)) productReads += 1;
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await api?.close();
  await db?.drop();
});

const QUERY = `subscription($after: String) { orderChanged(after: $after, filter: { kind: [SALES] }) {
  cursor orderId order { externalNumber lines { quantity product { skuCode name } } } } }`;

type Change = { orderChanged: { cursor: string; orderId: string; order: { externalNumber: string; lines: { quantity: number; product: { skuCode: string; name: string } | null }[] } | null } };

function subscribe(token: string, after?: string) {
  const client = createClient({ url: api.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  const events: Change[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe(
    { query: QUERY, variables: after ? { after } : {} },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        if (value.data) events.push(value.data as Change);
      },
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  return { events, errors, stop };
}

describe('a burst of subscription events', () => {
  it('replays 300 missed events with their products from catalog in a handful of entity requests, each event once and in order', async ({ annotate }) => {
    const shopA = await api.tokenFor('SHOP-A');
    const created = await api.query<{ createChannel: { id: string } }>(shopA, `mutation { createChannel(input: { code: "bursts", name: "Bursts", kind: API }) { ... on Channel { id } } }`);
    const channelId = created.data!.createChannel.id;
    const place = (from: number, count: number, skuCode: string) =>
      api.query(shopA, `mutation($orders: [PlaceOrderInput!]!) { importOrders(orders: $orders) { created } }`, {
        orders: Array.from({ length: count }, (_, i) => ({
          channelId,
          externalNumber: `BURST-${from + i}`,
          currency: 'EUR',
          shipTo: { line1: 'x', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
          lines: [{ skuCode, quantity: 1 + ((from + i) % 3), unitPriceMinor: 100 }],
        })),
      });

    // A first event to resume behind, then 300 that nobody receives live.
    const live = subscribe(shopA);
    await place(0, 1, 'A-GFT-001');
    await expect.poll(() => live.events.length, { timeout: 10_000 }).toBe(1);
    live.stop();
    const after = live.events[0]!.orderChanged.cursor;
    await place(1, 150, 'A-GFT-001');
    await place(151, 150, 'A-TEA-001');

    productReads = 0;
    const started = performance.now();
    const resumed = subscribe(shopA, after);
    await expect.poll(() => `${resumed.events.length}:${JSON.stringify(resumed.errors).slice(0, 300)}`, { timeout: 30_000, interval: 10 }).toBe('300:[]');
    await annotate(`300 events replayed in ${Math.round(performance.now() - started)} ms with ${productReads} product reads`);
    const changes = resumed.events.map((event) => event.orderChanged);
    expect(changes.map((change) => change.order?.externalNumber)).toEqual(Array.from({ length: 300 }, (_, i) => `BURST-${i + 1}`));
    for (let i = 1; i < changes.length; i += 1) expect(comparePositions(decodeEventCursor(changes[i]!.cursor)!, decodeEventCursor(changes[i - 1]!.cursor)!)).toBeGreaterThan(0);
    // Each event has its own order's line and product, resolved from catalog.
    changes.forEach((change, i) => {
      expect(change.order!.lines).toEqual([{ quantity: 1 + ((i + 1) % 3), product: { skuCode: i < 150 ? 'A-GFT-001' : 'A-TEA-001', name: expect.any(String) } }]);
    });
    // One statement per entity request: far fewer than one per event.
    expect(productReads, `catalog.products statements for 300 replayed events`).toBeLessThanOrEqual(30);
    resumed.stop();
  }, 60_000);
});

describe('merged entity fetches', () => {
  /** A data source that answers `_entities` with one entity per representation (id → name), and an error for id "bad". */
  function recordingSource() {
    const calls: Record<string, unknown>[] = [];
    const source: GraphQLDataSource<GatewayContext> = {
      process: async (options) => {
        const variables = options.request.variables ?? {};
        calls.push(variables);
        const representations = variables['representations'] as { id: string }[] | undefined;
        if (!representations) return { data: { plain: true } } as never;
        const errors = representations.flatMap((r, index) => (r.id === 'bad' ? [{ message: 'not allowed', path: ['_entities', index, 'name'] }] : []));
        return { data: { _entities: representations.map((r) => (r.id === 'bad' ? null : { name: `name-${r.id}` })) }, ...(errors.length ? { errors } : {}) } as never;
      },
    };
    return { source, calls };
  }
  const fetch = (query: string, ids: string[], other: Record<string, unknown> = {}) =>
    ({ request: { query, variables: { ...other, representations: ids.map((id) => ({ __typename: 'Product', id })) } }, context: {} }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

  it('sends the fetches issued together as one request and gives each its own entities and errors, by position', async () => {
    const { source, calls } = recordingSource();
    const merged = mergingEntityFetches({ catalog: source })['catalog']!;
    const [first, second, third] = await Promise.all([
      merged.process(fetch('query A', ['1', '2'])),
      merged.process(fetch('query A', ['bad', '3'])),
      merged.process(fetch('query A', ['4'])),
    ]);
    expect(calls).toHaveLength(1);
    expect((calls[0]!['representations'] as { id: string }[]).map((r) => r.id)).toEqual(['1', '2', 'bad', '3', '4']);
    expect(first).toEqual({ data: { _entities: [{ name: 'name-1' }, { name: 'name-2' }] } });
    expect(second).toEqual({ data: { _entities: [null, { name: 'name-3' }] }, errors: [{ message: 'not allowed', path: ['_entities', 0, 'name'] }] });
    expect(third).toEqual({ data: { _entities: [{ name: 'name-4' }] } });
  });

  it('keeps apart fetches of other operations or other variables, and forwards fetches without representations as they are', async () => {
    const { source, calls } = recordingSource();
    const merged = mergingEntityFetches({ catalog: source })['catalog']!;
    await Promise.all([
      merged.process(fetch('query A', ['1'], { locale: 'de' })),
      merged.process(fetch('query A', ['2'], { locale: 'en' })),
      merged.process(fetch('query B', ['3'], { locale: 'de' })),
      merged.process(fetch('query A', ['4'], { locale: 'de' })),
    ]);
    expect(calls.map((c) => [(c['representations'] as { id: string }[]).map((r) => r.id), c['locale']])).toEqual([
      [['1', '4'], 'de'],
      [['2'], 'en'],
      [['3'], 'de'],
    ]);
    const plain = await merged.process({ request: { query: 'query C', variables: { id: '9' } }, context: {} } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    expect(plain).toEqual({ data: { plain: true } });
    expect(calls.at(-1)).toEqual({ id: '9' });
  });
});
