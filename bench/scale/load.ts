/**
 * The load generator of bench/scale, in a process of its own so the load never runs on a
 * platform's event loop (nor on the orchestrator's); bench/federation uses it too. Configuration:
 * JSON in SCALE_LOAD ({ url, token | tokens[], query, variables[], concurrency, warmup, requests,
 * seconds }). Request i sends tokens[i % tokens.length] with variables[i % variables.length], so
 * lists of one length pair up (each identity with its own variables).
 *
 * Speaks bench/load-protocol.ts, over `concurrency` keep-alive connections. The warm-up is sent
 * from here; the measured seconds by wrk when it is installed (bench/wrk.ts), else from here too.
 */
import http from 'node:http';
import { serveLoad, type LoadShape, type MeasuredEngine } from '../load-protocol';
import { runWrk, wrkVersion } from '../wrk';

interface LoadConfig extends LoadShape {
  url: string;
  /** One bearer token for every request, or `tokens` in turn. */
  token?: string;
  tokens?: string[];
  query: string;
  variables: Record<string, unknown>[];
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
          // The common answer, checked without parsing it (the load process should cost little):
          // data first and no errors anywhere. Anything else is parsed and judged in full.
          if (text.startsWith('{"data":{') && !text.includes('"errors":')) return resolve(undefined);
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

const wrk = wrkVersion();
const engine: MeasuredEngine | undefined = wrk
  ? {
      name: `${wrk}, one thread`,
      measure: (seconds) => runWrk({ url: config.url, tokens, bodies: bodies.map((body) => body.toString('utf8')), concurrency: config.concurrency, seconds }),
    }
  : undefined;
await serveLoad(config, (index) => post(bodies[index % bodies.length]!, tokens[index % tokens.length]!), engine);
agent.destroy();
process.exit(0);
