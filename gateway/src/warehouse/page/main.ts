/**
 * Redthread's warehouse screen, bundled by Vite with GraphiQL and served by the gateway at
 * /warehouse. Sign in (email and password, or a token), pick a warehouse, and watch its stock and shipment queue live
 * (graphql-ws subscriptions, resumed from the last cursor after a reconnect); open a shipment to
 * inspect and dispatch it. Everything it loads comes from the gateway itself.
 *
 * The page's state lives in the URL (`?warehouse=<id>&shipment=<id>`), so a wall screen can be
 * bookmarked; the credentials live in the tab's session storage, and a password sign-in's access
 * token is renewed with its refresh token a minute before it expires, so a wall screen stays on.
 */
import './page.css';
import {
  ApiError,
  DOCUMENTS,
  endSession,
  loadDevTokens,
  passwordSignIn,
  PAGE_SIZE,
  renewCredentials,
  request,
  requestAll,
  SignedOutError,
  SignInError,
  type Credentials,
  type Page,
  type Shipment,
  type StockLevel,
  type Warehouse,
} from './api';
import { mountBoard } from './board';
import { clockTime, h, replaceChildren } from './dom';
import { mountInspection } from './inspection';
import { LiveFeed, type LinkState } from './live';
import { WarehouseStore } from './store';

const CREDENTIALS_KEY = 'redthread.warehouse.credentials';
/** Renew an access token a minute before it expires (or after three quarters of a shorter life). */
const RENEW_BEFORE_MS = 60_000;

function renewalDelay(remainingMs: number): number {
  return Math.max(1_000, remainingMs - Math.min(RENEW_BEFORE_MS, remainingMs / 4));
}

function storedCredentials(): Credentials | undefined {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(CREDENTIALS_KEY) ?? 'null') as Credentials | null;
    return parsed?.accessToken ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the connection indicator shows: the live feed's state, or `idle` while no feed has run
 * yet (sign-in, warehouse picker), so the screen never claims "offline" before it tried.
 */
type IndicatorState = LinkState | 'idle';

const LINK_LABEL: Record<IndicatorState, string> = {
  idle: 'Not connected yet',
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  'signed-out': 'Signed out',
  stopped: 'Not connected',
};

/** Where the screen is: read from and written to the query string. */
interface Route {
  warehouseId?: string;
  shipmentId?: string;
}

function currentRoute(): Route {
  const params = new URLSearchParams(window.location.search);
  const warehouseId = params.get('warehouse') ?? undefined;
  const shipmentId = params.get('shipment') ?? undefined;
  return { ...(warehouseId ? { warehouseId } : {}), ...(shipmentId ? { shipmentId } : {}) };
}

function routeUrl(route: Route): string {
  const params = new URLSearchParams();
  if (route.warehouseId) params.set('warehouse', route.warehouseId);
  if (route.shipmentId) params.set('shipment', route.shipmentId);
  const query = params.toString();
  return `${window.location.pathname}${query ? `?${query}` : ''}`;
}

/** The session of one open warehouse: its store and live feed, kept while switching between board and inspection. */
interface WarehouseSession {
  warehouse: Warehouse;
  store: WarehouseStore;
  feed: LiveFeed;
  reloadTimer?: number;
  boardTimer?: number;
}

/**
 * How long after a fresh (not resumed) connection the board is loaded again: by then the gateway
 * has surely opened the subscriptions upstream, so nothing committed meanwhile is left out.
 */
const SUBSCRIPTION_SETUP_MS = 750;

class WarehouseScreen {
  #credentials = storedCredentials();
  #renewTimer: number | undefined;
  #partner: { code: string; name: string } | undefined;
  #warehouses: Warehouse[] | undefined;
  #session: WarehouseSession | undefined;
  #unmountView: (() => void) | undefined;
  #signInMessage: string | undefined;
  /** Whether this page has signed out (or been signed out) since it loaded. */
  #signedOut = false;
  /** Whether a live feed has been started since the page loaded. */
  #feedStarted = false;

  readonly #link = h('span', { id: 'wh-link', class: 'wh-link', role: 'status', 'aria-live': 'polite', data: { state: 'idle' } }, LINK_LABEL.idle);
  readonly #lastChange = h('span', { id: 'wh-last-change', class: 'wh-last-change' });
  readonly #title = h('h1', { class: 'wh-title' }, 'Warehouse');
  readonly #who = h('span', { class: 'wh-who' });
  readonly #headerActions = h('div', { class: 'wh-header-actions' });
  readonly #content = h('div', { class: 'wh-content' });

