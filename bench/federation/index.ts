/**
 * federation: Redthread's gateway against Hive Gateway on the same subgraphs, and the subgraph
 * called directly, in interleaved rounds in one run.
 *
 * The platform runs as `npm start` does (one process per role, `scripts/start.ts --replicas 1`);
 * Hive Gateway (./hive.ts) runs twice beside it, each in its own process, composed from the same
 * supergraph and calling the same subgraph processes with the identity they require: once with
 * its coalescing of identical in-flight subgraph requests off (so both gateways send one
 * subgraph request per client request: the comparison) and once with Hive's defaults (reported
 * beside it). The load comes from a process of its own (bench/scale/load.ts), each request with
 * one of `--identities` distinct users of SHOP-A (development tokens `dev:SHOP-A/bench-<n>`), so no
 * gateway could answer one client from another's in-flight subgraph request unless it ignores
 * who asks; the direct calls carry the catalog's own signed identity for the same users.
 *
 * Per round, workload and target: req/s, p50/p99, and CPU-ms per request of each process (the
 * gateway measured, each subgraph, the workers, PostgreSQL) from /proc. Targets take turns in an
 * order that rotates every round.
 *
 * Options: --rounds 3 --seconds 8 (per round, workload and target) --warmup 200 --concurrency 16
 * --identities 64 --products 2000 --orders 200 --workloads me,products,orders,mutation
 * --targets redthread,hive,hive-defaults,direct --cpu-prof DIR (every gateway, subgraph and worker
 * process profiles the measured seconds and writes DIR/<pid>.cpuprofile; see bench/cpu-profile.mjs;
 * the run prints which pid is which)
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { DEV_INTERNAL_SECRET, DEV_JWT_SECRET, secretKey, signInternalIdentity, type Identity } from '@redthread/kit';
import { composeSupergraph, SUBGRAPH_NAMES } from '@redthread/gateway';
import { DEFAULT_DEV_ROLES, mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, machine, writeResults } from '../lib';
import { startRoles, withTimeout } from '../roles';
import { collectCursors, cpuBound, exited, findPostmaster, graphql, jsonLines, loadEngines, median, type LoadResult, roundValues, seedReadData, signal, sleep, spawnTs } from '../harness';
import { cpuByGroup, snapshot, supervisedRole, type ProcSample } from '../scale/procs';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const LOAD = fileURLToPath(new URL('../scale/load.ts', import.meta.url));

const PRODUCTS_QUERY = `query($first: Int!, $after: String) { products(first: $first, after: $after) {
  edges { node { id skuCode name unit status owner { code name } } } pageInfo { hasNextPage endCursor } } }`;
const ORDERS_QUERY = `query($first: Int!, $after: String) { orders(first: $first, after: $after) {
  edges { node { id externalNumber status lines { id quantity product { id name owner { code name } } } } } pageInfo { hasNextPage endCursor } } }`;
const ME_QUERY = `{ me { code name } }`;
const RENAME_MUTATION = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { __typename ... on Product { id name } } }`;

type TargetKey = 'redthread' | 'hive' | 'hive-defaults' | 'direct';
const TARGETS: Record<TargetKey, string> = {
  redthread: 'Redthread gateway',
  hive: 'Hive Gateway (in-flight coalescing off)',
  'hive-defaults': 'Hive Gateway (defaults)',
  direct: 'catalog subgraph called directly',
};

interface Workload {
  key: string;
  title: string;
  query: string;
  /** Per identity (mutations) or per page (reads); see bench/scale/load.ts for the pairing. */
  variables: Record<string, unknown>[];
  /** Whether the catalog subgraph alone answers it (then `direct` is a baseline). */
  catalogOnly: boolean;
}

