/**
 * subscriptions: many live subscribers across the demo partners on one gateway, and a stream of
 * real mutations. Reports delivered ÷ expected, latency from the mutation's commit (its HTTP
 * response) to each subscriber, and memory per subscriber. Two topologies: `roles`, the platform
 * as `npm start` runs it (one process per role; the clients live in this process, as clients live
 * elsewhere; memory = resident-set growth of the gateway and orders processes, garbage included:
 * an upper bound) and `in-process` (the tests' wiring: gateway, subgraphs and the clients share one
 * event loop; memory = heap growth of this process after a GC, the clients included).
 * Then a replay: a subscriber resumes with `after` behind N missed events, once with the envelope
 * only and once with fields other subgraphs resolve (order → seller, lines → product), in
 * interleaved rounds: time from subscribing to the last missed event.
 * Options: --subscribers 1000,10000 --topologies roles,in-process --documents same|distinct (whether the
 * subscriptions of a connection send one document, sharing an upstream subscription) --per-connection 20 --mutations 20
 * --replay 1000 (0: none) --replay-rounds 3
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DEV_JWT_SECRET, comparePositions, decodeEventCursor } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, startBenchPlatform, machine, percentiles, writeResults } from '../lib';
import { SUBGRAPH_NAMES } from '@redthread/gateway';
import { startRoles } from '../roles';
import { childrenOf, supervisedRole } from '../scale/procs';

const PARTNERS = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const;
const QUERY = 'subscription { orderChanged { cursor topic orderId } }';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscribers: { type: 'string', default: '1000,10000' },
      topologies: { type: 'string', default: 'roles,in-process' },
      documents: { type: 'string', default: 'same' },
      'per-connection': { type: 'string', default: '20' },
      mutations: { type: 'string', default: '20' },
      replay: { type: 'string', default: '1000' },
      'replay-rounds': { type: 'string', default: '3' },
    },
  });
  const sizes = values.subscribers.split(',').map(Number);
  const perConnection = Number(values['per-connection']);
  const mutationCount = Number(values.mutations);
  const log = (message: string) => process.stdout.write(`[subscriptions] ${message}\n`);
  const topologies = values.topologies.split(',') as Topology[];
  const documents = values.documents;
  if (documents !== 'same' && documents !== 'distinct') throw new Error(`--documents is same (every subscription of a connection sends the same document) or distinct, got "${documents}"`);
  const unknown = topologies.find((t) => !(t in TOPOLOGIES));
  if (unknown) throw new Error(`Unknown topology "${unknown}". Topologies: ${Object.keys(TOPOLOGIES).join(', ')}.`);
  const rounds = [];
  for (const size of sizes) {
    for (const topology of topologies) {
      log(`round: ${size} subscribers (${topology}), ${perConnection} per connection, ${mutationCount} mutations by SHOP-A`);
      rounds.push(await round(topology, size, perConnection, mutationCount, documents, log));
    }
  }
  const replayCount = Number(values.replay);
  const replayed = replayCount > 0 ? await replay(replayCount, Number(values['replay-rounds']), log) : undefined;
  const result = { benchmark: 'subscriptions', at: new Date().toISOString(), machine: await machine(), rounds, replay: replayed };
  const markdown = `# subscriptions

${result.at} · ${JSON.stringify(result.machine)}

Subscribers spread evenly over SHOP-A, TRADER-B, SUPPLIER-C and SHOP-D, ${perConnection} subscriptions per connection,
\`orderChanged { cursor topic orderId }\`. SHOP-A places orders, one after another, once every subscription is up (the gateway
holds them all and the orders subgraph's event hub serves their upstream subscriptions) and one order, not measured, has
reached every subscriber; only SHOP-A's subscribers may receive them. A connection's identical subscriptions share one
upstream subscription (the gateway resolves each event once for them): ${
    documents === 'same'
      ? `here all ${perConnection} of a connection are identical (\`--documents distinct\` gives each its own)`
      : 'here each subscription of a connection has a document of its own (`--documents distinct`: an alias of its own)'
  }.

| subscribers | platform | connections | every subscription up after | expected deliveries | delivered | delivered ÷ expected | leaked to others | commit → client p50 / p99 ms | memory per subscriber |
|---|---|---|---|---|---|---|---|---|---|
${rounds.map((r) => `| ${r.subscribers} | ${TOPOLOGIES[r.topology]} | ${r.connections} | ${(r.settleMs / 1000).toFixed(1)} s | ${r.expected} | ${r.delivered} | ${r.ratio} | ${r.leaked} | ${r.latencyMs.p50} / ${r.latencyMs.p99} | ${r.memoryPerSubscriberKiB} KiB (${r.memory}) |`).join('\n')}
${
  replayed
    ? `
## Replay

SHOP-A resumes with \`after\` behind ${replayed.events} missed \`order.placed\` events of its sales orders (${replayed.rounds} interleaved rounds; median, and every round):

| selection | subscribe → last missed event ms | rounds ms | events received, in order, once |
|---|---|---|---|
${replayed.selections.map((r) => `| ${r.label} | ${r.medianMs} | ${r.roundsMs.join(', ')} | ${r.complete ? 'yes' : 'NO'} |`).join('\n')}
`
    : ''
}`;
  const files = await writeResults('subscriptions', result, markdown);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
}

type Topology = 'roles' | 'in-process';
const TOPOLOGIES: Record<Topology, string> = {
  roles: 'one process per role (`npm start`)',
  'in-process': 'one process, clients included (the tests’ wiring)',
};

/** The resident set of a process, KiB (0 when it is gone). */
function residentKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The `redthread_subscriptions` gauge of `service` in the /metrics of the process behind `url` (summed over its readers). */
async function subscriptionsOf(url: string, service: 'gateway' | 'event-hub'): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^redthread_subscriptions\\{service="${service}"\\} (\\d+)`, 'gm'))) total += Number(match[1]);
  return total;
}

/** The platform of one round: its GraphQL URL, how to read its memory (KiB), and how to stop it. */
async function startTopology(topology: Topology, db: Awaited<ReturnType<typeof benchDatabase>>, perConnection: number) {
  if (topology === 'in-process') {
    const platform = await startBenchPlatform(db, { maxSubscriptionsPerConnection: perConnection });
    return {
      graphqlUrl: platform.gateway.graphqlUrl,
      ordersUrl: platform.subgraphs.find((subgraph) => subgraph.name === 'orders')!.graphqlUrl,
      memory: 'heap of this process after a GC, clients included',
      memoryKiB: () => {
        global.gc?.();
        return process.memoryUsage().heapUsed / 1024;
      },
      stop: () => platform.stop(),
    };
  }
  const roles = await startRoles(db, 1, { env: { MAX_SUBSCRIPTIONS_PER_CONNECTION: String(perConnection) } });
  const watched = childrenOf(roles.child.pid!).filter((pid) => ['gateway', 'orders'].includes(supervisedRole(pid) ?? ''));
  const gatewayPort = Number(new URL(roles.graphqlUrl).port);
  return {
    graphqlUrl: roles.graphqlUrl,
    // The supervisor's ports: the gateway's, then catalog, orders, inventory, finance.
    ordersUrl: `http://127.0.0.1:${gatewayPort + 1 + SUBGRAPH_NAMES.indexOf('orders')}/graphql`,
    memory: 'resident set of the gateway and orders processes, garbage included',
    memoryKiB: () => watched.reduce((sum, pid) => sum + residentKiB(pid), 0),
    stop: () => roles.stop(),
  };
}

