import { openSubscriptions } from './metrics';
import type postgres from 'postgres';
import {
  EVENTS_CHANNEL,
  comparePositions,
  liveLogPosition,
  readLiveEventsAfter,
  type EventPosition,
  type LoggedEvent,
} from './events';
import type { Db } from './db';
import { ErrorCode } from './errors';
import { createLogger, type Logger } from './logger';
import { WakeUps } from './wakeups';

/** Raised into a live stream whose subscriber fell too far behind; it should resume from its cursor. */
export class SlowConsumerError extends Error {
  readonly code = ErrorCode.SLOW_CONSUMER;
  constructor(readonly limit: number) {
    super(`The subscriber fell more than ${limit} events behind and was closed; resubscribe with "after" set to the last cursor received.`);
  }
}

/** What a live stream wants. */
export interface LiveInterest {
  /** Only events whose audience includes this partner. */
  partnerId: string;
  /** Topic patterns; a trailing `*` matches a prefix. */
  topics: readonly string[];
  /** Replay the events after this position first (resume), then continue live. */
  after?: EventPosition | undefined;
  /** A further filter on each event (e.g. one warehouse). */
  accept?: (event: LoggedEvent) => boolean;
  /**
   * Ends the stream at once when aborted (the subscriber completed: see {@link stopOnReturn}),
   * even while no event arrives, so the subscriber is gone from the hub right away.
   */
  signal?: AbortSignal | undefined;
}

interface Subscriber {
  interest: LiveInterest;
  queue: LoggedEvent[];
  wake: (() => void) | undefined;
  failed: Error | undefined;
  closed: boolean;
}

/** Options for {@link EventHub}. */
export interface EventHubOptions {
  /**
   * An application-role (or worker-role) database. The hub reads the whole log through the
   * definer functions `events.live_events_after` and `events.live_log_position`, whatever the
   * role's row-level security, and filters by audience itself.
   */
  db: Db;
  /** A postgres.js client for LISTEN (any role). */
  listenClient: postgres.Sql;
  /** Events a subscriber may have waiting before it is closed as too slow. Default 1000. */
  maxQueue?: number;
  /** Poll interval without NOTIFY (ms). Default 500. */
  pollIntervalMs?: number;
  logger?: Logger;
}

function topicMatches(patterns: readonly string[], topic: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? topic.startsWith(p.slice(0, -1)) : p === topic));
}

/**
 * One reader of the event log per process that fans events out to live subscribers (subscriptions)
 * in memory, each filtered by audience and topic — so 10,000 subscribers cost one query per wake-up,
 * not 10,000. It reads gap-free like every consumer (below the log horizon, in (txid, id)
 * order) from the log position at its start, so every replica of a subgraph sees every event; it
 * reads through definer functions ({@link readLiveEventsAfter}), so it runs on the subgraph's
 * application-role connection.
 * A subscriber that resumes (`after`) first replays from the log what it missed, then switches to
 * live without gap or duplicate. Each subscriber's queue is bounded: one that falls behind gets a
 * {@link SlowConsumerError} and resumes from its cursor.
 */
export class EventHub {
  readonly #options: Required<Omit<EventHubOptions, 'logger'>>;
  readonly #log: Logger;
  readonly #subscribers = new Set<Subscriber>();
  #position: EventPosition | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #wakeUps: WakeUps;
  #unlisten: (() => Promise<void>) | undefined;
  #stopMetrics: (() => void) | undefined;
  /** Set while nobody listens: the hub stops reading, and the next subscriber re-reads the log's end. */
  #idle = false;
  #resuming: Promise<void> | undefined;

  constructor(options: EventHubOptions) {
    this.#options = { maxQueue: 1000, pollIntervalMs: 500, ...options };
    this.#log = options.logger ?? createLogger('live');
    this.#wakeUps = new WakeUps(this.#options.pollIntervalMs);
  }

