/**
 * catalog-read: how fast a partner pages through its catalog through the whole stack
 * (client → gateway → catalog subgraph → PostgreSQL under RLS), against the same service SQL
 * issued directly in a tenant transaction (no GraphQL, no HTTP) as the baseline, in interleaved
 * rounds in one run.
 *
 * Targets:
 * - `gateway`: the platform as `npm start` runs it (`scripts/start.ts --replicas N`, one process
 *   per role), the deployed topology;
 * - `in-process`: the wiring the tests use (gateway and subgraphs on one event loop, here the
 *   orchestrator's), for reference;
 * - `sql`: the baseline, ./sql-load.ts in a process of its own.
 * The HTTP load comes from bench/scale/load.ts in a process of its own, each request with one of
 * `--identities` SHOP-A users; every load process speaks bench/load-protocol.ts. Per round and
 * target: req/s, p50/p99 and CPU-ms per request of each process (load, gateway, catalog,
 * PostgreSQL, ...) from /proc. Targets take turns in an order that rotates every round; the ratio
 * the issue asks for is the median req/s through the gateway ÷ the median of the baseline.
 *
 * Options: --rounds 5 --seconds 6 --warmup 200 --concurrency 16 --identities 16 --products 2000
 * --page 50 --replicas 1 --targets gateway,in-process,sql
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { DEV_JWT_SECRET, type Identity } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, machine, startBenchPlatform, writeResults } from '../lib';
import { startRoles } from '../roles';
import { collectCursors, exited, findPostmaster, jsonLines, loadEngines, median, roundValues, seedReadData, spawnTs, type LoadResult } from '../harness';
import { cpuByGroup, snapshot, supervisedRole, type ProcSample } from '../scale/procs';

const HTTP_LOAD = fileURLToPath(new URL('../scale/load.ts', import.meta.url));
const SQL_LOAD = fileURLToPath(new URL('./sql-load.ts', import.meta.url));

const QUERY = `query($first: Int!, $after: String) { products(first: $first, after: $after) {
  edges { node { id skuCode name unit status owner { code name } } } pageInfo { hasNextPage endCursor } } }`;

type TargetKey = 'gateway' | 'in-process' | 'sql';
const TARGETS: Record<TargetKey, string> = {
  gateway: 'client → gateway → catalog → PostgreSQL, one process per role (`npm start`)',
  'in-process': 'the same, gateway and subgraphs in one process (the tests’ wiring)',
  sql: 'the same service SQL in a tenant transaction, no GraphQL (baseline)',
};

interface Round extends LoadResult {
  round: number;
  target: TargetKey;
  cpuMs: Record<string, number>;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '16' },
      identities: { type: 'string', default: '16' },
      products: { type: 'string', default: '2000' },
      page: { type: 'string', default: '50' },
      replicas: { type: 'string', default: '1' },
      targets: { type: 'string', default: 'gateway,in-process,sql' },
    },
  });
  const parameters = {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    warmup: Number(values.warmup),
    concurrency: Number(values.concurrency),
    identities: Number(values.identities),
    productCount: Number(values.products),
    page: Number(values.page),
    replicas: Number(values.replicas),
    targets: values.targets.split(',') as TargetKey[],
  };
  const unknownTarget = parameters.targets.find((t) => !(t in TARGETS));
  if (unknownTarget) throw new Error(`Unknown target "${unknownTarget}". Targets: ${Object.keys(TARGETS).join(', ')}.`);
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value === 'number' && !(Number.isInteger(value) && value >= (name === 'warmup' ? 0 : 1))) {
      throw new Error(`--${name === 'productCount' ? 'products' : name} must be a whole number${name === 'warmup' ? '' : ' above 0'}, got ${value}`);
    }
  }
  const log = (message: string) => process.stdout.write(`[catalog-read] ${message}\n`);
  const benchStarted = Date.now();

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const children: ChildProcess[] = [];
  let roles: Awaited<ReturnType<typeof startRoles>> | undefined;
  let inProcess: Awaited<ReturnType<typeof startBenchPlatform>> | undefined;
  try {
    const shopA: Identity = { subject: 'bench', partnerId: demoPartnerId('SHOP-A'), roles: ['admin'] };
    await seedReadData(db, shopA, parameters.productCount, 0);
    log(`${parameters.productCount} products added to SHOP-A`);
    const tokens = await Promise.all(
      Array.from({ length: parameters.identities }, (_, n) =>
        mintDevToken({ partnerId: shopA.partnerId, partnerCode: 'SHOP-A', subject: `dev:SHOP-A/bench-${n}`, ttl: '2h' }, DEV_JWT_SECRET),
      ),
    );
    const postmaster = await findPostmaster(db.adminUrl);

    const urls: Partial<Record<TargetKey, string>> = {};
    if (parameters.targets.includes('gateway')) {
      log(`starting the platform, one process per role, --replicas ${parameters.replicas}`);
      roles = await startRoles(db, parameters.replicas);
      urls.gateway = roles.graphqlUrl;
    }
    if (parameters.targets.includes('in-process')) {
      inProcess = await startBenchPlatform(db);
      urls['in-process'] = inProcess.gateway.graphqlUrl;
    }
    const anyUrl = urls.gateway ?? urls['in-process'];
    if (!anyUrl) throw new Error('--targets needs gateway or in-process beside sql: the pages are collected through the gateway');
    // Real cursors, so requests spread over the whole catalog (the short last page left out).
    const pages = (await collectCursors(anyUrl, tokens[0]!, { query: QUERY, page: parameters.page })) as { first: number; after: string | null }[];
    log(`${pages.length} pages of ${parameters.page}`);

    const groupOf = (loadPid: number) => (p: ProcSample): string | undefined => {
      if (p.pid === loadPid || p.ppid === loadPid) return 'load'; // its wrk too
      if (postmaster && (p.pid === postmaster || p.ppid === postmaster)) return 'PostgreSQL';
      if (p.pid === process.pid) return inProcess ? 'orchestrator (the in-process platform)' : 'orchestrator';
      if (roles && p.pid === roles.child.pid) return 'supervisor';
      if (roles && p.ppid === roles.child.pid) {
        const role = supervisedRole(p.pid) ?? 'other';
        return role === 'gateway' || role === 'catalog' ? role : 'other roles';
      }
      return undefined;
    };

    const measure = async (target: TargetKey, round: number): Promise<Round> => {
      const shape = { concurrency: parameters.concurrency, warmup: parameters.warmup, requests: 0, seconds: parameters.seconds };
      const load =
        target === 'sql'
          ? spawnTs(SQL_LOAD, { CATALOG_SQL_LOAD: JSON.stringify({ ...shape, appUrl: db.appUrl, identity: shopA, pages }) })
          : spawnTs(HTTP_LOAD, { SCALE_LOAD: JSON.stringify({ ...shape, url: urls[target], tokens, query: QUERY, variables: pages }) });
      children.push(load);
      const lines = jsonLines(load, `load (${target})`);
      const ready = (await lines.next()) as { warmupFailures: number; firstFailure?: string };
      if (ready.warmupFailures) throw new Error(`${target}: ${ready.warmupFailures} warm-up requests failed: ${ready.firstFailure}`);
      const before = snapshot();
      load.stdin!.write('go\n');
      const measured = (await lines.next()) as LoadResult;
      const after = snapshot();
      load.stdin!.end();
      await exited(load);
      return { round, target, ...measured, cpuMs: roundValues(cpuByGroup(before, after, groupOf(load.pid!))) };
    };

    const rounds: Round[] = [];
    const targets = parameters.targets;
    for (let round = 1; round <= parameters.rounds; round += 1) {
      const shift = (round - 1) % targets.length;
      for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
        const result = await measure(target, round);
        rounds.push(result);
        log(
          `round ${round} ${target.padEnd(10)} ${String(result.requestsPerSecond).padStart(7)} req/s  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms${result.failures ? `  FAILURES ${result.failures}: ${result.firstFailure}` : ''}`,
        );
      }
    }

    const summary = Object.fromEntries(
      targets.map((target) => {
        const mine = rounds.filter((r) => r.target === target);
        const requests = mine.reduce((n, r) => n + r.requests, 0);
        const groups = [...new Set(mine.flatMap((r) => Object.keys(r.cpuMs)))];
        return [
          target,
          {
            requestsPerSecond: median(mine.map((r) => r.requestsPerSecond)),
            perRoundRequestsPerSecond: mine.map((r) => r.requestsPerSecond),
            p50Ms: median(mine.map((r) => r.latencyMs.p50)),
            p99Ms: median(mine.map((r) => r.latencyMs.p99)),
            cpuMsPerRequest: Object.fromEntries(groups.map((g) => [g, Math.round((mine.reduce((n, r) => n + (r.cpuMs[g] ?? 0), 0) / requests) * 1000) / 1000])),
            failures: mine.reduce((n, r) => n + r.failures, 0),
          },
        ];
      }),
    ) as Record<TargetKey, { requestsPerSecond: number; perRoundRequestsPerSecond: number[]; p50Ms: number; p99Ms: number; cpuMsPerRequest: Record<string, number>; failures: number }>;
    const ratio = (target: TargetKey) =>
      summary[target] && summary.sql ? Math.round((summary[target].requestsPerSecond / summary.sql.requestsPerSecond) * 100) / 100 : undefined;
    const result = {
      benchmark: 'catalog-read',
      at: new Date().toISOString(),
      machine: await machine(),
      parameters: { ...parameters, pages: pages.length },
      wallSeconds: Math.round((Date.now() - benchStarted) / 1000),
      targets: Object.fromEntries(targets.map((t) => [t, TARGETS[t]])),
      ratios: { gatewayToSql: ratio('gateway'), inProcessToSql: ratio('in-process') },
      // The SQL baseline is its own load: its JS is what it measures.
      loadEngine: loadEngines(rounds.filter((r) => r.target !== 'sql')),
      summary,
      rounds,
    };
    const markdown = renderMarkdown(result);
    const files = await writeResults('catalog-read', result, markdown);
    process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
    const failures = rounds.reduce((n, r) => n + r.failures, 0);
    if (failures > 0) throw new Error(`${failures} requests failed`);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await inProcess?.stop();
    await roles?.stop();
    await db.close();
  }
}

function renderMarkdown(result: {
  at: string;
  machine: Record<string, unknown>;
  parameters: { rounds: number; seconds: number; concurrency: number; identities: number; productCount: number; page: number; replicas: number; pages: number; targets: TargetKey[] };
  wallSeconds: number;
  loadEngine: string;
  ratios: { gatewayToSql?: number; inProcessToSql?: number };
  summary: Record<TargetKey, { requestsPerSecond: number; perRoundRequestsPerSecond: number[]; p50Ms: number; p99Ms: number; cpuMsPerRequest: Record<string, number>; failures: number }>;
}): string {
  const p = result.parameters;
  const targets = p.targets;
  const groups = [...new Set(targets.flatMap((t) => Object.keys(result.summary[t].cpuMsPerRequest)))].sort();
  const fmt = (v: number | undefined) => (v === undefined ? '–' : String(v));
  return `# catalog-read

${result.at} · ${JSON.stringify(result.machine)} · ${p.rounds} rounds × ${p.seconds} s per target, ${p.concurrency} in flight, ${p.identities} SHOP-A users in turn, HTTP requests sent by ${result.loadEngine} · ${result.wallSeconds} s in all

\`products(first: ${p.page})\` with owners over ${p.pages} pages of ${p.productCount} products. The platform runs as \`npm start\` runs it (\`--replicas ${p.replicas}\`: gateway, four subgraphs, workers, each its own process); the load and the SQL baseline run in processes of their own. Medians over the rounds; targets take turns in an order that rotates each round.

**Through the gateway ÷ direct SQL: ${fmt(result.ratios.gatewayToSql)}** (goal ≥ 0.5)${result.ratios.inProcessToSql !== undefined ? ` · in-process ÷ direct SQL: ${result.ratios.inProcessToSql}` : ''}

| target | req/s | p50 ms | p99 ms | req/s per round | failures |
|---|---|---|---|---|---|
${targets.map((t) => { const s = result.summary[t]; return `| ${TARGETS[t]} | ${s.requestsPerSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.perRoundRequestsPerSecond.join(', ')} | ${s.failures} |`; }).join('\n')}

CPU-ms per request by process (utime + stime from /proc over the measured seconds ÷ requests):

| process | ${targets.join(' | ')} |
|---|${targets.map(() => '---|').join('')}
${groups.map((g) => `| ${g} | ${targets.map((t) => fmt(result.summary[t].cpuMsPerRequest[g])).join(' | ')} |`).join('\n')}
`;
}
