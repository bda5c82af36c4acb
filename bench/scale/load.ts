/**
 * The load generator of bench/scale, in a process of its own so the load never runs on a
 * platform's event loop (nor on the orchestrator's); bench/federation uses it too. Configuration:
 * JSON in SCALE_LOAD ({ url, token | tokens[], query, variables[], concurrency, warmup, requests,
 * seconds }). Request i sends tokens[i % tokens.length] with variables[i % variables.length], so
 * lists of one length pair up (each identity with its own variables).
 *
 * Sends `warmup` requests, prints `{"ready":true}`, waits for a line on stdin, then sends
 * `requests` POSTs (or as many as fit in `seconds`, when > 0) over `concurrency` keep-alive
 * connections, `concurrency` in flight, cycling through `variables`; prints one JSON line
 * { requests, seconds, requestsPerSecond, latencyMs: { p50, p90, p99, max }, failures, firstFailure }.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';

interface LoadConfig {
  url: string;
  /** One bearer token for every request, or `tokens` in turn. */
  token?: string;
  tokens?: string[];
  query: string;
  variables: Record<string, unknown>[];
  concurrency: number;
  warmup: number;
  requests: number;
  seconds: number;
}

const config = JSON.parse(process.env['SCALE_LOAD'] ?? '{}') as LoadConfig;
const target = new URL(config.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency, maxFreeSockets: config.concurrency });
const bodies = config.variables.map((variables) => Buffer.from(JSON.stringify({ query: config.query, variables })));
const tokens = config.tokens ?? [config.token ?? ''];

/** One POST; resolves with a failure description, or undefined when the answer had data and no errors. */
function post(body: Buffer, token: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': body.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) return resolve(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
          try {
            const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown };
            resolve(parsed.errors || !parsed.data ? `errors: ${JSON.stringify(parsed.errors).slice(0, 300)}` : undefined);
          } catch {
            resolve(`not JSON: ${text.slice(0, 300)}`);
          }
        });
        response.on('error', (error) => resolve(`response: ${error.message}`));
      },
    );
    request.on('error', (error) => resolve(`request: ${error.message}`));
    request.end(body);
  });
}

async function drive(requests: number, seconds: number) {
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
      const failure = await post(bodies[index % bodies.length]!, tokens[index % tokens.length]!);
      latencies.push(performance.now() - t0);
      if (failure) {
        failures += 1;
        firstFailure ??= failure;
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  return { latencies, failures, firstFailure, seconds: (performance.now() - started) / 1000 };
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
}

const warm = await drive(config.warmup, 0);
process.stdout.write(`${JSON.stringify({ ready: true, warmupFailures: warm.failures, firstFailure: warm.firstFailure })}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const measured = await drive(config.requests, config.seconds);
process.stdout.write(
  `${JSON.stringify({
    requests: measured.latencies.length,
    seconds: Math.round(measured.seconds * 1000) / 1000,
    requestsPerSecond: Math.round((measured.latencies.length / measured.seconds) * 10) / 10,
    latencyMs: percentiles(measured.latencies),
    failures: measured.failures,
    firstFailure: measured.firstFailure,
  })}\n`,
);
agent.destroy();
process.exit(0);
