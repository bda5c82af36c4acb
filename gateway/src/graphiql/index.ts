import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEV_JWT_SECRET, sendJson, type Logger } from '@redthread/kit';
import type { ClientTokenConfig } from '../auth';
import { GRAPHIQL_BASE_PATH, GRAPHIQL_DIST_DIR, GRAPHIQL_PAGE_FILE } from './paths';
import { parseQualityList, staticFiles, type StaticFiles } from './static-files';

export { GRAPHIQL_BASE_PATH, GRAPHIQL_DIST_DIR, GRAPHIQL_PAGE_FILE, WAREHOUSE_PAGE_FILE } from './paths';
export { staticFiles, type StaticFiles } from './static-files';

/** A ready-made development token, as the GraphiQL token picker offers it. */
export interface DevToken {
  partnerCode: string;
  partnerName?: string;
  roles: readonly string[];
  token: string;
}

/** GraphiQL settings of the gateway. */
export interface GraphiQLOptions {
  /**
   * Development only: mints the demo partners' tokens for the page's token picker, served at
   * `/graphiql/dev-tokens` (called per request, so the tokens never expire under a long-running
   * gateway). Pass it only when NODE_ENV is not `production`; the gateway also ignores it unless
   * it verifies client tokens with the development JWT secret. Default: no picker.
   */
  devTokens?: () => Promise<readonly DevToken[]>;
  /** The built page. Default: gateway/dist/graphiql ({@link GRAPHIQL_DIST_DIR}). */
  bundleDir?: string;
}

/**
 * The built pages as the gateway serves them: the whole bundle folder, read into memory once and
 * shared by the GraphiQL and warehouse routes. Files under `assets/` carry a content hash and are
 * cached for a year.
 */
export function pageBundle(bundleDir: string = GRAPHIQL_DIST_DIR): StaticFiles {
  return staticFiles({ root: bundleDir, isImmutable: (file) => file.startsWith('assets/') });
}

/**
 * What the page may load: only the gateway itself (no CDN, fonts or analytics from elsewhere).
 * Monaco sets inline styles and may start its workers from blob URLs.
 */
export const GRAPHIQL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const DEV_TOKENS_PATH = `${GRAPHIQL_BASE_PATH}/dev-tokens`;
const PAGE_PATHS = new Set([GRAPHIQL_BASE_PATH, `${GRAPHIQL_BASE_PATH}/`, `${GRAPHIQL_BASE_PATH}/index.html`]);

/**
 * Whether the client prefers HTML over JSON, as a browser's address bar does
 * (`text/html,…,*\/*;q=0.8`) and curl (`*\/*`) or a GraphQL client does not.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const entries = parseQualityList(accept);
  const qualityOf = (...types: string[]) =>
    Math.max(0, ...entries.filter((e) => types.includes(e.value)).map((e) => e.quality));
  const html = qualityOf('text/html');
  return html > 0 && html >= qualityOf('application/json', 'application/graphql-response+json', 'application/*', '*/*');
}

/** Whether client tokens are checked against the public development secret (never in production). */
export function usesDevelopmentSecret(config: ClientTokenConfig): boolean {
  return !config.jwksUrl && config.jwtSecret === DEV_JWT_SECRET;
}

/**
 * The gateway's GraphiQL routes. Returns a handler that answers and resolves true for:
 *
 * - `GET /graphiql` (and `/graphiql/`): the page, locally bundled (see ./build.ts);
 * - `GET /graphiql/assets/…`: its scripts, styles, fonts and workers (and the warehouse screen's,
 *   built with it), cached for a year;
 * - `GET /graphiql/dev-tokens`: the demo partners' tokens, when {@link GraphiQLOptions.devTokens}
 *   is set and `offerDevTokens` holds, otherwise 404;
 * - `GET /` from a browser (Accept prefers text/html): a redirect to `/graphiql`.
 *
 * Anything else resolves false, unanswered.
 */
export function graphiqlRoutes(
  options: GraphiQLOptions & {
    offerDevTokens: boolean;
    logger: Logger;
    /** The bundle, when shared with other routes. Default: {@link pageBundle} of `bundleDir`. */
    files?: StaticFiles;
  },
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { logger: log } = options;
  const bundle = options.files ?? pageBundle(options.bundleDir);
  const devTokens = options.offerDevTokens ? options.devTokens : undefined;
  if (options.devTokens && !devTokens) {
    log.warn('GraphiQL dev tokens not offered: client tokens are not verified with the development secret');
  }
  let warnedMissingBundle = false;

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === '/') {
      if ((method !== 'GET' && method !== 'HEAD') || !prefersHtml(req.headers.accept)) return false;
      res.writeHead(302, { location: GRAPHIQL_BASE_PATH, vary: 'Accept', 'content-type': 'text/plain; charset=utf-8' });
      res.end(`GraphiQL is at ${GRAPHIQL_BASE_PATH}; the GraphQL endpoint is /graphql.\n`);
      return true;
    }
    if (path !== GRAPHIQL_BASE_PATH && !path.startsWith(`${GRAPHIQL_BASE_PATH}/`)) return false;

    if (path === DEV_TOKENS_PATH) {
      if (!devTokens || method !== 'GET') return false;
      res.setHeader('cache-control', 'no-store');
      sendJson(res, 200, { tokens: await devTokens() });
      return true;
    }

    if (PAGE_PATHS.has(path)) {
      const served = await bundle.serve(req, res, GRAPHIQL_PAGE_FILE, {
        'content-security-policy': GRAPHIQL_CONTENT_SECURITY_POLICY,
        'referrer-policy': 'no-referrer',
      });
      if (served) return true;
      if (!warnedMissingBundle) {
        warnedMissingBundle = true;
        log.warn({ bundleDir: options.bundleDir ?? GRAPHIQL_DIST_DIR }, 'GraphiQL bundle missing: run `npm run build -w @redthread/gateway`');
      }
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('GraphiQL is not built yet. Run `npm run build -w @redthread/gateway` (npm start and npm test do it for you), then reload.\n');
      return true;
    }

    let file: string;
    try {
      file = decodeURIComponent(path.slice(GRAPHIQL_BASE_PATH.length + 1));
    } catch {
      return false;
    }
    // Only the assets: the pages' HTML is served by the page routes, with their policies.
    if (!file.startsWith('assets/')) return false;
    return bundle.serve(req, res, file);
  };
}
