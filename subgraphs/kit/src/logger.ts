import { pino, type Logger, type LevelWithSilent } from 'pino';
import { activeTraceIds } from './tracing';

export type { Logger } from 'pino';

let root: Logger | undefined;

/**
 * Configures the process-wide root logger. Every line of a traced request carries its `traceId`
 * and `spanId` (when tracing is on). Call once at start with the parsed LOG_LEVEL;
 * before that, loggers are created at `info` (or `silent` under vitest, which sets VITEST).
 */
export function configureLogging(level: LevelWithSilent): Logger {
  root = pino({ level, base: { service: 'redthread' }, mixin: activeTraceIds });
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