  constructor(root: HTMLElement) {
    replaceChildren(
      root,
      h('header', { class: 'wh-header' }, h('span', { class: 'wh-brand' }, 'Redthread'), this.#title, this.#who, this.#link, this.#lastChange, this.#headerActions),
      this.#content,
    );
    window.addEventListener('popstate', () => void this.render());
    this.#scheduleRenewal();
  }

  /** The current access token. */
  get #token(): string | undefined {
    return this.#credentials?.accessToken;
  }

  /** Signs in with `credentials` (kept in the tab's session storage) and draws the screen. */
  #useCredentials(credentials: Credentials): void {
    sessionStorage.setItem(CREDENTIALS_KEY, JSON.stringify(credentials));
    this.#credentials = credentials;
    this.#signInMessage = undefined;
    this.#scheduleRenewal();
  }

  /** Renews a password sign-in's access token a minute before it expires; a refused renewal signs out. */
  #scheduleRenewal(): void {
    window.clearTimeout(this.#renewTimer);
    const { refreshToken, expiresAt } = this.#credentials ?? {};
    if (!refreshToken || !expiresAt) return;
    this.#renewTimer = window.setTimeout(() => {
      renewCredentials(refreshToken)
        .then((renewed) => this.#useCredentials(renewed))
        .catch((error: unknown) => {
          if (error instanceof SignInError) this.signOut(`Your session ended: ${error.message}`);
          else this.#renewTimer = window.setTimeout(() => this.#scheduleRenewal(), 10_000);
        });
    }, renewalDelay(expiresAt - Date.now()));
  }

  /** Draws the view the URL and the session call for. */
  async render(): Promise<void> {
    this.#unmountView?.();
    this.#unmountView = undefined;
    if (!this.#token) return this.#showSignIn();
    if (!this.#warehouses) {
      try {
        const data = await request<{ me: { code: string; name: string } | null; warehouses: Warehouse[] }>(this.#token, DOCUMENTS.signIn);
        this.#partner = data.me ?? undefined;
        this.#warehouses = data.warehouses;
      } catch (error) {
        return this.#failed(error);
      }
    }
    const route = currentRoute();
    const warehouse = this.#warehouses.find((w) => w.id === route.warehouseId);
    if (!warehouse) {
      this.#closeSession();
      return this.#showPicker();
    }
    const session = this.#openSession(warehouse);
    this.#header(warehouse);
    if (route.shipmentId) {
      this.#unmountView = mountInspection(this.#content, route.shipmentId, {
        token: () => this.#token ?? '',
        store: session.store,
        back: () => this.navigate({ warehouseId: warehouse.id }),
        signOut: (reason) => this.signOut(reason),
      });
    } else {
      this.#unmountView = mountBoard(this.#content, session.store, (shipmentId) => this.navigate({ warehouseId: warehouse.id, shipmentId }));
    }
  }

  /** Moves to `route` (pushing a history entry) and draws it. */
  navigate(route: Route): void {
    window.history.pushState(null, '', routeUrl(route));
    void this.render();
  }

  /** Forgets the credentials (ending a password session) and shows the sign-in form with `reason`. */
  signOut(reason?: string): void {
    sessionStorage.removeItem(CREDENTIALS_KEY);
    window.clearTimeout(this.#renewTimer);
    if (this.#credentials?.refreshToken) void endSession(this.#credentials.refreshToken);
    this.#credentials = undefined;
    this.#signedOut = true;
    this.#warehouses = undefined;
    this.#partner = undefined;
    this.#signInMessage = reason;
    this.#closeSession();
    void this.render();
  }

  #failed(error: unknown): void {
    if (error instanceof SignedOutError) return this.signOut(`The token was refused: ${error.message}`);
    replaceChildren(
      this.#content,
      h('div', { class: 'wh-panel wh-error', role: 'alert' }, h('p', {}, error instanceof ApiError ? error.message : String(error)), h('button', { type: 'button', class: 'wh-button', on: { click: () => void this.render() } }, 'Try again')),
    );
  }

  #header(warehouse?: Warehouse): void {
    this.#title.textContent = warehouse ? `${warehouse.name} (${warehouse.code})` : 'Warehouse';
    this.#who.textContent = this.#partner ? `${this.#partner.code}${warehouse?.kind === 'THIRD_PARTY' ? ' · 3PL' : ''}` : '';
    replaceChildren(
      this.#headerActions,
      warehouse && (this.#warehouses?.length ?? 0) > 1
        ? h('button', { type: 'button', class: 'wh-button', on: { click: () => this.navigate({}) } }, 'Switch warehouse')
        : null,
      this.#token ? h('button', { type: 'button', class: 'wh-button', id: 'wh-sign-out', on: { click: () => this.signOut() } }, 'Sign out') : null,
    );
    document.title = warehouse ? `${warehouse.code} · Redthread Warehouse` : 'Redthread Warehouse';
  }

  #setLink(state: IndicatorState, detail?: string): void {
    this.#link.dataset['state'] = state;
    this.#link.textContent = LINK_LABEL[state];
    this.#link.title = detail ?? '';
  }

  #showSignIn(): void {
    this.#header();
    this.#setLink(this.#signedOut ? 'signed-out' : 'idle');
    this.#lastChange.textContent = '';
    const tokenInput = h('input', { id: 'wh-token', class: 'wh-input', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'Paste a token (eyJ…)', 'aria-label': 'Token' });
    const devTokens = h('div', { class: 'wh-dev-tokens' });
    const signIn = (token: string) => {
      const trimmed = token.trim().replace(/^Bearer\s+/i, '');
      if (!trimmed) return;
      this.#useCredentials({ accessToken: trimmed });
      void this.render();
    };
    const emailInput = h('input', { id: 'wh-email', class: 'wh-input', type: 'email', autocomplete: 'username', placeholder: 'Email', 'aria-label': 'Email' });
    const passwordInput = h('input', { id: 'wh-password', class: 'wh-input', type: 'password', autocomplete: 'current-password', placeholder: 'Password', 'aria-label': 'Password' });
    const passwordMessage = h('div', { id: 'wh-password-message', role: 'alert' });
    const signInWithPassword = async (partner?: string) => {
      replaceChildren(passwordMessage);
      try {
        this.#useCredentials(await passwordSignIn(emailInput.value.trim(), passwordInput.value, partner));
        void this.render();
      } catch (error) {
        if (error instanceof SignInError && error.code === 'PARTNER_REQUIRED') {
          replaceChildren(
            passwordMessage,
            h('p', { class: 'wh-hint' }, 'You belong to several partners. Which one?'),
            error.partners.map((code) => h('button', { type: 'button', class: 'wh-button', data: { partnerCode: code }, on: { click: () => void signInWithPassword(code) } }, code)),
          );
        } else {
          replaceChildren(passwordMessage, h('p', { class: 'wh-error' }, error instanceof Error ? error.message : String(error)));
        }
      }
    };
    replaceChildren(
      this.#content,
      h(
        'div',
        { class: 'wh-panel wh-sign-in' },
        h('h2', {}, 'Sign in'),
        this.#signInMessage ? h('p', { class: 'wh-error', role: 'alert' }, this.#signInMessage) : null,
        h(
          'form',
          { id: 'wh-password-sign-in', on: { submit: (event) => (event.preventDefault(), void signInWithPassword()) } },
          h('p', {}, 'With your Redthread account: a member with the warehouse or admin role.'),
          emailInput,
          passwordInput,
          h('button', { type: 'submit', class: 'wh-button wh-primary' }, 'Sign in'),
          passwordMessage,
        ),
        h(
          'form',
          { id: 'wh-sign-in', on: { submit: (event) => (event.preventDefault(), signIn(tokenInput.value)) } },
          h('p', {}, 'Or with a token (for example from ', h('code', {}, 'npm run token -- --partner SHOP-A'), ').'),
          tokenInput,
          h('button', { type: 'submit', class: 'wh-button' }, 'Use token'),
        ),
        devTokens,
      ),
    );
    emailInput.focus();
    void loadDevTokens().then((tokens) => {
      if (!tokens.length) return;
      replaceChildren(
        devTokens,
        h('p', { class: 'wh-hint' }, 'Development: sign in as a demo partner'),
        tokens.map((t) => h('button', { type: 'button', class: 'wh-button', data: { partnerCode: t.partnerCode }, on: { click: () => signIn(t.token) } }, t.partnerCode)),
      );
    });
  }

  #showPicker(): void {
    this.#header();
    // No feed runs while picking: "not connected yet" until a warehouse has been open, then "not connected".
    this.#setLink(this.#feedStarted ? 'stopped' : 'idle');
    this.#lastChange.textContent = '';
    const warehouses = this.#warehouses ?? [];
    replaceChildren(
      this.#content,
      h(
        'section',
        { class: 'wh-panel wh-picker' },
        h('h2', {}, 'Pick a warehouse'),
        warehouses.length
          ? h(
              'ul',
              { class: 'wh-picker-list' },
              warehouses.map((w) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    { type: 'button', class: 'wh-card', data: { warehouseId: w.id, code: w.code }, on: { click: () => this.navigate({ warehouseId: w.id }) } },
                    h('span', { class: 'wh-card-id' }, w.code),
                    h('span', {}, w.name),
                    h('span', { class: 'wh-card-meta' }, w.kind === 'THIRD_PARTY' ? 'Run by a 3PL' : 'Own'),
                  ),
                ),
              ),
            )
          : h('p', {}, 'This partner owns or operates no warehouse.'),
      ),
    );
  }

  /** The session of `warehouse`, opened (store loaded, feed started) unless it already is. */
  #openSession(warehouse: Warehouse): WarehouseSession {
    if (this.#session?.warehouse.id === warehouse.id) return this.#session;
    this.#closeSession();
    const store = new WarehouseStore();
    const session: WarehouseSession = {
      warehouse,
      store,
      feed: new LiveFeed(() => this.#token ?? '', warehouse.id, {
        onStockChange: (change) => {
          if (!store.applyStockChange(change)) this.#scheduleStockReload(session);
          this.#showLastChange(store);
        },
        onQueueChange: (change) => {
          store.applyQueueChange(change);
          this.#showLastChange(store);
          // Allocation and cancellation move reservations, which stockChanged (on-hand) does not report.
          if (change.status === 'TO_PICK' || change.status === 'CANCELLED') this.#scheduleStockReload(session);
        },
        onState: (state, { resumed, reason }) => {
          this.#setLink(state, reason);
          if (state === 'signed-out') this.signOut(reason ?? 'The token was refused or has expired.');
          // Without a cursor for both feeds, changes may have been missed while the subscriptions
          // were being set up (they start "from now"): reload once they surely run.
          if (state === 'connected' && !resumed) this.#scheduleBoardReload(session, SUBSCRIPTION_SETUP_MS);
        },
      }, () => Boolean(this.#credentials?.refreshToken)),
    };
    this.#session = session;
    this.#feedStarted = true;
    session.feed.start();
    void this.#loadBoard(session);
    return session;
  }

  #closeSession(): void {
    if (!this.#session) return;
    window.clearTimeout(this.#session.reloadTimer);
    window.clearTimeout(this.#session.boardTimer);
    this.#session.feed.stop();
    this.#session = undefined;
  }

  async #loadBoard(session: WarehouseSession): Promise<void> {
    try {
      const token = this.#token!;
      const warehouseId = session.warehouse.id;
      // The whole open queue and all stock, page by page; of the dispatched shipments (a list that
      // only grows) the newest page, more than the board shows, and whether there are more (the
      // column then counts "100+" rather than a total it does not know).
      const [stockLevels, open, dispatched] = await Promise.all([
        requestAll<StockLevel>(token, DOCUMENTS.stockLevels, { warehouseId }),
        requestAll<Shipment>(token, DOCUMENTS.queue, { warehouseId, status: ['TO_PICK', 'READY'] }),
        request<Page<Shipment>>(token, DOCUMENTS.queue, { warehouseId, status: ['DISPATCHED'], first: PAGE_SIZE, after: null }),
      ]);
      if (this.#session !== session) return;
      session.store.replaceStock(stockLevels, session.store.stock.size > 0);
      session.store.replaceShipments([...open, ...dispatched.page.edges.map((edge) => edge.node)], dispatched.page.pageInfo.hasNextPage);
    } catch (error) {
      if (error instanceof SignedOutError) this.signOut(error.message);
      else this.#setLink('reconnecting', error instanceof Error ? error.message : String(error));
    }
  }

  #scheduleBoardReload(session: WarehouseSession, delayMs: number): void {
    window.clearTimeout(session.boardTimer);
    session.boardTimer = window.setTimeout(() => void this.#loadBoard(session), delayMs);
  }

  #scheduleStockReload(session: WarehouseSession): void {
    window.clearTimeout(session.reloadTimer);
    session.reloadTimer = window.setTimeout(async () => {
      try {
        const stockLevels = await requestAll<StockLevel>(this.#token!, DOCUMENTS.stockLevels, { warehouseId: session.warehouse.id });
        if (this.#session === session) session.store.replaceStock(stockLevels, true);
      } catch (error) {
        if (error instanceof SignedOutError) this.signOut(error.message);
      }
    }, 100);
  }

  #showLastChange(store: WarehouseStore): void {
    this.#lastChange.textContent = store.lastChangeAt ? `Last change ${clockTime(store.lastChangeAt)}` : '';
  }
}

const root = document.getElementById('warehouse');
if (!root) throw new Error('Warehouse screen: the page has no #warehouse element');
void new WarehouseScreen(root).render();
