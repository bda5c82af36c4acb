/**
 * What the multi-process benchmarks (bench/scale, bench/federation) share: child processes that
 * answer in JSON lines, the PostgreSQL postmaster to account its CPU, GraphQL calls, paging
 * cursors and the read workload's data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connectDatabase, inTenantTransaction, type Identity } from '@redthread/kit';
import { createChannel } from '@redthread/orders/services/channels';
import { placeOrder } from '@redthread/orders/services/intake';
import type { BenchDatabase } from './lib';
import { cmdline, snapshot } from './scale/procs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SHIP_TO = { line1: 'Scale 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' };

/** `productCount` products for SHOP-A (as bench/catalog-read does) and SHOP-A orders of 1–3 lines over them. */
export async function seedReadData(db: BenchDatabase, shopA: Identity, productCount: number, orderCount: number): Promise<void> {
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  await admin`insert into catalog.products (owner_partner_id, sku_code, name)
    select ${shopA.partnerId}, 'BENCH-' || lpad(n::text, 6, '0'), 'Bench item ' || n from generate_series(1, ${productCount}) n`;
  const products = (await admin`select id from catalog.products where sku_code like 'BENCH-%' order by sku_code`).map((r) => r['id'] as string);
  const app = connectDatabase(db.appUrl, { max: 1 });
  const channel = await inTenantTransaction(app.db, shopA, (tx) => createChannel(tx, shopA, { code: 'scale-reads', name: 'Scale reads', kind: 'API' }));
  if ('errorCode' in channel) throw new Error(`bench setup failed: ${channel.message}`);
  for (let batch = 0; batch < orderCount; batch += 25) {
    await inTenantTransaction(app.db, shopA, async (tx) => {
      for (let i = batch; i < Math.min(orderCount, batch + 25); i += 1) {
        const lines = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
          productId: products[(i * 3 + k) % products.length]!,
          quantity: 1 + k,
          unitPriceMinor: BigInt(990 + 100 * k),
        }));
        const placed = await placeOrder(tx, shopA, { channelId: channel.id, externalNumber: `SCALE-${i}`, currency: 'EUR', shipTo: SHIP_TO, lines });
        if ('errorCode' in placed) throw new Error(`bench setup failed: ${placed.message}`);
      }
    });
  }
  await app.close();
  await admin`analyze`;
  await admin.end();
}

/** The pid of the PostgreSQL postmaster, when it runs on this machine. */
export async function findPostmaster(adminUrl: string): Promise<number | undefined> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const [row] = await admin`select pg_backend_pid() as pid`;
  const backend = snapshot().procs.get(Number(row!['pid'])); // before the backend ends with the connection
  await admin.end();
  if (!backend || !/postgres/.test(cmdline(backend.ppid))) return undefined;
  return backend.ppid;
}

/** POSTs one GraphQL request; the response text, or an error naming the URL when it failed or had errors. */
export async function graphql(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { errors?: unknown };
  if (!response.ok || body.errors) throw new Error(`GraphQL error from ${url}: ${text.slice(0, 500)}`);
  return text;
}

/** Pages through the whole connection once, for real cursors (requests spread over every page). */
export async function collectCursors(url: string, token: string, workload: { query: string; page: number }): Promise<Record<string, unknown>[]> {
  const variables: Record<string, unknown>[] = [];
  let after: string | null = null;
  for (;;) {
    variables.push({ first: workload.page, after });
    const body = JSON.parse(await graphql(url, token, workload.query, { first: workload.page, after })) as {
      data: Record<string, { pageInfo: { hasNextPage: boolean; endCursor: string | null } }>;
    };
    const { pageInfo } = Object.values(body.data)[0]!;
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) break;
    after = pageInfo.endCursor;
  }
  // A short last page would be cheaper than the rest: leave it out when there are others.
  return variables.length > 1 ? variables.slice(0, -1) : variables;
}


/** What the load generator (bench/scale/load.ts) prints for its measured requests. */
export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  failures: number;
  firstFailure?: string;
  /** What sent the measured requests: `node` (bench/scale/load.ts itself) or wrk (bench/wrk.ts). */
  engine?: string;
}

/** What sent the measured requests of `rounds`, for a result's header. */
export function loadEngines(rounds: { engine?: string }[]): string {
  const names = [...new Set(rounds.map((r) => r.engine ?? 'node'))];
  return names.map((name) => (name === 'node' ? 'the Node load generator (bench/scale/load.ts)' : name)).join(' and ');
}

/** `node --import tsx <file>` with extra env; stdout piped (JSON lines), stderr passed on. */
export function spawnTs(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
}

/** Reads a child's stdout as JSON lines; `next()` rejects when it exits first. */
export function jsonLines(child: ChildProcess, label: string) {
  const queue: unknown[] = [];
  const waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  let ended: Error | undefined;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(value);
    else queue.push(value);
  });
  // Every line is delivered before 'close' (the child's stdout ended: it exited or is exiting).
  lines.on('close', () => {
    ended = new Error(`${label} ended its output (exit ${child.exitCode ?? child.signalCode ?? '?'}) before answering`);
    for (const waiter of waiting.splice(0)) waiter.reject(ended);
  });
  return {
    next: () =>
      new Promise<unknown>((resolve, reject) => {
        if (queue.length) return resolve(queue.shift());
        if (ended) return reject(ended);
        waiting.push({ resolve, reject });
      }),
  };
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}


/** Sends a signal unless the process is gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}


export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Every value rounded to a whole number (CPU-ms). */
export function roundValues(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Math.round(v)]));
}

/**
 * Derived, not measured: the req/s that CPU-ms per request (by process group) would allow if this
 * machine's cores were ours alone — all cores for the sum of `groups`, and for each group but
 * PostgreSQL (which runs a backend per connection) one core per process of it (a Node process
 * runs JavaScript on one core). `processes` says how many processes a group has (default 1).
 */
export function cpuBound(perRequestMs: Record<string, number>, groups: readonly string[], processes: (group: string) => number = () => 1): number {
  const cores = cpus().length;
  const total = groups.reduce((n, g) => n + (perRequestMs[g] ?? 0), 0);
  let bound = total > 0 ? (cores * 1000) / total : 0;
  for (const group of groups.filter((g) => g !== 'PostgreSQL')) {
    const ms = perRequestMs[group] ?? 0;
    if (ms > 0) bound = Math.min(bound, (Math.min(processes(group), cores) * 1000) / ms);
  }
  return Math.round(bound);
}