interface Round extends LoadResult {
  round: number;
  workload: string;
  target: TargetKey;
  cpuMs: Record<string, number>;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '16' },
      identities: { type: 'string', default: '64' },
      products: { type: 'string', default: '2000' },
      orders: { type: 'string', default: '200' },
      workloads: { type: 'string', default: 'me,products,orders,mutation' },
      targets: { type: 'string', default: 'redthread,hive,hive-defaults,direct' },
      'cpu-prof': { type: 'string' },
    },
  });
  const parameters = {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    concurrency: Number(values.concurrency),
    identities: Number(values.identities),
    productCount: Number(values.products),
    orderCount: Number(values.orders),
    workloads: values.workloads.split(','),
    targets: values.targets.split(',') as TargetKey[],
    cpuProfileDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
  };
  const profiling: Record<string, string> = parameters.cpuProfileDir
    ? { NODE_OPTIONS: `--import=${fileURLToPath(new URL('../cpu-profile.mjs', import.meta.url))}`, CPU_PROFILE_DIR: parameters.cpuProfileDir }
    : {};
  const unknownTarget = parameters.targets.find((t) => !(t in TARGETS));
  if (unknownTarget) throw new Error(`Unknown target "${unknownTarget}". Targets: ${Object.keys(TARGETS).join(', ')}.`);
  if (parameters.seconds > 40) throw new Error('--seconds above 40 would outlive the signed identities of the direct calls (60 s).');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const benchStarted = Date.now();

  log('federation: starting PostgreSQL and seeding the demo world ...');
  const db = await benchDatabase();
  const children: ChildProcess[] = [];
  let roles: Awaited<ReturnType<typeof startRoles>> | undefined;
  try {
    const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };
    log(`seeding ${parameters.productCount} products and ${parameters.orderCount} orders for SHOP-A ...`);
    await seedReadData(db, shopA, parameters.productCount, parameters.orderCount);
    const identities: Identity[] = Array.from({ length: parameters.identities }, (_, n) => ({
      subject: `dev:SHOP-A/bench-${n}`,
      partnerId: shopA.partnerId,
      roles: DEFAULT_DEV_ROLES,
    }));
    const clientTokens = await Promise.all(
      identities.map((identity) => mintDevToken({ partnerId: identity.partnerId, partnerCode: 'SHOP-A', subject: identity.subject as `dev:${string}`, ttl: '2h' }, DEV_JWT_SECRET)),
    );
    const postmaster = await findPostmaster(db.adminUrl);

    log('starting the platform, one process per role ...');
    roles = await startRoles(db, 1, { env: profiling });
    const gatewayPort = Number(new URL(roles.graphqlUrl).port);
    const subgraphs = SUBGRAPH_NAMES.map((name, index) => ({ name, url: `http://127.0.0.1:${gatewayPort + index + 1}/graphql` }));
    const catalogUrl = subgraphs.find((s) => s.name === 'catalog')!.url;
    const supergraphSdl = composeSupergraph(subgraphs.map((s) => ({ ...s, sdlPath: path.join(HERE, '../../subgraphs', s.name, 'schema.graphql') })));

    const urls: Partial<Record<TargetKey, string>> = { redthread: roles.graphqlUrl, direct: catalogUrl };
    const hivePids = new Map<number, TargetKey>();
    for (const [key, deduplicate] of [['hive', false], ['hive-defaults', true]] as const) {
      if (!parameters.targets.includes(key)) continue;
      const port = gatewayPort + 20 + (deduplicate ? 1 : 0);
      const child = spawnTs(path.join(HERE, 'hive.ts'), {
        FEDERATION_HIVE: JSON.stringify({ port, supergraphSdl, subgraphs, jwtSecret: DEV_JWT_SECRET, internalSecret: DEV_INTERNAL_SECRET, deduplicate }),
        ...profiling,
      });
      children.push(child);
      const ready = (await withTimeout(jsonLines(child, TARGETS[key]).next(), 60_000, `${TARGETS[key]} did not start within 60 s`)) as { url: string };
      urls[key] = ready.url;
      hivePids.set(child.pid!, key);
      log(`  ${TARGETS[key]} at ${ready.url}`);
    }

    // The direct calls carry the catalog's signed identity for the same users (60 s; minted per round).
    const internalSecret = secretKey(DEV_INTERNAL_SECRET);
    const directTokens = () => Promise.all(identities.map((identity) => signInternalIdentity(identity, 'catalog', internalSecret)));

    const workloads = await buildWorkloads(parameters.workloads, roles.graphqlUrl, clientTokens[0]!, db.adminUrl, identities.length);

    // The same answer from every target (mutations aside): the wiring differs, the data does not.
    const sameAnswers: Record<string, boolean> = {};
    const probeDirect = (await directTokens())[0]!;
    for (const workload of workloads.filter((w) => !w.key.startsWith('mutation'))) {
      let first: unknown;
      for (const target of parameters.targets) {
        if (target === 'direct' && !workload.catalogOnly) continue;
        const token = target === 'direct' ? probeDirect : clientTokens[0]!;
        const data = (JSON.parse(await graphql(urls[target]!, token, workload.query, workload.variables[0]!)) as { data: unknown }).data;
        if (first === undefined) first = data;
        sameAnswers[`${workload.key}/${target}`] = isDeepStrictEqual(first, data);
      }
    }
    log(`same answers: ${JSON.stringify(sameAnswers)}`);
    const profiled = [...snapshot().procs.values()].filter((p) => p.ppid === roles!.child.pid).map((p) => p.pid).concat([...hivePids.keys()]);
    if (parameters.cpuProfileDir) {
      await mkdir(parameters.cpuProfileDir, { recursive: true });
      const names = profiled.map((pid) => `${pid} ${hivePids.get(pid) ?? supervisedRole(pid) ?? 'other'}`);
      log(`CPU profiles of the measured seconds go to ${parameters.cpuProfileDir}/<pid>.cpuprofile: ${names.join(', ')}`);
    }
    /** Starts or stops (and writes) the profiles of the measured seconds. */
    const toggleProfiles = () => {
      if (parameters.cpuProfileDir) for (const pid of profiled) signal(pid, 'SIGUSR2');
    };

    /** Which group a process belongs to while `target` is measured. */
    const groupOf = (target: TargetKey, loadPid: number) => (p: ProcSample): string | undefined => {
      if (p.pid === loadPid || p.ppid === loadPid) return 'load generator'; // its wrk too
      if (postmaster && (p.pid === postmaster || p.ppid === postmaster)) return 'PostgreSQL';
      if (p.pid === process.pid) return 'orchestrator';
      const hive = hivePids.get(p.pid);
      if (hive) return hive === target ? 'gateway' : 'idle gateways';
      if (p.ppid !== roles!.child.pid) return p.pid === roles!.child.pid ? 'supervisor' : undefined;
      const role = supervisedRole(p.pid) ?? 'other';
      if (role === 'gateway') return target === 'redthread' ? 'gateway' : 'idle gateways';
      return role;
    };

    const rounds: Round[] = [];
    toggleProfiles();
    for (let round = 1; round <= parameters.rounds; round += 1) {
      for (const workload of workloads) {
        const targets = parameters.targets.filter((t) => t !== 'direct' || workload.catalogOnly);
        const shift = (round - 1) % targets.length;
        for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
          const tokens = target === 'direct' ? await directTokens() : clientTokens;
          const result = await measure(target, workload, tokens, round);
          rounds.push(result);
          log(
            `round ${round} ${workload.key.padEnd(8)} ${target.padEnd(13)} ${String(result.requestsPerSecond).padStart(7)} req/s  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms  gateway ${perRequest(result, 'gateway')} CPU-ms/req${result.failures ? `  FAILURES ${result.failures}: ${result.firstFailure}` : ''}`,
          );
        }
      }
    }

    toggleProfiles();
    if (parameters.cpuProfileDir) await sleep(2000); // the profiles are written

    async function measure(target: TargetKey, workload: Workload, tokens: string[], round: number): Promise<Round> {
      const load = spawnTs(LOAD, {
        SCALE_LOAD: JSON.stringify({
          url: urls[target],
          tokens,
          query: workload.query,
          variables: workload.variables,
          concurrency: parameters.concurrency,
          warmup: parameters.warmup,
          requests: 0,
          seconds: parameters.seconds,
        }),
      });
      const lines = jsonLines(load, `load generator (${target} ${workload.key})`);
      const ready = (await lines.next()) as { warmupFailures: number; firstFailure?: string };
      if (ready.warmupFailures) log(`  warm-up: ${ready.warmupFailures} failures (${ready.firstFailure})`);
      const before = snapshot();
      load.stdin!.write('go\n');
      const measured = (await lines.next()) as LoadResult;
      const after = snapshot();
      load.stdin!.end();
      await exited(load);
      return { round, workload: workload.key, target, ...measured, cpuMs: roundValues(cpuByGroup(before, after, groupOf(target, load.pid!))) };
    }

    const summary = summarise(workloads, parameters.targets, rounds);
    const result = {
      benchmark: 'federation',
      at: new Date().toISOString(),
      machine: await machine(),
      parameters,
      wallSeconds: Math.round((Date.now() - benchStarted) / 1000),
      targets: Object.fromEntries(parameters.targets.map((t) => [t, TARGETS[t]])),
      sameAnswers,
      loadEngine: loadEngines(rounds),
      summary,
      rounds,
    };
    const markdown = renderMarkdown(result, workloads);
    const files = await writeResults('federation', result, markdown);
    log(`\n${markdown}\nwritten: ${files.join(', ')}`);
    const failures = rounds.reduce((n, r) => n + r.failures, 0);
    if (failures > 0) throw new Error(`${failures} requests failed`);
    if (Object.values(sameAnswers).some((same) => !same)) throw new Error(`the targets answered differently: ${JSON.stringify(sameAnswers)}`);
  } finally {
    for (const child of children) signal(child.pid!, 'SIGTERM');
    await Promise.all(children.map((child) => withTimeout(exited(child), 10_000, 'a Hive Gateway did not stop').catch(() => signal(child.pid!, 'SIGKILL'))));
    await roles?.stop();
    await db.close();
  }
}

