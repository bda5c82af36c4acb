/**
 * The warehouse screen's live feed: `stockChanged` and `shipmentQueueChanged` for one warehouse
 * over graphql-ws on the gateway's `/graphql`, with the token in `connection_init`.
 *
 * Reconnecting is done here rather than by graphql-ws's own retry, because a resumed subscription
 * must carry the cursor of the last change seen (`after`), which changes with every event: when
 * the socket drops, both subscriptions are opened again on a fresh connection with their latest
 * cursors, so the changes made in between arrive first, without gaps or duplicates. A refused or
 * expired token (close code 4403) ends the feed: the screen asks for a new token.
 */
import { createClient, type Client } from 'graphql-ws';
import { DOCUMENTS, GRAPHQL_PATH, type ShipmentQueueChange, type StockChange } from './api';

/** The close code of a refused or expired token. */
export const CLOSE_FORBIDDEN = 4403;

/** The state of the connection, as the reconnect indicator shows it. */
export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'signed-out' | 'stopped';

/** What the feed reports to the screen. */
export interface LiveFeedHandlers {
  onStockChange(change: StockChange): void;
  onQueueChange(change: ShipmentQueueChange): void;
  /**
   * The connection state changed. On `connected`, `resumed` says whether both subscriptions
   * continue behind a cursor (nothing missed) or start from now (the caller should reload).
   */
  onState(state: LinkState, detail: { resumed: boolean; attempt: number; reason?: string }): void;
}

/** Delays between reconnection attempts: 250 ms doubling up to 5 s. */
function backoff(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1));
}

/** How long a ping may wait for its pong before the connection counts as lost. */
const PONG_TIMEOUT_MS = 5_000;
/** Ping interval: detects a silently dead network (a wall screen's Wi-Fi) within about 15 s. */
const KEEP_ALIVE_MS = 10_000;

/** The live feed of one warehouse. Call {@link LiveFeed.start} once and {@link LiveFeed.stop} when leaving. */
export class LiveFeed {
  /** The last cursor seen per subscription; the resume point after a reconnect. */
  readonly cursors: { stock?: string; queue?: string } = {};
  #client: Client | undefined;
  #unsubscribe: (() => void)[] = [];
  #attempt = 0;
  #retryTimer: number | undefined;
  #stopped = false;
  #onOnline = () => {
    if (this.#retryTimer !== undefined) {
      window.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#connect();
    }
  };

  /**
   * `token` is asked for at every (re)connection. `renewable`: whether the screen renews its token
   * itself; then a socket closed because the token it opened with expired is simply reopened.
   */
  constructor(
    private readonly token: () => string,
    private readonly warehouseId: string,
    private readonly handlers: LiveFeedHandlers,
    private readonly renewable: () => boolean = () => false,
  ) {}

  /** Opens the connection and both subscriptions. */
  start(): void {
    window.addEventListener('online', this.#onOnline);
    this.#connect();
  }

  /** Closes everything; no reconnection follows. */
  stop(): void {
    this.#stopped = true;
    window.removeEventListener('online', this.#onOnline);
    window.clearTimeout(this.#retryTimer);
    this.#teardown();
    this.handlers.onState('stopped', { resumed: false, attempt: this.#attempt });
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#retryTimer = undefined;
    const url = new URL(GRAPHQL_PATH, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const resumed = Boolean(this.cursors.stock && this.cursors.queue);
    this.handlers.onState(this.#attempt ? 'reconnecting' : 'connecting', { resumed, attempt: this.#attempt });
    let pongTimer: number | undefined;
    const client = createClient({
      url: url.href,
      connectionParams: () => ({ authorization: `Bearer ${this.token()}` }),
      lazy: true,
      retryAttempts: 0,
      keepAlive: KEEP_ALIVE_MS,
      on: {
        connected: () => {
          if (client !== this.#client) return;
          this.#attempt = 0;
          this.handlers.onState('connected', { resumed, attempt: 0 });
        },
        ping: (received) => {
          if (!received) pongTimer = window.setTimeout(() => client.terminate(), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) window.clearTimeout(pongTimer);
        },
        closed: (event) => {
          window.clearTimeout(pongTimer);
          const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
          this.#lost(client, code, reason);
        },
      },
    });
    this.#client = client;
    // Each subscription reads the cursor at the moment it is (re)opened.
    this.#unsubscribe = [
      client.subscribe<{ stockChanged: StockChange }>(
        { query: DOCUMENTS.stockChanged, variables: { warehouseId: this.warehouseId, after: this.cursors.stock ?? null } },
        {
          next: ({ data }) => {
            if (!data) return;
            this.cursors.stock = data.stockChanged.cursor;
            this.handlers.onStockChange(data.stockChanged);
          },
          error: (error) => this.#failed(client, error),
          complete: () => this.#lost(client, undefined, 'the server ended the stock subscription'),
        },
      ),
      client.subscribe<{ shipmentQueueChanged: ShipmentQueueChange }>(
        { query: DOCUMENTS.shipmentQueueChanged, variables: { warehouseId: this.warehouseId, after: this.cursors.queue ?? null } },
        {
          next: ({ data }) => {
            if (!data) return;
            this.cursors.queue = data.shipmentQueueChanged.cursor;
            this.handlers.onQueueChange(data.shipmentQueueChanged);
          },
          error: (error) => this.#failed(client, error),
          complete: () => this.#lost(client, undefined, 'the server ended the queue subscription'),
        },
      ),
    ];
  }

  /** A subscription failed: a close event (handled by `closed`) or GraphQL errors. */
  #failed(client: Client, error: unknown): void {
    if (error && typeof error === 'object' && 'code' in error) return; // the `closed` listener handles it
    const message = Array.isArray(error) ? error.map((e: { message?: string }) => e.message).join('; ') : String(error);
    this.#lost(client, undefined, message);
  }

  /** The connection behind `client` is gone (or one of its subscriptions ended): reconnect, unless signed out. */
  #lost(client: Client, code: number | undefined, reason: string | undefined): void {
    if (client !== this.#client || this.#stopped) return;
    this.#teardown();
    // 4403 signs out, unless the socket only has to be reopened: the token it was opened with
    // expired while the screen renews its own, or the user's roles changed (the gateway then
    // closes it so that the subscriptions run with the new roles).
    const reopen = (this.renewable() && /expired/i.test(reason ?? '')) || /roles changed/i.test(reason ?? '');
    if (code === CLOSE_FORBIDDEN && !reopen) {
      this.#stopped = true;
      this.handlers.onState('signed-out', { resumed: false, attempt: this.#attempt, reason: reason || 'The token was refused or has expired.' });
      return;
    }
    this.#attempt += 1;
    const resumed = Boolean(this.cursors.stock && this.cursors.queue);
    this.handlers.onState('reconnecting', { resumed, attempt: this.#attempt, ...(reason ? { reason } : {}) });
    this.#retryTimer = window.setTimeout(() => this.#connect(), backoff(this.#attempt));
  }

  #teardown(): void {
    const client = this.#client;
    this.#client = undefined;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
    void client?.dispose();
  }
}
