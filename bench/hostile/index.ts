/**
 * hostile: how fast the gateway refuses documents built to stall it, and what they cost the
 * requests around them. Each hostile document is sent `--tries` times, one at a time, through the
 * whole gateway (body limit raised to 2 MB, so that every document reaches the operation guard
 * instead of the 413); then a normal query `{ me { code name } }` is timed alone and again while
 * `--attackers` clients send hostile documents non-stop, in alternating rounds of one run.
 * Options: --tries N (default 30), --requests N (normal queries per round, default 400),
 * --rounds N (default 3), --attackers N (default 2).
 */
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET, ErrorCode } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, machine, percentiles, startBenchPlatform, writeResults } from '../lib';

const BODY_LIMIT = 2_000_000;

/** The documents of the issue's acceptance, each with the limit it must be refused by. */
function hostileDocuments(): { name: string; query: string; limit: string }[] {
  const doubling = (levels: number) =>
    `{ me { ...F0 } } ${Array.from({ length: levels }, (_, i) => `fragment F${i} on Partner { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'code'} }`).join(' ')}`;
  return [
    { name: 'fragment doubling, 26 levels', query: doubling(26), limit: 'cost' },
    { name: 'fragment doubling, 1,000 levels', query: doubling(1_000), limit: 'cost' },
    { name: '10,000 aliases', query: `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`, limit: 'tokens' },
    { name: '100,000-level nesting', query: `${'{ me '.repeat(100_000)}{ code }${' }'.repeat(100_000)}`, limit: 'nesting' },
    { name: '10,000 directives on one field', query: `{ me { code ${'@include(if: true) '.repeat(10_000)} } }`, limit: 'tokens' },
    { name: '1 MB of field duplicates', query: `{ me { ${'code '.repeat(200_000)} } }`, limit: 'tokens' },
    { name: '60 directives (under the token limit)', query: `{ me { code ${'@include(if: true) '.repeat(60)} } }`, limit: 'directives' },
    { name: '40 aliased __typename (under the token limit)', query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`, limit: 'aliases' },
  ];
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tries: { type: 'string', default: '30' },
      requests: { type: 'string', default: '400' },
      rounds: { type: 'string', default: '3' },
      attackers: { type: 'string', default: '2' },
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
  const url = platform.gateway.graphqlUrl;
  const token = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A' }, DEV_JWT_SECRET);
  const post = async (body: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string; limit?: string } }[] } };
  };

  const documents = hostileDocuments().map((document) => ({ ...document, body: JSON.stringify({ query: document.query }) }));
  const refusals = [];
  for (const document of documents) {
    log(`${document.name} (${(document.body.length / 1024).toFixed(0)} KiB): ${tries} tries`);
    const latencies: number[] = [];
    for (let i = 0; i < tries; i += 1) {
      const started = performance.now();
      const answer = await post(document.body);
      latencies.push(performance.now() - started);
      const error = answer.body.errors?.[0]?.extensions;
      if (answer.status !== 400 || error?.code !== ErrorCode.OPERATION_LIMIT_EXCEEDED || error.limit !== document.limit) {
        throw new Error(`${document.name}: expected 400 OPERATION_LIMIT_EXCEEDED (${document.limit}), got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      }
    }
    refusals.push({ name: document.name, kib: Math.round(document.body.length / 1024), limit: document.limit, firstMs: Math.round(latencies[0]! * 100) / 100, latencyMs: percentiles(latencies) });
  }

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
  const alone: number[] = [];
  const attacked: number[] = [];
  let hostileSent = 0;
  for (let round = 1; round <= rounds; round += 1) {
    log(`round ${round}/${rounds}: ${requests} normal queries alone`);
    alone.push(...(await timeNormal()));
    log(`round ${round}/${rounds}: ${requests} normal queries while ${attackers} clients send hostile documents`);
    let attacking = true;
    const attack = async (offset: number) => {
      for (let i = offset; attacking; i += 1) {
        await post(documents[i % documents.length]!.body);
        hostileSent += 1;
      }
    };
    const attacks = Array.from({ length: attackers }, (_, i) => attack(i));
    attacked.push(...(await timeNormal()));
    attacking = false;
    await Promise.all(attacks);
  }
  await platform.stop();
  await db.close();

  const quiet = percentiles(alone);
  const loud = percentiles(attacked);
  const result = {
    benchmark: 'hostile',
    at: new Date().toISOString(),
    machine: await machine(),
    parameters: { tries, requests, rounds, attackers, bodyLimitBytes: BODY_LIMIT },
    refusals,
    normalQuery: {
      aloneMs: quiet,
      underAttackMs: loud,
      hostileRequestsDuringAttack: hostileSent,
      slowdownMs: { p50: Math.round((loud.p50 - quiet.p50) * 100) / 100, p99: Math.round((loud.p99 - quiet.p99) * 100) / 100 },
    },
    goal: 'every hostile document refused in under 50 ms; a normal query at the same time slowed by at most a few ms',
  };
  const worst = Math.max(...refusals.map((r) => r.latencyMs.max));
  const markdown = `# hostile

${new Date().toISOString().slice(0, 10)}, ${String(result.machine['cpus'])} cores, Node ${String(result.machine['node'])}. \`npm run bench -- hostile\` (${tries} tries each, body limit raised to 2 MB so every document reaches the guard).

| document | size | refused by | first (ms) | p50 (ms) | p99 (ms) | max (ms) |
|---|---|---|---|---|---|---|
${refusals.map((r) => `| ${r.name} | ${r.kib} KiB | \`${r.limit}\` | ${r.firstMs} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} |`).join('\n')}

Slowest refusal: **${worst} ms** (goal: under 50 ms).

\`{ me { code name } }\`, one at a time, ${rounds} × ${requests} alone and ${rounds} × ${requests} while ${attackers} clients sent hostile documents without pause (${hostileSent} of them):

| | p50 (ms) | p90 (ms) | p99 (ms) |
|---|---|---|---|
| alone | ${quiet.p50} | ${quiet.p90} | ${quiet.p99} |
| under attack | ${loud.p50} | ${loud.p90} | ${loud.p99} |
| difference | ${result.normalQuery.slowdownMs.p50} | ${Math.round((loud.p90 - quiet.p90) * 100) / 100} | ${result.normalQuery.slowdownMs.p99} |

Latencies are client round trips through the whole gateway on this machine (client, gateway and subgraphs share its 2 cores).
`;
  const paths = await writeResults('hostile', result, markdown);
  log(`slowest refusal ${worst} ms; normal query p50 ${quiet.p50} → ${loud.p50} ms under attack`);
  log(`wrote ${paths.join(', ')}`);
}
