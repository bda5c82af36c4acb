import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PARTNERS } from '../scripts/demo/world';
import { DEFAULT_DEV_ROLES } from '../scripts/lib/tokens';
import { freshDatabase, type TestDatabase } from '../test/database';
import { startTestPlatform, type TestPlatform } from '../test/platform';
import { editorText, launchChromium, recordPage, replaceEditorText, saveScreenshot, type PageRecording } from './browser';
import { InventoryApi } from './inventory';

const HEADERS_EDITOR = 'section.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const QUERY_EDITOR = '.graphiql-query-editor';
const RESPONSE = '.graphiql-response';
const SCHEMA_NOTICE = '.redthread-schema-notice';
/** Where the page keeps a tab's request headers (gateway/src/graphiql/page/saved-headers.ts). */
const SAVED_HEADERS_KEY = 'redthread:graphiql:headers';

let db: TestDatabase;
let api: TestPlatform;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  origin = api.platform.gateway.url;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await db?.drop();
});

async function openGraphiQL(
  context?: BrowserContext,
): Promise<{ page: Page; recording: PageRecording }> {
  context ??= await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const recording = recordPage(page);
  await page.goto(`${origin}/graphiql`);
  await page.locator(`${QUERY_EDITOR} .monaco-editor`).waitFor({ state: 'visible' });
  return { page, recording };
}

/**
 * A browser context whose gateway offers the demo partners' tokens. The test platform does not
 * pass dev tokens to the gateway (their endpoint and its development-only gating are covered in
 * gateway/test/graphiql.test.ts), so the browser gets the list `npm start` would serve, with real
 * tokens for this gateway.
 */
async function contextOfferingDevTokens(viewport = { width: 1440, height: 900 }): Promise<BrowserContext> {
  const tokens = await Promise.all(
    DEMO_PARTNERS.map(async (p) => ({ partnerCode: p.code, partnerName: p.name, roles: DEFAULT_DEV_ROLES, token: await api.tokenFor(p.code) })),
  );
  const context = await browser.newContext({ viewport });
  await context.route(`${origin}/graphiql/dev-tokens`, (route) => route.fulfill({ json: { tokens } }));
  return context;
}

/** Puts `query` in the operation editor and waits until GraphiQL has taken it into its state. */
async function enterOperation(page: Page, query: string): Promise<void> {
  await replaceEditorText(page, QUERY_EDITOR, query);
  // GraphiQL takes the editor's text into its state 100 ms after the last change (and stores it as
  // `graphiql:query`); running before that would run the previous operation.
  await page.waitForFunction(
    (expected) => (localStorage.getItem('graphiql:query') ?? '').replace(/\s+/g, ' ').trim() === expected,
    query.replace(/\s+/g, ' ').trim(),
    { timeout: 5_000 },
  );
}

async function runAndReadResponse(page: Page, query: string): Promise<string> {
  await enterOperation(page, query);
  await page.locator('.graphiql-execute-button').click();
  await page.waitForFunction(
    (selector) => /"data"|"errors"/.test(document.querySelector(selector)?.textContent ?? ''),
    RESPONSE,
  );
  return editorText(page, RESPONSE);
}

/** Requests to anything but the gateway (data: and blob: URLs are the page's own). */
function foreignRequests(recording: PageRecording): string[] {
  return recording.requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url));
}

