/**
 * order-storm: many concurrent single-unit orders for a few products, through the whole platform
 * (gateway → orders → event log → inventory allocation → orders), against the same service work
 * issued directly in transactions as a baseline. Reports orders/s allocated, intake latency
 * p50/p99, approval→allocation lag p50/p99, and checks that nothing was oversold.
 * Options: --orders 500 --concurrency 32 --products 3 --stock 100
 *
 * `stormThroughGateway` (the platform half) is exported for other benchmarks (bench/scale).
 */
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { DEV_JWT_SECRET, connectDatabase, inTenantTransaction, type Database, type Identity } from '@redthread/kit';
import { createProduct } from '@redthread/catalog/services/products';
import { createChannel } from '@redthread/orders/services/channels';
import { placeOrder } from '@redthread/orders/services/intake';
import { financeReviewOrder, reviewOrder } from '@redthread/orders/services/status';
import { allocateLines } from '@redthread/inventory/services/allocation';
import { createWarehouse } from '@redthread/inventory/services/warehouses';
import { receiveStock } from '@redthread/inventory/services/receipts';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, startBenchPlatform, machine, percentiles, runConcurrently, writeResults, type BenchDatabase } from '../lib';
import { startRoles } from '../roles';

const SHIP_TO = { line1: 'Storm 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' };

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      orders: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '32' },
      products: { type: 'string', default: '3' },
      stock: { type: 'string', default: '100' },
      /** Also through `npm start`'s one process per role (scripts/start.ts --replicas 1). */
      roles: { type: 'boolean', default: true },
    },
    allowNegative: true,
  });
  const orderCount = Number(values.orders);
  const concurrency = Number(values.concurrency);
  const productCount = Number(values.products);
  const stockPerProduct = Number(values.stock);
  const log = (message: string) => process.stdout.write(`[order-storm] ${message}\n`);

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const app = connectDatabase(db.appUrl, { max: concurrency });
  const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };

  const prepare = (round: string) => prepareStormRound(app, shopA, round, productCount, stockPerProduct);

  // --- through the platform ---
  const gatewaySetup = await prepare('gw');
  const platform = await startBenchPlatform(db);
  const p = await stormThroughGateway(platform.gateway.graphqlUrl, db, { orderCount, concurrency, productCount, stockPerProduct, setup: gatewaySetup, log });
  await platform.stop();

  // --- the same through one process per role: the workers in their own process ---
  let r: StormResult | undefined;
  if (values.roles) {
    const rolesSetup = await prepare('roles');
    log('starting one process per role (scripts/start.ts --replicas 1)');
    const roles = await startRoles(db, 1);
    try {
      // Let the workers catch up with the seeding's and the last storm's events first.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      r = await stormThroughGateway(roles.graphqlUrl, db, { orderCount, concurrency, productCount, stockPerProduct, setup: rolesSetup, log });
    } finally {
      await roles.stop();
    }
  }

  // --- baseline: the same service work, direct, no GraphQL and no event log hop ---
  log('baseline: the same services called directly in transactions');
  const direct = await prepare('direct');
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  const baselineStarted = Date.now();
  const baseline = await runConcurrently(orderCount, concurrency, async (i) => {
    const orderId = await inTenantTransaction(app.db, shopA, async (tx) => {
      const placed = await placeOrder(tx, shopA, {
        channelId: direct.channelId,
        externalNumber: `D-${i}`,
        currency: 'EUR',
        shipTo: SHIP_TO,
        lines: [{ productId: direct.productIds[i % productCount]!, quantity: 1, unitPriceMinor: 1000n }],
      });
      if ('errorCode' in placed) throw new Error(placed.message);
      return placed.id;
    });
    await inTenantTransaction(app.db, shopA, (tx) => reviewOrder(tx, shopA, orderId, 'APPROVE'));
    await inTenantTransaction(app.db, shopA, (tx) => financeReviewOrder(tx, shopA, orderId, 'APPROVE'));
    await inTenantTransaction(app.db, shopA, async (tx) => {
      const [line] = await tx.execute<{ id: string; product_id: string }>(
        sql`select id, product_id from orders.order_lines where order_id = ${orderId}`,
      );
      await allocateLines(tx, shopA, [{ orderId, lineId: line!.id, productId: line!.product_id, quantity: 1, regionCode: 'DE-BE' }]);
    });
  });
  const baselineWallMs = Date.now() - baselineStarted;
  const baselineInvariants = await checkInvariants(admin, direct.warehouseId);
  await admin.end();
  await app.close();
  await db.close();

  const result = {
    benchmark: 'order-storm',
    at: new Date().toISOString(),
    machine: await machine(),
    parameters: { orderCount, concurrency, productCount, stockPerProduct },
    platform: p,
    roles: r,
    directBaseline: {
      ordersAllocatedPerSecond: Math.round((orderCount / baselineWallMs) * 1000 * 10) / 10,
      wallMs: baselineWallMs,
      latencyMs: percentiles(baseline.latencies),
      invariants: baselineInvariants,
    },
  };
  const d = result.directBaseline;
  const markdown = `# order-storm

${result.at} · ${JSON.stringify(result.machine)}

${orderCount} single-unit orders over ${productCount} products with ${stockPerProduct} units each, concurrency ${concurrency}.
Each order: place, review, finance-approve; allocation follows.

| path | orders/s allocated | per-order latency p50 / p99 ms | approval → allocation p50 / p99 ms | allocated / backordered | oversold | client errors |
|---|---|---|---|---|---|---|
${stormRow('client → gateway → orders → event log → inventory, all in this process (startBenchPlatform)', p)}
${r ? `${stormRow('the same, one process per role (scripts/start.ts --replicas 1; this process only sends)', r)}\n` : ''}| same services, direct (baseline) | ${d.ordersAllocatedPerSecond} | ${d.latencyMs.p50} / ${d.latencyMs.p99} | (same transaction chain) | ${d.invariants.allocatedUnits} / – | ${d.invariants.oversold ? 'YES' : 'no'} | 0 |

${stormDetails('In this process', p)}
${r ? stormDetails('One process per role', r) : ''}
Ledger check: on-hand equals the sum of movements in every slot: ${p.invariants.ledgerBalanced && d.invariants.ledgerBalanced && (r?.invariants.ledgerBalanced ?? true) ? 'yes' : 'NO'}.
`;
  const files = await writeResults('order-storm', result, markdown);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  if (p.invariants.oversold || d.invariants.oversold || !p.invariants.ledgerBalanced || r?.invariants.oversold || r?.invariants.ledgerBalanced === false) throw new Error('invariant violated');
}

