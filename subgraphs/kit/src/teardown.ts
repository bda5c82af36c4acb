/**
 * What a process (or the in-process platform) must release when it stops or fails to start:
 * registered as each part starts, released in the reverse order — the gateway before the
 * subgraphs it calls, a hub before its pool — each step whatever the others did.
 */
export class Teardown {
  readonly #steps: { part: string; release: () => unknown }[] = [];
  #released: Promise<void> | undefined;

  /** Registers `release` for `part` (a name for the error report), to run before those added earlier. */
  add(part: string, release: () => unknown): void {
    if (this.#released) throw new Error(`cannot add ${part}: this teardown has already run`);
    this.#steps.push({ part, release });
  }

  /**
   * Releases every part, last added first. A part that fails does not stop the others (PostgreSQL
   * may be stopping at the same time, as on Ctrl-C); the failures are thrown together at the end
   * as one AggregateError naming the parts. Running it again answers the first run's outcome.
   */
  run(): Promise<void> {
    this.#released ??= (async () => {
      const failures: Error[] = [];
      for (const { part, release } of [...this.#steps].reverse()) {
        try {
          await release();
        } catch (error) {
          failures.push(new Error(`${part}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
        }
      }
      if (failures.length) {
        throw new AggregateError(failures, `${failures.length} part(s) stopped with an error: ${failures.map((f) => f.message).join('; ')}`);
      }
    })();
    return this.#released;
  }
}
