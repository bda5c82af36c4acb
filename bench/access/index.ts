/**
 * access: what sign-in and membership-resolved roles cost. Measures password sign-in (scrypt)
 * latency, then `{ me { code } myRoles }` through the gateway with a development token (roles in
 * the token, no lookup), a signed-in user's token with the membership cache (the default), and
 * the same with the cache off (ACCESS_CACHE_SECONDS=0: two lookups per request). Options:
 * --requests N (default 3000), --concurrency N (default 16), --sign-ins N (default 40).
 */
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET } from '@redthread/kit';
import { mintDevToken } from '../../scripts/lib/tokens';
import { DEMO_PASSWORD, demoPartnerId } from '../../scripts/demo/world';
import { benchDatabase, machine, percentiles, runConcurrently, startBenchPlatform, writeResults } from '../lib';

const QUERY = JSON.stringify({ query: '{ me { code } myRoles }' });

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '3000' },
      concurrency: { type: 'string', default: '16' },
      'sign-ins': { type: 'string', default: '40' },
    },
  });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const signIns = Number(values['sign-ins']);
  const log = (message: string) => process.stdout.write(`[access] ${message}\n`);

  log('starting PostgreSQL and seeding the demo world');
  const db = await benchDatabase();
  const cached = await startBenchPlatform(db);
  const base = cached.gateway.url;

  const signIn = async () => {
    const response = await fetch(`${base}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@shop-a.example', password: DEMO_PASSWORD }),
    });
    if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as { accessToken: string };
  };
  log(`${signIns} password sign-ins, one at a time`);
  const sequential = await runConcurrently(signIns, 1, async () => void (await signIn()));
  log(`${signIns} password sign-ins, 4 at a time`);
  const parallel = await runConcurrently(signIns, 4, async () => void (await signIn()));

  const { accessToken } = await signIn();
  const devToken = await mintDevToken({ partnerId: demoPartnerId('SHOP-A'), partnerCode: 'SHOP-A', roles: ['admin'] }, DEV_JWT_SECRET);
  let failures = 0;
  const load = async (graphqlUrl: string, token: string, label: string) => {
    log(`${label}: ${requests} requests, concurrency ${concurrency}`);
    const call = async () => {
      const response = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: QUERY });
      const body = (await response.json()) as { errors?: unknown };
      if (!response.ok || body.errors) failures += 1;
    };
    await runConcurrently(Math.min(1000, requests), concurrency, call);
    return runConcurrently(requests, concurrency, call, (done) => log(`  ${done}/${requests}`));
  };
  const devRun = await load(cached.gateway.graphqlUrl, devToken, 'development token (roles in the token)');
  const cachedRun = await load(cached.gateway.graphqlUrl, accessToken, 'signed-in user, membership cache on');
  await cached.stop();
  const uncached = await startBenchPlatform(db, { accessCacheSeconds: 0 });
  const uncachedRun = await load(uncached.gateway.graphqlUrl, accessToken, 'signed-in user, cache off (ACCESS_CACHE_SECONDS=0)');
  await uncached.stop();
  await db.close();

  const summarise = (r: { latencies: number[]; wallMs: number }, total: number) => ({
    perSecond: Math.round((total / r.wallMs) * 10_000) / 10,
    latencyMs: percentiles(r.latencies),
  });
  const result = {
    benchmark: 'access',
    at: new Date().toISOString(),
    machine: await machine(),
    parameters: { requests, concurrency, signIns },
    signIn: { sequential: summarise(sequential, signIns), fourAtATime: summarise(parallel, signIns) },
    requests: {
      devToken: summarise(devRun, requests),
      sessionCached: summarise(cachedRun, requests),
      sessionUncached: summarise(uncachedRun, requests),
    },
    failures,
  };
  const row = (label: string, r: ReturnType<typeof summarise>) =>
    `| ${label} | ${r.perSecond} | ${r.latencyMs.p50} | ${r.latencyMs.p90} | ${r.latencyMs.p99} | ${r.latencyMs.max} |`;
  const markdown = `# access

${result.at} · ${JSON.stringify(result.machine)}

Password sign-in (\`POST /auth/sign-in\`: rate-limit check, scrypt N=2^15, session and refresh token). All
sign-ins are for one email, whose password checks run one at a time by design (so parallel guesses
cannot outrun the rate limit): 4 at a time waits in line.

| run | sign-ins/s | p50 ms | p90 ms | p99 ms | max ms |
|---|---|---|---|---|---|
${row(`${signIns} one at a time`, result.signIn.sequential)}
${row(`${signIns}, 4 at a time`, result.signIn.fourAtATime)}

\`{ me { code } myRoles }\` through the gateway, ${requests} requests at concurrency ${concurrency}, after 1,000
warm-up requests each:

| credentials | req/s | p50 ms | p90 ms | p99 ms | max ms |
|---|---|---|---|---|---|
${row('development token (roles in the token)', result.requests.devToken)}
${row('signed-in user, membership cache on (default)', result.requests.sessionCached)}
${row('signed-in user, cache off', result.requests.sessionUncached)}

Everything runs in one process on the machine above, in the order listed (the cache-off run on a
platform started afresh); expect a few percent of noise between runs.

Failures: ${failures}.
`;
  const files = await writeResults('access', result, markdown);
  process.stdout.write(`\n${markdown}\nwritten: ${files.join(', ')}\n`);
  if (failures > 0) throw new Error(`${failures} requests failed`);
}
