/**
 * The development token picker: a GraphiQL sidebar plugin listing the demo partners' tokens,
 * which the gateway offers at /graphiql/dev-tokens only in development with the development
 * JWT secret. Picking one writes it into the header editor.
 */
import { useState } from 'react';
import { Button, useHeadersEditorState, type GraphiQLPlugin } from '@graphiql/react';

/** One entry of `GET /graphiql/dev-tokens`. */
export interface DevToken {
  partnerCode: string;
  partnerName?: string;
  roles: readonly string[];
  token: string;
}

/** Where the gateway offers development tokens; 404 outside development. */
const DEV_TOKENS_PATH = '/graphiql/dev-tokens';

/** The demo partners' tokens, or none when the gateway does not offer them. */
export async function loadDevTokens(): Promise<DevToken[]> {
  try {
    const response = await fetch(DEV_TOKENS_PATH, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) return [];
    const body = (await response.json()) as { tokens?: DevToken[] };
    return Array.isArray(body.tokens) ? body.tokens : [];
  } catch {
    return [];
  }
}

function KeyIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="7.5" cy="15.5" r="4.5" />
      <path d="M10.7 12.3 20 3M16 7l3 3M14 9l2 2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

function DevTokenPicker({ tokens }: { tokens: readonly DevToken[] }) {
  const [, setHeaders] = useHeadersEditorState();
  const [picked, setPicked] = useState<string | undefined>(undefined);
  return (
    <section className="redthread-dev-tokens" aria-label="Development tokens">
      <div className="graphiql-doc-explorer-title">Dev tokens</div>
      <p>
        Development only. Pick a demo partner to put its token in the request headers; roles:{' '}
        {tokens[0]?.roles.join(', ')}.
      </p>
      <ul>
        {tokens.map((entry) => (
          <li key={entry.partnerCode} aria-current={picked === entry.partnerCode}>
            <Button
              type="button"
              data-partner-code={entry.partnerCode}
              onClick={() => {
                setHeaders(JSON.stringify({ Authorization: `Bearer ${entry.token}` }, null, 2));
                setPicked(entry.partnerCode);
              }}
            >
              {entry.partnerCode}
              {entry.partnerName ? ` — ${entry.partnerName}` : ''}
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A GraphiQL plugin offering `tokens` in the sidebar. */
export function devTokensPlugin(tokens: readonly DevToken[]): GraphiQLPlugin {
  return {
    title: 'Dev tokens',
    icon: KeyIcon,
    content: () => <DevTokenPicker tokens={tokens} />,
  };
}
