/**
 * `npm start`: the whole platform on one machine, one process per role, under this supervisor.
 *
 * It starts the embedded PostgreSQL (or uses DATABASE_URL), migrates, seeds the demo world into an
 * empty database, then starts the roles as child processes — the gateway, each subgraph and the
 * workers, `--replicas N` of each (default 1, or REPLICAS) sharing their ports — and prints the
 * URLs and a demo token per demo partner. Ctrl-C or SIGTERM drains every child, then stops
 * PostgreSQL, within 10 s; a failed start stops whatever it had started; a second start on the
 * same DATA_DIR or port says where the first one runs. A child that dies is restarted.
 */
import cluster, { type Worker } from 'node:cluster';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EnvError, configureLogging, createLogger, projectPath, type Logger } from '@redthread/kit';
import { loadGatewayEnv, SUBGRAPH_NAMES } from '@redthread/gateway';
import { SetupProblem } from '@redthread/kit/devdb';
import { loadToolingEnv } from './env';
import { openPlatformDatabase, redact, type PlatformDatabase } from './lib/database';
import { commandStartedAt } from './lib/command-start';
import { DEFAULT_DEV_ROLES, mintDevToken } from './lib/tokens';
import { isAlive, portTaken, redthreadAt, removeInstance, runningInstance, stopOrphanedPostgres, writeInstance } from './lib/instance';
import { DEMO_PARTNERS, DEMO_PASSWORD, DEMO_USERS, demoPartnerId, hasPartners, seedDemoWorld } from './demo/world';
import type { SupervisorMessage } from '../cli/lifecycle';
import { bundleEntry } from './build';

const USAGE = 'Usage: npm start [-- --replicas N]   (N processes of each role, default 1 or REPLICAS; 1–16)';

/** How long children get to drain before they are killed: the whole stop stays within 10 s. */
const CHILD_GRACE_SECONDS = 5;
const CHILD_KILL_AFTER_MS = 7_000;
/** A child that dies more often than this within a minute is not restarted again. */
const MAX_RESTARTS_PER_MINUTE = 5;

/** One process the supervisor keeps running. */
interface ChildSpec {
  /** `gateway`, `subgraph orders`, `workers`. */
  label: string;
  args: string[];
  env: Record<string, string>;
  port: number;
}

/** Thrown for a start that cannot go on; its message is printed as one line. */
class StartRefused extends Error {}

