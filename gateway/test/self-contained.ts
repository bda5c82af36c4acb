/**
 * Checks shared by the tests of the pages the gateway serves (GraphiQL, the
 * warehouse screen): everything they load must come from the gateway itself.
 */

/** Hosts that serve scripts, styles, fonts or tracking: none may appear in a served page or bundle. */
export const THIRD_PARTY_HOSTS =
  /unpkg\.com|jsdelivr\.net|esm\.sh|cdnjs\.cloudflare\.com|skypack\.dev|fonts\.googleapis\.com|fonts\.gstatic\.com|googletagmanager\.com|google-analytics\.com|sentry\.io|segment\.(io|com)|plausible\.io|hotjar\.com/i;

/** An absolute http(s) URL in a position where the browser would load it. */
export const LOADED_EXTERNAL_URL =
  /(\bimport\s*\(?\s*|\bfrom\s*|importScripts\(\s*|new\s+(Shared)?Worker\(\s*|new\s+URL\(\s*|fetch\(\s*|@import\s+(url\()?\s*|url\(\s*)["'`]?(https?:)?\/\/[a-z0-9]/gi;

/** The `src`/`href` attribute values of a page. */
export function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1] ?? '');
}
