import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

let root: Logger | undefined;

/**
 * Configures the process-wide root logger. Call once at start with the parsed LOG_LEVEL;
 * before that, loggers are created at `info` (or `silent` under vitest, which sets VITEST).
 */
export function configureLogging(level: LevelWithSilent): Logger {
  root = pino({ level, base: { service: 'redthread' } });
  return root;
}

/** A child logger for one component (`gateway`, `catalog`, `events`, ...); ids go in fields. */
export function createLogger(component: string): Logger {
  root ??= pino({ level: defaultLevel(), base: { service: 'redthread' } });
  return root.child({ component });
}

function defaultLevel(): LevelWithSilent {
  // vitest sets VITEST; logs from servers under test would drown the test report.
  return process.env['VITEST'] ? 'silent' : 'info';
}
