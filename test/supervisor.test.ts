import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a user (or a process manager) runs it: no terminal, its own process group, the
 * embedded PostgreSQL in a fresh DATA_DIR. Every test checks that nothing of a stopped start is
 * left: no process in its group, no PostgreSQL on its data directory.
 */

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'redthread-supervisor-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, which must reach the folder.
  await chmod(root, 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A started `npm start` and what it printed. */
interface Start {
  child: ChildProcess;
  dataDir: string;
  port: number;
  output(): string;
  exited: Promise<number | null>;
}

let nextDir = 0;

function npmStart(options: { dataDir?: string; port: number; env?: Record<string, string> }): Start {
  const dataDir = options.dataDir ?? path.join(root, `data-${nextDir++}`);
  let output = '';
  const child = spawn('npm', ['start'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(options.port), SEED_DEMO: 'false', LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as under a process manager, so the test can see every process it left.
    detached: true,
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, dataDir, port: options.port, output: () => output, exited };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, start: Start, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; npm start printed:\n${start.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ready = (start: Start) => waitFor('"Ready in"', () => /Ready in [\d.]+ s/.test(start.output()), start);

/** Whether any process of the start's process group is alive. */
function groupAlive(start: Start): boolean {
  try {
    process.kill(-start.child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** The embedded PostgreSQL's pid while it runs on the start's data directory. */
function postgresPid(start: Start): number | undefined {
  const file = path.join(start.dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Waits until nothing of the start runs (its group and its PostgreSQL); returns how long that took. */
async function allGone(start: Start, withinMs: number): Promise<number> {
  const since = Date.now();
  await waitFor('every process of the start to end', () => !groupAlive(start) && !postgresPid(start), start, withinMs);
  return Date.now() - since;
}

/** A base port with the 11 ports after it free (gateway, subgraphs +1..+4, workers +10). */
async function freePorts(): Promise<number> {
  for (;;) {
    // Below the ephemeral range (32768–60999), where outgoing connections take their local ports.
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all([0, 1, 2, 3, 4, 10].map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function killGroup(start: Start): void {
  try {
    process.kill(-start.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  const pg = postgresPid(start);
  if (pg) process.kill(pg, 'SIGKILL');
}

describe('npm start (the supervisor)', () => {
  it('runs one process per role, refuses a second start in one line, lends its PostgreSQL to the tools, and stops everything within 10 s of SIGTERM', async () => {
    const port = await freePorts();
    const start = npmStart({ port });
    try {
      await ready(start);
      const health = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ready' });
      const workers = (await (await fetch(`http://127.0.0.1:${port + 10}/healthz`)).json()) as { service: string; pid: number };
      expect(workers.service).toBe('workers');

      // The same data directory: refused before anything starts, naming the running one.
      const again = npmStart({ dataDir: start.dataDir, port: await freePorts() });
      expect(await again.exited).toBe(1);
      expect(again.output()).toMatch(new RegExp(`Redthread already runs at http://127\\.0\\.0\\.1:${port} \\(pid \\d+, data in `));
      // Another data directory on the same port: refused too, in one line, no stack trace.
      const samePort = npmStart({ port });
      expect(await samePort.exited).toBe(1);
      expect(samePort.output()).toMatch(new RegExp(`Redthread already runs at http://127\\.0\\.0\\.1:${port} \\(its gateway, pid \\d+\\)`));
      expect(samePort.output()).not.toMatch(/\n\s+at /);
      expect(groupAlive(again) || groupAlive(samePort)).toBe(false);

      // A tool that needs the database uses the running embedded PostgreSQL.
      const tool = spawn('npx', ['tsx', 'scripts/partner-create.ts', '--code', 'ACME', '--name', 'Acme', '--kinds', 'SUPPLIER', '--email', 'ann@acme.example'], {
        cwd: path.resolve(import.meta.dirname, '..'),
        env: { ...process.env, DATA_DIR: start.dataDir, LOG_LEVEL: 'info' },
      });
      let toolOutput = '';
      tool.stdout.on('data', (chunk: Buffer) => (toolOutput += chunk.toString()));
      tool.stderr.on('data', (chunk: Buffer) => (toolOutput += chunk.toString()));
      expect(await new Promise((resolve) => tool.once('exit', resolve)), toolOutput).toBe(0);
      expect(toolOutput).toMatch(/Partner ACME \(Acme\) registered/);

      // SIGTERM to npm itself, as a process manager sends it.
      process.kill(start.child.pid!, 'SIGTERM');
      const ms = await allGone(start, 10_000);
      console.log(`npm start: everything, PostgreSQL included, stopped ${ms} ms after SIGTERM`);
      expect(existsSync(path.join(start.dataDir, 'redthread.json'))).toBe(false);
    } finally {
      killGroup(start);
    }
  }, 180_000);

  it('stops what it started when a role fails to start, and exits 1 with that role named', async () => {
    const start = npmStart({ port: await freePorts(), env: { DB_POOL_MAX: '0' } });
    try {
      expect(await start.exited).toBe(1);
      await allGone(start, 10_000);
      expect(start.output()).toMatch(/DB_POOL_MAX/);
      expect(start.output()).toMatch(/The (gateway|workers|subgraph \w+) process exited with code 1 while starting/);
      expect(existsSync(path.join(start.dataDir, 'redthread.json'))).toBe(false);
    } finally {
      killGroup(start);
    }
  }, 120_000);

  it('says in one line that a port is taken by another program, and starts nothing', async () => {
    const port = await freePorts();
    const squatter: Server = createServer().listen(port + 2, '127.0.0.1');
    try {
      const start = npmStart({ port });
      expect(await start.exited).toBe(1);
      expect(start.output()).toMatch(new RegExp(`Port ${port + 2} \\(127\\.0\\.0\\.1\\), which the orders subgraph needs, is taken by another program`));
      expect(postgresPid(start)).toBeUndefined();
      expect(groupAlive(start)).toBe(false);
    } finally {
      squatter.close();
    }
  }, 60_000);

  it('after its supervisor was SIGKILLed, the roles end by themselves and the next start stops the PostgreSQL left behind', async () => {
    const port = await freePorts();
    const first = npmStart({ port });
    let second: Start | undefined;
    try {
      await ready(first);
      const supervisor = (JSON.parse(readFileSync(path.join(first.dataDir, 'redthread.json'), 'utf8')) as { pid: number }).pid;
      process.kill(supervisor, 'SIGKILL');
      // The roles notice their supervisor is gone (the IPC channel closes) and drain.
      for (const deadline = Date.now() + 15_000; await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false); ) {
        if (Date.now() > deadline) throw new Error('the gateway still answers 15 s after its supervisor was killed');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const orphan = postgresPid(first);
      expect(orphan, 'the embedded PostgreSQL outlives a SIGKILLed supervisor').toBeDefined();

      second = npmStart({ dataDir: first.dataDir, port });
      await ready(second);
      expect(second.output()).toMatch(/stopped a PostgreSQL that an earlier start left running on DATA_DIR/);
      process.kill(second.child.pid!, 'SIGTERM');
      await allGone(second, 10_000);
    } finally {
      killGroup(first);
      if (second) killGroup(second);
    }
  }, 180_000);
});
