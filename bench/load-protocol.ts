/**
 * The protocol of the benchmarks' load processes (bench/scale/load.ts over HTTP,
 * bench/catalog-read/sql-load.ts over SQL): send `warmup` requests, print
 * `{"ready":true,"warmupFailures":N}`, wait for a line on stdin, then send `requests` (or as many
 * as fit in `seconds`, when > 0) with `concurrency` in flight and print one JSON line
 * { requests, seconds, requestsPerSecond, latencyMs: { p50, p90, p99, max }, failures, firstFailure }
 * (a {@link LoadResult} in bench/harness.ts), then keep its connections until stdin ends. The
 * caller reads the CPU counters before it ends stdin: a load that closed its connections first
 * would take its PostgreSQL backends' CPU with them (a backend that exits leaves /proc), and the
 * SQL baseline's database time would read as someone else's.
 *
 * It imports nothing of the platform: a load process stays small and cheap.
 */
import { createInterface } from 'node:readline';

export interface LoadShape {
  concurrency: number;
  warmup: number;
  requests: number;
  seconds: number;
}

/** One request; resolves with a failure description, or undefined when it succeeded. */
export type SendOne = (index: number) => Promise<string | undefined>;

/** What a measurement yields before its rate is worked out. */
export interface MeasuredLoad {
  requests: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  failures: number;
  firstFailure?: string;
}

/**
 * Another engine for the measured seconds (bench/wrk.ts): the warm-up still goes through `send`,
 * which checks every answer in full.
 */
export interface MeasuredEngine {
  /** Named in the result, as `engine`. */
  name: string;
  measure(seconds: number): Promise<MeasuredLoad>;
}

async function drive(shape: LoadShape, requests: number, seconds: number, send: SendOne) {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = seconds > 0 ? started + seconds * 1000 : Infinity;
  const more = () => (seconds > 0 ? performance.now() < deadline : next < requests);
  const worker = async () => {
    while (more()) {
      const index = next++;
      const t0 = performance.now();
      const failure = await send(index).catch((error: unknown) => `threw: ${error instanceof Error ? error.message : String(error)}`);
      latencies.push(performance.now() - t0);
      if (failure) {
        failures += 1;
        firstFailure ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: shape.concurrency }, worker));
  return { latencies, failures, firstFailure, seconds: (performance.now() - started) / 1000 };
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

/** Runs the protocol above with `send` and resolves when the measured result is printed. */
export async function serveLoad(shape: LoadShape, send: SendOne, engine?: MeasuredEngine): Promise<void> {
  const warm = await drive(shape, shape.warmup, 0, send);
  process.stdout.write(`${JSON.stringify({ ready: true, warmupFailures: warm.failures, firstFailure: warm.firstFailure })}\n`);
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  // wrk and its kind run for a time, not a count: a count stays with `send`.
  const useEngine = engine && shape.seconds > 0 ? engine : undefined;
  let measured: MeasuredLoad;
  if (useEngine) {
    measured = await useEngine.measure(shape.seconds);
  } else {
    const driven = await drive(shape, shape.requests, shape.seconds, send);
    measured = { requests: driven.latencies.length, seconds: Math.round(driven.seconds * 1000) / 1000, latencyMs: percentiles(driven.latencies), failures: driven.failures, firstFailure: driven.firstFailure };
  }
  process.stdout.write(
    `${JSON.stringify({
      ...measured,
      requestsPerSecond: Math.round((measured.requests / measured.seconds) * 10) / 10,
      engine: useEngine?.name ?? 'node',
    })}\n`,
  );
  await stdinEnded();
}

function stdinEnded(): Promise<void> {
  if (process.stdin.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    process.stdin.once('end', () => resolve());
    process.stdin.resume();
  });
}
