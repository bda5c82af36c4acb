/**
 * scale: the platform in one Node process (today's in-process wiring, `startBenchPlatform`)
 * against the supervisor's one process per role (`scripts/start.ts --replicas N`), on this
 * machine, in one run. Read workloads (catalog list, federated orders with products) run in
 * interleaved rounds — in-process, multi N=1, multi N=2, in-process, ... — with every mode up
 * while another is measured, frozen (SIGSTOP, then SIGCONT before its own turn) so its pollers and
 * timers take no CPU from the one measured; then an order storm per mode, each alone (its workers
 * would otherwise share the event log's partitions), on fresh products. The load comes from a child
 * process (bench/scale/load.ts, bench/scale/storm.ts) and the in-process platform runs in one too
 * (bench/scale/in-process.ts): this process only starts, stops and samples /proc between rounds.
 *
 * Options: --rounds 3 --seconds 10 (per round, mode and workload; --seconds 0 --requests N for a
 * fixed count) --warmup 100 --concurrency 16 --replicas 1,2 --products 2000 --page 50 --orders 200
 * --order-page 20 --storm-orders 500 --storm-concurrency 32 --storm-products 3 --storm-stock 100
 * --idle freeze (the modes not measured: freeze | run: left running | stop: each mode started and
 * stopped around its turn) --settle 5 (seconds after a start, for the event consumers' backlog)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET, type Identity } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, machine, writeResults, type BenchDatabase } from '../lib';
import { startRoles, withTimeout } from '../roles';
import { collectCursors, cpuBound, exited, findPostmaster, graphql, jsonLines, loadEngines, median, type LoadResult, roundValues, seedReadData, signal, sleep, spawnTs } from '../harness';
import type { StormResult } from '../order-storm/index';
import { cmdline, cpuByGroup, isAlive, snapshot, supervisedRole, type CpuSnapshot, type ProcSample } from './procs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));

const CATALOG_QUERY = `query($first: Int!, $after: String) { products(first: $first, after: $after) {
  edges { node { id skuCode name unit status owner { code name } } } pageInfo { hasNextPage endCursor } } }`;
const ORDERS_QUERY = `query($first: Int!, $after: String) { orders(first: $first, after: $after) {
  edges { node { id externalNumber status lines { id quantity product { id name owner { code } } } } } pageInfo { hasNextPage endCursor } } }`;


interface Workload {
  key: 'catalog' | 'orders';
  title: string;
  query: string;
  page: number;
  variables: Record<string, unknown>[];
}

/** One way of running the platform, started or not. */
interface Mode {
  key: string;
  label: string;
  replicas: number | null;
  running?: RunningMode;
  /** The pids stopped with SIGSTOP while another mode is measured. */
  frozen?: number[];
  startMs: number[];
  stops: StopReport[];
  logs: { warnOrWorse: number; samples: string[]; summaries: Record<string, number> };
}

interface RunningMode {
  child: ChildProcess;
  graphqlUrl: string;
  /** Its processes: the in-process platform, or the supervisor. */
  rootPid: number;
}

interface StopReport {
  ms: number;
  exitCode: number | null;
  signal: string | null;
  /** Processes of the mode still alive 5 s after it exited (then killed): pid and command. */
  leftovers: string[];
}

