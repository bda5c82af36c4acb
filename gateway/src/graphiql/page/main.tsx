/**
 * Redthread's GraphiQL page, bundled by Vite into gateway/dist/graphiql and served by the
 * gateway. Everything it loads comes from the gateway itself: no CDN, no web fonts from
 * elsewhere, no analytics, so the API can be explored offline.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import './page.css';
import { StrictMode, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { tryParseJSONC, type GraphiQLPlugin } from '@graphiql/react';
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { devTokensPlugin, loadDevTokens } from './dev-tokens';
import { signInPlugin } from './sign-in';

/** Shown in the first tab of a fresh browser. */
const DEFAULT_QUERY = `# Welcome to Redthread's GraphiQL.
#
# Every request needs a token. Put it in the Headers tab below:
#
#   { "Authorization": "Bearer <token>" }
#
# The person button in the left sidebar signs you in with email and password
# and puts the token there. In development, \`npm run token -- --partner SHOP-A\`
# prints one, and the key button offers the demo partners' tokens.
# The Docs button opens the schema once a token is in place.

{
  me {
    code
    name
  }
}
`;

/** How long the header editor must be quiet before a changed token triggers a schema reload. */
const AUTHORIZATION_SETTLE_MS = 300;

/** The Authorization header in the header editor's JSON, whatever its letter case. */
function authorizationIn(headersText: string): string | undefined {
  const headers = tryParseJSONC(headersText);
  if (!headers) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return undefined;
}

/** The same headers with lower-case names (the last one wins when two differ only in case). */
function lowerCaseNames(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function RedthreadGraphiQL({ plugins }: { plugins: GraphiQLPlugin[] }) {
  const [authorization, setAuthorization] = useState<string | undefined>(undefined);
  const settleTimer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(settleTimer.current), []);

  // GraphiQL introspects whenever its fetcher changes, so a fresh fetcher per Authorization
  // value loads the schema as soon as a token is pasted or picked. Queries and mutations go
  // over HTTP POST; subscriptions over graphql-ws on the same path, with the headers as
  // connection params. Header names are lower-cased on the way: HTTP does not care, and the
  // gateway reads the token from `connectionParams.authorization`.
  const fetcher = useMemo<Fetcher>(() => {
    const graphqlUrl = new URL('/graphql', window.location.href);
    const subscriptionUrl = new URL(graphqlUrl);
    subscriptionUrl.protocol = graphqlUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const fetchOverHttpOrWebSocket = createGraphiQLFetcher({
      url: graphqlUrl.href,
      subscriptionUrl: subscriptionUrl.href,
      enableIncrementalDelivery: false,
    });
    return (params, options) =>
      fetchOverHttpOrWebSocket(params, options?.headers ? { ...options, headers: lowerCaseNames(options.headers) } : options);
    // `authorization` is not read here: a new fetcher is what makes GraphiQL introspect again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [authorization]);

  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={plugins}
      defaultQuery={DEFAULT_QUERY}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
      onEditHeaders={(headersText) => {
        window.clearTimeout(settleTimer.current);
        settleTimer.current = window.setTimeout(
          () => setAuthorization(authorizationIn(headersText)),
          AUTHORIZATION_SETTLE_MS,
        );
      }}
    >
      <GraphiQL.Logo>Redthread</GraphiQL.Logo>
    </GraphiQL>
  );
}

async function main(): Promise<void> {
  const container = document.getElementById('graphiql');
  if (!container) throw new Error('GraphiQL: the page has no #graphiql element');
  const devTokens = await loadDevTokens();
  const plugins = devTokens.length ? [HISTORY_PLUGIN, signInPlugin, devTokensPlugin(devTokens)] : [HISTORY_PLUGIN, signInPlugin];
  createRoot(container).render(
    <StrictMode>
      <RedthreadGraphiQL plugins={plugins} />
    </StrictMode>,
  );
}

void main();
