import type { ResolvedAccess, SessionGrant } from '@redthread/kit';

/**
 * Users, memberships and sessions, as the gateway needs them. Implemented over the database by
 * the catalog's access services (`@redthread/catalog/access/sessions` and `…/onboarding`) and wired in
 * `scripts/lib/platform.ts`; the gateway itself never opens a database connection.
 * Refusals are thrown as errors with `code`, `status` (HTTP) and `details`.
 */
export interface AccessDirectory {
  /** `client`: the caller's address; password checks are rate-limited per email and address. */
  signIn(input: { email: string; password: string; partner?: string | null; client?: string }): Promise<SessionGrant>;
  refresh(refreshToken: string): Promise<SessionGrant>;
  /** Returns the user whose session ended, if the token was known. */
  signOut(refreshToken: string): Promise<string | undefined>;
  /** Returns the user, every one of whose sessions ended. */
  changePassword(input: { email: string; currentPassword: string; newPassword: string; client?: string }): Promise<string>;
  redeem(input: RedeemRequest): Promise<SessionGrant>;
  resolve(request: { userId: string; sessionId?: string; partner?: string | null }): Promise<ResolvedAccess>;
  userIdForExternalSubject(subject: string): Promise<string | undefined>;
  /** Whether a partner is registered: development tokens name their partner themselves. */
  partnerExists(partnerId: string): Promise<boolean>;
  /** Calls `onChange(userId)` when a user's access changes, `onChange('apikey:<id>')` when a key is revoked, `onChange(null)` when everything may have. */
  listen(onChange: (userId: string | null) => void): Promise<() => Promise<void>>;
}

/**
 * What `/auth/redeem` hands the directory: the request body as parsed (`auth-routes.ts`), the
 * client's address, and — with an identity provider — the provider's verified subject instead of
 * a password.
 */
export interface RedeemRequest {
  invitation: string;
  password?: string | null | undefined;
  displayName?: string | undefined;
  /** Partner invitations: the new partner's code and name (the name defaults to the invitation's). */
  partner?: { code: string; name?: string | null | undefined } | null | undefined;
  /** Partner invitations with a link proposal: the invitee's product the proposal is made against. */
  product?: { skuCode: string; name: string } | null | undefined;
  externalSubject: string | null;
  client: string;
}

/** A refusal from the access directory: an error with a code and the HTTP status to answer with. */
export interface AccessRefusal {
  code: string;
  message: string;
  status: number;
  details?: Record<string, unknown>;
  /** A user whose sessions the refusal ended (a replayed refresh token). */
  endedSessionsOf?: string;
}

export function isAccessRefusal(error: unknown): error is AccessRefusal {
  return (
    error instanceof Error &&
    typeof (error as Partial<AccessRefusal>).code === 'string' &&
    typeof (error as Partial<AccessRefusal>).status === 'number'
  );
}

/**
 * Resolved memberships, kept for a few seconds so that a request does not cost a membership
 * query. A user's entries are dropped as soon as the database says their access changed (role
 * change, removal, sign-out); the time limit bounds staleness if a notification is ever lost.
 */
export class AccessCache {
  readonly #byUser = new Map<string, Map<string, { value: ResolvedAccess; expires: number }>>();
  /** Bumped by every invalidation: a lookup that started before one must not store its result. */
  #generation = 0;
  #size = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  async get(userId: string, key: string, load: () => Promise<ResolvedAccess>): Promise<ResolvedAccess> {
    const entry = this.#byUser.get(userId)?.get(key);
    if (entry && entry.expires > Date.now()) return entry.value;
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation && this.ttlMs > 0) {
      if (this.#size >= this.maxEntries) this.forget(null);
      let entries = this.#byUser.get(userId);
      if (!entries) this.#byUser.set(userId, (entries = new Map()));
      if (!entries.has(key)) this.#size += 1;
      entries.set(key, { value, expires: Date.now() + this.ttlMs });
    }
    return value;
  }

  /** Forgets one user's entries, or all of them (`null`). */
  forget(userId: string | null): void {
    this.#generation += 1;
    if (userId === null) {
      this.#byUser.clear();
      this.#size = 0;
      return;
    }
    this.#size -= this.#byUser.get(userId)?.size ?? 0;
    this.#byUser.delete(userId);
  }
}