/** The workloads asked for: reads page through real cursors; the mutation renames each identity's own product. */
async function buildWorkloads(keys: string[], gatewayUrl: string, token: string, adminUrl: string, identities: number): Promise<Workload[]> {
  const workloads: Workload[] = [];
  for (const key of keys) {
    if (key === 'me') workloads.push({ key, title: '`{ me { code name } }`', query: ME_QUERY, variables: [{}], catalogOnly: true });
    else if (key === 'products') {
      const variables = await collectCursors(gatewayUrl, token, { query: PRODUCTS_QUERY, page: 50 });
      workloads.push({ key, title: `\`products(first: 50)\` with owners (${variables.length} pages)`, query: PRODUCTS_QUERY, variables, catalogOnly: true });
    } else if (key === 'orders') {
      const variables = await collectCursors(gatewayUrl, token, { query: ORDERS_QUERY, page: 20 });
      workloads.push({ key, title: `\`orders(first: 20)\` with lines → product → owner (${variables.length} pages)`, query: ORDERS_QUERY, variables, catalogOnly: false });
    } else if (key === 'mutation') {
      // One product per identity (its own; load.ts pairs request i's token and variables), renamed each time.
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      const products = await admin`select id from catalog.products where sku_code like 'BENCH-%' order by sku_code limit ${identities}`;
      await admin.end();
      const variables = products.map((row, n) => ({ input: { id: row['id'] as string, name: `Bench item renamed by ${n}` } }));
      if (variables.length < identities) throw new Error(`the mutation needs ${identities} products, found ${variables.length}: raise --products`);
      workloads.push({ key, title: '`updateProduct(input: { id, name })` (a write: transaction, event, answer)', query: RENAME_MUTATION, variables, catalogOnly: true });
    } else throw new Error(`Unknown workload "${key}". Workloads: me, products, orders, mutation.`);
  }
  return workloads;
}