interface RoundResult extends LoadResult {
  round: number;
  mode: string;
  workload: string;
  cpuMs: Record<string, number>;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      requests: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16' },
      replicas: { type: 'string', default: '1,2' },
      products: { type: 'string', default: '2000' },
      page: { type: 'string', default: '50' },
      orders: { type: 'string', default: '200' },
      'order-page': { type: 'string', default: '20' },
      'storm-orders': { type: 'string', default: '500' },
      'storm-concurrency': { type: 'string', default: '32' },
      'storm-products': { type: 'string', default: '3' },
      'storm-stock': { type: 'string', default: '100' },
      idle: { type: 'string', default: 'freeze' },
      settle: { type: 'string', default: '5' },
    },
  });
  const parameters = {
    rounds: Number(values.rounds),
    requests: Number(values.requests),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    concurrency: Number(values.concurrency),
    replicas: values.replicas.split(',').filter(Boolean).map(Number),
    productCount: Number(values.products),
    page: Number(values.page),
    readOrders: Number(values.orders),
    orderPage: Number(values['order-page']),
    stormOrders: Number(values['storm-orders']),
    stormConcurrency: Number(values['storm-concurrency']),
    stormProducts: Number(values['storm-products']),
    stormStock: Number(values['storm-stock']),
    idle: values.idle as 'freeze' | 'run' | 'stop',
    settleSeconds: Number(values.settle),
  };
  if (!['freeze', 'run', 'stop'].includes(parameters.idle)) throw new Error('--idle is freeze, run or stop');
  const log = (message: string) => process.stdout.write(`[scale] ${message}\n`);
  const benchStarted = Date.now();

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const modes: Mode[] = [
    { key: 'in-process', label: 'in-process (1 process)', replicas: null, startMs: [], stops: [], logs: { warnOrWorse: 0, samples: [], summaries: {} } },
    ...parameters.replicas.map((n) => ({
      key: `multi-${n}`,
      label: `multi-process, --replicas ${n} (${6 * n} role processes)`,
      replicas: n,
      startMs: [],
      stops: [],
      logs: { warnOrWorse: 0, samples: [], summaries: {} },
    })),
  ];
  const tempDirs: string[] = [];
  try {
    const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };
    await seedReadData(db, shopA, parameters.productCount, parameters.readOrders);
    log(`${parameters.productCount} products and ${parameters.readOrders} orders added to SHOP-A`);
    const postmaster = await findPostmaster(db.adminUrl);
    if (!postmaster) log('PostgreSQL does not run on this machine (DATABASE_URL): its CPU is not measured');
    const token = await mintDevToken({ partnerId: shopA.partnerId, partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);

    const start = async (mode: Mode) => {
      const t0 = Date.now();
      log(`starting ${mode.label}`);
      mode.running = mode.replicas === null ? await startInProcess(db, mode) : await startMulti(db, mode, mode.replicas, tempDirs);
      mode.startMs.push(Date.now() - t0);
      log(`  ${mode.key} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${mode.running.graphqlUrl}`);
      // Let its event consumers catch up with any backlog (the seeding's, the last storm's) first.
      await sleep(parameters.settleSeconds * 1000);
    };
    const freeze = (mode: Mode) => {
      if (!mode.running || mode.frozen) return;
      mode.frozen = [mode.running.rootPid, ...descendantsOf(mode.running.rootPid)];
      for (const pid of mode.frozen) signal(pid, 'SIGSTOP');
    };
    const resume = async (mode: Mode) => {
      if (!mode.frozen) return;
      for (const pid of mode.frozen) signal(pid, 'SIGCONT');
      mode.frozen = undefined;
      await sleep(1000); // its timers catch up before it is loaded
    };
    const stop = async (mode: Mode) => {
      if (!mode.running) return;
      await resume(mode); // a stopped process would not see SIGTERM
      const report = await stopMode(mode.running);
      mode.running = undefined;
      mode.stops.push(report);
      log(`  ${mode.key} stopped in ${report.ms} ms (exit ${report.exitCode ?? report.signal})${report.leftovers.length ? `; LEFT RUNNING (killed): ${report.leftovers.join('; ')}` : ''}`);
    };

    /** Which group a process belongs to while `measured` is measured. */
    const roleCache = new Map<number, string>();
    const groupOf = (measured: Mode, loadPid: number) => (p: ProcSample): string | undefined => {
      if (p.pid === loadPid || p.ppid === loadPid) return 'load generator'; // its wrk too
      if (postmaster && (p.pid === postmaster || p.ppid === postmaster)) return 'PostgreSQL';
      if (p.pid === process.pid) return 'orchestrator';
      for (const mode of modes) {
        const root = mode.running?.rootPid;
        if (!root || (p.pid !== root && p.ppid !== root)) continue;
        if (mode !== measured) return 'idle platforms';
        if (mode.replicas === null) return 'platform (one process)';
        if (p.pid === root) return 'supervisor';
        let role = roleCache.get(p.pid);
        if (!role) {
          role = supervisedRole(p.pid) ?? path.basename(cmdline(p.pid).split(' ')[0] ?? 'other');
          roleCache.set(p.pid, role);
        }
        return role;
      }
      return undefined;
    };

    // --- the read workloads, interleaved ---
    const workloads: Workload[] = [
      { key: 'catalog', title: `catalog list read: products(first: ${parameters.page}) with owners`, query: CATALOG_QUERY, page: parameters.page, variables: [] },
      { key: 'orders', title: `federated read: orders(first: ${parameters.orderPage}) with lines → product (name) → owner (code)`, query: ORDERS_QUERY, page: parameters.orderPage, variables: [] },
    ];
    const rounds: RoundResult[] = [];
    const sameAnswers: Record<string, boolean> = {};
    const firstPages = new Map<string, string>();
    let idleCpuMsPerSecond: Record<string, number> | undefined;
    if (parameters.idle !== 'stop') {
      for (const mode of modes) await start(mode);
      // What each mode costs doing nothing (pollers, lease heartbeats, timers), all of them up.
      const before = snapshot();
      await sleep(5000);
      const after = snapshot();
      const idleGroup = (p: ProcSample) => {
        if (postmaster && (p.pid === postmaster || p.ppid === postmaster)) return 'PostgreSQL';
        return modes.find((m) => m.running && (p.pid === m.running.rootPid || p.ppid === m.running.rootPid))?.key;
      };
      const spent = cpuByGroup(before, after, idleGroup);
      idleCpuMsPerSecond = Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, r1(v / ((after.at - before.at) / 1000))]));
      log(`idle CPU-ms per second: ${JSON.stringify(idleCpuMsPerSecond)}`);
    }
    for (let round = 1; round <= parameters.rounds; round += 1) {
      for (const mode of modes) {
        if (!mode.running) await start(mode);
        if (parameters.idle === 'freeze') {
          for (const other of modes) if (other !== mode) freeze(other);
          await resume(mode);
        }
        const url = mode.running!.graphqlUrl;
        for (const workload of workloads) {
          if (workload.variables.length === 0) {
            workload.variables = await collectCursors(url, token, workload);
            log(`  ${workload.key}: ${workload.variables.length} pages of ${workload.page}`);
          }
          // The same first page from every mode: the wiring changes, the answers do not.
          const first = await graphql(url, token, workload.query, workload.variables[0]!);
          const known = firstPages.get(workload.key);
          if (known === undefined) firstPages.set(workload.key, first);
          sameAnswers[`${workload.key}/${mode.key}`] = known === undefined || known === first;
        }
        for (const workload of workloads) {
          const result = await measureRound(mode, workload, round);
          rounds.push(result);
          log(
            `round ${round} ${mode.key.padEnd(10)} ${workload.key.padEnd(7)} ${String(result.requestsPerSecond).padStart(7)} req/s  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms${result.failures ? `  FAILURES ${result.failures}: ${result.firstFailure}` : ''}`,
          );
        }
        if (parameters.idle === 'stop') await stop(mode);
      }
    }

    async function measureRound(mode: Mode, workload: Workload, round: number): Promise<RoundResult> {
      const load = spawnTs(path.join(HERE, 'load.ts'), {
        SCALE_LOAD: JSON.stringify({
          url: mode.running!.graphqlUrl,
          token,
          query: workload.query,
          variables: workload.variables,
          concurrency: parameters.concurrency,
          warmup: parameters.warmup,
          requests: parameters.requests,
          seconds: parameters.seconds,
        }),
      });
      const lines = jsonLines(load, `load generator (${mode.key} ${workload.key})`);
      const ready = (await lines.next()) as { warmupFailures: number; firstFailure?: string };
      if (ready.warmupFailures) log(`  warm-up: ${ready.warmupFailures} failures (${ready.firstFailure})`);
      const before = snapshot();
      load.stdin!.write('go\n');
      const measured = (await lines.next()) as LoadResult;
      const after = snapshot();
      load.stdin!.end();
      await exited(load);
      return {
        round,
        mode: mode.key,
        workload: workload.key,
        ...measured,
        cpuMs: roundValues(cpuByGroup(before, after, groupOf(mode, load.pid!))),
      };
    }

    // --- the storm, once per mode, each alone on the event log ---
    const storms: Record<string, StormResult & { cpuMs: Record<string, number>; cpuMsPerOrder: Record<string, number>; freshStart: boolean }> = {};
    // The last mode measured first: it is still up, the others are stopped (and restarted in turn).
    for (const mode of [...modes].reverse()) {
      for (const other of modes) if (other !== mode) await stop(other);
      if (!mode.running) await start(mode);
      else {
        // Still up from the reads: its consumers take over the partitions the stopped ones handed back.
        await resume(mode);
        await sleep(parameters.settleSeconds * 1000);
      }
      log(`storm through ${mode.key}: ${parameters.stormOrders} orders, concurrency ${parameters.stormConcurrency}, ${parameters.stormProducts} products × ${parameters.stormStock}`);
      const child = spawnTs(path.join(HERE, 'storm.ts'), {
        SCALE_STORM: JSON.stringify({
          graphqlUrl: mode.running!.graphqlUrl,
          db: { adminUrl: db.adminUrl, appUrl: db.appUrl },
          round: `scale-${mode.key}`,
          orderCount: parameters.stormOrders,
          concurrency: parameters.stormConcurrency,
          productCount: parameters.stormProducts,
          stockPerProduct: parameters.stormStock,
        }),
      });
      const lines = jsonLines(child, `storm (${mode.key})`);
      await lines.next();
      await sleep(2000); // the workers take in the new products and stock receipt first
      const before = snapshot();
      child.stdin!.write('go\n');
      const result = (await lines.next()) as StormResult;
      const after = snapshot();
      await exited(child);
      const cpuMs = roundValues(cpuByGroup(before, after, groupOf(mode, child.pid!)));
      const cpuMsPerOrder = Object.fromEntries(Object.entries(cpuMs).map(([k, v]) => [k, Math.round((v / parameters.stormOrders) * 100) / 100]));
      storms[mode.key] = { ...result, cpuMs, cpuMsPerOrder, freshStart: mode.startMs.length > 1 || parameters.idle === 'stop' };
      log(
        `  ${result.ordersAllocatedPerSecond} orders/s allocated, lag p50 ${result.approvalToAllocationLagMs.p50} ms p99 ${result.approvalToAllocationLagMs.p99} ms, oversold ${result.invariants.oversold ? 'YES' : 'no'}, client errors ${result.clientErrors}`,
      );
    }
    for (const mode of modes) await stop(mode);

    // --- summary ---
    const summary = summarise(modes, workloads, rounds);
    const result = {
      benchmark: 'scale',
      at: new Date().toISOString(),
      machine: await machine(),
      parameters,
      wallSeconds: Math.round((Date.now() - benchStarted) / 1000),
      reads: summary,
      idleCpuMsPerSecond,
      sameAnswersInEveryMode: sameAnswers,
      loadEngine: loadEngines(rounds),
      storm: storms,
      lifecycle: Object.fromEntries(modes.map((m) => [m.key, { startMs: m.startMs, stops: m.stops, warnOrWorseLogLines: m.logs.warnOrWorse, logSummaries: m.logs.summaries, logSamples: m.logs.samples }])),
      rounds,
    };
    const markdown = renderMarkdown(result, modes, workloads);
    const files = await writeResults('scale', result, markdown);
    process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
    const failures = rounds.reduce((n, r) => n + r.failures, 0);
    const broken = Object.values(storms).some((s) => s.invariants.oversold || !s.invariants.ledgerBalanced);
    if (failures > 0) throw new Error(`${failures} read requests failed`);
    if (broken) throw new Error('storm invariant violated');
  } finally {
    for (const mode of modes) {
      if (!mode.running) continue;
      for (const pid of mode.frozen ?? []) signal(pid, 'SIGCONT');
      await stopMode(mode.running).catch(() => {});
    }
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
    await db.close();
  }
}