async function round(topology: Topology, size: number, perConnection: number, mutationCount: number, documents: 'same' | 'distinct', log: (m: string) => void) {
  const db = await benchDatabase();
  const platform = await startTopology(topology, db, perConnection);
  const tokens = Object.fromEntries(
    await Promise.all(PARTNERS.map(async (code) => [code, await mintDevToken({ partnerId: demoPartnerId(code), partnerCode: code, ttl: '2h' }, DEV_JWT_SECRET)])),
  ) as Record<(typeof PARTNERS)[number], string>;
  const graphqlUrl = platform.graphqlUrl;
  const url = graphqlUrl.replace(/^http/, 'ws');
  const memoryBefore = platform.memoryKiB();
  const clients: Client[] = [];
  const arrivals: { partner: string; orderId: string; at: number }[] = [];
  let acknowledged = 0;
  const connections = Math.ceil(size / perConnection);
  for (let c = 0; c < connections; c += 1) {
    const partner = PARTNERS[c % PARTNERS.length]!;
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${tokens[partner]}` } });
    clients.push(client);
    for (let s = 0; s < perConnection && c * perConnection + s < size; s += 1) {
      client.subscribe(
        // `distinct`: the s-th subscription of a connection asks for the cursor under its own alias
        // too, so no two subscriptions of a connection share a document (nor an upstream subscription).
        { query: documents === 'distinct' ? QUERY.replace('cursor', `cursor c${s}: cursor`) : QUERY },
        {
          next: (value) => {
            const change = (value.data as { orderChanged?: { orderId: string; topic: string } } | undefined)?.orderChanged;
            if (change?.topic === 'bench.ack') return;
            if (change) arrivals.push({ partner, orderId: change.orderId, at: performance.now() });
          },
          error: (error) => log(`  subscription error: ${JSON.stringify(error).slice(0, 200)}`),
          complete: () => {},
        },
      );
      acknowledged += 1;
    }
    if (c % 50 === 49) log(`  ${acknowledged}/${size} subscribed`);
  }
  // Every subscription is up once the gateway holds them all and the orders subgraph's event hub
  // serves their upstream subscriptions (one per connection: a connection's identical
  // subscriptions share one): the mutations start then, not before.
  const settleStarted = performance.now();
  const upstream = documents === 'same' ? connections : size;
  for (let held = 0, served = 0; held < size || served < upstream; ) {
    if (performance.now() - settleStarted > 120_000) throw new Error(`after 120 s, the gateway held ${held} of ${size} subscriptions and the hub served ${served} of ${upstream} upstream`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    held = await subscriptionsOf(platform.graphqlUrl, 'gateway');
    served = await subscriptionsOf(platform.ordersUrl, 'event-hub');
  }
  const settleMs = Math.round(performance.now() - settleStarted);
  log(`  every subscription up ${settleMs} ms after the last subscribe was sent`);
  const memoryPerSubscriberKiB = Math.round(((platform.memoryKiB() - memoryBefore) / size) * 10) / 10;

  const channel = await gql(graphqlUrl, tokens['SHOP-A'], `mutation { createChannel(input: { code: "bench-live", name: "Bench", kind: API }) { ... on Channel { id } } }`);
  const channelId = (channel['createChannel'] as { id: string }).id;
  const place = async (externalNumber: string) => {
    const placed = await gql(graphqlUrl, tokens['SHOP-A'], `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on Order { id } } }`, {
      input: {
        channelId,
        externalNumber,
        currency: 'EUR',
        shipTo: { line1: 'x', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
        lines: [{ skuCode: 'A-GFT-001', quantity: 1, unitPriceMinor: 100 }],
      },
    });
    return (placed['placeOrder'] as { id: string }).id;
  };
  const shopASubscribers = Array.from({ length: size }, (_, i) => PARTNERS[Math.floor(i / perConnection) % PARTNERS.length]).filter((p) => p === 'SHOP-A').length;
  // One order first, not measured: every process on the path runs its fan-out once (compiled,
  // as in a platform that has been serving) before the measured ones.
  const warmUp = await place('LIVE-WARM-UP');
  for (const started = Date.now(); arrivals.filter((a) => a.orderId === warmUp).length < shopASubscribers && Date.now() - started < 60_000; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  arrivals.length = 0;
  const committed = new Map<string, number>();
  for (let i = 0; i < mutationCount; i += 1) committed.set(await place(`LIVE-${i}`), performance.now());
  const expected = shopASubscribers * mutationCount;
  const deadline = Date.now() + 120_000;
  while (arrivals.filter((a) => committed.has(a.orderId)).length < expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const mine = arrivals.filter((a) => committed.has(a.orderId));
  const delivered = mine.filter((a) => a.partner === 'SHOP-A').length;
  const leaked = mine.filter((a) => a.partner !== 'SHOP-A').length;
  const latencies = mine.map((a) => Math.max(0, a.at - committed.get(a.orderId)!));
  if (process.env['BENCH_DEBUG']) {
    const start = Math.min(...committed.values());
    for (const [orderId, at] of committed) {
      const mineOf = mine.filter((a) => a.orderId === orderId).map((a) => a.at - at);
      log(`    committed +${Math.round(at - start)} ms: first ${Math.round(Math.min(...mineOf))} last ${Math.round(Math.max(...mineOf))}`);
    }
  }
  await Promise.all(clients.map((c) => c.dispose()));
  await platform.stop();
  await db.close();
  const summary = {
    topology,
    subscribers: size,
    connections,
    expected,
    delivered,
    ratio: expected ? Math.round((delivered / expected) * 10000) / 10000 : 1,
    leaked,
    latencyMs: percentiles(latencies),
    settleMs,
    memoryPerSubscriberKiB,
    memory: platform.memory,
  };
  log(`  ${JSON.stringify(summary)}`);
  return summary;
}

const REPLAY_SELECTIONS = [
  { label: 'envelope only: `cursor topic orderId`', query: 'subscription($after: String) { orderChanged(after: $after, filter: { kind: [SALES] }) { cursor topic orderId } }' },
  {
    label: 'with federated fields: `order { externalNumber seller { code name } lines { quantity product { skuCode name } } }`',
    query: 'subscription($after: String) { orderChanged(after: $after, filter: { kind: [SALES] }) { cursor topic orderId order { externalNumber seller { code name } lines { quantity product { skuCode name } } } } }',
  },
] as const;

/** A subscriber resuming behind `count` missed events, per selection, in interleaved rounds. */
async function replay(count: number, rounds: number, log: (m: string) => void) {
  const db = await benchDatabase();
  const platform = await startBenchPlatform(db);
  try {
    const token = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A', ttl: '2h' }, DEV_JWT_SECRET);
    const url = platform.gateway.graphqlUrl.replace(/^http/, 'ws');
    const channel = await gql(platform.gateway.graphqlUrl, token, `mutation { createChannel(input: { code: "bench-replay", name: "Replay", kind: API }) { ... on Channel { id } } }`);
    const channelId = (channel['createChannel'] as { id: string }).id;
    const place = (from: number, n: number) =>
      gql(platform.gateway.graphqlUrl, token, `mutation($orders: [PlaceOrderInput!]!) { importOrders(orders: $orders) { created } }`, {
        orders: Array.from({ length: n }, (_, i) => ({
          channelId,
          externalNumber: `REPLAY-${from + i}`,
          currency: 'EUR',
          shipTo: { line1: 'x', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
          lines: [{ skuCode: 'A-GFT-001', quantity: 1 + ((from + i) % 3), unitPriceMinor: 100 }],
        })),
      });
    // The position to resume behind: the first order's event, received live.
    const first = await collect(url, token, REPLAY_SELECTIONS[0].query, {}, 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the subscription is up upstream
    await place(0, 1);
    const after = (await first.done)[0]!.cursor;
    for (let placed = 0; placed < count; placed += 200) await place(1 + placed, Math.min(200, count - placed));
    log(`  replay: ${count} events to resume behind`);
    const selections = REPLAY_SELECTIONS.map((selection) => ({ label: selection.label, roundsMs: [] as number[], complete: true }));
    for (let r = 0; r < rounds; r += 1) {
      for (const [index, selection] of REPLAY_SELECTIONS.entries()) {
        const started = performance.now();
        const resumed = await collect(url, token, selection.query, { after }, count, 120_000);
        const events = await resumed.done;
        selections[index]!.roundsMs.push(Math.round(performance.now() - started));
        const inOrder = events.every((e, i) => i === 0 || comparePositions(decodeEventCursor(e.cursor)!, decodeEventCursor(events[i - 1]!.cursor)!) > 0);
        if (events.length !== count || new Set(events.map((e) => e.orderId)).size !== count || !inOrder) selections[index]!.complete = false;
        log(`  replay round ${r + 1}: ${selection.label.split(':')[0]} ${selections[index]!.roundsMs.at(-1)} ms`);
      }
    }
    return {
      events: count,
      rounds,
      selections: selections.map((s) => ({ ...s, medianMs: [...s.roundsMs].sort((a, b) => a - b)[Math.floor(s.roundsMs.length / 2)]! })),
    };
  } finally {
    await platform.stop();
    await db.close();
  }
}

/** Subscribes on a connection of its own; `done` resolves with the first `count` changes (then disposes). */
async function collect(url: string, token: string, query: string, variables: Record<string, unknown>, count: number, timeoutMs: number) {
  const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const events: { cursor: string; orderId: string }[] = [];
  const done = new Promise<{ cursor: string; orderId: string }[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replay: ${events.length} of ${count} events within ${timeoutMs} ms`)), timeoutMs);
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) return reject(new Error(JSON.stringify(value.errors).slice(0, 300)));
          const change = (value.data as { orderChanged: { cursor: string; orderId: string } }).orderChanged;
          events.push(change);
          if (events.length === count) {
            clearTimeout(timer);
            resolve(events);
          }
        },
        error: (error) => reject(new Error(JSON.stringify(error).slice(0, 300))),
        complete: () => {},
      },
    );
  }).finally(() => client.dispose());
  return { done };
}

async function gql(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}