  /** Starts reading from the current end of the log. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#position = await liveLogPosition(this.#options.db);
    const { unlisten } = await this.#options.listenClient.listen(EVENTS_CHANNEL, () => this.#wakeUps.ring());
    this.#unlisten = unlisten;
    this.#loop = this.#run();
    this.#stopMetrics = openSubscriptions.add({ read: () => [{ labels: { service: 'event-hub' }, value: this.#subscribers.size }] });
  }

  async stop(): Promise<void> {
    this.#stopMetrics?.();
    this.#running = false;
    this.#wakeUps.ring();
    await this.#loop;
    await this.#unlisten?.().catch(() => {});
    for (const subscriber of this.#subscribers) this.#close(subscriber);
  }

  /** How many live subscribers this process serves. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** A live stream of the events matching `interest`; ends when the consumer returns. */
  async *subscribe(interest: LiveInterest): AsyncGenerator<LoggedEvent> {
    if (!this.#position) throw new Error('EventHub is not started');
    if (this.#idle) await this.#resume();
    const subscriber: Subscriber = { interest, queue: [], wake: undefined, failed: undefined, closed: false };
    this.#subscribers.add(subscriber);
    this.#wakeUps.ring();
    const liveFrom = this.#position;
    const { signal } = interest;
    const abort = () => this.#close(subscriber);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      let last = interest.after;
      if (interest.after) {
        // Replay what was missed, up to where live delivery to this subscriber starts.
        for (;;) {
          const missed = await readLiveEventsAfter(this.#options.db, last!, { topics: interest.topics, audience: interest.partnerId, limit: 500 });
          const batch = missed.filter((e) => comparePositions(e, liveFrom) <= 0 && (interest.accept?.(e) ?? true));
          for (const event of batch) {
            yield event;
            last = event;
          }
          if (missed.length < 500 || missed.some((e) => comparePositions(e, liveFrom) > 0)) break;
          last = missed[missed.length - 1];
        }
      }
      for (;;) {
        if (signal?.aborted) return;
        if (subscriber.failed) throw subscriber.failed;
        const next = subscriber.queue.shift();
        if (next) {
          if (!last || comparePositions(next, last) > 0) {
            yield next;
            last = next;
          }
          continue;
        }
        if (subscriber.closed) return;
        await new Promise<void>((resolve) => (subscriber.wake = resolve));
        subscriber.wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      this.#subscribers.delete(subscriber);
    }
  }

  #close(subscriber: Subscriber): void {
    subscriber.closed = true;
    subscriber.wake?.();
  }

  #dispatch(event: LoggedEvent): void {
    for (const subscriber of this.#subscribers) {
      const { interest } = subscriber;
      if (!event.audience.includes(interest.partnerId) || !topicMatches(interest.topics, event.topic)) continue;
      if (interest.accept && !interest.accept(event)) continue;
      if (subscriber.queue.length >= this.#options.maxQueue) {
        subscriber.failed ??= new SlowConsumerError(this.#options.maxQueue);
        subscriber.wake?.();
        continue;
      }
      subscriber.queue.push(event);
      subscriber.wake?.();
    }
  }

  /**
   * The first subscriber after an idle spell: live delivery starts at the log's current end (what
   * committed while nobody listened is for `after` to replay). Concurrent first subscribers share
   * one lookup, done before any of them is added, so the loop never reads from the stale position.
   */
  #resume(): Promise<void> {
    this.#resuming ??= liveLogPosition(this.#options.db)
      .then((position) => {
        this.#position = position;
        this.#idle = false;
      })
      .finally(() => (this.#resuming = undefined));
    return this.#resuming;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (this.#subscribers.size === 0) {
        // Nobody listens: no reads (a process with no subscriber costs the database nothing per event).
        this.#idle = true;
        await this.#wakeUps.untilRung();
        continue;
      }
      let read = 0;
      try {
        const events = await readLiveEventsAfter(this.#options.db, this.#position!, { limit: 1000 });
        read = events.length;
        for (const event of events) this.#dispatch(event);
        if (read) this.#position = events[events.length - 1]!;
      } catch (error) {
        if (!this.#running) break; // stopping: the database may already be gone
        this.#log.error({ err: error }, 'reading the event log failed; retrying');
      }
      if (read === 1000) continue;
      if (read > 0) this.#wakeUps.found();
      await this.#wakeUps.wait();
    }
  }
}

/**
 * `inner`, with a `return()` that takes effect at once. graphql-ws calls `return()` when a client
 * completes a subscription, and on an async generator that call waits for the pending `next()` —
 * on a quiet filter the next event, perhaps never — keeping the subscription (and everything it
 * holds upstream) alive. Here `return()` first aborts `controller`, whose signal `inner` honours by
 * ending its wait (an {@link EventHub} subscription with `signal`, for one), then returns it.
 */
export function stopOnReturn<T>(inner: AsyncGenerator<T>, controller: AbortController): AsyncGenerator<T> {
  const outer: AsyncGenerator<T> = {
    next: (...args) => inner.next(...args),
    return: (value) => {
      controller.abort();
      return inner.return(value);
    },
    throw: (error: unknown) => {
      controller.abort();
      return inner.throw(error);
    },
    [Symbol.asyncIterator]: () => outer,
  };
  return outer;
}
