import path from 'node:path';

/** Where GraphiQL is served. The page, its assets and the dev token list live below it. */
export const GRAPHIQL_BASE_PATH = '/graphiql';

/** The built page: gateway/dist/graphiql (git-ignored, produced by `npm run build -w @redthread/gateway`). */
export const GRAPHIQL_DIST_DIR = path.resolve(import.meta.dirname, '../../dist/graphiql');
