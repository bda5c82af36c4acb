import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { activeTraceIds } from './tracing';

export type { Logger } from 'pino';

let root: Logger | undefined;

/**
 * Configures the process-wide root logger; `pretty` (a development terminal) prints readable
 * lines through pino-pretty instead of JSON. Every line of a traced request carries its `traceId`
 * and `spanId` (when tracing is on). Call once at start with the parsed LOG_LEVEL;
 * before that, loggers are created at `info` (or `silent` under vitest, which sets VITEST).
 */
export function configureLogging(level: LevelWithSilent, options: { pretty?: boolean } = {}): Logger {
  const settings = { level, base: { service: 'redthread' }, mixin: activeTraceIds };
  // Readable lines for a person at a terminal; JSON, one object a line, for everything else.
  // pino-pretty is loaded only for a terminal: servers and tests never need it.
  const pretty = options.pretty ? (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty) : undefined;
  root = pretty
    ? pino(settings, pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true }))
    : pino(settings);
  return root;
}

/** A child logger for one component (`gateway`, `catalog`, `events`, ...); ids go in fields. */
export function createLogger(component: string): Logger {
  root ??= pino({ level: defaultLevel(), base: { service: 'redthread' }, mixin: activeTraceIds });
  return root.child({ component });
}

function defaultLevel(): LevelWithSilent {
  // vitest sets VITEST; logs from servers under test would drown the test report.
  return process.env['VITEST'] ? 'silent' : 'info';
}
