import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect as connectTcp, createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { DEV_JWT_SECRET, projectPath } from '@redthread/kit';
import { SUBGRAPH_NAMES } from '@redthread/gateway';
import { bundleEntry } from '../scripts/build';
import { mintDevToken } from '../scripts/lib/tokens';
import { demoPartnerId } from '../scripts/demo/world';
import { freshDatabase, type TestDatabase } from './database';

/**
 * The roles as deployed: `node dist/redthread.js <role>` with plain Node (the production bundle,
 * built into a temporary folder here), each with its own environment and database login.
 */

let bundle: string;
let db: TestDatabase;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  bundle = projectPath('dist', `test-roles-${randomBytes(4).toString('hex')}`, 'redthread.js');
  await bundleEntry(projectPath('cli', 'redthread.ts'), bundle);
  db = await freshDatabase('demo');
}, 60_000);
afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await rm(path.dirname(bundle), { recursive: true, force: true });
  await db?.drop();
});

/** A role process and what it printed. */
interface Role {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function role(args: string[], env: Record<string, string> = {}): Role {
  let output = '';
  const child = spawn(process.execPath, [bundle, ...args], { env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function untilReady(process: Role, url: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; ; ) {
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}/readyz never answered 200; the process printed:\n${process.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A base port with the `count` ports from it free, below Linux's ephemeral range (32768–60999),
 * where the suite's own outgoing connections take their local ports: a random port there could be
 * one of them (a role then refused to start: "port … is taken by another program").
 */
async function freePort(count = 1): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const free = await Promise.all(Array.from({ length: count }, (_, offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createNetServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('redthread <role>', () => {
  it('lists the roles, refuses an unknown one, and asks for a subgraph name', async () => {
    const help = role(['--help']);
    expect(await help.exited).toBe(0);
    for (const name of ['gateway', 'subgraph <name>', 'workers', 'migrate', 'redthread_auth', 'redthread_app', 'redthread_worker']) expect(help.output()).toContain(name);
    const unknown = role(['scheduler']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toMatch(/Unknown role "scheduler". The roles are: gateway, subgraph, workers, migrate/);
    const nameless = role(['subgraph']);
    expect(await nameless.exited).toBe(2);
    expect(nameless.output()).toContain('catalog, orders, inventory, finance');
    const variables = role(['workers', '--help']);
    expect(await variables.exited).toBe(0);
    expect(variables.output()).toContain('DATABASE_URL');
    expect(variables.output()).not.toContain('INTERNAL_JWT_SECRET');
  });

  it("every workspace's start script runs a file that exists (a role of the CLI)", () => {
    for (const workspace of ['gateway', ...SUBGRAPH_NAMES.map((name) => `subgraphs/${name}`)]) {
      const manifest = JSON.parse(readFileSync(projectPath(workspace, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      const file = /\S+\.ts\b/.exec(manifest.scripts['start'] ?? '')?.[0];
      expect(file && existsSync(path.resolve(projectPath(workspace), file)), `${workspace}: start runs "${manifest.scripts['start']}"`).toBe(true);
    }
  });

  it('refuses a missing DATABASE_URL and, in production, the development secrets and a password shared by two roles', async () => {
    const subgraph = role(['subgraph', 'orders']);
    expect(await subgraph.exited).toBe(1);
    expect(subgraph.output()).toMatch(/DATABASE_URL: set DATABASE_URL/);
    const migrate = role(['migrate'], { NODE_ENV: 'production', DATABASE_URL: db.adminUrl, WORKER_DB_PASSWORD: 'same password', AUTH_DB_PASSWORD: 'same password' });
    expect(await migrate.exited).toBe(1);
    expect(migrate.output()).toMatch(/APP_DB_PASSWORD: set a real password in production/);
    expect(migrate.output()).toMatch(/each database role needs its own password/);
    const gateway = role(['gateway'], { NODE_ENV: 'production', DATABASE_URL: db.authUrl });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toMatch(/JWT_SECRET: set a real secret/);
    expect(gateway.output()).toMatch(/INTERNAL_JWT_SECRET: set a real secret in production/);
  });

  it('migrate applies the migrations as the owner and exits 0; each service role logs in with its own password only', async () => {
    const migrate = role(['migrate'], { DATABASE_URL: db.adminUrl });
    expect(await migrate.exited, migrate.output()).toBe(0);
    expect(migrate.output()).toMatch(/migrations applied/);
    // The worker's URL with the application role's password is refused.
    const app = new URL(db.appUrl);
    const worker = new URL(db.workerUrl);
    worker.password = app.password;
    const sql = postgres(worker.toString(), { max: 1, onnotice: () => {} });
    await expect(sql`select 1`).rejects.toMatchObject({ code: '28P01' });
    await sql.end();
  });

  it('a subgraph drains on SIGTERM: /readyz stops answering, the request in flight still gets its answer, exit code 0', async () => {
    const port = await freePort();
    const subgraph = role(['subgraph', 'catalog'], { DATABASE_URL: db.appUrl, PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    await untilReady(subgraph, url);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', subgraph: 'catalog' });

    // A request whose body is still arriving when SIGTERM comes.
    const socket = connectTcp(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = JSON.stringify({ query: '{ __typename }' });
    socket.write(`POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    subgraph.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await fetch(`${url}/readyz`).then((r) => r.status, () => 'refused')).toBe('refused');
    socket.end(body.slice(5));
    expect(await subgraph.exited, subgraph.output()).toBe(0);
    // It was answered (without a gateway signature: refused as unauthenticated, but answered).
    expect(response).toMatch(/^HTTP\/1\.1 401/);
    expect(response).toContain('UNAUTHENTICATED');
    expect(subgraph.output()).toMatch(/"msg":"drained; exiting"/);
  }, 60_000);

  it('a gateway drains on SIGTERM: its subscriptions close with 1001 (clients resume elsewhere with `after`), exit code 0', async () => {
    const base = await freePort(1 + SUBGRAPH_NAMES.length);
    const subgraphs = SUBGRAPH_NAMES.map((name, index) => ({
      name,
      url: `http://127.0.0.1:${base + index + 1}`,
      process: role(['subgraph', name], { DATABASE_URL: db.appUrl, PORT: String(base + index + 1) }),
    }));
    const gateway = role(['gateway'], {
      DATABASE_URL: db.authUrl,
      PORT: String(base),
      ...Object.fromEntries(subgraphs.map(({ name, url }) => [`${name.toUpperCase()}_URL`, `${url}/graphql`])),
    });
    try {
      await Promise.all(subgraphs.map((s) => untilReady(s.process, s.url)));
      await untilReady(gateway, `http://127.0.0.1:${base}`);
      const token = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);
      const me = await fetch(`http://127.0.0.1:${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { code } }' }),
      });
      expect(await me.json()).toEqual({ data: { me: { code: 'SHOP-A' } } });

      let closeCode: number | undefined;
      const client = createClient({
        url: `ws://127.0.0.1:${base}/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
        on: { closed: (event) => (closeCode = (event as { code?: number }).code) },
      });
      const ended = new Promise<unknown>((resolve) => client.subscribe({ query: 'subscription { orderChanged { cursor } }' }, { next: () => {}, error: resolve, complete: () => resolve('complete') }));
      // Subscribed once the gateway counts it.
      for (const deadline = Date.now() + 10_000; !/redthread_subscriptions\{service="gateway"\} [1-9]/.test(await (await fetch(`http://127.0.0.1:${base}/metrics`)).text()); ) {
        if (Date.now() > deadline) throw new Error('the subscription never opened');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      gateway.child.kill('SIGTERM');
      await ended;
      expect(closeCode).toBe(1001);
      expect(await gateway.exited, gateway.output()).toBe(0);
      await client.dispose();
    } finally {
      for (const s of subgraphs) s.process.child.kill('SIGTERM');
      await Promise.all(subgraphs.map((s) => s.process.exited));
    }
  }, 90_000);

  it('workers drain on SIGTERM: they commit, hand their partitions back at once, and exit 0', async () => {
    const port = await freePort();
    const workers = role(['workers'], { DATABASE_URL: db.workerUrl, PORT: String(port) });
    await untilReady(workers, `http://127.0.0.1:${port}`);
    const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    try {
      const heldBefore = async () => Number((await admin`select count(*)::int as n from events.consumer_leases where lease_until > now()`)[0]!['n']);
      for (const deadline = Date.now() + 10_000; (await heldBefore()) === 0; ) {
        if (Date.now() > deadline) throw new Error('the workers never took a lease');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      workers.child.kill('SIGTERM');
      expect(await workers.exited, workers.output()).toBe(0);
      expect(await heldBefore(), 'leases still held after a graceful stop').toBe(0);
    } finally {
      await admin.end();
    }
  }, 60_000);
});
