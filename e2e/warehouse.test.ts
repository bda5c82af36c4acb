import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { freshDatabase, type TestDatabase } from '../test/database';
import { startTestPlatform, type TestPlatform } from '../test/platform';
import { launchChromium, recordPage, saveScreenshot, type PageRecording } from './browser';
import { InventoryApi } from './inventory';

/**
 * The warehouse screen (/warehouse) in Chromium against the real platform: sign-in, live stock
 * levels updated through subscriptions within a second of a receipt made through the API, the
 * reconnect indicator resuming from the last cursor, the inspection view flagging a wrong
 * scan, accepting the right ones and dispatching, and password sign-in whose access token the
 * screen renews while it stays live. And operable and pleasant on a wall: the dispatch step after
 * a passed inspection (focus on the tracking number, a scanned tracking label never counted as an
 * item, badge and Dispatch button in agreement, undo re-checking at once), an indicator that does
 * not claim "offline" before it tried, and the board laid out at 1280×720, 1920×1080 and
 * 3840×2160 with nothing overflowing its card.
 */

/** The live-update budget of the issue: receipt answered → table shows it. */
const UPDATE_BUDGET_MS = 1_000;
const ACCESS_TOKEN_SECONDS = 8;

let db: TestDatabase;
let api: TestPlatform;
let browser: Browser;
let origin: string;
let shopA: InventoryApi;
let warehouse: { id: string; code: string; name: string };
let teapot: { id: string; skuCode: string; barcode: string; name: string };

beforeAll(async () => {
  db = await freshDatabase();
  // Sign-in access tokens live 8 s here, so the screen's renewal (at 6 s) and the gateway closing
  // the socket opened with the old token (at 8 s) both happen within one test.
  api = await startTestPlatform(db, { accessTokenSeconds: ACCESS_TOKEN_SECONDS });
  origin = api.platform.gateway.url;
  browser = await launchChromium();
  shopA = new InventoryApi(api, await api.tokenFor('SHOP-A'));
  // A product and a Berlin warehouse of SHOP-A's own (an unlinked product: fulfilled from SHOP-A's stock).
  teapot = await shopA.createProduct('E2E Teapot');
  warehouse = await shopA.createWarehouse(['DE-BE']);
  await shopA.receive(warehouse.id, teapot.id, 10);
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await db?.drop();
});

/**
 * The page's errors, except the 404 of its development-token probe (`/graphiql/dev-tokens`, which
 * the test platform does not offer): Chromium logs any failed fetch to the console.
 */
function unexpectedErrors(page: Page, recording: PageRecording): string[] {
  const failed = (page as Page & { failedUrls?: string[] }).failedUrls ?? [];
  const expected404s = failed.filter((url) => url === `${origin}/graphiql/dev-tokens`).length;
  let allowance = expected404s;
  return [
    ...failed.filter((url) => url !== `${origin}/graphiql/dev-tokens`).map((url) => `failed: ${url}`),
    ...recording.errors.filter((e) => !(/Failed to load resource: .* 404/.test(e) && allowance-- > 0)),
  ];
}

/** Requests to anything but the gateway. */
function foreignRequests(recording: PageRecording): string[] {
  return recording.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(origin.replace(/^http/, 'ws')) && !/^(data|blob):/.test(url));
}

/** Opens /warehouse, signs in with `token` and picks the test warehouse; resolves once the board is live. */
async function openBoard(context?: BrowserContext, token = shopA.token): Promise<{ page: Page; recording: PageRecording }> {
  context ??= await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const recording = recordPage(page);
  const failedUrls: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failedUrls.push(response.url());
  });
  Object.assign(page, { failedUrls });
  await page.goto(`${origin}/warehouse`);
  await page.locator('#wh-token').fill(token);
  await page.locator('#wh-sign-in button[type="submit"]').click();
  await page.locator(`button[data-code="${warehouse.code}"]`).click();
  await page.locator('#wh-link[data-state="connected"]').waitFor();
  await page.locator(`#wh-stock-rows tr[data-product-id="${teapot.id}"]`).first().waitFor();
  return { page, recording };
}

/** The order id behind a shipment (as the API tells SHOP-A). */
async function orderIdOf(shipmentId: string): Promise<string> {
  const { shipment } = await shopA.gql<{ shipment: { orderId: string } | null }>(`query($id: ID!) { shipment(id: $id) { orderId } }`, { id: shipmentId });
  if (!shipment) throw new Error(`no shipment ${shipmentId}`);
  return shipment.orderId;
}

