/**
 * How every long-running role lives and dies: logging and tracing from its environment, a
 * `ready` message to the supervisor (when one started it), and a graceful drain on SIGTERM
 * (SIGINT too when run by hand) that ends the process with exit code 0.
 */
import { EnvError, configureLogging, createLogger, startTracing, type Logger } from '@redthread/kit';
import { SetupProblem } from '@redthread/kit/devdb';

/** A started role: where it listens, and how it stops gracefully. */
export interface StartedService {
  /** Its base URL (probes at `/healthz` and `/readyz`). */
  url: string;
  /** Stops accepting work, finishes what is in flight (within `graceMs`), releases what it holds. */
  drain(graceMs: number): Promise<void>;
}

/** The settings every role's environment carries. */
export interface ServiceEnv {
  NODE_ENV: 'development' | 'test' | 'production';
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  SHUTDOWN_GRACE_SECONDS: number;
}

/** What a supervised child tells its supervisor (over the IPC channel of `child_process.fork`). */
export type SupervisorMessage = { type: 'ready'; role: string; url: string; pid: number };

/** Whether a supervisor (`npm start`) started this process: it then owns Ctrl-C and restarts. */
export const SUPERVISED = typeof process.send === 'function';

/**
 * Starts a role and keeps it running until a signal drains it. `name` labels logs and traces
 * (`gateway`, `subgraph-orders`, `workers`).
 */
export async function runService(name: string, loadEnv: () => ServiceEnv, start: (env: ServiceEnv, log: Logger) => Promise<StartedService>): Promise<void> {
  let env: ServiceEnv;
  try {
    env = loadEnv();
  } catch (error) {
    exitOnStartFailure(name, error);
  }
  configureLogging(env.LOG_LEVEL, { pretty: Boolean(process.stdout.isTTY) && env.NODE_ENV !== 'production' });
  const log = createLogger(name);
  const tracing = await startTracing({ serviceName: `redthread-${name}`, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  let service: StartedService;
  try {
    service = await start(env, log);
  } catch (error) {
    await tracing?.shutdown().catch(() => {});
    exitOnStartFailure(name, error);
  }
  let draining = false;
  const drain = (reason: string) => {
    if (draining) {
      log.warn({ reason }, 'second stop signal: exiting without waiting');
      process.exit(1);
    }
    draining = true;
    const started = Date.now();
    log.info({ reason, graceSeconds: env.SHUTDOWN_GRACE_SECONDS }, 'draining');
    service
      .drain(env.SHUTDOWN_GRACE_SECONDS * 1000)
      .then(async () => {
        await tracing?.shutdown().catch(() => {});
        log.info({ ms: Date.now() - started }, 'drained; exiting');
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'drain failed; exiting');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  // Under a supervisor, Ctrl-C reaches every process of the terminal at once: the supervisor
  // answers it with SIGTERM to each child in order, so the child leaves SIGINT to it.
  process.on('SIGINT', () => (SUPERVISED ? undefined : drain('SIGINT')));
  // A supervisor that died (even SIGKILLed) closes the IPC channel: nobody would stop us later.
  if (SUPERVISED) process.on('disconnect', () => drain('supervisor gone'));
  log.info({ url: service.url, pid: process.pid }, `${name} ready`);
  process.send?.({ type: 'ready', role: name, url: service.url, pid: process.pid } satisfies SupervisorMessage);
}

/** Says why the role could not start (one line for configuration and set-up problems) and exits 1. */
export function exitOnStartFailure(name: string, error: unknown): never {
  if (error instanceof EnvError) {
    process.stderr.write(`redthread ${name}: ${error.message}\nFix the variables above (see the README's configuration table) and start again.\n`);
  } else if (error instanceof SetupProblem) {
    process.stderr.write(`redthread ${name} could not start. ${error.message}\n`);
  } else if ((error as { code?: string } | undefined)?.code === 'EADDRINUSE') {
    const { port, address } = error as { port?: number; address?: string };
    process.stderr.write(`redthread ${name} could not start: port ${port} on ${address} is taken by another program. Stop it or set PORT.\n`);
  } else {
    process.stderr.write(`redthread ${name} could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}
