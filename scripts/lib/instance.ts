/**
 * What a running `npm start` leaves in DATA_DIR for others to find: its pid, its URLs and the
 * address of its embedded PostgreSQL. A second start reads it to say "already running", and the
 * tools (`partner:create`, `seed`, `migrate`, `token`) use that PostgreSQL instead of starting
 * their own on the same data directory (which PostgreSQL would refuse).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';

/** The instance file's contents. */
export interface RunningInstance {
  /** The supervisor's pid. */
  pid: number;
  /** The gateway's base URL. */
  url: string;
  /** Owner URL of the embedded PostgreSQL's Redthread database; absent with DATABASE_URL. */
  adminUrl?: string;
  dataDir: string;
  startedAt: string;
}

/** Where the instance file of DATA_DIR lives. */
export function instanceFile(dataDir: string): string {
  return path.resolve(dataDir, 'redthread.json');
}

/** Whether a process with this pid exists (and may be signalled by us). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The instance running on DATA_DIR, if its supervisor is alive; a stale file is ignored. */
export function runningInstance(dataDir: string): RunningInstance | undefined {
  const file = instanceFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const instance = JSON.parse(readFileSync(file, 'utf8')) as RunningInstance;
    return Number.isInteger(instance.pid) && instance.pid !== process.pid && isAlive(instance.pid) ? instance : undefined;
  } catch {
    return undefined;
  }
}

export async function writeInstance(instance: RunningInstance): Promise<void> {
  await mkdir(instance.dataDir, { recursive: true });
  await writeFile(instanceFile(instance.dataDir), `${JSON.stringify(instance, null, 2)}\n`, { mode: 0o600 });
}

export async function removeInstance(dataDir: string): Promise<void> {
  const file = instanceFile(dataDir);
  const mine = await readFile(file, 'utf8').then((text) => (JSON.parse(text) as RunningInstance).pid === process.pid, () => false);
  if (mine) await rm(file, { force: true });
}

/** Whether something accepts TCP connections on host:port. */
export function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What answers `/healthz` at a URL, when it is one of Redthread's processes. */
export async function redthreadAt(url: string): Promise<{ service?: string; pid?: number } | undefined> {
  try {
    const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1500) });
    const body = (await response.json()) as { status?: string; service?: string; subgraph?: string; pid?: number };
    if (body.status !== 'ok') return undefined;
    return { service: body.service ?? body.subgraph, ...(typeof body.pid === 'number' ? { pid: body.pid } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * A PostgreSQL left running on `clusterDir` by a start that did not stop it (a supervisor killed
 * with SIGKILL): stops it (fast shutdown) and waits up to 10 s. Returns its pid, or undefined when
 * none ran. Only call this when no live supervisor owns DATA_DIR.
 */
export async function stopOrphanedPostgres(clusterDir: string): Promise<number | undefined> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  process.kill(pid, 'SIGINT');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && isAlive(pid); ) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) throw new Error(`A PostgreSQL (pid ${pid}) still runs on ${clusterDir} and did not stop within 10 s; stop it by hand.`);
  return pid;
}
