/**
 * A bounded memo of verified (or minted) tokens, each kept until it expires. Keyed by the exact
 * token string, so only a string that passed verification once is ever answered from it: a
 * forgery or a changed byte misses and is verified (and refused) as before. What it saves is the
 * signature work on the request path — every request of a client repeats the same bearer token,
 * and every subgraph fetch of a partner repeats the same signed identity.
 */
export class TokenCache<Value> {
  readonly #entries = new Map<string, { value: Value; expiresAt: number }>();

  /** @param maxEntries When full, the oldest entry makes room (insertion order). */
  constructor(private readonly maxEntries = 10_000) {}

  /** The value stored under `key`, unless it has expired (then it is dropped). */
  get(key: string, now = Date.now()): Value | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms since the epoch). */
  set(key: string, value: Value, expiresAt: number): void {
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
