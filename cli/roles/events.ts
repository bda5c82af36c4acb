import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { EnvError, configureLogging, connectDatabase, listParkedEvents, parseEnv, type ParkedEvent, type ParkedEventActionResult } from '@redthread/kit';
import { eventsCommandEnvSchema } from '../env';
import { createWorkflows } from '../wiring';

/** The usage of `redthread events`. */
export const EVENTS_USAGE = `Usage: redthread events <command>   (npm run events -- <command>)

Parked events: an event whose handler failed every attempt (5, with back-off) is parked with its
error and the consumer moves on; later events of the same aggregate wait behind it.

  parked [--consumer <name>] [--json]
        lists them: id, consumer, topic, entity, attempts, when parked, how many wait behind it, the error
  retry <eventId> --consumer <name> --reason "<why>" [--actor <who>]
        runs it again in the consumer's handler, then the events waiting behind it, in order
  discard <eventId> --consumer <name> --reason "<why>" [--actor <who>]
        drops it unhandled, then runs the events waiting behind it, in order

Consumers: orders.chain, inventory.allocation, finance.bookkeeping. Retry and discard write an
audit entry (events.parked_event_actions) with the actor (default: <os user>@<host>) and reason.
Environment: DATABASE_URL as redthread_worker (the workers' login), LOG_LEVEL (default silent).
Exit codes: 0 done, 1 refused or failed again, 2 usage or configuration.
`;

/** Where the command writes (the process's streams unless a caller passes others). */
export interface EventsCommandIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: EventsCommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

class UsageError extends Error {}

/** `redthread events <command>`: lists, retries or discards parked events; resolves to the exit code. */
export async function runEventsCommand(argv: readonly string[], io: EventsCommandIo = processIo, source: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw error;
    io.err(`redthread events: ${(error as Error).message}\n\n${EVENTS_USAGE}`);
    return 2;
  }
  if (parsed.command === 'help') {
    io.out(EVENTS_USAGE);
    return 0;
  }
  let env;
  try {
    env = parseEnv(eventsCommandEnvSchema, source);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    io.err(`redthread events: ${error.message}\n`);
    return 2;
  }
  configureLogging(env.LOG_LEVEL);
  const database = connectDatabase(env.DATABASE_URL, { max: 2, applicationName: 'redthread-events' });
  try {
    const [login] = await database.db.execute<{ worker: boolean; name: string }>(sql`
      select current_user as name,
             pg_has_role(current_user, 'redthread_worker', 'member') and not r.rolsuper and not r.rolbypassrls as worker
      from pg_roles r where r.rolname = current_user`);
    if (!login?.worker) {
      io.err(`redthread events: DATABASE_URL logs in as ${login?.name ?? 'an unknown role'}; connect as redthread_worker, the workers' login (the handlers run under row-level security as in the workers).\n`);
      return 2;
    }
    const consumers = createWorkflows(database);
    if (parsed.consumer !== undefined && !consumers.has(parsed.consumer)) {
      io.err(`redthread events: unknown consumer "${parsed.consumer}"; the consumers are ${[...consumers.keys()].join(', ')}.\n`);
      return 2;
    }
    if (parsed.command === 'parked') {
      const parked = await listParkedEvents(database.db, parsed.consumer === undefined ? {} : { consumer: parsed.consumer });
      io.out(parsed.json ? `${JSON.stringify(parked, null, 2)}\n` : formatParked(parked));
      return 0;
    }
    const consumer = consumers.get(parsed.consumer)!;
    const input = { actor: parsed.actor, reason: parsed.reason };
    const result = parsed.command === 'retry' ? await consumer.retryParked(parsed.eventId, input) : await consumer.discardParked(parsed.eventId, input);
    return report(result, io);
  } finally {
    await database.close();
  }
}

type ParsedCommand =
  | { command: 'help' }
  | { command: 'parked'; consumer: string | undefined; json: boolean }
  | { command: 'retry' | 'discard'; eventId: number; consumer: string; reason: string; actor: string };

function parseCommand(argv: readonly string[]): ParsedCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      consumer: { type: 'string' },
      reason: { type: 'string' },
      actor: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') return { command: 'help' };
  if (command === 'parked') {
    if (rest.length) throw new UsageError(`parked takes no argument, got "${rest.join(' ')}"`);
    return { command, consumer: values.consumer, json: Boolean(values.json) };
  }
  if (command !== 'retry' && command !== 'discard') throw new UsageError(`unknown command "${command}"`);
  const [id, ...extra] = rest;
  if (!id || extra.length || !/^[1-9]\d{0,15}$/.test(id)) throw new UsageError(`${command} needs one event id (a positive integer)${id ? `, got "${rest.join(' ')}"` : ''}`);
  if (!values.consumer) throw new UsageError(`${command} needs --consumer <name>`);
  if (!values.reason?.trim()) throw new UsageError(`${command} needs --reason "<why>" (it goes into the audit entry)`);
  return { command, eventId: Number(id), consumer: values.consumer, reason: values.reason, actor: values.actor ?? defaultActor() };
}

/** The person at the terminal, as `<os user>@<host>`. */
function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry.
  }
  return `${user}@${hostname()}`;
}

function report(result: ParkedEventActionResult, io: EventsCommandIo): number {
  if ('errorCode' in result) {
    io.err(`${result.errorCode}: ${result.message}\n`);
    return 1;
  }
  const verb = result.action === 'retry' ? 'retried' : 'discarded';
  const handled = result.handled.length ? `handled ${result.handled.join(', ')}` : 'handled nothing';
  if (result.outcome === 'released') {
    io.out(`Event ${result.eventId} of ${result.consumer} ${verb}: ${handled}. Its aggregate's events flow again. Audit entry written.\n`);
    return 0;
  }
  io.err(
    `Event ${result.eventId} of ${result.consumer} ${verb}, ${handled}; event ${result.failedEventId} failed again and stays parked` +
      `${result.waiting ? ` with ${result.waiting} waiting behind it` : ''}: ${result.error.message}\nAudit entry written.\n`,
  );
  return 1;
}

/** The parked events as a table, one line each. */
function formatParked(parked: readonly ParkedEvent[]): string {
  if (parked.length === 0) return 'No parked events.\n';
  const header = ['EVENT', 'CONSUMER', 'TOPIC', 'ENTITY', 'ATTEMPTS', 'PARKED AT', 'WAITING', 'ERROR'];
  const rows = parked.map((p) => [
    String(p.eventId),
    p.consumer,
    p.topic,
    `${p.entityType} ${p.entityId}`,
    String(p.attempts),
    p.parkedAt.toISOString(),
    String(p.waiting),
    p.behind === null ? oneLine(`${p.error?.code ? `[${p.error.code}] ` : ''}${p.error?.message ?? ''}`) : `waits behind ${p.behind}`,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (row: string[]) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

/** A message on one line, at most 160 characters (`--json` has it whole). */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}
