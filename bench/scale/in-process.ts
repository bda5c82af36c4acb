/**
 * The in-process mode of bench/scale: today's wiring (gateway, four subgraphs, workflows and
 * event hub in one Node process, `startBenchPlatform`), in a process of its own. Database URLs:
 * JSON in SCALE_DB ({ adminUrl, appUrl, workerUrl, authUrl }). Prints one JSON line
 * { ready, graphqlUrl, pid } once it serves, then runs until SIGTERM (or its stdin closes:
 * the orchestrator is gone), stops the platform and exits 0.
 */
import { configureLogging } from '@redthread/kit';
import { startBenchPlatform, type BenchDatabase } from '../lib';

// The multi-process roles run with LOG_LEVEL=warn: the same here.
configureLogging((process.env['LOG_LEVEL'] ?? 'warn') as 'warn');
const urls = JSON.parse(process.env['SCALE_DB'] ?? '{}') as Omit<BenchDatabase, 'close'>;
const platform = await startBenchPlatform({ ...urls, close: async () => {} });
process.stdout.write(`${JSON.stringify({ ready: true, graphqlUrl: platform.gateway.graphqlUrl, pid: process.pid })}\n`);

let stopping = false;
const stop = (reason: string) => {
  if (stopping) return;
  stopping = true;
  const started = Date.now();
  platform
    .stop()
    .then(() => {
      process.stderr.write(`[in-process] stopped (${reason}) in ${Date.now() - started} ms\n`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      process.stderr.write(`[in-process] stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.stdin.on('end', () => stop('orchestrator gone'));
process.stdin.resume();