/** The on-hand number of the teapot's slot as the page shows it. */
function onHandCell(page: Page) {
  return page.locator(`#wh-stock-rows tr[data-product-id="${teapot.id}"] td[data-field="onHand"]`);
}

/**
 * Arms an observer in the page that records (Date.now()) when the teapot's on-hand reads
 * `expected`; the returned function waits for that moment.
 */
async function whenOnHandShows(page: Page, expected: number): Promise<() => Promise<number>> {
  await page.evaluate(
    ({ productId, value }) => {
      const w = window as unknown as { __shownAt?: number };
      delete w.__shownAt;
      const cell = () => document.querySelector(`#wh-stock-rows tr[data-product-id="${productId}"] td[data-field="onHand"]`);
      const observer = new MutationObserver(() => {
        if (cell()?.textContent === String(value)) {
          w.__shownAt = Date.now();
          observer.disconnect();
        }
      });
      observer.observe(document.getElementById('wh-stock-rows')!, { childList: true, subtree: true, characterData: true });
    },
    { productId: teapot.id, value: expected },
  );
  return async () => {
    await page.waitForFunction(() => (window as unknown as { __shownAt?: number }).__shownAt !== undefined, undefined, { timeout: 10_000 });
    return page.evaluate(() => (window as unknown as { __shownAt: number }).__shownAt);
  };
}

/** The wall screens the board is laid out for. */
const WALLS = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
  { width: 3840, height: 2160 },
] as const;

/** A shipment of `lines` queued in the test warehouse; returns its id and its order's number. */
async function queued(lines: { productId: string; quantity: number }[]): Promise<{ shipmentId: string; orderNumber: string }> {
  const orderNumber = shopA.unique('WEB');
  const orderId = await shopA.approvedOrder(lines, orderNumber);
  return { shipmentId: await shopA.queuedShipment(warehouse.id, orderId), orderNumber };
}

/** Opens a queued shipment's card and waits until the inspection view can scan. */
async function openShipment(page: Page, shipmentId: string): Promise<void> {
  const card = page.locator(`button.wh-card[data-shipment-id="${shipmentId}"]`);
  await card.waitFor({ timeout: 10_000 });
  await card.click();
  await page.locator('#wh-pick-rows tr').first().waitFor();
  await expect.poll(() => page.locator('#wh-scan').isEnabled()).toBe(true);
}

/** The badge and the Dispatch button as the page shows them. */
function dispatchState(page: Page): Promise<{ badge: string; status: string; dispatchEnabled: boolean; focused: string }> {
  return page.evaluate(() => ({
    badge: document.getElementById('wh-shipment-status')!.textContent ?? '',
    status: document.getElementById('wh-shipment-status')!.dataset['status'] ?? '',
    dispatchEnabled: !(document.getElementById('wh-dispatch') as HTMLButtonElement).disabled,
    focused: document.activeElement?.id ?? '',
  }));
}

/** Asserts that the badge says "Ready to dispatch" exactly when the Dispatch button is enabled. */
async function expectBadgeAgrees(page: Page): Promise<void> {
  const { badge, dispatchEnabled } = await dispatchState(page);
  expect(badge === 'Ready to dispatch', `badge "${badge}" with Dispatch ${dispatchEnabled ? 'enabled' : 'disabled'}`).toBe(dispatchEnabled);
}

/** What {@link measureBoard} finds wrong with the board's layout (empty lists when nothing is). */
interface BoardLayout {
  cards: number;
  /** Children of a card reaching out of it, or scrolling inside it. */
  overflowing: string[];
  /** Pairs of cards that overlap. */
  overlapping: string[];
  /** Cards, columns or panels not within the viewport horizontally. */
  outside: string[];
  /** Header children not on the header's one row. */
  offRow: string[];
  /** The page, a panel, a list or the stock table scrolls sideways (something in it does not fit). */
  scrollsSideways: string[];
  rootFontPx: number;
  /** The queue panel's share of the viewport width. */
  queueShare: number;
}