async function main(): Promise<void> {
  const started = commandStartedAt();
  const { values } = parseArgs({ options: { replicas: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const replicas = Number(values.replicas ?? process.env['REPLICAS'] ?? 1);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) throw new StartRefused(`--replicas must be a whole number from 1 to 16; got "${values.replicas ?? process.env['REPLICAS']}".\n${USAGE}`);
  const gatewayEnv = loadGatewayEnv();
  const env = loadToolingEnv();
  configureLogging(gatewayEnv.LOG_LEVEL, { pretty: Boolean(process.stdout.isTTY) && gatewayEnv.NODE_ENV !== 'production' });
  const log = createLogger('start');
  const host = gatewayEnv.HOST;
  const gatewayUrl = `http://${host}:${gatewayEnv.PORT}`;

  await refuseSecondStart(env.DATA_DIR, host, ports(gatewayEnv.PORT, env));

  let database: PlatformDatabase | undefined;
  const children = new Supervisor(log);
  let stopping: Promise<void> | undefined;
  /** Stops the children, then PostgreSQL; once, however many signals arrive. */
  const shutdown = (reason: string) => {
    stopping ??= (async () => {
      const stopAt = Date.now();
      log.info({ reason }, 'stopping');
      await children.stopAll();
      await database?.stop().catch((error: unknown) => log.error({ err: error }, 'stopping PostgreSQL failed'));
      await removeInstance(env.DATA_DIR).catch(() => {});
      log.info({ ms: Date.now() - stopAt }, 'stopped');
    })();
    return stopping;
  };
  const stop = (reason: string, code: number) => shutdown(reason).then(() => process.exit(code));
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGHUP', () => void stop('SIGHUP', 0));
  // Whatever started us (npm, a shell, a process manager) may die of a signal without passing it
  // on: a supervisor whose parent is gone stops too, rather than leave the platform running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('the process that started it is gone', 0);
  }, 500).unref();

  try {
    if (!env.DATABASE_URL) {
      const orphan = await stopOrphanedPostgres(path.resolve(env.DATA_DIR, 'postgres'));
      if (orphan) log.warn({ pid: orphan }, 'stopped a PostgreSQL that an earlier start left running on DATA_DIR');
    }
    database = await openPlatformDatabase(env, log, { ownSignals: true });
    await writeInstance({
      pid: process.pid,
      url: gatewayUrl,
      ...(database.embedded ? { adminUrl: database.adminUrl } : {}),
      dataDir: path.resolve(env.DATA_DIR),
      startedAt: new Date().toISOString(),
    });
    if (env.SEED_DEMO && !(await hasPartners(database.adminUrl))) {
      if (gatewayEnv.NODE_ENV === 'production') {
        // The demo users sign in with a published password: never in production.
        log.warn('empty database: the demo world is not seeded in production; create the first partner with `npm run partner:create`');
      } else {
        log.info('empty database: seeding the demo world');
        await seedDemoWorld(database.adminUrl, database.appUrl, database.workerUrl);
      }
    }
    const specs = childSpecs(database, gatewayEnv.PORT, host, env);
    log.info({ processes: specs.length * replicas, replicas }, 'starting the roles');
    await children.start(specs, replicas, (label, reason) => void stop(`${label} ${reason}`, 1));
  } catch (error) {
    await shutdown('the start failed');
    throw error;
  }

  const lines = [
    '',
    `Redthread is running: ${replicas} process${replicas === 1 ? '' : 'es'} of each role (pid ${process.pid} supervises them).`,
    '',
    `  GraphQL   ${gatewayUrl}/graphql`,
    `  GraphiQL  ${gatewayUrl}/graphiql`,
    `  Warehouse ${gatewayUrl}/warehouse (live stock, shipment queue, inspection)`,
    `  Health    ${gatewayUrl}/readyz`,
    ...SUBGRAPH_NAMES.map((name, index) => `  ${name.padEnd(9)} http://${host}:${gatewayEnv.PORT + index + 1}/graphql (gateway-signed requests only)`),
    `  Database  ${redact(database.adminUrl)}${database.embedded ? ' (embedded)' : ''}`,
    '',
  ];
  if (!gatewayEnv.JWKS_URL) {
    lines.push('Demo tokens (12 h, roles admin,sales,reviewer,finance,warehouse):', '');
    for (const partner of DEMO_PARTNERS) {
      const token = await mintDevToken({ partnerId: demoPartnerId(partner.code), partnerCode: partner.code, roles: DEFAULT_DEV_ROLES }, gatewayEnv.JWT_SECRET);
      lines.push(`  ${partner.code.padEnd(11)} ${token}`);
    }
    lines.push(
      '',
      `Demo users (password ${DEMO_PASSWORD}; sign in with POST ${gatewayUrl}/auth/sign-in):`,
      '',
      ...DEMO_USERS.map((user) => `  ${user.email.padEnd(26)} ${user.memberships.map((m) => `${m.partner} (${m.roles.join(',')})`).join(', ')}`),
      '',
      'Try it:',
      `  curl -s ${gatewayUrl}/graphql -H 'content-type: application/json' \\`,
      `    -H "authorization: Bearer <SHOP-A token>" -d '{"query":"{ me { code name } }"}'`,
      ...(gatewayEnv.NODE_ENV !== 'production' ? [`  or open ${gatewayUrl}/graphiql and pick a demo partner's token under the key button.`] : []),
      '',
    );
  }
  lines.push(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s since the command started. Ctrl-C stops everything.`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

/** The ports this start needs: the gateway's, each subgraph's and the workers'. */
function ports(gatewayPort: number, env: ReturnType<typeof loadToolingEnv>): { label: string; port: number }[] {
  const subgraphPort = { catalog: env.CATALOG_PORT, orders: env.ORDERS_PORT, inventory: env.INVENTORY_PORT, finance: env.FINANCE_PORT };
  return [
    { label: 'gateway', port: gatewayPort },
    ...SUBGRAPH_NAMES.map((name, index) => ({ label: `${name} subgraph`, port: subgraphPort[name] ?? gatewayPort + index + 1 })),
    { label: 'workers', port: env.WORKERS_PORT ?? gatewayPort + 10 },
  ];
}

/**
 * Refuses to start next to a running instance, in one line: one on the same DATA_DIR (its
 * supervisor is alive), or anything on a port this start needs — Redthread or another program.
 */
async function refuseSecondStart(dataDir: string, host: string, needed: { label: string; port: number }[]): Promise<void> {
  const instance = runningInstance(dataDir);
  if (instance) {
    throw new StartRefused(
      `Redthread already runs at ${instance.url} (pid ${instance.pid}, data in ${instance.dataDir}). Stop it (Ctrl-C in its terminal, or kill ${instance.pid}) or set DATA_DIR and PORT to start another.`,
    );
  }
  for (const { label, port } of needed) {
    if (!(await portTaken(host, port))) continue;
    const url = `http://${host}:${port}`;
    const other = await redthreadAt(url);
    if (other) {
      throw new StartRefused(
        `Redthread already runs at ${url} (its ${other.service ?? label}${other.pid ? `, pid ${other.pid}` : ''}). Stop it, or set PORT to start another beside it.`,
      );
    }
    throw new StartRefused(`Port ${port} (${host}), which the ${label} needs, is taken by another program. Stop it, or set PORT (the gateway's; the others follow) to free ports.`);
  }
}