/** Keeps a platform's output: counts warn-or-worse log lines and keeps a few of them. */
function watchOutput(child: ChildProcess, mode: Mode, onLine?: (line: string) => void): void {
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      const level = /"level":(\d+)/.exec(line)?.[1];
      if ((level && Number(level) >= 40) || (!level && stream === child.stderr && line.trim() && !line.startsWith('[in-process]'))) {
        mode.logs.warnOrWorse += 1;
        const summary = summariseLogLine(line);
        if (mode.logs.samples.length < 8) mode.logs.samples.push(line.slice(0, 3000));
        if (mode.logs.summaries[summary] !== undefined || Object.keys(mode.logs.summaries).length < 8) mode.logs.summaries[summary] = (mode.logs.summaries[summary] ?? 0) + 1;
      }
    });
  }
}

/** `level component: msg (error type: the end of its message)` of a pino line; else the line. */
function summariseLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level: number; component?: string; msg?: string; err?: { type?: string; message?: string; code?: string } };
    const message = (entry.err?.message ?? '').replace(/\s+/g, ' ').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
    const err = entry.err ? ` (${entry.err.type ?? 'error'}${entry.err.code ? ` ${entry.err.code}` : ''}: …${message.slice(-120)})` : '';
    return `${entry.level >= 50 ? 'error' : 'warn'} ${entry.component ?? ''}: ${entry.msg ?? ''}${err}`;
  } catch {
    return line.slice(0, 200);
  }
}

