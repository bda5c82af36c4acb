/**
 * hostile: how fast the gateway refuses documents built to stall it, and what they cost the
 * requests around them. Each hostile document is sent `--tries` times, one at a time, through the
 * whole gateway (body limit raised to 2 MB, so that every document reaches the operation guard
 * instead of the 413), each time with a different comment so that no verdict comes from the
 * guard's cache, as an attacker would; then a normal query `{ me { code name } }` is timed alone,
 * again while `--attackers` clients on another thread send that same normal query non-stop (the
 * baseline: any busy client), and while they send such hostile documents non-stop, in interleaved
 * rounds of one run.
 * Options: --tries N (default 30), --requests N (normal queries per round, default 400),
 * --rounds N (default 3), --attackers N (default 1). The gateway's event-loop delay is recorded in
 * every phase: how long any request had to wait for the loop to be free.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEV_JWT_SECRET, ErrorCode } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { buildSchema } from 'graphql';
import { DEFAULT_LIMITS, OperationGuard } from '@redthread/gateway/limits';
import { benchDatabase, machine, percentiles, startBenchPlatform, writeResults } from '../lib';

const BODY_LIMIT = 2_000_000;

const doubling = (levels: number) =>
  `{ me { ...F0 } } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Partner { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'code'} }`).join(' ')}`;

/** The documents of the issue's acceptance, each with the limit it must be refused by (default limits). */
function hostileDocuments(): { name: string; query: string; limit: string }[] {
  return [
    { name: 'fragment doubling, 26 levels', query: doubling(26), limit: 'cost' },
    { name: 'fragment doubling, 60 levels', query: doubling(60), limit: 'cost' },
    { name: 'fragment doubling, 400 levels', query: doubling(400), limit: 'nesting' },
    { name: '10,000 aliases', query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`, limit: 'tokens' },
    { name: '100,000-level nesting', query: `${'{ me '.repeat(100_000)}{ code }${' }'.repeat(100_000)}`, limit: 'nesting' },
    { name: '10,000 directives on one field', query: `{ me { code ${'@include(if: true) '.repeat(10_000)} } }`, limit: 'tokens' },
    { name: '1 MB of field duplicates', query: `{ me { ${'code '.repeat(200_000)} } }`, limit: 'tokens' },
    { name: '60 directives (under the token limit)', query: `{ me { code ${'@include(if: true) '.repeat(60)} } }`, limit: 'directives' },
    { name: '40 aliased __typename (under the token limit)', query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`, limit: 'aliases' },
  ];
}

/**
 * The attackers, on a thread of their own so that building and sending megabyte bodies does not
 * run on the gateway's event loop: `attackers` loops, each sending the hostile documents in turn,
 * each with a fresh comment. Says 'ready' after the first answers, and how many it sent when stopped.
 */
const ATTACKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, token, attackers, queries } = workerData;
let attacking = true;
let sent = 0;
parentPort.on('message', () => { attacking = false; });
// Each body once as JSON, a fresh comment spliced in before its closing quote: no megabyte stringified per request.
const bodies = queries.map((query) => JSON.stringify({ query: query + ' # ' }).slice(0, -2));
const post = (body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
  body: body + Math.random().toString(36).slice(2) + '"}' }).then((response) => response.arrayBuffer());
