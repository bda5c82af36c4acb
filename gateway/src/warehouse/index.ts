import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@redthread/kit';
import { GRAPHIQL_DIST_DIR, WAREHOUSE_PAGE_FILE, type StaticFiles } from '../graphiql';

/** Where the warehouse screen is served. */
export const WAREHOUSE_BASE_PATH = '/warehouse';

/**
 * What the warehouse screen may load: only the gateway itself (its scripts and styles, fetch and
 * graphql-ws to `/graphql`). Stricter than GraphiQL's: no inline styles, no workers.
 */
export const WAREHOUSE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_PATHS = new Set([WAREHOUSE_BASE_PATH, `${WAREHOUSE_BASE_PATH}/`, `${WAREHOUSE_BASE_PATH}/index.html`]);

/**
 * The gateway's warehouse screen route: `GET /warehouse` (and `/warehouse/`) answers the page,
 * built with GraphiQL in one Vite bundle (see ../graphiql/vite.config.ts), whose scripts and
 * styles come from `/graphiql/assets/`. The page keeps its state (warehouse, shipment) in the
 * query string, so any `/warehouse?…` is the same page. Resolves false, unanswered, for every
 * other path.
 */
export function warehouseRoutes(options: {
  /** The built pages, shared with the GraphiQL routes. */
  files: StaticFiles;
  logger: Logger;
}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  let warnedMissingBundle = false;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!PAGE_PATHS.has(path)) return false;
    const served = await options.files.serve(req, res, WAREHOUSE_PAGE_FILE, {
      'content-security-policy': WAREHOUSE_CONTENT_SECURITY_POLICY,
      'referrer-policy': 'no-referrer',
    });
    if (served) return true;
    if (!warnedMissingBundle) {
      warnedMissingBundle = true;
      options.logger.warn({ bundleDir: GRAPHIQL_DIST_DIR }, 'warehouse screen bundle missing: run `npm run build -w @redthread/gateway`');
    }
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('The warehouse screen is not built yet. Run `npm run build -w @redthread/gateway` (npm start and npm test do it for you), then reload.\n');
    return true;
  };
}