/** Measures the board in the page: every card's children against the card, cards against each other and the viewport, the header's row. */
function measureBoard(page: Page): Promise<BoardLayout> {
  return page.evaluate(() => {
    const TOLERANCE = 1;
    const describe = (element: Element) => `${element.tagName.toLowerCase()}.${Array.from(element.classList).join('.')} "${(element.textContent ?? '').trim().slice(0, 40)}"`;
    const viewport = document.documentElement.clientWidth;
    const cards = Array.from(document.querySelectorAll<HTMLElement>('.wh-queue button.wh-card'));
    const overflowing: string[] = [];
    const outside: string[] = [];
    for (const card of cards) {
      const box = card.getBoundingClientRect();
      if (card.scrollWidth > card.clientWidth + TOLERANCE) overflowing.push(`card ${describe(card)} scrolls sideways`);
      for (const child of Array.from(card.querySelectorAll<HTMLElement>('*'))) {
        const inner = child.getBoundingClientRect();
        if (inner.width === 0 && inner.height === 0) continue;
        if (inner.left < box.left - TOLERANCE || inner.right > box.right + TOLERANCE || inner.top < box.top - TOLERANCE || inner.bottom > box.bottom + TOLERANCE) {
          overflowing.push(`${describe(child)} leaves ${describe(card)}`);
        }
        if (child.scrollWidth > child.clientWidth + TOLERANCE && child.clientWidth > 0) overflowing.push(`${describe(child)} is cut (${child.scrollWidth} > ${child.clientWidth})`);
      }
    }
    const overlapping: string[] = [];
    const boxes = cards.map((card) => card.getBoundingClientRect());
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (width > TOLERANCE && height > TOLERANCE) overlapping.push(`${describe(cards[i]!)} × ${describe(cards[j]!)}`);
      }
    }
    for (const element of [...cards, ...Array.from(document.querySelectorAll('.wh-queue-column, .wh-panel, .wh-header'))]) {
      const box = element.getBoundingClientRect();
      if (box.left < -TOLERANCE || box.right > viewport + TOLERANCE) outside.push(describe(element));
    }
    const header = document.querySelector('.wh-header')!;
    const rowItems = Array.from(header.children).filter((child) => child.getBoundingClientRect().width > 0);
    const rowTop = Math.max(...rowItems.map((child) => child.getBoundingClientRect().top));
    const rowBottom = Math.min(...rowItems.map((child) => child.getBoundingClientRect().bottom));
    const offRow = rowTop < rowBottom ? [] : rowItems.map(describe);
    if (header.scrollWidth > header.clientWidth + TOLERANCE) offRow.push('the header scrolls sideways');
    const scrollsSideways = [document.documentElement, ...Array.from(document.querySelectorAll('.wh-panel, .wh-scroll, .wh-queue-list, #wh-stock td'))]
      .filter((element) => element.scrollWidth > element.clientWidth + TOLERANCE)
      .map(describe);
    return {
      cards: cards.length,
      overflowing,
      overlapping,
      outside,
      offRow,
      scrollsSideways,
      rootFontPx: parseFloat(getComputedStyle(document.documentElement).fontSize),
      queueShare: document.querySelector('.wh-queue')!.getBoundingClientRect().width / viewport,
    };
  });
}