/** What each role's process is started with (one replica's worth). */
function childSpecs(database: PlatformDatabase, gatewayPort: number, host: string, env: ReturnType<typeof loadToolingEnv>): ChildSpec[] {
  const common = { HOST: host, SHUTDOWN_GRACE_SECONDS: String(CHILD_GRACE_SECONDS) };
  const subgraphPorts = ports(gatewayPort, env);
  const subgraphs = SUBGRAPH_NAMES.map((name, index) => ({ name, port: subgraphPorts[index + 1]!.port }));
  return [
    ...subgraphs.map(({ name, port }) => ({
      label: `subgraph ${name}`,
      args: ['subgraph', name],
      env: { ...common, PORT: String(port), DATABASE_URL: database.appUrl },
      port,
    })),
    {
      label: 'workers',
      args: ['workers'],
      env: { ...common, PORT: String(subgraphPorts.at(-1)!.port), DATABASE_URL: database.workerUrl },
      port: subgraphPorts.at(-1)!.port,
    },
    {
      label: 'gateway',
      args: ['gateway'],
      env: {
        ...common,
        PORT: String(gatewayPort),
        DATABASE_URL: database.authUrl,
        ...Object.fromEntries(subgraphs.map(({ name, port }) => [`${name.toUpperCase()}_URL`, `http://${host}:${port}/graphql`])),
      },
      port: gatewayPort,
    },
  ];
}

/**
 * Runs the children with `node:cluster`, so the replicas of a role share its port (the
 * supervisor hands each new connection to the next replica in turn).
 */
class Supervisor {
  readonly #children = new Map<Worker, { spec: ChildSpec; ready: boolean }>();
  readonly #restarts = new Map<string, number[]>();
  #stopping = false;
  #entry = '';

  constructor(private readonly log: Logger) {}

