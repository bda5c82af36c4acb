import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); playwright-core never downloads one. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep Chromium headless and quiet: no GPU, no sandbox (CI runs as root), no calls home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Where screenshots go (git-ignored). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '../test-artifacts');

/** Launches the system Chromium through playwright-core. Close it in `afterAll`. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}. Install Debian's: apt-get update && apt-get install -y chromium`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/** Everything a page did that a test may want to assert on afterwards. */
export interface PageRecording {
  /** Every URL the page requested (documents, scripts, styles, fonts, workers, fetches). */
  requests: string[];
  /** Uncaught exceptions and console errors. */
  errors: string[];
}

/** Starts recording `page`'s requests and errors. */
export function recordPage(page: Page): PageRecording {
  const recording: PageRecording = { requests: [], errors: [] };
  page.on('request', (request) => recording.requests.push(request.url()));
  page.on('pageerror', (error) => recording.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') recording.errors.push(`console: ${message.text()}`);
  });
  return recording;
}

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Replaces the whole content of the Monaco editor inside `container` with `text`, as a paste
 * would: one input event, so Monaco's auto-closing brackets do not double anything.
 */
export async function replaceEditorText(page: Page, container: string, text: string): Promise<void> {
  const editor = page.locator(`${container} .monaco-editor`).first();
  await editor.waitFor({ state: 'visible' });
  const wanted = normalise(text);
  // GraphiQL may restore its saved editor state while the page settles and overwrite what was
  // typed: type again until the editor shows exactly the text.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    const shown = await page
      .waitForFunction(
        ({ selector, expected }) => {
          const lines = document.querySelector(`${selector} .monaco-editor .view-lines`) as HTMLElement | null;
          return (lines?.innerText ?? '').replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim() === expected;
        },
        { selector: container, expected: wanted },
        { timeout: 2_000 },
      )
      .then(() => true)
      .catch(() => false);
    if (shown) return;
  }
  throw new Error(`The editor in ${container} never showed: ${wanted}`);
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The text Monaco shows in the editor inside `container` (its rendered lines). */
export function editorText(page: Page, container: string): Promise<string> {
  return page
    .locator(`${container} .monaco-editor .view-lines`)
    .first()
    .evaluate((lines) => (lines as HTMLElement).innerText.replace(/\u00a0/g, ' '));
}
