/**
 * The request headers (the token, mostly) kept per browser tab in sessionStorage, so a reload
 * keeps them and closing the tab forgets them. GraphiQL's own header persistence is off: it
 * writes to localStorage, which every tab shares and which outlives the browser session.
 */

/** The sessionStorage key of the header editor's text. */
const SAVED_HEADERS_KEY = 'redthread:graphiql:headers';

/** The header editor's text as this tab last left it, if any. */
export function savedHeaders(): string | undefined {
  try {
    return sessionStorage.getItem(SAVED_HEADERS_KEY) ?? undefined;
  } catch {
    // Storage turned off by the browser's privacy settings: nothing was kept.
    return undefined;
  }
}

/** Keeps `headersText` for this tab (an empty editor forgets what was kept). */
export function saveHeaders(headersText: string): void {
  try {
    if (headersText.trim()) sessionStorage.setItem(SAVED_HEADERS_KEY, headersText);
    else sessionStorage.removeItem(SAVED_HEADERS_KEY);
  } catch {
    // Storage turned off or full: the headers last until the next reload, as without saving.
  }
}
