import path from 'node:path';
import { projectPath } from '@redthread/kit';

/** Where GraphiQL is served. The page, its assets and the dev token list live below it. */
export const GRAPHIQL_BASE_PATH = '/graphiql';

/**
 * The built pages (GraphiQL and the warehouse screen, one Vite build): gateway/dist/graphiql
 * (git-ignored, produced by `npm run build -w @redthread/gateway`). Its `assets/` folder is served
 * at `/graphiql/assets/`.
 */
export const GRAPHIQL_DIST_DIR = projectPath('gateway', 'dist', 'graphiql');

/** The GraphiQL page inside the bundle (where Vite puts the HTML of ./page/index.html). */
export const GRAPHIQL_PAGE_FILE = 'graphiql/page/index.html';

/** The warehouse screen inside the bundle (where Vite puts the HTML of ../warehouse/page/index.html). */
export const WAREHOUSE_PAGE_FILE = 'warehouse/page/index.html';

/** The page sources: a change to any file below them means a rebuild. */
export const PAGE_SOURCE_DIRS = [path.join(import.meta.dirname, 'page'), path.resolve(import.meta.dirname, '../warehouse/page')] as const;
