/**
 * The wake-up loop every reader of the event log shares (the workflow consumers and the live hub):
 * a NOTIFY on `redthread_events` rings, the reader re-reads, and between reads it waits — quickly
 * at first, then for the poll interval, the safety net should a NOTIFY be lost.
 *
 * Why quick re-checks: a NOTIFY arrives at commit, possibly while an older transaction still holds
 * the readers' snapshot horizon back, so the first read after it can come back empty. A few
 * re-checks at 5, 10, 20 ... 320 ms after a wake-up (or a read that found something) find the
 * event within milliseconds instead of a whole poll interval later.
 */

/** Delays (ms) of the quick re-checks after a wake-up, before falling back to the poll interval. */
export const QUICK_RECHECK_MS: readonly number[] = [5, 10, 20, 40, 80, 160, 320];

/** A wait that a signal cuts short; a signal while nobody waits cuts the next wait short (none is lost). */
export class Alarm {
  #wake: (() => void) | undefined;
  #rung = false;

  /** Waits `ms` (forever when undefined); true when woken by {@link ring}. */
  sleep(ms?: number): Promise<boolean> {
    if (this.#rung) {
      this.#rung = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(true);
      };
    });
  }

  ring(): void {
    if (this.#wake) this.#wake();
    else this.#rung = true;
  }
}

/**
 * The pacing of one log reader: {@link ring} on NOTIFY (and on anything else that should make it
 * look now), {@link found} after a read that returned events, {@link wait} between reads.
 */
export class WakeUps {
  readonly #alarm = new Alarm();
  readonly #pollIntervalMs: number;
  #quick = QUICK_RECHECK_MS.length;

  constructor(pollIntervalMs: number) {
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Cuts the current (or the next) wait short. */
  ring(): void {
    this.#alarm.ring();
  }

  /** The last read found events: the next waits are quick re-checks again. */
  found(): void {
    this.#quick = 0;
  }

  /**
   * Waits for the next re-check (a quick one, else the poll interval), at most `atMostMs`; a ring
   * ends it early and makes the following waits quick. True when rung.
   */
  async wait(atMostMs = Infinity): Promise<boolean> {
    const next = QUICK_RECHECK_MS[this.#quick] ?? this.#pollIntervalMs;
    if (this.#quick < QUICK_RECHECK_MS.length) this.#quick += 1;
    return this.#noteRing(await this.#alarm.sleep(Math.max(0, Math.min(next, atMostMs))));
  }

  /** Waits exactly `ms` (a back-off after a failure), unless rung. True when rung. */
  async sleep(ms: number): Promise<boolean> {
    return this.#noteRing(await this.#alarm.sleep(ms));
  }

  /** Waits until rung, however long (a reader with nothing to read for). */
  async untilRung(): Promise<void> {
    this.#noteRing(await this.#alarm.sleep());
  }

  #noteRing(rung: boolean): boolean {
    if (rung) this.#quick = 0;
    return rung;
  }
}