const loop = async (offset) => { for (let i = offset; attacking; i += 1) { await post(bodies[i % bodies.length]); sent += 1; if (sent === attackers) parentPort.postMessage('ready'); } };
Promise.all(Array.from({ length: attackers }, (_, i) => loop(i))).then(() => parentPort.postMessage(sent));
`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tries: { type: 'string', default: '30' },
      requests: { type: 'string', default: '400' },
      rounds: { type: 'string', default: '3' },
      attackers: { type: 'string', default: '1' },
    },
  });
  const tries = Number(values.tries);
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const attackers = Number(values.attackers);
  const log = (message: string) => process.stdout.write(`[hostile] ${message}\n`);

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const platform = await startBenchPlatform(db, { maxBodyBytes: BODY_LIMIT });
  let url = platform.gateway.graphqlUrl;
  const token = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);
  const post = async (body: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string; limit?: string } }[] } };
  };

  /** A request body for `query` that the guard has never seen (a comment of its own). */
  const fresh = (query: string) => JSON.stringify({ query: `${query} # ${Math.random().toString(36).slice(2)}` });
  const documents = hostileDocuments();
  log('warming up the gateway');
  for (let i = 0; i < 200; i += 1) await post(fresh('{ me { code name } }'));
  const refusals: { name: string; kib: number; limit: string; latencyMs: ReturnType<typeof percentiles> }[] = [];
  const refuse = async (document: { name: string; query: string; limit: string }) => {
    log(`${document.name} (${(document.query.length / 1024).toFixed(0)} KiB): ${tries} tries`);
    const latencies: number[] = [];
    for (let i = 0; i < tries; i += 1) {
      const body = fresh(document.query);
      const started = performance.now();
      const answer = await post(body);
      latencies.push(performance.now() - started);
      const error = answer.body.errors?.[0]?.extensions;
      if (answer.status !== 400 || error?.code !== ErrorCode.OPERATION_LIMIT_EXCEEDED || error.limit !== document.limit) {
        throw new Error(`${document.name}: expected 400 OPERATION_LIMIT_EXCEEDED (${document.limit}), got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      }
    }
    refusals.push({ name: document.name, kib: Math.round(document.query.length / 1024), limit: document.limit, latencyMs: percentiles(latencies) });
  };
  for (const document of documents) await refuse(document);

  // The fragment checks alone, beyond the token limit's reach: a second gateway with ten times the tokens.
  log('a gateway with ten times the token limit, for fragments doubling 4,000 levels deep');
  const lifted = await startBenchPlatform(db, { maxBodyBytes: BODY_LIMIT, limits: { ...DEFAULT_LIMITS, maxTokens: 50_000 } });
  const defaultUrl = url;
  url = lifted.gateway.graphqlUrl;
  for (let i = 0; i < 200; i += 1) await post(fresh('{ me { code name } }'));
  await refuse({ name: 'fragment doubling, 4,000 levels (MAX_TOKENS=50000)', query: doubling(4_000), limit: 'nesting' });
  url = defaultUrl;
  await lifted.stop();

  // The guard's own work per document, in this process: what the gateway spends before answering.
  log('the operation guard alone, on documents it has not seen');
  const guard = new OperationGuard(DEFAULT_LIMITS);
  const schema = buildSchema('type Query { me: Partner } type Partner { code: String name: String }');
  const guardMs = documents.map((document) => {
    const samples: number[] = [];
    for (let i = 0; i < tries; i += 1) {
      const query = `${document.query} # ${i} ${Math.random()}`;
      const started = performance.now();
      const verdict = guard.inspect(schema, query, undefined, undefined);
      samples.push(performance.now() - started);
      if (!('error' in verdict)) throw new Error(`the guard let ${document.name} through`);
    }
    return { name: document.name, latencyMs: percentiles(samples) };
  });

  const normal = JSON.stringify({ query: '{ me { code name } }' });
  const timeNormal = async () => {
    const latencies: number[] = [];
    for (let i = 0; i < requests; i += 1) {
      const started = performance.now();
      const answer = await post(normal);
      latencies.push(performance.now() - started);
      if (answer.status !== 200 || answer.body.errors) throw new Error(`normal query failed: ${JSON.stringify(answer.body)}`);
    }
    return latencies;
  };
  /** One phase of a round: normal queries timed while `load` (none, benign or hostile) runs on another thread. */
  type Phase = 'alone' | 'benign' | 'hostile';
  const phases: Record<Phase, { latencies: number[]; loopP99: number[]; loopMax: number[]; sent: number }> = {
    alone: { latencies: [], loopP99: [], loopMax: [], sent: 0 },
    benign: { latencies: [], loopP99: [], loopMax: [], sent: 0 },
    hostile: { latencies: [], loopP99: [], loopMax: [], sent: 0 },
  };
  const loads: Record<Exclude<Phase, 'alone'>, string[]> = { benign: ['{ me { code name } }'], hostile: documents.map((d) => d.query) };
  for (let round = 1; round <= rounds; round += 1) {
    for (const phase of ['alone', 'benign', 'hostile'] as const) {
      log(`round ${round}/${rounds}: ${requests} normal queries, ${phase === 'alone' ? 'alone' : `while ${attackers} ${phase} client(s) send non-stop`}`);
      const load = phase === 'alone' ? undefined : new Worker(ATTACKER, { eval: true, workerData: { url, token, attackers, queries: loads[phase] } });
      if (load) await new Promise((resolve) => load.once('message', resolve));
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      phases[phase].latencies.push(...(await timeNormal()));
      loop.disable();
      phases[phase].loopP99.push(loop.percentile(99) / 1e6);
      phases[phase].loopMax.push(loop.max / 1e6);
      if (load) {
        load.postMessage('stop');
        phases[phase].sent += await new Promise<number>((resolve) => load.once('message', resolve));
        await load.terminate();
      }
    }
  }
  await platform.stop();
  await db.close();

  const round2 = (v: number) => Math.round(v * 100) / 100;
  const summary = Object.fromEntries(
    (Object.keys(phases) as Phase[]).map((phase) => [
      phase,
      {
        latencyMs: percentiles(phases[phase].latencies),
        requestsSentByLoad: phases[phase].sent,
        eventLoopDelayMs: { worstP99: round2(Math.max(...phases[phase].loopP99)), max: round2(Math.max(...phases[phase].loopMax)) },
      },
    ]),
  ) as Record<Phase, { latencyMs: ReturnType<typeof percentiles>; requestsSentByLoad: number; eventLoopDelayMs: { worstP99: number; max: number } }>;
  const result = {
    benchmark: 'hostile',
    at: new Date().toISOString(),
    machine: await machine(),
    parameters: { tries, requests, rounds, attackers, bodyLimitBytes: BODY_LIMIT },
    refusals,
    guardAloneMs: guardMs,
    normalQuery: summary,
    goal: 'every hostile document refused in under 50 ms; a normal query at the same time slowed by at most a few ms (hostile load no worse than benign load)',
  };
  const worst = Math.max(...refusals.map((r) => r.latencyMs.max));
  const worstDefault = Math.max(...refusals.filter((r) => !r.name.includes('MAX_TOKENS')).map((r) => r.latencyMs.max));
  const markdown = `# hostile

${new Date().toISOString().slice(0, 10)}, ${String(result.machine['cpus'])} cores, Node ${String(result.machine['node'])}. \`npm run bench -- hostile\` (${tries} tries each, every try a document the guard has not seen; body limit raised to 2 MB so every document reaches the guard).

| document | size | refused by | p50 (ms) | p99 (ms) | max (ms) |
|---|---|---|---|---|---|
${refusals.map((r) => `| ${r.name} | ${r.kib} KiB | \`${r.limit}\` | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} |`).join('\n')}