  /**
   * Starts every spec `replicas` times; resolves once all are ready, rejects on the first that
   * fails. The children run scripts/supervised.ts bundled by esbuild (about 0.2 s) with plain
   * Node: six processes each compiling the TypeScript sources on two cores took ten seconds more.
   */
  async start(specs: readonly ChildSpec[], replicas: number, onGiveUp: (label: string, reason: string) => void): Promise<void> {
    // One file per start: two starts (other DATA_DIRs and ports) never load each other's half-written bundle.
    this.#entry = projectPath('dist', 'dev', `supervised-${process.pid}.js`);
    await removeStaleBundles(path.dirname(this.#entry));
    await bundleEntry(path.resolve(import.meta.dirname, 'supervised.ts'), this.#entry);
    // All at once: the gateway loads the composed supergraph and needs no subgraph to start.
    await Promise.all(specs.flatMap((spec) => Array.from({ length: replicas }, () => this.#fork(spec, onGiveUp))));
  }

  #fork(spec: ChildSpec, onGiveUp: (label: string, reason: string) => void): Promise<void> {
    cluster.setupPrimary({ exec: this.#entry, args: spec.args, execArgv: ['--enable-source-maps'] });
    const worker = cluster.fork({ ...spec.env, REDTHREAD_ROLE: spec.label });
    this.#children.set(worker, { spec, ready: false });
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: SupervisorMessage) => {
        if (message?.type !== 'ready') return;
        this.#children.get(worker)!.ready = true;
        resolve();
      });
      worker.on('exit', (code, signal) => {
        const entry = this.#children.get(worker);
        this.#children.delete(worker);
        if (this.#stopping) return;
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        if (!entry?.ready) {
          reject(new StartRefused(`The ${spec.label} process ${how} while starting (its output is above); everything started is being stopped.`));
          return;
        }
        const now = Date.now();
        const recent = (this.#restarts.get(spec.label) ?? []).filter((at) => now - at < 60_000);
        if (recent.length >= MAX_RESTARTS_PER_MINUTE) {
          this.log.error({ process: spec.label, restarts: recent.length }, `the ${spec.label} process keeps dying; stopping everything`);
          onGiveUp(spec.label, 'kept dying');
          return;
        }
        this.#restarts.set(spec.label, [...recent, now]);
        this.log.warn({ process: spec.label, pid: worker.process.pid }, `the ${spec.label} process ${how}; restarting it`);
        setTimeout(() => void this.#fork(spec, onGiveUp).catch((error: unknown) => this.log.error({ err: error }, 'restart failed')), 500 * recent.length);
      });
    });
  }

  /** Sends SIGTERM to every child and waits for them (SIGKILL for any still there after 7 s). */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    const workers = [...this.#children.keys()];
    const exited = workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const worker of workers) {
        if (worker.isDead() || !worker.process.pid || !isAlive(worker.process.pid)) continue;
        this.log.warn({ pid: worker.process.pid, process: this.#children.get(worker)?.spec.label }, 'did not drain in time; killing it');
        worker.process.kill('SIGKILL');
      }
    }, CHILD_KILL_AFTER_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    if (this.#entry) await Promise.all([rm(this.#entry, { force: true }), rm(`${this.#entry}.map`, { force: true })]);
  }
}

/** Bundles left by supervisors that were killed (SIGKILL) before they could remove theirs. */
async function removeStaleBundles(dir: string): Promise<void> {
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files) {
    const pid = Number(/^supervised-(\d+)\.js(\.map)?$/.exec(file)?.[1]);
    if (pid && !isAlive(pid)) await rm(path.join(dir, file), { force: true });
  }
}

main().catch((error: unknown) => {
  if (error instanceof StartRefused || error instanceof SetupProblem) {
    process.stderr.write(`${error instanceof SetupProblem ? 'Redthread could not start. ' : ''}${error.message}\n`);
  } else if (error instanceof EnvError) {
    process.stderr.write(`${error.message}\nFix the variables above (see the README's configuration table) and start again.\n`);
  } else {
    process.stderr.write(`Redthread could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