async function startInProcess(db: BenchDatabase, mode: Mode): Promise<RunningMode> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'in-process.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      SCALE_DB: JSON.stringify({ adminUrl: db.adminUrl, appUrl: db.appUrl, workerUrl: db.workerUrl, authUrl: db.authUrl }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ready = new Promise<RunningMode>((resolve, reject) => {
    watchOutput(child, mode, (line) => {
      if (!line.startsWith('{"ready"')) return;
      const { graphqlUrl } = JSON.parse(line) as { graphqlUrl: string };
      resolve({ child, graphqlUrl, rootPid: child.pid! });
    });
    child.once('exit', (code) => reject(new Error(`the in-process platform exited (${code}) while starting: ${mode.logs.samples.join('\n')}`)));
  });
  return withTimeout(ready, 120_000, 'the in-process platform did not start within 120 s');
}

async function startMulti(db: BenchDatabase, mode: Mode, replicas: number, tempDirs: string[]): Promise<RunningMode> {
  const roles = await startRoles(db, replicas, { onSpawn: (child) => watchOutput(child, mode) });
  tempDirs.push(roles.dataDir);
  return { child: roles.child, graphqlUrl: roles.graphqlUrl, rootPid: roles.child.pid! };
}

/** SIGTERM, then waits (SIGKILL after 20 s); reports how long it took and any process left behind. */
async function stopMode(running: RunningMode): Promise<StopReport> {
  const descendants = descendantsOf(running.rootPid);
  const t0 = Date.now();
  const done = exited(running.child);
  running.child.kill('SIGTERM');
  const killer = setTimeout(() => running.child.kill('SIGKILL'), 20_000);
  await done;
  clearTimeout(killer);
  const ms = Date.now() - t0;
  const commands = new Map(descendants.map((pid) => [pid, cmdline(pid)]));
  for (let waited = 0; waited < 5000 && descendants.some(isAlive); waited += 250) await sleep(250);
  const leftovers = descendants.filter(isAlive);
  for (const pid of leftovers) signal(pid, 'SIGKILL');
  return { ms, exitCode: running.child.exitCode, signal: running.child.signalCode, leftovers: leftovers.map((pid) => `${pid} ${commands.get(pid)}`) };
}