/** What {@link stormThroughGateway} measured. */
export type StormResult = Awaited<ReturnType<typeof stormThroughGateway>>;

/** One path's row of the results table. */
function stormRow(label: string, p: StormResult): string {
  return `| ${label} | ${p.ordersAllocatedPerSecond} | ${p.intakeLatencyMs.p50} / ${p.intakeLatencyMs.p99} | ${p.approvalToAllocationLagMs.p50} / ${p.approvalToAllocationLagMs.p99} | ${p.invariants.allocatedUnits} / ${p.statuses['BACKORDERED'] ?? 0} | ${p.invariants.oversold ? 'YES' : 'no'} | ${p.clientErrors} |`;
}

/** Where one path's lag goes, from transaction starts and from commits. */
function stormDetails(title: string, p: StormResult): string {
  return `### ${title}

Intake (place, review, approve) took ${(p.intakeWallMs / 1000).toFixed(1)} s and everything was allocated after
${(p.wallMs / 1000).toFixed(1)} s. Where the approval → allocation lag goes (event times are their transactions' start):

| stage | p50 ms | p99 ms |
|---|---|---|
| approval → fulfilment requested (orders, same transaction) | ${p.lagStagesMs.approvedToFulfilmentRequested.p50} | ${p.lagStagesMs.approvedToFulfilmentRequested.p99} |
| → allocated (inventory allocation consumer) | ${p.lagStagesMs.fulfilmentRequestedToAllocated.p50} | ${p.lagStagesMs.fulfilmentRequestedToAllocated.p99} |
| → order status ALLOCATED / BACKORDERED (orders chain consumer) | ${p.lagStagesMs.allocatedToOrderStatus.p50} | ${p.lagStagesMs.allocatedToOrderStatus.p99} |

${commitLagTable(p.commitLagMs)}`;
}

/** The commit-to-commit lags as a markdown table (or why there are none). */
export function commitLagTable(lags: StormResult['commitLagMs']): string {
  if (!lags) return 'Commit-to-commit lags: not measured (the server does not track commit timestamps: `track_commit_timestamp` is off).\n';
  return `From commit to commit (PostgreSQL's commit timestamps; the approval's own run time is not lag):

| from approval commit | p50 ms | p99 ms |
|---|---|---|
| → allocation committed (inventory allocation consumer) | ${lags.approvalToAllocated.p50} | ${lags.approvalToAllocated.p99} |
| → order status ALLOCATED / BACKORDERED committed (orders chain consumer) | ${lags.approvalToOrderStatus.p50} | ${lags.approvalToOrderStatus.p99} |
| (of which allocation → order status) | ${lags.allocatedToOrderStatus.p50} | ${lags.allocatedToOrderStatus.p99} |
`;
}

/** Options of {@link stormThroughGateway}. */
export interface StormOptions {
  orderCount: number;
  concurrency: number;
  productCount: number;
  stockPerProduct: number;
  /** A round prepared with {@link prepareStormRound}; default: one prepared here under `round`. */
  setup?: StormSetup;
  /** Names the channel, warehouse and products prepared here (fresh ones per storm). Default `gw`. */
  round?: string;
  log?: (message: string) => void;
}