interface TargetSummary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  perRoundRequestsPerSecond: number[];
  cpuMsPerRequest: Record<string, number>;
  /** Derived from cpuMsPerRequest, not measured: see {@link cpuBound}. */
  cpuBoundRequestsPerSecond: number;
  failures: number;
}

/** Medians over the rounds per workload and target, and the ratios the issue asks for. */
function summarise(workloads: Workload[], targets: TargetKey[], rounds: Round[]) {
  return Object.fromEntries(
    workloads.map((workload) => {
      const byTarget: Partial<Record<TargetKey, TargetSummary>> = {};
      for (const target of targets) {
        const mine = rounds.filter((r) => r.workload === workload.key && r.target === target);
        if (!mine.length) continue;
        const requests = mine.reduce((n, r) => n + r.requests, 0);
        const groups = [...new Set(mine.flatMap((r) => Object.keys(r.cpuMs)))];
        byTarget[target] = {
          requestsPerSecond: median(mine.map((r) => r.requestsPerSecond)),
          p50Ms: median(mine.map((r) => r.latencyMs.p50)),
          p99Ms: median(mine.map((r) => r.latencyMs.p99)),
          perRoundRequestsPerSecond: mine.map((r) => r.requestsPerSecond),
          cpuMsPerRequest: Object.fromEntries(groups.map((g) => [g, r3(mine.reduce((n, r) => n + (r.cpuMs[g] ?? 0), 0) / requests)])),
          cpuBoundRequestsPerSecond: 0,
          failures: mine.reduce((n, r) => n + r.failures, 0),
        };
      }
      for (const summary of Object.values(byTarget)) summary.cpuBoundRequestsPerSecond = cpuBound(summary.cpuMsPerRequest, OWN_GROUPS);
      const ours = byTarget.redthread;
      const gatewayCpu = (t: TargetSummary | undefined) => t?.cpuMsPerRequest['gateway'];
      const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? r2(a / b) : undefined);
      return [
        workload.key,
        {
          title: workload.title,
          targets: byTarget,
          ratios: {
            gatewayCpuRedthreadToHive: ratio(gatewayCpu(ours), gatewayCpu(byTarget.hive)),
            gatewayCpuRedthreadToHiveDefaults: ratio(gatewayCpu(ours), gatewayCpu(byTarget['hive-defaults'])),
            p99RedthreadToDirect: ratio(ours?.p99Ms, byTarget.direct?.p99Ms),
            p99HiveToDirect: ratio(byTarget.hive?.p99Ms, byTarget.direct?.p99Ms),
            requestsPerSecondRedthreadToDirect: ratio(ours?.requestsPerSecond, byTarget.direct?.requestsPerSecond),
            requestsPerSecondRedthreadToHive: ratio(ours?.requestsPerSecond, byTarget.hive?.requestsPerSecond),
            // With the same requests in flight, mean latency is in flight ÷ req/s (Little's law): the
            // best mean-latency ratio the CPU costs allow is the inverse of their req/s bounds' ratio.
            cpuBoundLatencyRedthreadToDirect: ratio(byTarget.direct?.cpuBoundRequestsPerSecond, ours?.cpuBoundRequestsPerSecond),
          },
        },
      ];
    }),
  );
}