function descendantsOf(root: number, from: CpuSnapshot = snapshot()): number[] {
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const p of from.procs.values()) {
      if (p.ppid === pid) {
        found.push(p.pid);
        walk(p.pid);
      }
    }
  };
  walk(root);
  return found;
}



const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;

/** Per workload and mode: medians over the rounds, ratios against in-process, CPU-ms per request. */
function summarise(modes: Mode[], workloads: Workload[], rounds: RoundResult[]) {
  return Object.fromEntries(
    workloads.map((workload) => {
      const byMode = Object.fromEntries(
        modes.map((mode) => {
          const mine = rounds.filter((r) => r.workload === workload.key && r.mode === mode.key);
          const requests = mine.reduce((n, r) => n + r.requests, 0);
          const cpu: Record<string, number> = {};
          for (const r of mine) for (const [group, ms] of Object.entries(r.cpuMs)) cpu[group] = (cpu[group] ?? 0) + ms;
          const seconds = mine.reduce((n, r) => n + r.seconds, 0);
          return [
            mode.key,
            {
              requestsPerSecond: r1(median(mine.map((r) => r.requestsPerSecond))),
              p50Ms: r2(median(mine.map((r) => r.latencyMs.p50))),
              p99Ms: r2(median(mine.map((r) => r.latencyMs.p99))),
              perRoundRequestsPerSecond: mine.map((r) => r.requestsPerSecond),
              failures: mine.reduce((n, r) => n + r.failures, 0),
              cpuMsPerRequest: Object.fromEntries(Object.entries(cpu).map(([group, ms]) => [group, r2(ms / Math.max(1, requests))])),
              cpuBoundRequestsPerSecond: modeBound(mode, cpu, requests),
              /** Share of the machine's 2 (or n) cores busy during the rounds, all processes. */
              machineBusyShare: r2((cpu['machine (all processes)'] ?? 0) / (seconds * 1000 * (navigatorCpus() || 1))),
              /** Share of the machine other people's processes took during the rounds (noise). */
              othersShare: r2((cpu['others on the machine'] ?? 0) / (seconds * 1000 * (navigatorCpus() || 1))),
            },
          ];
        }),
      );
      const base = byMode['in-process']!;
      const ratios = Object.fromEntries(
        modes
          .filter((m) => m.key !== 'in-process')
          .map((m) => {
            const s = byMode[m.key]!;
            return [m.key, { requestsPerSecond: r2(s.requestsPerSecond / base.requestsPerSecond), p50: r2(s.p50Ms / base.p50Ms), p99: r2(s.p99Ms / base.p99Ms) }];
          }),
      );
      return [workload.key, { title: workload.title, pages: workload.variables.length, modes: byMode, ratioToInProcess: ratios }];
    }),
  );
}

