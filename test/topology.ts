/**
 * Helpers of test/topology.test.ts: role processes of the production bundle started with plain
 * `node`, an HAProxy in front of them, free ports, a GraphQL client that retries like a real one
 * behind a load balancer, and a few probes (/readyz, /metrics, HAProxy's stats).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { GraphQLResponse } from './platform';

export const HAPROXY = '/usr/sbin/haproxy';

/** Fails (never skips) when HAProxy is missing: CI installs it, so must a developer. */
export function requireHaproxy(): void {
  if (!existsSync(HAPROXY)) {
    throw new Error(`HAProxy is not installed (${HAPROXY} is missing). The topology test needs it: install it (Debian/Ubuntu: apt-get install haproxy; CI installs it) and run the test again.`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `count` distinct free TCP ports on 127.0.0.1 (all held open until every one is chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** One child process whose stdout and stderr go to a log file, so a failure can show its tail. */
export class Proc {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (with its code or signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    /** Its base URL (http://127.0.0.1:port), for probes. */
    readonly url?: string,
  ) {
    const fd = openSync(logFile, 'a');
    this.child = spawn(command, args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
      this.child.once('error', (error) => {
        this.#exit = { code: -1, signal: null };
        resolve(this.#exit);
        void error;
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Undefined while it runs. */
  get exit() {
    return this.#exit;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.#exit) this.child.kill(signal);
  }

  /** The last `lines` lines of its log. */
  tail(lines = 30): string {
    try {
      const text = readFileSync(this.logFile, 'utf8').trimEnd().split('\n');
      return text.slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** A failure report: name, pid, exit and the log's tail. */
  describe(lines = 30): string {
    const state = this.#exit ? `exited (code ${this.#exit.code}, signal ${this.#exit.signal})` : 'running';
    return `--- ${this.name} (pid ${this.pid}, ${state}), ${this.logFile}:\n${this.tail(lines)}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs` if it is still running. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.#exit) return;
    this.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      this.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Waits until `url` answers 200; fails early (with the log's tail) when the process exits. */
export async function waitForOk(proc: Proc, url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = 'no answer';
  while (Date.now() - started < timeoutMs) {
    if (proc.exit) throw new Error(`${proc.name} exited before ${url} answered 200.\n${proc.describe(40)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return Date.now() - started;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last.slice(0, 300)}).\n${proc.describe(40)}`);
}

/** A backend of the HAProxy configuration: its name, the port of its frontend, its servers' ports. */
export interface Backend {
  name: string;
  port: number;
  servers: { name: string; port: number }[];
}

/**
 * HAProxy in front of the replicas: one frontend per backend (clients → gateways, gateways → each
 * subgraph), round robin over the replicas that answer GET /readyz with 200 (checked every 500 ms,
 * down after one failure, up after one success), and a request that meets a dead replica (refused
 * connection, connection closed without an answer, no answer in time) is retried on another one.
 * WebSocket upgrades pass; the tunnels may live an hour. `statsPort` serves `/stats;csv`.
 */
export function haproxyConfig(backends: readonly Backend[], statsPort: number): string {
  const lines = [
    'global',
    '    log stdout format raw local0 info',
    '    maxconn 4096',
    '',
    'defaults',
    '    mode http',
    '    log global',
    '    option httplog',
    '    option dontlognull',
    // A retried request must be replayable: keep the (small) request bodies.
    '    option http-buffer-request',
    '    option redispatch 1',
    '    retries 3',
    '    retry-on conn-failure empty-response response-timeout',
    '    timeout connect 1s',
    '    timeout client 60s',
    '    timeout server 30s',
    '    timeout http-request 10s',
    // Longer than the idle time after which Node's fetch (undici, 4 s) stops reusing a connection.
    '    timeout http-keep-alive 30s',
    '    timeout tunnel 1h',
    '    timeout client-fin 1s',
    '    timeout server-fin 1s',
    // A loaded 2-core machine answers /readyz late now and then: that is not a dead replica.
    '    timeout check 2s',
    '    default-server inter 500ms fall 1 rise 1',
    '',
    'frontend stats',
    `    bind 127.0.0.1:${statsPort}`,
    '    stats enable',
    '    stats uri /stats',
    '    no log',
    '',
  ];
  for (const backend of backends) {
    lines.push(
      `frontend ${backend.name}`,
      `    bind 127.0.0.1:${backend.port}`,
      `    default_backend ${backend.name}`,
      '',
      `backend ${backend.name}`,
      '    balance roundrobin',
      '    option httpchk',
      '    http-check send meth GET uri /readyz',
      '    http-check expect status 200',
      ...backend.servers.map((server) => `    server ${server.name} 127.0.0.1:${server.port} check`),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** HAProxy's view of every server: `backend/server` → status (UP, DOWN, …). */
export async function haproxyServerStatus(statsPort: number): Promise<Map<string, string>> {
  const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(2_000) });
  const [header, ...rows] = (await response.text()).trim().split('\n');
  const columns = header!.replace(/^# /, '').split(',');
  const px = columns.indexOf('pxname');
  const sv = columns.indexOf('svname');
  const status = columns.indexOf('status');
  const result = new Map<string, string>();
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[sv] === 'FRONTEND' || cells[sv] === 'BACKEND') continue;
    result.set(`${cells[px]}/${cells[sv]}`, cells[status]!);
  }
  return result;
}

/** Waits until HAProxy sees every server of `backends` as UP. */
export async function waitForServersUp(statsPort: number, backends: readonly Backend[], timeoutMs: number): Promise<void> {
  const expected = backends.flatMap((b) => b.servers.map((s) => `${b.name}/${s.name}`));
  const started = Date.now();
  let last = new Map<string, string>();
  while (Date.now() - started < timeoutMs) {
    last = await haproxyServerStatus(statsPort).catch(() => new Map());
    if (expected.every((key) => last.get(key)?.startsWith('UP'))) return;
    await sleep(100);
  }
  throw new Error(`HAProxy does not see every server UP after ${timeoutMs} ms: ${JSON.stringify(Object.fromEntries(last))}`);
}

/** The value of a gauge (sum over the series whose labels contain `labels`) in a /metrics answer. */
export async function gaugeValue(baseUrl: string, metric: string, labels: string): Promise<number> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
  let sum = 0;
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith(`${metric}{`) || !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** What a retried call saw: the answer, and how many attempts it took. */
export type RetriedResponse<Data> = GraphQLResponse<Data> & { attempts: number; failures: string[] };

/**
 * POSTs a GraphQL operation like a client behind a load balancer: a transport failure (refused,
 * reset, no answer in 15 s, a body cut short) or a 502/503/504 is retried with the very same
 * request after a short back-off, up to `maxAttempts`. Anything else is the answer.
 */
export async function postRetrying<Data = Record<string, unknown>>(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  maxAttempts = 30,
): Promise<RetriedResponse<Data>> {
  const failures: string[] = [];
  const body = JSON.stringify({ query, variables });
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        failures.push(`HTTP ${response.status}`);
        await response.arrayBuffer().catch(() => {});
      } else {
        const parsed = (await response.json()) as Omit<GraphQLResponse<Data>, 'status'>;
        return { status: response.status, ...parsed, attempts: attempt, failures };
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      failures.push(cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)));
    }
    if (attempt >= maxAttempts) throw new Error(`${attempt} attempts failed: ${failures.join('; ')}`);
    await sleep(Math.min(1_000, 25 * 2 ** attempt));
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight; results in item order. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}
