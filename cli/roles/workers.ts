import { sql } from 'drizzle-orm';
import { Teardown, connectDatabase, countHttpResponse, createServer, listen, parseEnv, routeLabel, sendJson, serveMetrics } from '@redthread/kit';
import { workersRoleEnvSchema, type WorkersRoleEnv } from '../env';
import { runService } from '../lifecycle';
import { createWorkflows } from '../wiring';

/**
 * `redthread workers`: the event-log workflows as `redthread_worker`. Any number may run: each
 * consumer's partitions are spread over the live processes by lease. PORT serves `/healthz`,
 * `/readyz` and `/metrics` only.
 */
export function runWorkers(): Promise<void> {
  return runService('workers', () => parseEnv(workersRoleEnvSchema), async (parsed) => {
    const env = parsed as WorkersRoleEnv;
    const database = connectDatabase(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: 'redthread-workers' });
    const consumers = createWorkflows(database);
    const workflows = [...consumers.values()];
    const parts = new Teardown();
    parts.add('pool', () => database.close());
    // Each consumer finishes and commits the batch in progress, then hands its partitions on.
    parts.add('workflows', () => Promise.all(workflows.map((workflow) => workflow.stop())));
    let draining = false;
    const http = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      countHttpResponse(res, 'workers', routeLabel(path));
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok', service: 'workers', pid: process.pid });
      if (path === '/metrics') return void serveMetrics(req, res);
      if (path === '/readyz') {
        if (draining) return sendJson(res, 503, { status: 'draining' });
        database.db
          .execute(sql`select 1`)
          .then(() => sendJson(res, 200, { status: 'ready', consumers: Object.fromEntries([...consumers].map(([name, consumer]) => [name, { partitions: consumer.heldPartitions }])) }))
          .catch(() => sendJson(res, 503, { status: 'unavailable', reason: 'database' }));
        return;
      }
      sendJson(res, 404, { error: 'Not found. The workers serve /healthz, /readyz and /metrics only.' });
    });
    try {
      await Promise.all(workflows.map((workflow) => workflow.start()));
      const running = await listen(http, env.PORT, env.HOST);
      return {
        url: running.url,
        drain: async (graceMs) => {
          draining = true;
          // The probe server first (it only answers probes); then the consumers and the pool.
          await running.drain(Math.min(graceMs, 1000));
          await parts.run();
        },
      };
    } catch (error) {
      await parts.run().catch(() => {});
      throw error;
    }
  });
}