/** A storm's own channel, warehouse and products. */
export type StormSetup = Awaited<ReturnType<typeof prepareStormRound>>;

/**
 * The storm through a running platform's gateway at `graphqlUrl`, as SHOP-A: places, reviews and
 * finance-approves `orderCount` single-unit orders, waits until the workers have allocated (or
 * backordered) every one, and measures throughput, lag and the stock invariants.
 */
export async function stormThroughGateway(graphqlUrl: string, db: Pick<BenchDatabase, 'adminUrl' | 'appUrl'>, options: StormOptions) {
  const { orderCount, concurrency, productCount, stockPerProduct } = options;
  const log = options.log ?? (() => {});
  const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };
  let setup = options.setup;
  if (!setup) {
    const app = connectDatabase(db.appUrl, { max: 1 });
    setup = await prepareStormRound(app, shopA, options.round ?? 'gw', productCount, stockPerProduct);
    await app.close();
  }
  const token = await mintDevToken({ partnerId: shopA.partnerId, partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);
  const call = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, { id?: string; __typename?: string }>; errors?: unknown[] };
    if (!response.ok || body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
    return body.data!;
  };
  log(`gateway: ${orderCount} orders (place, review, approve), concurrency ${concurrency}, ${productCount} products × ${stockPerProduct}`);
  let clientErrors = 0;
  const started = Date.now();
  const intake = await runConcurrently(
    orderCount,
    concurrency,
    async (i) => {
      try {
        const placed = await call(
          `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on Order { id } } }`,
          {
            input: {
              channelId: setup.channelId,
              externalNumber: `GW-${i}`,
              currency: 'EUR',
              shipTo: SHIP_TO,
              lines: [{ productId: setup.productIds[i % productCount], quantity: 1, unitPriceMinor: 1000 }],
            },
          },
        );
        const id = placed['placeOrder']!.id!;
        await call(`mutation($id: ID!) { reviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id });
        await call(`mutation($id: ID!) { financeReviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id });
      } catch (error) {
        clientErrors += 1;
        if (clientErrors <= 3) log(`  client error: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    (done) => log(`  placed and approved ${done}/${orderCount}`),
  );
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  const channelId = setup.channelId;
  const settled = async () => {
    const [row] = await admin`select count(*) filter (where status in ('ALLOCATED', 'BACKORDERED'))::int as done from orders.orders where channel_id = ${channelId}`;
    return row!['done'] as number;
  };
  while ((await settled()) < orderCount - clientErrors) {
    if (Date.now() - started > 300_000) throw new Error('allocation did not finish within 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const wallMs = Date.now() - started;
  const lags = await admin`
    select extract(epoch from (alloc.at - appr.at)) * 1000 as lag_ms
    from orders.orders o
    join lateral (select max(at) as at from orders.order_timeline t where t.order_id = o.id and t.to_status = 'APPROVED') appr on true
    join lateral (select min(at) as at from orders.order_timeline t where t.order_id = o.id and t.to_status in ('ALLOCATED', 'BACKORDERED')) alloc on true
    where o.channel_id = ${channelId}`;
  // Where the lag goes: approval → fulfilment requested (orders) → allocation done (inventory
  // consumer) → order status (orders chain consumer). Event times are their transactions' start.
  const stages = await admin`
    select extract(epoch from (req.at - appr.at)) * 1000 as requested_ms,
           extract(epoch from (done.at - req.at)) * 1000 as allocated_ms,
           extract(epoch from (st.at - done.at)) * 1000 as status_ms
    from orders.orders o
    join lateral (select max(at) as at from orders.order_timeline t where t.order_id = o.id and t.to_status = 'APPROVED') appr on true
    join lateral (select min(created_at) as at from events.event_log e where e.entity_id = o.id::text and e.topic = 'order.fulfilment_requested') req on true
    join lateral (select min(created_at) as at from events.event_log e where e.entity_id = o.id::text and e.topic = 'inventory.allocation_changed') done on true
    join lateral (select min(at) as at from orders.order_timeline t where t.order_id = o.id and t.to_status in ('ALLOCATED', 'BACKORDERED')) st on true
    where o.channel_id = ${channelId}`;
  // The same stages from commit to commit, where the server records commit times
  // (track_commit_timestamp, on in benchDatabase's embedded PostgreSQL): what a user sees, since
  // nothing downstream can start before the approval commits. The figures above also count the
  // approval transaction's own run time (intake latency, reported on its own).
  const [tracking] = await admin`select current_setting('track_commit_timestamp') = 'on' as on`;
  const commitStages = tracking!['on']
    ? await admin`
    select extract(epoch from (pg_xact_commit_timestamp(done.x) - pg_xact_commit_timestamp(appr.x))) * 1000 as allocated_ms,
           extract(epoch from (pg_xact_commit_timestamp(st.x) - pg_xact_commit_timestamp(done.x))) * 1000 as status_ms,
           extract(epoch from (pg_xact_commit_timestamp(st.x) - pg_xact_commit_timestamp(appr.x))) * 1000 as lag_ms
    from orders.orders o
    join lateral (select t.xmin as x from orders.order_timeline t where t.order_id = o.id and t.to_status = 'APPROVED' order by t.at desc limit 1) appr on true
    join lateral (select e.xmin as x from events.event_log e where e.entity_id = o.id::text and e.topic = 'inventory.allocation_changed' order by e.id limit 1) done on true
    join lateral (select t.xmin as x from orders.order_timeline t where t.order_id = o.id and t.to_status in ('ALLOCATED', 'BACKORDERED') order by t.at limit 1) st on true
    where o.channel_id = ${channelId}`
    : undefined;
  const counts = await admin`select status::text, count(*)::int as n from orders.orders where channel_id = ${channelId} group by status`;
  const invariants = await checkInvariants(admin, setup.warehouseId);
  await admin.end();
  const lagMs = percentiles(lags.map((r) => Number(r['lag_ms'])));
  return {
    ordersAllocatedPerSecond: Math.round((orderCount / wallMs) * 1000 * 10) / 10,
    wallMs,
    intakeLatencyMs: percentiles(intake.latencies),
    approvalToAllocationLagMs: lagMs,
    intakeWallMs: Math.round(intake.wallMs),
    lagStagesMs: {
      approvedToFulfilmentRequested: percentiles(stages.map((r) => Number(r['requested_ms']))),
      fulfilmentRequestedToAllocated: percentiles(stages.map((r) => Number(r['allocated_ms']))),
      allocatedToOrderStatus: percentiles(stages.map((r) => Number(r['status_ms']))),
    },
    /** Approval commit → order status commit, and its two stages; undefined without commit times. */
    commitLagMs: commitStages && {
      approvalToOrderStatus: percentiles(commitStages.map((r) => Number(r['lag_ms']))),
      approvalToAllocated: percentiles(commitStages.map((r) => Number(r['allocated_ms']))),
      allocatedToOrderStatus: percentiles(commitStages.map((r) => Number(r['status_ms']))),
    },
    statuses: Object.fromEntries(counts.map((r) => [r['status'], r['n']])),
    clientErrors,
    invariants,
  };
}

/** A channel, products and stock of its own for one round, so rounds do not interfere. */
export function prepareStormRound(app: Database, shopA: Identity, round: string, productCount: number, stockPerProduct: number) {
  return inTenantTransaction(app.db, shopA, async (tx) => {
    const channel = await createChannel(tx, shopA, { code: `storm-${round}`, name: `Storm ${round}`, kind: 'API' });
    const warehouse = await createWarehouse(tx, shopA, { code: `STORM-${round}`.toUpperCase(), name: 'Storm', kind: 'OWN', regions: ['DE-BE'], priority: 1 });
    if ('errorCode' in channel || 'errorCode' in warehouse) throw new Error('bench setup failed');
    const productIds: string[] = [];
    for (let i = 0; i < productCount; i += 1) {
      const product = await createProduct(tx, shopA, { skuCode: `STORM-${round}-${i}`.toUpperCase(), name: `Storm item ${i}` });
      if ('errorCode' in product) throw new Error('bench setup failed');
      productIds.push(product.id);
    }
    const receipt = await receiveStock(tx, shopA, { warehouseId: warehouse.id, lines: productIds.map((productId) => ({ productId, quantity: stockPerProduct })) });
    if ('errorCode' in receipt) throw new Error('bench setup failed');
    return { channelId: channel.id, warehouseId: warehouse.id, productIds };
  });
}

async function checkInvariants(admin: postgres.Sql, warehouseId: string) {
  const [row] = await admin`
    select coalesce(sum(s.reserved), 0)::int as reserved,
           coalesce(sum(s.on_hand), 0)::int as on_hand,
           bool_and(s.reserved <= s.on_hand) as within,
           bool_and(s.on_hand = (select coalesce(sum(m.quantity), 0) from inventory.movements m
             where m.warehouse_id = s.warehouse_id and m.location_id = s.location_id and m.product_id = s.product_id
               and m.batch_id is not distinct from s.batch_id)) as balanced
    from inventory.stock s where s.warehouse_id = ${warehouseId}`;
  return {
    allocatedUnits: row!['reserved'] as number,
    onHand: row!['on_hand'] as number,
    oversold: !(row!['within'] as boolean),
    ledgerBalanced: row!['balanced'] as boolean,
  };
}