/** Groups of a mode's own processes (what competes for the cores while it is measured). */
const OWN_GROUPS = ['platform (one process)', 'gateway', 'catalog', 'orders', 'inventory', 'finance', 'workers', 'supervisor', 'PostgreSQL', 'load generator'];

/** Derived, not measured: {@link cpuBound} of a mode's CPU-ms per request, each role with the mode's replicas. */
function modeBound(mode: Mode, cpu: Record<string, number>, requests: number): number {
  const perRequest = Object.fromEntries(OWN_GROUPS.map((g) => [g, (cpu[g] ?? 0) / Math.max(1, requests)]));
  return cpuBound(perRequest, OWN_GROUPS, (group) => (mode.replicas !== null && !['supervisor', 'load generator'].includes(group) ? mode.replicas : 1));
}

function navigatorCpus(): number {
  return cpus().length;
}

const GROUP_ORDER = [
  'platform (one process)',
  'gateway',
  'catalog',
  'orders',
  'inventory',
  'finance',
  'workers',
  'supervisor',
  'PostgreSQL',
  'load generator',
  'idle platforms',
  'orchestrator',
  'others on the machine',
  'machine (all processes)',
];

/** The groups present in any of `records`, known ones in GROUP_ORDER first (others, e.g. esbuild, before the machine totals). */
function orderedGroups(records: Record<string, number>[]): string[] {
  const present = new Set(records.flatMap((record) => Object.keys(record)));
  const known = GROUP_ORDER.filter((g) => present.has(g));
  const unknown = [...present].filter((g) => !GROUP_ORDER.includes(g));
  return [...known.slice(0, -2), ...unknown, ...known.slice(-2)];
}

