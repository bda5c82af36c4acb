/**
 * Tracing (issue "Operable and pleasant"): one federated request yields one connected trace —
 * the gateway's request span (with Apollo Gateway's own planning and fetch spans), a fetch span per subgraph it called, each subgraph's request span
 * under its fetch, and the SQL transactions under those — and the log lines of the request carry
 * its trace id. Recorded with the SDK's in-memory exporter.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { activeTraceIds, startTracing, tracer, type Tracing } from '@redthread/kit';
import { InMemorySpanExporter, type ReadableSpan } from '@redthread/kit/tracing-sdk';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
let db: TestDatabase;
let api: TestPlatform;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: 'redthread-test', exporter });
  db = await freshDatabase();
  api = await startTestPlatform(db);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
  await tracing?.shutdown();
});

describe('tracing', () => {
  it('is off without an endpoint or exporter', async () => {
    expect(await startTracing({ serviceName: 'x' })).toBeUndefined();
  });

  it('follows one federated request through the gateway, the subgraphs it touched and their SQL, as one trace', async () => {
    const token = await api.tokenFor('SHOP-A');
    exporter.reset();
    const response = await api.query(token, 'query Traced { orders(first: 3) { edges { node { id lines { product { name owner { code } } } } } } }');
    expect(response.errors).toBeUndefined();

    const spans = await waitForSpans(() => exporter.getFinishedSpans().some((span) => span.name === 'gateway Traced'));
    const root = spans.find((span) => span.name === 'gateway Traced')!;
    const trace = spans.filter((span) => span.spanContext().traceId === root.spanContext().traceId);
    const byId = new Map(trace.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');
    const ancestors = (span: ReadableSpan) => {
      const found: ReadableSpan[] = [];
      for (let up = parentOf(span); up; up = parentOf(up)) found.push(up);
      return found;
    };

    expect(root.parentSpanContext?.spanId).toBeUndefined();
    expect(root.attributes['graphql.operation.name']).toBe('Traced');
    const fetches = trace.filter((span) => span.name.startsWith('fetch '));
    expect(new Set(fetches.map((span) => span.attributes['redthread.subgraph']))).toEqual(new Set(['orders', 'catalog']));
    // Under the gateway's request span (Apollo Gateway's own plan and fetch spans sit in between).
    for (const fetch of fetches) expect(ancestors(fetch)).toContain(root);
    expect(trace.some((span) => span.name === 'gateway.plan')).toBe(true);

    // Each subgraph's request span is a child of the gateway's fetch to it.
    for (const subgraph of ['orders', 'catalog']) {
      const served = trace.filter((span) => span.attributes['redthread.service'] === subgraph && span.name.startsWith(`${subgraph} `));
      expect(served.length, subgraph).toBeGreaterThan(0);
      for (const span of served) expect(parentOf(span)?.attributes['redthread.subgraph']).toBe(subgraph);
      // …and its SQL transaction is under it.
      const sql = trace.filter((span) => span.name === 'sql transaction' && served.includes(parentOf(span)!));
      expect(sql.length, `${subgraph} SQL`).toBeGreaterThan(0);
    }
    // Nothing of this request landed in another trace.
    expect(spans.filter((span) => span.name.startsWith('fetch ') && span.spanContext().traceId !== root.spanContext().traceId)).toEqual([]);
  });

  it('puts the active trace id into every log line', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ mixin: activeTraceIds }, new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
    let traceId = '';
    await tracer.startActiveSpan('work', async (span) => {
      traceId = span.spanContext().traceId;
      log.info('inside');
      span.end();
    });
    log.info('outside');
    expect(lines[0]).toMatchObject({ msg: 'inside', traceId });
    expect(lines[1]?.['traceId']).toBeUndefined();
  });
});

async function waitForSpans(done: () => boolean): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  return exporter.getFinishedSpans();
}
