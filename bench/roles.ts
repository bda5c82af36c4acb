/**
 * The platform as `npm start` runs it — the supervisor (`scripts/start.ts`) with one process per
 * role, `--replicas N` of each — on a benchmark's database, for benchmarks that compare it with the
 * in-process wiring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from './lib';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A running supervisor and its role processes. */
export interface RunningRoles {
  child: ChildProcess;
  graphqlUrl: string;
  /** The supervisor's DATA_DIR (removed by stop). */
  dataDir: string;
  /** Stops it (SIGTERM; SIGKILL after 20 s) and removes its data dir. */
  stop(): Promise<void>;
}

/**
 * Starts `scripts/start.ts --replicas N` on `db` (no demo seeding: the database has it) and waits
 * for "Ready in". `onSpawn` sees the child at once, before any output (to watch its lines); `env`
 * adds to its environment (and so its roles').
 */
export async function startRoles(
  db: Pick<BenchDatabase, 'adminUrl'>,
  replicas: number,
  options: { onSpawn?: (child: ChildProcess) => void; env?: Record<string, string> } = {},
): Promise<RunningRoles> {
  const port = await freeBasePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'redthread-roles-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--replicas', String(replicas)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.adminUrl, SEED_DEMO: 'false', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(killer);
    }
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  };
  const output: string[] = [];
  const ready = new Promise<RunningRoles>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 40) output.shift();
        if (/Ready in/.test(line)) resolve({ child, graphqlUrl: `http://127.0.0.1:${port}/graphql`, dataDir, stop });
      });
    }
    child.once('exit', (code) => reject(new Error(`scripts/start.ts --replicas ${replicas} exited (${code}) while starting:\n${output.join('\n')}`)));
  });
  try {
    return await withTimeout(ready, 180_000, `scripts/start.ts --replicas ${replicas} did not print "Ready in" within 180 s`);
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A base port with PORT..PORT+4 and PORT+10 free (gateway, subgraphs, workers). */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    // Below the ephemeral range (32768–60999), where outgoing connections take their local ports.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all([0, 1, 2, 3, 4, 10].map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free base port found');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Rejects with `message` unless `promise` settles within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}