describe('GraphiQL in a browser', () => {
  it('runs { me { code } } with a pasted SHOP-A token and shows SHOP-A', async () => {
    const { page, recording } = await openGraphiQL();
    const token = await api.tokenFor('SHOP-A');
    const sent: { authorization: string | undefined; method: string }[] = [];
    page.on('request', (request) => {
      if (request.url() === `${origin}/graphql`) sent.push({ authorization: request.headers()['authorization'], method: request.method() });
    });

    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${token}" }`);
    const response = await runAndReadResponse(page, '{ me { code } }');
    await saveScreenshot(page, 'graphiql-shop-a');

    expect(response).toContain('"code": "SHOP-A"');
    expect(response).not.toContain('"errors"');
    expect(sent.filter((r) => r.method === 'POST' && r.authorization === `Bearer ${token}`).length).toBeGreaterThan(0);
    expect(foreignRequests(recording)).toEqual([]);
    expect(recording.errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await page.context().close();
  });

  it('loads the schema into the docs explorer once a token is in place', async () => {
    const { page } = await openGraphiQL();
    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${await api.tokenFor('SHOP-A')}" }`);
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer').getByText('me', { exact: true }).first().waitFor();
    await page.context().close();
  });

  it('offers the demo partners’ tokens in development, and a picked one is used', async () => {
    const context = await contextOfferingDevTokens();
    const { page, recording } = await openGraphiQL(context);
    await page.locator('button[aria-label="Show Dev tokens"]').click();
    await page.locator('button[data-partner-code="TRADER-B"]').click();
    expect(await editorText(page, HEADERS_EDITOR)).toContain('"Authorization": "Bearer ey');

    const response = await runAndReadResponse(page, '{ me { code } }');
    await saveScreenshot(page, 'graphiql-dev-token-picker');
    expect(response).toContain('"code": "TRADER-B"');
    expect(foreignRequests(recording)).toEqual([]);
    await context.close();
  });

  it('signs in with email and password from the sidebar, asking which partner when there are several', async () => {
    const { page, recording } = await openGraphiQL();
    await page.locator('button[aria-label="Show Sign in"]').click();
    await page.locator('#redthread-email').fill('admin@trader-b.example');
    await page.locator('#redthread-password').fill('redthread-demo');
    await page.locator('.redthread-sign-in form button[type="submit"]').click();
    await page.locator('.redthread-sign-in button[data-partner-code="SUPPLIER-C"]').click();
    await expect.poll(() => page.locator('.redthread-sign-in p[role="status"]').textContent()).toContain('Signed in for SUPPLIER-C (viewer)');
    expect(await editorText(page, HEADERS_EDITOR)).toContain('"Authorization": "Bearer ey');
    await saveScreenshot(page, 'graphiql-sign-in');
    const response = await runAndReadResponse(page, '{ me { code } myRoles }');
    expect(response).toContain('"code": "SUPPLIER-C"');
    expect(response).toContain('"viewer"');
    expect(foreignRequests(recording)).toEqual([]);
    await page.context().close();
  });

  it('shows no token picker when the gateway offers no dev tokens', async () => {
    const { page } = await openGraphiQL();
    await page.locator('button[aria-label="Show History"]').waitFor();
    expect(await page.locator('button[aria-label="Show Dev tokens"]').count()).toBe(0);
    await page.context().close();
  });

  it('runs a subscription over graphql-ws and shows the event when stock is received through the API', async () => {
    const shopA = new InventoryApi(api, await api.tokenFor('SHOP-A'));
    const product = await shopA.createProduct('GraphiQL Live Teapot');
    const warehouse = await shopA.createWarehouse(['DE-BE']);
    const { page, recording } = await openGraphiQL();
    let subscribeFrames = 0;
    page.on('websocket', (socket) => {
      socket.on('framesent', (frame) => {
        if (String(frame.payload).includes('"subscribe"')) subscribeFrames += 1;
      });
    });
    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${shopA.token}" }`);
    await replaceEditorText(page, QUERY_EDITOR, 'subscription { stockChanged { topic delta product { name } } }');
    // Under load the first click can race the editors; run again until the subscription is sent.
    for (let attempt = 0; attempt < 3 && subscribeFrames === 0; attempt += 1) {
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => subscribeFrames, { timeout: 5_000 }).toBeGreaterThan(0).catch(() => undefined);
    }
    expect(subscribeFrames, 'GraphiQL never sent the subscription over graphql-ws').toBeGreaterThan(0);

    // The gateway opens the subscription upstream asynchronously: receive until an event shows.
    const deadline = Date.now() + 15_000;
    let response = '';
    while (!response.includes('"topic": "stock.changed"')) {
      expect(Date.now(), `no event in the result pane; it shows: ${response}`).toBeLessThan(deadline);
      await shopA.receive(warehouse.id, product.id, 3);
      await page.waitForTimeout(250);
      response = await editorText(page, RESPONSE);
    }
    expect(response).toContain('"delta": 3');
    expect(response).toContain('"name": "GraphiQL Live Teapot"');
    expect(response).not.toContain('"errors"');
    await saveScreenshot(page, 'graphiql-subscription');
    expect(foreignRequests(recording).filter((url) => !url.startsWith(origin.replace(/^http/, 'ws')))).toEqual([]);
    await page.context().close();
  });

  it('keeps the history of operations that ran', async () => {
    const { page } = await openGraphiQL();
    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${await api.tokenFor('SHOP-A')}" }`);
    await runAndReadResponse(page, 'query WhoAmI { me { code } }');
    expect(await editorText(page, QUERY_EDITOR)).toContain('WhoAmI');
    // GraphiQL records history after the response; open the pane (again, if it was open before the
    // entry landed) until the operation is listed.
    await expect
      .poll(
        async () => {
          const history = page.locator('.graphiql-history');
          if (!(await history.isVisible())) await page.locator('button[aria-label="Show History"]').click();
          return (await history.textContent({ timeout: 2_000 }).catch(() => '')) ?? '';
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toContain('WhoAmI');
    await page.context().close();
  });

  it('keeps the request headers of a browser tab across a reload, and only in that tab', async () => {
    const { page } = await openGraphiQL();
    const token = await api.tokenFor('SHOP-A');
    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${token}" }`);
    await expect.poll(() => page.evaluate((key) => sessionStorage.getItem(key), SAVED_HEADERS_KEY)).toContain(token);

    await page.reload();
    await page.locator(`${QUERY_EDITOR} .monaco-editor`).waitFor({ state: 'visible' });
    await expect.poll(() => editorText(page, HEADERS_EDITOR)).toContain(`"Authorization": "Bearer ${token}"`);
    // The restored token is used at once: the schema loads without touching the headers.
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
    expect(await runAndReadResponse(page, '{ me { code } }')).toContain('"code": "SHOP-A"');
    // Never in localStorage, which every tab shares and which outlives the session.
    expect(await page.evaluate((secret) => Object.values(localStorage).some((value) => value.includes(secret)), token)).toBe(false);

    const { page: otherTab } = await openGraphiQL(page.context());
    await expect.poll(() => otherTab.locator(SCHEMA_NOTICE).textContent()).toContain('No token yet');
    expect(await editorText(otherTab, HEADERS_EDITOR)).not.toContain('Bearer');
    await page.context().close();
  });

  it('shows no error before the first action, but how to get a token', async () => {
    const { page, recording } = await openGraphiQL(await contextOfferingDevTokens());
    const notice = page.locator(SCHEMA_NOTICE);
    await expect.poll(() => notice.textContent()).toContain('No token yet');
    await saveScreenshot(page, 'graphiql-no-token');
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('person button');
    expect(text).toContain('key button');
    expect(text).toContain('{ "Authorization": "Bearer <token>" } into the Headers tab');

    expect(await editorText(page, RESPONSE)).not.toMatch(/errors|UNAUTHENTICATED/);
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('No GraphQL schema available').waitFor();
    expect(await page.locator('.graphiql-doc-explorer').textContent()).not.toContain('Error fetching schema');
    expect(recording.requests.filter((url) => url === `${origin}/graphql`), 'the schema was fetched without a token').toEqual([]);
    expect(recording.errors.filter((e) => /401|Unauthorized|UNAUTHENTICATED/i.test(e))).toEqual([]);

    // A token picked from the key button loads the schema and the notice goes.
    await page.locator('button[aria-label="Show Dev tokens"]').click();
    await page.locator('button[data-partner-code="SHOP-A"]').click();
    await expect.poll(() => notice.count()).toBe(0);
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
    await page.context().close();
  });

  it('names a refused token as the reason the schema does not load, and drops that error once a good token is in', async () => {
    const { page } = await openGraphiQL();
    const notice = page.locator(SCHEMA_NOTICE);
    await replaceEditorText(page, HEADERS_EDITOR, '{ "Authorization": "Bearer not-a-token" }');
    await expect.poll(() => notice.textContent()).toContain('The gateway refused the token in the Headers tab');
    await saveScreenshot(page, 'graphiql-refused-token');
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('Your token is not valid');
    expect(text).toContain('To get a new one, sign in with the person button');
    expect(await editorText(page, RESPONSE)).toContain('UNAUTHENTICATED');

    await replaceEditorText(page, HEADERS_EDITOR, `{ "Authorization": "Bearer ${await api.tokenFor('SHOP-A')}" }`);
    await expect.poll(() => notice.count()).toBe(0);
    await expect.poll(() => editorText(page, RESPONSE)).not.toContain('UNAUTHENTICATED');
    await page.context().close();
  });

  it('ends a subscription sent with a refused token at once, with the gateway’s close reason', async () => {
    const { page } = await openGraphiQL();
    const sockets: number[] = [];
    let closedAt: number | undefined;
    page.on('websocket', (socket) => {
      sockets.push(Date.now());
      socket.on('close', () => (closedAt ??= Date.now()));
    });
    await replaceEditorText(page, HEADERS_EDITOR, '{ "Authorization": "Bearer not-a-token" }');
    // The new headers make GraphiQL fetch the schema again, and it shows that refusal in the
    // response pane; let it land first, or it can replace the subscription's result there.
    await expect.poll(() => page.locator(SCHEMA_NOTICE).textContent()).toContain('The gateway refused the token in the Headers tab');
    await enterOperation(page, 'subscription { stockChanged { topic } }');
    // Under load the first click can race the editors; run again until the subscription is sent.
    for (let attempt = 0; attempt < 3 && sockets.length === 0; attempt += 1) {
      await page.locator('.graphiql-execute-button').click();
      await expect.poll(() => sockets.length, { timeout: 5_000 }).toBeGreaterThan(0).catch(() => undefined);
    }
    expect(sockets.length, 'GraphiQL never opened a WebSocket').toBeGreaterThan(0);

    // Polled every 50 ms (not per animation frame, which a busy headless page may throttle); the
    // 2 s bound is asserted on the measured time, so a failure says where the time went.
    await page.waitForFunction((selector) => /4403/.test(document.querySelector(selector)?.textContent ?? ''), RESPONSE, { timeout: 10_000, polling: 50 });
    const shown = Date.now() - sockets[0]!;
    expect(shown, `result shown ${shown} ms after the socket opened; the gateway closed it after ${(closedAt ?? NaN) - sockets[0]!} ms`).toBeLessThan(2_000);
    await saveScreenshot(page, 'graphiql-subscription-refused');
    const response = await editorText(page, RESPONSE);
    // The gateway closes with its verifier's own message (the editor wraps long lines).
    const unwrapped = response.replace(/\s+/g, ' ');
    expect(unwrapped).toContain('"message": "Your token is not valid. Sign in again for a new one. (WebSocket close code 4403)');
    expect(unwrapped).toContain('"closeReason": "Your token is not valid. Sign in again for a new one."');
    expect(response).not.toContain('"stack"');
    expect(sockets, 'the refused connection was retried').toHaveLength(1);
    // The run is over: the execute button offers to run again, not to stop.
    await page.locator('.graphiql-execute-button[aria-label^="Execute"]').waitFor();
    await page.context().close();
  });

  it('fits the welcome text uncut in the operation editor at 1280×720 and 1440×900', async () => {
    for (const viewport of [
      { width: 1280, height: 720 },
      { width: 1440, height: 900 },
    ]) {
      const { page } = await openGraphiQL(await contextOfferingDevTokens(viewport));
      await page.locator(`${QUERY_EDITOR} .view-line`).filter({ hasText: 'Welcome to Redthread' }).waitFor();
      await saveScreenshot(page, `graphiql-welcome-${viewport.width}`);
      const clipped = await page.evaluate((selector) => {
        const editor = document.querySelector(`${selector} .monaco-editor`)!;
        const visible = editor.querySelector('.monaco-scrollable-element')!.getBoundingClientRect();
        const scrollbarWidth = (editor.querySelector('.scrollbar.vertical') as HTMLElement | null)?.offsetWidth ?? 0;
        const lines = Array.from(editor.querySelectorAll('.view-line')).map((line) => ({
          text: (line as HTMLElement).innerText.replace(/\u00a0/g, ' '),
          box: (line.firstElementChild ?? line).getBoundingClientRect(),
        }));
        return {
          lastLineShown: lines.some((line) => line.text.trimEnd() === '}'),
          cut: lines
            .filter((line) => line.text.trim() && (line.box.right > visible.right - scrollbarWidth || line.box.bottom > visible.bottom))
            .map((line) => line.text),
        };
      }, QUERY_EDITOR);
      expect(clipped.cut, `lines cut at ${viewport.width}×${viewport.height}`).toEqual([]);
      expect(clipped.lastLineShown, `the welcome runs below the editor at ${viewport.width}×${viewport.height}`).toBe(true);
      await page.context().close();
    }
  });
});
