import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  APP_ROLE,
  AUTH_ROLE,
  WORKER_ROLE,
  dropDatabase,
  ensureDatabase,
  migrateDatabase,
  startEmbeddedPostgres,
  withDatabase,
  withRole,
} from '@redthread/kit/devdb';
import { DEV_DB_PASSWORDS, DEV_INTERNAL_SECRET, DEV_JWT_SECRET } from '@redthread/kit';
import { DEFAULT_LIMITS, DEFAULT_MAX_BODY_BYTES, startPlatform, type PlatformConfig, type RunningPlatform } from '../scripts/lib/platform';
import { seedDemoWorld } from '../scripts/demo/world';

/** A throw-away database with the demo world, for one benchmark run. */
export interface BenchDatabase {
  adminUrl: string;
  appUrl: string;
  workerUrl: string;
  authUrl: string;
  close(): Promise<void>;
}

/** Starts an embedded PostgreSQL in a temporary folder (or uses DATABASE_URL) with a fresh, seeded database. */
export async function benchDatabase(): Promise<BenchDatabase> {
  const external = process.env['DATABASE_URL'];
  let dataDir: string | undefined;
  let serverUrl: string;
  let stopServer = async () => {};
  if (external) {
    serverUrl = withDatabase(external, 'postgres');
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), 'redthread-bench-'));
    await chmod(dataDir, 0o755);
    // Commit times let the storm measure its lags from commit to commit (see bench/order-storm).
    const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'cluster'), ephemeral: true, settings: { track_commit_timestamp: 'on' } });
    serverUrl = server.adminUrl;
    stopServer = () => server.stop();
  }
  const name = `rt_bench_${Date.now().toString(36)}`;
  await ensureDatabase(serverUrl, name);
  const adminUrl = withDatabase(serverUrl, name);
  await migrateDatabase(adminUrl, DEV_DB_PASSWORDS);
  const appUrl = withRole(adminUrl, APP_ROLE, DEV_DB_PASSWORDS.app);
  const workerUrl = withRole(adminUrl, WORKER_ROLE, DEV_DB_PASSWORDS.worker);
  await seedDemoWorld(adminUrl, appUrl, workerUrl);
  return {
    adminUrl,
    appUrl,
    workerUrl,
    authUrl: withRole(adminUrl, AUTH_ROLE, DEV_DB_PASSWORDS.auth),
    close: async () => {
      if (external) await dropDatabase(serverUrl, name);
      await stopServer();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Latency percentiles (ms) of a list of samples. */
export function percentiles(samples: number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

/** Runs `task` `total` times with `concurrency` in flight; returns per-call latencies (ms) and wall time. */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  onProgress?: (done: number) => void,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const t0 = performance.now();
      await task(index);
      latencies.push(performance.now() - t0);
      if (onProgress && latencies.length % Math.max(1, Math.floor(total / 10)) === 0) onProgress(latencies.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, wallMs: performance.now() - started };
}

/** Writes `bench/results/<name>.json` and `<name>.md`; returns their paths. */
export async function writeResults(name: string, result: Record<string, unknown>, markdown: string): Promise<string[]> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`);
  const md = path.join(dir, `${name}.md`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(md, markdown);
  return [json, md];
}

/** Describes the machine a result was measured on. */
export async function machine(): Promise<Record<string, unknown>> {
  const os = await import('node:os');
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

/** The whole platform on free ports against a bench database, with the development secrets. */
export function startBenchPlatform(db: BenchDatabase, overrides: Partial<PlatformConfig> = {}): Promise<RunningPlatform> {
  return startPlatform({
    appDatabaseUrl: db.appUrl,
    workerDatabaseUrl: db.workerUrl,
    authDatabaseUrl: db.authUrl,
    port: 0,
    clientTokens: { jwtSecret: DEV_JWT_SECRET },
    internalSecret: DEV_INTERNAL_SECRET,
    limits: DEFAULT_LIMITS,
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    introspection: false,
    ...overrides,
  });
}