describe('warehouse screen', () => {
  it('shows live stock and updates within a second when stock is received through the API', async () => {
    const { page, recording } = await openBoard();
    const row = page.locator(`#wh-stock-rows tr[data-product-id="${teapot.id}"]`);
    await expect.poll(() => row.locator('td[data-field="product"]').textContent()).toBe(teapot.name);
    expect(await row.locator('td[data-field="sku"]').textContent()).toBe(teapot.skuCode);
    expect(await onHandCell(page).textContent()).toBe('10');
    expect(await row.locator('td[data-field="available"]').textContent()).toBe('10');

    const latencies: number[] = [];
    let onHand = 10;
    for (const quantity of [5, 3, 7]) {
      onHand += quantity;
      const shown = await whenOnHandShows(page, onHand);
      const sentAt = Date.now();
      await shopA.receive(warehouse.id, teapot.id, quantity);
      const answeredAt = Date.now();
      const shownAt = await shown();
      // The event may even beat the HTTP answer to the test; that counts as 0.
      latencies.push(Math.max(0, shownAt - answeredAt));
      console.info(`warehouse screen: receipt answered after ${answeredAt - sentAt} ms, table updated ${shownAt - answeredAt} ms after the answer`);
    }
    expect(Math.max(...latencies)).toBeLessThanOrEqual(UPDATE_BUDGET_MS);
    expect(await row.locator('td[data-field="available"]').textContent()).toBe(String(onHand));
    await saveScreenshot(page, 'warehouse-board');

    expect(foreignRequests(recording)).toEqual([]);
    expect(unexpectedErrors(page, recording)).toEqual([]);
    await page.context().close();
  });

  it('shows reconnecting when the socket drops, and resumes from the last cursor without missing a change', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const sockets: WebSocketRoute[] = [];
    const subscribes: { query: string; variables: Record<string, unknown> }[] = [];
    let offline = false;
    await context.routeWebSocket(/\/graphql$/, (socket) => {
      if (offline) {
        socket.close({ code: 1013, reason: 'Try again later' });
        return;
      }
      const server = socket.connectToServer();
      socket.onMessage((message) => {
        const parsed = JSON.parse(String(message)) as { type: string; payload?: { query: string; variables: Record<string, unknown> } };
        if (parsed.type === 'subscribe' && parsed.payload) subscribes.push(parsed.payload);
        server.send(message);
      });
      server.onMessage((message) => {
        if (String(message).includes('"stockChanged"')) stockEvents.push(String(message));
        socket.send(message);
      });
      sockets.push(socket);
    });
    const stockEvents: string[] = [];
    const { page } = await openBoard(context);
    let onHand = Number(await onHandCell(page).textContent());

    // A change the stock subscription delivers gives the page a cursor. One committed before the
    // gateway has the subscription open upstream ('connected' is the socket's, not the
    // subscription's) reaches the page by its board reload instead, without a cursor: change again.
    for (let attempt = 1; ; attempt += 1) {
      const delivered = stockEvents.length;
      const shown = await whenOnHandShows(page, onHand + 1);
      await shopA.receive(warehouse.id, teapot.id, 1);
      onHand += 1;
      await shown();
      const deadline = Date.now() + 2_000;
      while (stockEvents.length === delivered && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (stockEvents.length > delivered) break;
      expect(attempt, 'changes the stock subscription never delivered').toBeLessThan(3);
    }

    offline = true;
    await sockets.at(-1)!.close({ code: 1012, reason: 'Service restart' });
    await page.locator('#wh-link[data-state="reconnecting"]').waitFor();
    await saveScreenshot(page, 'warehouse-reconnecting');
    // Received while the screen is disconnected.
    const resumed = await whenOnHandShows(page, onHand + 2);
    await shopA.receive(warehouse.id, teapot.id, 2);
    offline = false;
    await page.locator('#wh-link[data-state="connected"]').waitFor({ timeout: 15_000 });
    await resumed();

    const stockSubscribes = subscribes.filter((s) => s.query.includes('stockChanged'));
    expect(stockSubscribes.length).toBeGreaterThanOrEqual(2);
    expect(stockSubscribes[0]!.variables['after']).toBeNull();
    expect(stockSubscribes.at(-1)!.variables['after']).toEqual(expect.any(String));
    await context.close();
  });

  it('inspection flags a wrong scan, accepts the right ones, and then dispatches', async () => {
    const { page, recording } = await openBoard();
    const orderId = await shopA.approvedOrder([{ productId: teapot.id, quantity: 2 }]);
    const shipmentId = await shopA.queuedShipment(warehouse.id, orderId);

    // The queue shows it live; open it.
    const card = page.locator(`button.wh-card[data-shipment-id="${shipmentId}"]`);
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getAttribute('data-status')).toBe('TO_PICK');
    await card.click();
    const scan = page.locator('#wh-scan');
    await page.locator(`#wh-pick-rows tr[data-sku="${teapot.skuCode}"]`).waitFor();
    await expect.poll(() => scan.isEnabled()).toBe(true);

    // A keyboard-wedge scanner types the code and Enter.
    await scan.pressSequentially('WRONG-4711');
    await scan.press('Enter');
    await page.locator('#wh-scan-feedback[data-verdict="unknown"]').waitFor();
    expect(await page.locator('#wh-unknown li').textContent()).toContain('WRONG-4711');
    await page.locator('#wh-inspect').click();
    await page.locator('#wh-inspection-result[data-result="MISMATCH"]').waitFor();
    expect(await page.locator('#wh-inspection-result').textContent()).toContain('WRONG-4711');
    expect(await page.locator(`#wh-pick-rows tr[data-sku="${teapot.skuCode}"]`).getAttribute('data-state')).toBe('mismatch');
    expect(await page.locator('#wh-dispatch').isDisabled()).toBe(true);
    await saveScreenshot(page, 'warehouse-inspection-mismatch');

    // Start over: one teapot by barcode, one by SKU code.
    await page.getByRole('button', { name: 'Clear scans' }).click();
    await scan.pressSequentially(teapot.barcode);
    await scan.press('Enter');
    await page.locator('#wh-scan-feedback[data-verdict="partial"]').waitFor();
    expect(await page.locator('#wh-dispatch').isDisabled()).toBe(true);
    await scan.pressSequentially(teapot.skuCode);
    await scan.press('Enter');
    await page.locator('#wh-scan-feedback[data-verdict="pass"]').waitFor();
    await page.locator(`#wh-pick-rows tr[data-sku="${teapot.skuCode}"][data-state="pass"]`).waitFor();
    // Everything matched locally, so the server was asked at once.
    await page.locator('#wh-inspection-result[data-result="READY"]').waitFor();
    await page.locator('#wh-shipment-status[data-status="READY"]').waitFor();
    expect(await page.locator('#wh-dispatch').isDisabled()).toBe(true); // no tracking number yet
    await page.locator('#wh-tracking').fill('JJD00E2E0001');
    await expect.poll(() => page.locator('#wh-dispatch').isEnabled()).toBe(true);
    await saveScreenshot(page, 'warehouse-inspection-ready');

    await page.locator('#wh-dispatch').click();
    await page.locator('#wh-inspection-result[data-result="DISPATCHED"]').waitFor();
    expect(await page.locator('#wh-inspection-result').textContent()).toContain('JJD00E2E0001');
    const [dispatched] = await shopA.shipments(warehouse.id, orderId, ['DISPATCHED']);
    expect(dispatched).toMatchObject({ id: shipmentId, carrier: 'DHL', trackingNumber: 'JJD00E2E0001' });
    await saveScreenshot(page, 'warehouse-dispatched');

    // Back on the board, it sits under Dispatched.
    await page.locator('#wh-back').click();
    await page.locator(`[data-column="DISPATCHED"] button.wh-card[data-shipment-id="${shipmentId}"]`).waitFor();
    expect(foreignRequests(recording)).toEqual([]);
    expect(unexpectedErrors(page, recording)).toEqual([]);
    await page.context().close();
  });

  it('signs in with email and password and stays live across token renewals; asks which partner when there are several', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const recording = recordPage(page);
    await page.goto(`${origin}/warehouse`);
    await page.locator('#wh-email').fill('admin@shop-a.example');
    await page.locator('#wh-password').fill('not the password');
    await page.locator('#wh-password-sign-in button[type="submit"]').click();
    await expect.poll(() => page.locator('#wh-password-message').textContent()).toContain('email or password is wrong');
    await page.locator('#wh-password').fill('redthread-demo');
    await page.locator('#wh-password-sign-in button[type="submit"]').click();
    await page.locator(`button[data-code="${warehouse.code}"]`).click();
    await page.locator('#wh-link[data-state="connected"]').waitFor();

    const credentials = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('redthread.warehouse.credentials') ?? 'null') as { accessToken: string; expiresAt: number });
    const first = await credentials();
    // Renewed before it expires, then the socket the gateway closes at the old token's expiry is reopened.
    await page.waitForFunction((token) => JSON.parse(sessionStorage.getItem('redthread.warehouse.credentials') ?? '{}').accessToken !== token, first.accessToken, {
      timeout: ACCESS_TOKEN_SECONDS * 1000,
    });
    await page.waitForTimeout(Math.max(0, first.expiresAt + 1_500 - Date.now()));
    await page.locator('#wh-link[data-state="connected"]').waitFor({ timeout: 10_000 });
    const onHand = Number(await onHandCell(page).textContent());
    const shown = await whenOnHandShows(page, onHand + 1);
    await shopA.receive(warehouse.id, teapot.id, 1);
    await shown();
    expect(await page.locator('#wh-sign-in').count()).toBe(0);
    await saveScreenshot(page, 'warehouse-password-session');

    // Signing out ends the session; a user of several partners picks one.
    await page.locator('#wh-sign-out').click();
    await page.locator('#wh-email').fill('admin@trader-b.example');
    await page.locator('#wh-password').fill('redthread-demo');
    await page.locator('#wh-password-sign-in button[type="submit"]').click();
    await page.locator('#wh-password-message button[data-partner-code="TRADER-B"]').waitFor();
    await saveScreenshot(page, 'warehouse-sign-in-partner-choice');
    await page.locator('#wh-password-message button[data-partner-code="TRADER-B"]').click();
    await page.locator('button[data-code="B-HUB"]').waitFor();
    expect(foreignRequests(recording)).toEqual([]);
    // Chromium logs the refused sign-ins (401 wrong password, 400 partner required) and the
    // development-token probe (404, not offered here) as failed loads; nothing else may fail.
    expect(recording.errors.filter((e) => !/Failed to load resource: the server responded with a status of (400|401|404)/.test(e))).toEqual([]);
    await context.close();
  }, 60_000);
  it('says "not connected yet" before any connection and asks for the warehouse or admin role', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(`${origin}/warehouse`);
    const link = page.locator('#wh-link');
    await page.locator('#wh-password-sign-in').waitFor();
    expect(await link.getAttribute('data-state')).toBe('idle');
    expect(await link.textContent()).toBe('Not connected yet');
    expect(await page.locator('#wh-password-sign-in').textContent()).toContain('warehouse or admin role');

    // The README's example user has the admin role only, and the screen lets it in.
    await page.locator('#wh-email').fill('admin@shop-a.example');
    await page.locator('#wh-password').fill('redthread-demo');
    await page.locator('#wh-password-sign-in button[type="submit"]').click();
    await page.locator(`button[data-code="${warehouse.code}"]`).waitFor();
    expect(await link.textContent()).toBe('Not connected yet');
    await page.locator(`button[data-code="${warehouse.code}"]`).click();
    await page.locator('#wh-link[data-state="connected"]').waitFor();
    expect(await link.textContent()).toBe('Live');

    // Leaving the warehouse closes the feed on purpose: "not connected", still not "offline".
    await page.getByRole('button', { name: 'Switch warehouse' }).click();
    await page.locator('#wh-link[data-state="stopped"]').waitFor();
    expect(await link.textContent()).toBe('Not connected');
    await page.locator('#wh-sign-out').click();
    await page.locator('#wh-link[data-state="signed-out"]').waitFor();
    expect(await link.textContent()).toBe('Signed out');
    await context.close();
  });

  it('dispatch step: after a passed inspection the focus moves to the tracking number, and a scanned tracking label is no item scan', async () => {
    const { page, recording } = await openBoard();
    const kettle = await shopA.createProduct('E2E Kettle');
    await shopA.receive(warehouse.id, kettle.id, 5);
    const { shipmentId, orderNumber } = await queued([{ productId: kettle.id, quantity: 2 }]);
    await openShipment(page, shipmentId);
    expect(await page.locator('#wh-inspection-title').textContent()).toBe(`Order ${orderNumber}`);
    expect(await page.locator('#wh-pick-rows td.wh-product').first().textContent()).toBe('E2E Kettle');
    expect((await dispatchState(page)).focused).toBe('wh-scan');
    await expectBadgeAgrees(page);

    // A keyboard-wedge scanner types into whatever has the focus, and ends each code with Enter.
    await page.keyboard.type(kettle.barcode);
    await page.keyboard.press('Enter');
    await page.locator('#wh-scan-feedback[data-verdict="partial"]').waitFor();
    await expectBadgeAgrees(page);
    await page.keyboard.type(kettle.skuCode);
    await page.keyboard.press('Enter');
    await page.locator('#wh-inspection-result[data-result="READY"]').waitFor();
    // Passed: the items are done, the scanner's next code belongs in the tracking number.
    await expect.poll(async () => (await dispatchState(page)).focused).toBe('wh-tracking');
    expect(await page.locator('#wh-scan').isDisabled()).toBe(true);
    expect(await dispatchState(page)).toMatchObject({ status: 'READY', dispatchEnabled: false });
    await expectBadgeAgrees(page);

    await page.keyboard.type('JJD00E2E0002');
    await page.keyboard.press('Enter');
    expect(await page.locator('#wh-tracking').inputValue()).toBe('JJD00E2E0002');
    // Still passed: no stray item scan, the same scans, Dispatch open and the badge saying so.
    expect(await page.locator('#wh-unknown li').count()).toBe(0);
    expect(await page.locator(`#wh-pick-rows tr[data-sku="${kettle.skuCode}"]`).getAttribute('data-state')).toBe('pass');
    expect(await page.locator(`#wh-pick-rows tr[data-sku="${kettle.skuCode}"] td[data-field="scanned"]`).textContent()).toBe('2');
    expect(await page.locator('#wh-inspection-result').getAttribute('data-result')).toBe('READY');
    expect(await dispatchState(page)).toEqual({ badge: 'Ready to dispatch', status: 'READY', dispatchEnabled: true, focused: 'wh-dispatch' });
    await saveScreenshot(page, 'warehouse-dispatch-step');

    // A second label scanned with the focus nowhere in particular replaces the tracking number; it is no item either.
    await page.locator('#wh-pick').click();
    await page.keyboard.type('JJD00E2E0003');
    await page.keyboard.press('Enter');
    expect(await page.locator('#wh-tracking').inputValue()).toBe('JJD00E2E0003');
    expect(await page.locator('#wh-unknown li').count()).toBe(0);
    expect(await dispatchState(page)).toEqual({ badge: 'Ready to dispatch', status: 'READY', dispatchEnabled: true, focused: 'wh-dispatch' });

    // Enter on Dispatch dispatches.
    await page.keyboard.press('Enter');
    await page.locator('#wh-inspection-result[data-result="DISPATCHED"]').waitFor();
    await expectBadgeAgrees(page);
    const [dispatched] = await shopA.shipments(warehouse.id, await orderIdOf(shipmentId), ['DISPATCHED']);
    expect(dispatched).toMatchObject({ id: shipmentId, carrier: 'DHL', trackingNumber: 'JJD00E2E0003' });
    expect(foreignRequests(recording)).toEqual([]);
    expect(unexpectedErrors(page, recording)).toEqual([]);
    await page.context().close();
  });

  it('undo re-checks at once: undoing a stray scan opens Dispatch without asking the server by hand', async () => {
    const { page, recording } = await openBoard();
    const inspections: string[] = [];
    page.on('request', (request) => {
      if (request.postData()?.includes('InspectShipment')) inspections.push(request.postData()!);
    });
    // The network drops the first inspection: the scans match, but the server never confirmed them.
    let dropNextInspection = true;
    await page.route(`${origin}/graphql`, (route) => {
      if (dropNextInspection && route.request().postData()?.includes('InspectShipment')) {
        dropNextInspection = false;
        return route.abort('connectionreset');
      }
      return route.continue();
    });
    const mug = await shopA.createProduct('E2E Mug');
    await shopA.receive(warehouse.id, mug.id, 5);
    const { shipmentId } = await queued([{ productId: mug.id, quantity: 2 }]);
    await openShipment(page, shipmentId);
    const scan = page.locator('#wh-scan');
    const scanCode = async (code: string) => {
      await scan.pressSequentially(code);
      await scan.press('Enter');
    };

    await scanCode(mug.skuCode);
    await scanCode(mug.skuCode);
    await page.locator('#wh-inspection-result[data-result="ERROR"]').waitFor();
    expect(inspections).toHaveLength(1);
    expect(await dispatchState(page)).toMatchObject({ dispatchEnabled: false, focused: 'wh-scan' });
    await expectBadgeAgrees(page);

    // A stray scan, then undone: what is left matches, and the screen asks the server at once.
    await scanCode('WRONG-0815');
    await page.locator('#wh-scan-feedback[data-verdict="unknown"]').waitFor();
    expect(inspections).toHaveLength(1); // nothing to confirm while the scans do not match
    await expectBadgeAgrees(page);
    await page.locator('#wh-undo').click();
    await page.locator('#wh-inspection-result[data-result="READY"]').waitFor();
    expect(inspections).toHaveLength(2);
    expect(await page.locator('#wh-unknown li').count()).toBe(0);
    await expect.poll(async () => (await dispatchState(page)).focused).toBe('wh-tracking');
    await expectBadgeAgrees(page);
    await page.keyboard.type('JJD00E2E0004');
    await page.keyboard.press('Enter');
    expect(await dispatchState(page)).toMatchObject({ badge: 'Ready to dispatch', status: 'READY', dispatchEnabled: true });

    // Undoing a scan of the passed set closes Dispatch at once, and the badge says so too.
    await page.locator('#wh-undo').click();
    expect(await dispatchState(page)).toMatchObject({ status: 'INSPECTING', dispatchEnabled: false, focused: 'wh-scan' });
    await expectBadgeAgrees(page);
    await scanCode(mug.skuCode);
    await page.locator('#wh-inspection-result[data-result="READY"]').waitFor();
    expect(inspections).toHaveLength(3);
    expect(await dispatchState(page)).toMatchObject({ badge: 'Ready to dispatch', dispatchEnabled: true });
    await page.locator('#wh-dispatch').click();
    await page.locator('#wh-inspection-result[data-result="DISPATCHED"]').waitFor();
    const [dispatched] = await shopA.shipments(warehouse.id, await orderIdOf(shipmentId), ['DISPATCHED']);
    expect(dispatched).toMatchObject({ id: shipmentId, trackingNumber: 'JJD00E2E0004' });
    // Chromium logs the dropped request as a failed load; nothing else may fail.
    expect(unexpectedErrors(page, recording).filter((e) => !/ERR_CONNECTION_RESET/.test(e))).toEqual([]);
    await page.context().close();
  });

  it('lays the board out for a wall at 1280×720, 1920×1080 and 3840×2160: cards show order, city, products and units, and nothing overflows', async () => {
    // A queue with long names, several products and a long tracking number, in every column.
    const teapotXl = await shopA.createProduct('E2E Cast-Iron Teapot with Stainless-Steel Infuser, Matte Black, 1.2 Litres');
    const cups = await shopA.createProduct('E2E Espresso Cups');
    const extras = await Promise.all(['E2E Saucer', 'E2E Tea Towel', 'E2E Honey Spoon'].map((name) => shopA.createProduct(name)));
    for (const product of [teapotXl, cups, ...extras]) await shopA.receive(warehouse.id, product.id, 20);
    const toPick = await queued([
      { productId: teapotXl.id, quantity: 1 },
      { productId: cups.id, quantity: 6 },
    ]);
    const many = await queued([teapotXl, cups, ...extras].map((product) => ({ productId: product.id, quantity: 2 })));
    const ready = await queued([{ productId: cups.id, quantity: 2 }]);
    await shopA.inspected(ready.shipmentId);
    const dispatched = await queued([{ productId: teapotXl.id, quantity: 1 }]);
    const trackingNumber = 'JJD0099887766554433221100E2E';
    await shopA.dispatched(dispatched.shipmentId, trackingNumber, 'Deutsche Post DHL Group');

    const layouts: BoardLayout[] = [];
    for (const wall of WALLS) {
      const { page, recording } = await openBoard(await browser.newContext({ viewport: wall }));
      const card = (shipmentId: string) => page.locator(`button.wh-card[data-shipment-id="${shipmentId}"]`);
      await page.locator(`[data-column="DISPATCHED"] button.wh-card[data-shipment-id="${dispatched.shipmentId}"]`).waitFor();
      await page.locator(`[data-column="READY"] button.wh-card[data-shipment-id="${ready.shipmentId}"]`).waitFor();
      // "Last change" appears with the first live change; the header must not grow a row for it.
      const shown = await whenOnHandShows(page, Number(await onHandCell(page).textContent()) + 1);
      await shopA.receive(warehouse.id, teapot.id, 1);
      await shown();
      await page.locator('#wh-last-change:not(:empty)').waitFor();

      // What a card says: the order number, the destination, the products with their units.
      expect(await card(toPick.shipmentId).locator('[data-field="order"]').textContent()).toBe(toPick.orderNumber);
      expect(await card(toPick.shipmentId).locator('[data-field="city"]').textContent()).toBe('Berlin · DE');
      expect(await card(toPick.shipmentId).locator('.wh-card-line').allTextContents()).toEqual([`1 ×${teapotXl.name}`, `6 ×${cups.name}`]);
      expect(await card(toPick.shipmentId).locator('[data-field="units"]').textContent()).toMatch(/^7 units · /);
      // Five products: three by name, the rest counted.
      const byName = [teapotXl, cups, ...extras].map((product) => product.name).sort((a, b) => a.localeCompare(b));
      expect(await card(many.shipmentId).locator('.wh-card-line').allTextContents()).toEqual([...byName.slice(0, 3).map((name) => `2 ×${name}`), '+ 2 more products']);
      expect(await card(many.shipmentId).locator('[data-field="units"]').textContent()).toMatch(/^10 units · /);
      expect(await card(dispatched.shipmentId).locator('[data-field="tracking"]').textContent()).toBe(`Deutsche Post DHL Group ${trackingNumber}`);
      expect(await card(dispatched.shipmentId).textContent()).not.toMatch(/#[0-9A-F]{8}/);

      const layout = await measureBoard(page);
      layouts.push(layout);
      const at = `${wall.width}×${wall.height}`;
      expect(layout.cards, at).toBeGreaterThanOrEqual(4);
      expect(layout.overflowing, `cut or overflowing at ${at}`).toEqual([]);
      expect(layout.overlapping, `overlapping cards at ${at}`).toEqual([]);
      expect(layout.outside, `outside the viewport at ${at}`).toEqual([]);
      expect(layout.offRow, `header off its one row at ${at}`).toEqual([]);
      expect(layout.scrollsSideways, `scrolling sideways at ${at}`).toEqual([]);
      // The queue takes the larger part of the width.
      expect(layout.queueShare, at).toBeGreaterThan(0.5);
      await saveScreenshot(page, `warehouse-wall-${wall.width}x${wall.height}`);
      expect(unexpectedErrors(page, recording)).toEqual([]);
      await page.context().close();
    }
    // The text grows with the screen: the same layout at each size, not small text in one corner at 4K.
    const [small, full, uhd] = layouts.map((layout) => layout.rootFontPx) as [number, number, number];
    expect(full / small).toBeCloseTo(1920 / 1280, 1);
    expect(uhd / full).toBeCloseTo(2, 1);
  }, 120_000);
});