function renderMarkdown(result: { at: string; machine: unknown; parameters: Record<string, unknown>; loadEngine: string; sameAnswers: Record<string, boolean>; summary: ReturnType<typeof summarise>; wallSeconds: number; targets: Record<string, string> }, workloads: Workload[]): string {
  const p = result.parameters as { rounds: number; seconds: number; concurrency: number; identities: number; targets: TargetKey[] };
  const out: string[] = [
    '# federation',
    '',
    `${result.at} · ${JSON.stringify(result.machine)} · ${p.rounds} rounds × ${p.seconds} s per workload and target, ${p.concurrency} in flight over keep-alive connections, ${p.identities} distinct identities (SHOP-A users) in turn, measured requests sent by ${result.loadEngine} · ${result.wallSeconds} s in all`,
    '',
    'Every process on its own: the platform as `npm start` runs it (`--replicas 1`: gateway, four subgraphs, workers), Hive Gateway (the runtime of Hive Gateway 2.15, `@graphql-hive/gateway-runtime`, on node:http) twice beside it, the load generator. CPU-ms per request = utime + stime from /proc over the measured seconds ÷ requests; PostgreSQL = every backend of its postmaster. Medians over the rounds; targets take turns in an order that rotates each round.',
    '',
    '## Acceptance ratios',
    '',
    '| workload | gateway CPU Redthread ÷ Hive (goal ≤ 0.5) | ÷ Hive defaults | p99 via Redthread ÷ direct (goal ≤ 1.3) | p99 via Hive ÷ direct | req/s via Redthread ÷ direct | req/s Redthread ÷ Hive |',
    '|---|---|---|---|---|---|---|',
  ];
  const cell = (v: number | undefined) => (v === undefined ? '–' : `${v}`);
  for (const workload of workloads) {
    const s = result.summary[workload.key]!;
    const r = s.ratios;
    out.push(
      `| ${s.title} | **${cell(r.gatewayCpuRedthreadToHive)}** | ${cell(r.gatewayCpuRedthreadToHiveDefaults)} | **${cell(r.p99RedthreadToDirect)}** | ${cell(r.p99HiveToDirect)} | ${cell(r.requestsPerSecondRedthreadToDirect)} | ${cell(r.requestsPerSecondRedthreadToHive)} |`,
    );
  }
  const bounded = workloads.map((w) => result.summary[w.key]!).filter((s) => s.ratios.cpuBoundLatencyRedthreadToDirect !== undefined);
  if (bounded.length) {
    out.push(
      '',
      `Derived, not measured — the req/s each target's CPU-ms per request would allow with the ${cpus().length} cores to ourselves (all cores for the sum of the platform's processes, PostgreSQL and the load generator; one core for each Node process's JavaScript, though its collector and I/O threads can add a little), how much of that the measured req/s reached, and the latency ratio via Redthread ÷ direct the bounds imply: with ${p.concurrency} requests in flight either way, mean latency is ${p.concurrency} ÷ req/s (Little's law), and the p99 ratio follows it when both tails have the same shape. The direct call is bound by the catalog process's one core; the call through the gateway by both cores, shared by the gateway, the catalog and PostgreSQL, and it crosses two more process boundaries per request (a wake-up each).`,
      '',
      '| workload | via Redthread: bound req/s (measured ÷ bound) | direct: bound req/s (measured ÷ bound) | latency ratio via Redthread ÷ direct the bounds imply |',
      '|---|---|---|---|',
      ...bounded.map((s) => {
        const share = (t: TargetSummary) => `${t.cpuBoundRequestsPerSecond} (${t.cpuBoundRequestsPerSecond ? r2(t.requestsPerSecond / t.cpuBoundRequestsPerSecond) : '–'})`;
        return `| ${s.title} | ${share(s.targets.redthread!)} | ${share(s.targets.direct!)} | ${s.ratios.cpuBoundLatencyRedthreadToDirect} |`;
      }),
    );
  }
  for (const workload of workloads) {
    const s = result.summary[workload.key]!;
    const targets = Object.keys(s.targets) as TargetKey[];
    out.push('', `## ${s.title}`, '', '| target | req/s | p50 ms | p99 ms | req/s per round | failures |', '|---|---|---|---|---|---|');
    for (const target of targets) {
      const t = s.targets[target]!;
      out.push(`| ${result.targets[target]} | ${t.requestsPerSecond} | ${t.p50Ms} | ${t.p99Ms} | ${t.perRoundRequestsPerSecond.join(', ')} | ${t.failures} |`);
    }
    out.push('', 'CPU-ms per request by process:', '', `| process | ${targets.join(' | ')} |`, `|---|${targets.map(() => '---|').join('')}`);
    const groups = [...new Set(targets.flatMap((t) => Object.keys(s.targets[t]!.cpuMsPerRequest)))].sort((a, b) => groupRank(a) - groupRank(b) || a.localeCompare(b));
    for (const group of groups) out.push(`| ${group} | ${targets.map((t) => s.targets[t]!.cpuMsPerRequest[group] ?? '–').join(' | ')} |`);
  }
  const same = Object.entries(result.sameAnswers);
  out.push('', `Same data from every target for the first page of each read: ${same.every(([, v]) => v) ? 'yes' : `NO (${same.filter(([, v]) => !v).map(([k]) => k).join(', ')})`}.`, '');
  return out.join('\n');
}

/** The groups whose CPU a request costs (what the cores are shared by while a target is measured). */
const OWN_GROUPS = ['gateway', 'catalog', 'orders', 'inventory', 'finance', 'workers', 'supervisor', 'PostgreSQL', 'load generator'];

const GROUP_ORDER = ['gateway', 'catalog', 'orders', 'inventory', 'finance', 'workers', 'PostgreSQL', 'load generator'];
function groupRank(group: string): number {
  const index = GROUP_ORDER.indexOf(group);
  return index === -1 ? GROUP_ORDER.length : index;
}

function perRequest(round: Round, group: string): number {
  return r3((round.cpuMs[group] ?? 0) / Math.max(1, round.requests));
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