function renderMarkdown(result: Record<string, unknown> & { reads: ReturnType<typeof summarise> }, modes: Mode[], workloads: Workload[]): string {
  const r = result as unknown as {
    at: string;
    machine: unknown;
    wallSeconds: number;
    parameters: Record<string, unknown> & { rounds: number; requests: number; seconds: number; warmup: number; concurrency: number; idle: 'freeze' | 'run' | 'stop'; stormOrders: number; stormConcurrency: number; stormProducts: number; stormStock: number; productCount: number; readOrders: number };
    sameAnswersInEveryMode: Record<string, boolean>;
    loadEngine: string;
    idleCpuMsPerSecond?: Record<string, number>;
    storm: Record<string, StormResult & { cpuMsPerOrder: Record<string, number>; freshStart: boolean }>;
  };
  const p = r.parameters;
  const out: string[] = [];
  out.push('# scale', '', `${r.at} · ${JSON.stringify(r.machine)} · whole run ${r.wallSeconds} s`, '');
  out.push(
    `In-process: the whole platform in one Node process (\`startBenchPlatform\`). Multi-process: \`scripts/start.ts --replicas N\` (gateway, 4 subgraphs, workers: N processes each via node:cluster, plus the supervisor). ` +
      `Reads: ${p.rounds} interleaved rounds × ${p.seconds > 0 ? `${p.seconds} s` : `${p.requests} requests`} per mode and workload after ${p.warmup} warm-up requests, concurrency ${p.concurrency}, keep-alive, from a separate load-generator process (measured requests sent by ${r.loadEngine}); ` +
      `${{ freeze: 'every mode stays up while another is measured, frozen with SIGSTOP (SIGCONT 1 s before its own warm-up)', run: 'every mode stays up, idle, while another is measured', stop: 'each mode started and stopped around its turn' }[p.idle]}. ` +
      `SHOP-A has ${p.productCount} extra products and ${p.readOrders} extra orders (1–3 lines). Figures are medians over the rounds; ratios are multi ÷ in-process.`,
    '',
  );
  const multis = modes.filter((m) => m.replicas !== null);
  const readRatios = workloads.flatMap((wl) => multis.map((m) => `${wl.key} ${m.key} ${result.reads[wl.key]!.ratioToInProcess[m.key]?.requestsPerSecond}×`));
  const stormLag = multis.map((m) => {
    const s = r.storm[m.key];
    const b = r.storm['in-process'];
    return s && b ? `${m.key} p50 ${r2(s.approvalToAllocationLagMs.p50 / b.approvalToAllocationLagMs.p50)}× / p99 ${r2(s.approvalToAllocationLagMs.p99 / b.approvalToAllocationLagMs.p99)}×` : `${m.key} –`;
  });
  out.push(`**Against the goal** (reads ≥ 1.6× in-process; storm lag not worse): reads ${readRatios.join(', ')}; storm approval → allocation lag ÷ in-process: ${stormLag.join(', ')}.`, '');
  for (const workload of workloads) {
    const w = result.reads[workload.key]!;
    out.push(`## ${w.title}`, '', `${w.pages} pages with real cursors, cycled.`, '');
    out.push('| mode | req/s | p50 ms | p99 ms | req/s ÷ in-process | p50 ÷ | p99 ÷ | req/s per round | machine busy (others) | failures |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const mode of modes) {
      const s = w.modes[mode.key]!;
      const ratio = w.ratioToInProcess[mode.key];
      out.push(
        `| ${mode.label} | ${s.requestsPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${ratio ? `**${ratio.requestsPerSecond}×**` : '1'} | ${ratio ? ratio.p50 : 1} | ${ratio ? ratio.p99 : 1} | ${s.perRoundRequestsPerSecond.join(', ')} | ${Math.round(s.machineBusyShare * 100)} % (${Math.round(s.othersShare * 100)} %) | ${s.failures} |`,
      );
    }
    out.push('', 'CPU-ms per request, by process group (utime + stime from /proc over the measured rounds ÷ requests; PostgreSQL = every backend of its postmaster):', '');
    out.push(`| process group | ${modes.map((m) => m.key).join(' | ')} |`, `|---|${modes.map(() => '---|').join('')}`);
    const groups = orderedGroups(modes.map((m) => w.modes[m.key]!.cpuMsPerRequest));
    const ours = (mode: Mode) => OWN_GROUPS.reduce((n, g) => n + (w.modes[mode.key]!.cpuMsPerRequest[g] ?? 0), 0);
    for (const group of groups) out.push(`| ${group} | ${modes.map((m) => w.modes[m.key]!.cpuMsPerRequest[group] ?? '–').join(' | ')} |`);
    out.push(`| **measured platform + PostgreSQL + load generator** | ${modes.map((m) => `**${r2(ours(m))}**`).join(' | ')} |`, '');
    const bounds = modes.map((m) => w.modes[m.key]!.cpuBoundRequestsPerSecond);
    out.push(
      `Derived, not measured — req/s these CPU-ms per request would allow with the ${navigatorCpus()} cores to ourselves (all cores for the bold sum, one core per Node process for each role): ${modes
        .map((m, i) => `${m.key} ${bounds[i]}${i > 0 && bounds[0] ? ` (${r2(bounds[i]! / bounds[0])}×)` : ''}`)
        .join(', ')}.`,
      '',
    );
  }
  const same = Object.entries(r.sameAnswersInEveryMode);
  out.push(`Same first page from every mode: ${same.every(([, v]) => v) ? 'yes' : `NO (${same.filter(([, v]) => !v).map(([k]) => k).join(', ')})`}.`, '');
  if (r.idleCpuMsPerSecond) {
    out.push(
      `Idle cost, all modes up and nothing asked of them (CPU-ms per second over 5 s; 1000 = one core): ${Object.entries(r.idleCpuMsPerSecond)
        .filter(([k]) => k !== 'machine (all processes)')
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
    );
  }

  out.push('## order storm', '');
  out.push(
    `${p.stormOrders} single-unit orders over ${p.stormProducts} fresh products with ${p.stormStock} units each, concurrency ${p.stormConcurrency}, through the gateway (place, review, finance-approve; the workers allocate through the event log); once per mode, with only that mode running, in the order ${[...modes].reverse().map((m) => `${m.key}${r.storm[m.key]?.freshStart ? ' (fresh start)' : ' (up since the reads)'}`).join(', ')}.`,
    '',
  );
  out.push(
    '| mode | orders/s allocated | per-order latency p50 / p99 ms | approval → allocation lag p50 / p99 ms | lag p50 / p99 ÷ in-process | allocated / backordered | oversold | ledger balanced | client errors |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  const baseStorm = r.storm['in-process'];
  for (const mode of modes) {
    const s = r.storm[mode.key];
    if (!s) continue;
    out.push(
      `| ${mode.label} | ${s.ordersAllocatedPerSecond} | ${s.intakeLatencyMs.p50} / ${s.intakeLatencyMs.p99} | ${s.approvalToAllocationLagMs.p50} / ${s.approvalToAllocationLagMs.p99} | ${baseStorm ? `${r2(s.approvalToAllocationLagMs.p50 / baseStorm.approvalToAllocationLagMs.p50)} / ${r2(s.approvalToAllocationLagMs.p99 / baseStorm.approvalToAllocationLagMs.p99)}` : '–'} | ${s.invariants.allocatedUnits} / ${s.statuses['BACKORDERED'] ?? 0} | ${s.invariants.oversold ? 'YES' : 'no'} | ${s.invariants.ledgerBalanced ? 'yes' : 'NO'} | ${s.clientErrors} |`,
    );
  }
  out.push('', 'Where the lag goes (p50 / p99 ms):', '', '| mode | approval → fulfilment requested | → allocated (allocation consumer) | → order status (orders chain consumer) |', '|---|---|---|---|');
  for (const mode of modes) {
    const s = r.storm[mode.key];
    if (!s) continue;
    const st = s.lagStagesMs;
    out.push(
      `| ${mode.key} | ${st.approvedToFulfilmentRequested.p50} / ${st.approvedToFulfilmentRequested.p99} | ${st.fulfilmentRequestedToAllocated.p50} / ${st.fulfilmentRequestedToAllocated.p99} | ${st.allocatedToOrderStatus.p50} / ${st.allocatedToOrderStatus.p99} |`,
    );
  }
  out.push('', 'CPU-ms per order during the storm, by process group:', '', `| process group | ${modes.map((m) => m.key).join(' | ')} |`, `|---|${modes.map(() => '---|').join('')}`);
  for (const group of orderedGroups(modes.map((m) => r.storm[m.key]?.cpuMsPerOrder ?? {}))) {
    out.push(`| ${group === 'load generator' ? 'storm client' : group} | ${modes.map((m) => r.storm[m.key]?.cpuMsPerOrder[group] ?? '–').join(' | ')} |`);
  }

  out.push('', '## lifecycle', '', '| mode | start → ready s | stop s (exit) | processes left running | warn+ log lines |', '|---|---|---|---|---|');
  for (const mode of modes) {
    out.push(
      `| ${mode.key} | ${mode.startMs.map((ms) => r1(ms / 1000)).join(', ')} | ${mode.stops.map((s) => `${r1(s.ms / 1000)} (${s.exitCode ?? s.signal})`).join(', ')} | ${mode.stops.flatMap((s) => s.leftovers).length} | ${mode.logs.warnOrWorse} |`,
    );
  }
  const samples = modes.flatMap((m) => Object.entries(m.logs.summaries).map(([line, n]) => `- ${m.key}, ${n}×: \`${line.replace(/`/g, "'")}\``));
  if (samples.length) out.push('', 'Distinct warn-or-worse log lines (the first ones are in the JSON):', '', ...samples);
  const leftovers = modes.flatMap((m) => m.stops.flatMap((s) => s.leftovers.map((l) => `- ${m.key}: ${l}`)));
  if (leftovers.length) out.push('', 'Processes still alive 5 s after their mode exited (killed):', '', ...leftovers);
  out.push('');
  return out.join('\n');
}
