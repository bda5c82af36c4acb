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
import type { Fetcher } from '@graphiql/toolkit';
import { devTokensPlugin, loadDevTokens } from './dev-tokens';
import { gatewayFetcher } from './fetcher';
import { saveHeaders, savedHeaders } from './saved-headers';
import { SchemaNotice, tokenHelpText } from './schema-notice';
import { signInPlugin } from './sign-in';

/**
 * Shown in the first tab of a fresh browser. At most 44 characters a line and 18 lines: the
 * operation editor shows that much uncut from a 1280×720 window up (e2e/graphiql.test.ts checks).
 */
function welcomeQuery(devTokensOffered: boolean): string {
  const howToGetOne = devTokensOffered
    ? ['# tab below. Sign in with the person button', "# on the left, pick a demo partner's token", '# with the key button, or paste your own:']
    : ['# tab below. Sign in with the person button', '# on the left, or paste your own token:'];
  return [
    "# Welcome to Redthread's GraphiQL.",
    '#',
    '# Every request needs a token in the Headers',
    ...howToGetOne,
    '#',
    '#   { "Authorization": "Bearer <token>" }',
    '#',
    '# Then the Docs button opens the schema.',
    '',
    '{',
    '  me {',
    '    code',
    '    name',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** How long the header editor must be quiet before a changed token triggers a schema reload. */
const AUTHORIZATION_SETTLE_MS = 300;

/** The header editor's JSON as an object, or undefined when it is empty or not a JSON object. */
function headersIn(headersText: string): Record<string, unknown> | undefined {
  try {
    return tryParseJSONC(headersText);
  } catch {
    return undefined;
  }
}

/** The Authorization header in the header editor's JSON, whatever its letter case. */
function authorizationIn(headersText: string): string | undefined {
  for (const [name, value] of Object.entries(headersIn(headersText) ?? {})) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return undefined;
}

function RedthreadGraphiQL({ plugins, devTokensOffered }: { plugins: GraphiQLPlugin[]; devTokensOffered: boolean }) {
  // Read once: the headers this tab had before the reload, if any.
  const [initialHeaders] = useState(savedHeaders);
  const headersText = useRef(initialHeaders ?? '');
  const [authorization, setAuthorization] = useState(() => authorizationIn(headersText.current));
  const settleTimer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(settleTimer.current), []);

  // GraphiQL introspects whenever its fetcher changes, so a fresh fetcher per Authorization value
  // loads the schema as soon as a token is pasted or picked.
  const fetcher = useMemo<Fetcher>(
    () => gatewayFetcher({ fallbackHeaders: () => headersIn(headersText.current), tokenHelp: tokenHelpText(devTokensOffered) }),
    // `authorization` is not read here: a new fetcher is what makes GraphiQL introspect again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [authorization, devTokensOffered],
  );

  return (
    <GraphiQL
      fetcher={fetcher}
      // No token, no schema fetch: the gateway would only refuse it, and GraphiQL would show that
      // refusal as the first thing a new user sees. The notice below says what to do instead.
      schema={authorization ? undefined : null}
      className={authorization ? undefined : 'redthread-without-token'}
      plugins={plugins}
      defaultQuery={welcomeQuery(devTokensOffered)}
      initialHeaders={initialHeaders}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
      onEditHeaders={(text) => {
        headersText.current = text;
        saveHeaders(text);
        window.clearTimeout(settleTimer.current);
        settleTimer.current = window.setTimeout(() => setAuthorization(authorizationIn(text)), AUTHORIZATION_SETTLE_MS);
      }}
    >
      <GraphiQL.Logo>Redthread</GraphiQL.Logo>
      <GraphiQL.Footer>
        <SchemaNotice authorization={authorization} devTokensOffered={devTokensOffered} />
      </GraphiQL.Footer>
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
      <RedthreadGraphiQL plugins={plugins} devTokensOffered={devTokens.length > 0} />
    </StrictMode>,
  );
}

void main();