Slowest refusal at the default limits: **${worstDefault} ms** (goal: under 50 ms).

The guard's own work (\`OperationGuard.inspect\` in-process, same documents, each new; no HTTP, no JSON):

| document | p50 (ms) | p99 (ms) | max (ms) |
|---|---|---|---|
${guardMs.map((g) => `| ${g.name} | ${g.latencyMs.p50} | ${g.latencyMs.p99} | ${g.latencyMs.max} |`).join('\n')}

\`{ me { code name } }\`, one at a time, ${rounds} × ${requests} in each phase, the phases interleaved: alone; while ${attackers} client(s) on another thread sent the same normal query non-stop (benign load); and while they sent the hostile documents above non-stop, each one new (hostile load). The benign phase is the baseline: what any busy client costs on 2 cores.

| phase | requests sent by the load | p50 (ms) | p90 (ms) | p99 (ms) | event-loop delay, worst p99 (ms) | event-loop delay, max (ms) |
|---|---|---|---|---|---|---|
${(Object.keys(summary) as Phase[]).map((phase) => `| ${phase} | ${summary[phase].requestsSentByLoad} | ${summary[phase].latencyMs.p50} | ${summary[phase].latencyMs.p90} | ${summary[phase].latencyMs.p99} | ${summary[phase].eventLoopDelayMs.worstP99} | ${summary[phase].eventLoopDelayMs.max} |`).join('\n')}

Normal query p50 under hostile load ÷ under benign load: **${round2(summary.hostile.latencyMs.p50 / summary.benign.latencyMs.p50)}**; hostile − alone: ${round2(summary.hostile.latencyMs.p50 - summary.alone.latencyMs.p50)} ms at p50.

Latencies are client round trips through the whole gateway on this machine (client, gateway and subgraphs share its 2 cores).
`;
  const paths = await writeResults('hostile', result, markdown);
  log(`slowest refusal ${worst} ms; normal query p50 alone ${summary.alone.latencyMs.p50} ms, benign load ${summary.benign.latencyMs.p50} ms, hostile load ${summary.hostile.latencyMs.p50} ms`);
  log(`wrote ${paths.join(', ')}`);
}
