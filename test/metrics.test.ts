/**
 * Operators' view (issue "Operable and pleasant"): after a federated request, a few refused ones,
 * a sign-in, a live subscription and a small order storm, every server of the platform answers
 * /metrics with the request, error, database-pool, consumer-lag and subscription series, with
 * values that match what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { InventoryWorld, mapConcurrently } from '../subgraphs/inventory/test/helpers';
import { DEMO_PASSWORD } from '../scripts/demo/world';

let w: InventoryWorld;
let live: Client;

beforeAll(async () => {
  w = await InventoryWorld.start();
});
afterAll(async () => {
  await live?.dispose();
  await w?.close();
});

/** One scrape: each sample as `name{labels}` → value. */
async function scrape(baseUrl: string): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number | undefined; sum(name: string, labels?: Record<string, string>): number }> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await response.text();
  const samples = [...text.matchAll(/^([a-z_]+)(?:\{([^}]*)\})? ([-+0-9.eE]+|NaN)$/gm)].map((m) => ({
    name: m[1]!,
    labels: Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!])),
    value: Number(m[3]),
  }));
  const matching = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    text,
    value: (name, labels) => matching(name, labels)[0]?.value,
    sum: (name, labels) => matching(name, labels).reduce((total, s) => total + s.value, 0),
  };
}

describe('/metrics', () => {
  it('shows requests, errors, pool use, consumer lag and subscriptions after real traffic', async () => {
    // A live subscriber, as a warehouse screen would be.
    live = w.liveClient('SHOP-A');
    let subscribed!: () => void;
    const acknowledged = new Promise<void>((resolve) => (subscribed = resolve));
    live.on('connected', () => subscribed());
    live.subscribe({ query: 'subscription { orderChanged { cursor } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await acknowledged;

    // A federated read, a refused document, a refused limit, a sign-in.
    const federated = await w.api.query(
      w.tokens['SHOP-A'],
      'query Orders { orders(first: 5) { edges { node { id lines { product { name owner { code } } } } } } report(input: { from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z" }) { rows { units } } }',
    );
    expect(federated.errors).toBeUndefined();
    await w.api.query(w.tokens['SHOP-A'], '{ me { nope } }');
    await w.api.query(w.tokens['SHOP-A'], `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect((await w.api.auth('/auth/sign-in', { email: 'admin@shop-a.example', password: DEMO_PASSWORD })).status).toBe(200);

    // A small order storm: 12 single-unit orders against a stock of 5.
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const settled = await mapConcurrently(Array.from({ length: 12 }, (_, i) => i), 6, async () => (await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 1 }])).status);
    expect(settled.filter((status) => status === 'ALLOCATED')).toHaveLength(5);

    const gateway = await scrape(w.api.platform.gateway.url);
    expect(gateway.value('redthread_graphql_requests_total', { service: 'gateway', operation: 'Orders', code: 'OK' })).toBe(1);
    expect(gateway.sum('redthread_graphql_requests_total', { service: 'gateway', code: 'OK' })).toBeGreaterThan(12 * 3);
    expect(gateway.value('redthread_graphql_errors_total', { service: 'gateway', code: 'INVALID_OPERATION' })).toBeGreaterThanOrEqual(1);
    expect(gateway.value('redthread_graphql_errors_total', { service: 'gateway', code: 'OPERATION_LIMIT_EXCEEDED' })).toBeGreaterThanOrEqual(1);
    expect(gateway.sum('redthread_graphql_request_duration_seconds_count', { service: 'gateway', operation: 'Orders' })).toBe(1);
    expect(gateway.value('redthread_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', outcome: 'ok' })).toBeGreaterThan(0);
    expect(gateway.value('redthread_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'catalog', outcome: 'ok' })).toBeGreaterThan(0);
    expect(gateway.value('redthread_http_requests_total', { service: 'gateway', route: 'graphql', status: '200' })).toBeGreaterThan(12 * 3);
    expect(gateway.value('redthread_sign_ins_total', { endpoint: 'sign-in', outcome: 'ok' })).toBe(1);
    expect(gateway.value('redthread_ws_connections', { service: 'gateway' })).toBe(1);
    expect(gateway.value('redthread_subscriptions', { service: 'gateway' })).toBe(1);
    expect(gateway.value('redthread_subscriptions', { service: 'event-hub' })).toBeGreaterThanOrEqual(1);
    // The pools: sized as configured, nothing held or waiting once the storm is over.
    expect(gateway.value('redthread_db_pool_size', { pool: 'redthread-subgraphs' })).toBe(20);
    expect(gateway.value('redthread_db_pool_in_use', { pool: 'redthread-subgraphs' })).toBeGreaterThanOrEqual(0);
    expect(gateway.value('redthread_db_pool_waiting', { pool: 'redthread-subgraphs' })).toBe(0);
    // The workflows have caught up with the storm.
    await expect.poll(async () => (await scrape(w.api.platform.gateway.url)).value('redthread_consumer_lag_events', { consumer: 'inventory.allocation' }), { timeout: 10_000 }).toBe(0);
    for (const consumer of ['orders.chain', 'inventory.allocation', 'finance.bookkeeping']) {
      expect(gateway.value('redthread_consumer_lag_seconds', { consumer }), consumer).toBeGreaterThanOrEqual(0);
      expect(gateway.value('redthread_consumer_lag_seconds', { consumer }), consumer).toBeLessThan(60);
    }

    // Every subgraph serves the same registry, with its own requests under its name.
    for (const subgraph of w.api.platform.subgraphs) {
      const metrics = await scrape(subgraph.url);
      expect(metrics.sum('redthread_graphql_requests_total', { service: subgraph.name }), subgraph.name).toBeGreaterThan(0);
      expect(metrics.value('redthread_http_requests_total', { service: subgraph.name, route: 'graphql', status: '200' }), subgraph.name).toBeGreaterThan(0);
    }
    expect(gateway.text).toMatch(/^redthread_process_cpu_seconds_total/m);
  });
});
