/**
 * The sign-in panel: a GraphiQL sidebar plugin that signs a user in with email and password
 * (`POST /auth/sign-in`) and writes the access token into the header editor. Always offered; a
 * deployment with an identity provider answers that its tokens must be used instead.
 */
import { useState, type FormEvent } from 'react';
import { Button, useHeadersEditorState, type GraphiQLPlugin } from '@graphiql/react';

interface SignInAnswer {
  accessToken?: string;
  expiresIn?: number;
  partner?: { code: string; roles: string[] };
  error?: { code: string; message: string; partners?: string[] };
}

function PersonIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <circle cx="12" cy="8" r="4" />
      <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" strokeLinecap="round" />
    </svg>
  );
}

function SignInPanel() {
  const [, setHeaders] = useHeadersEditorState();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const [partners, setPartners] = useState<string[]>([]);

  const signIn = async (partner?: string) => {
    setBusy(true);
    setMessage(undefined);
    try {
      const response = await fetch('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, ...(partner ? { partner } : {}) }),
        cache: 'no-store',
      });
      const answer = (await response.json().catch(() => ({}))) as SignInAnswer;
      if (answer.accessToken && answer.partner) {
        setHeaders(JSON.stringify({ Authorization: `Bearer ${answer.accessToken}` }, null, 2));
        setPartners([]);
        setPassword('');
        const minutes = Math.round((answer.expiresIn ?? 0) / 60);
        setMessage({ text: `Signed in for ${answer.partner.code} (${answer.partner.roles.join(', ')}). The token is in the headers and lasts ${minutes} minutes.`, error: false });
      } else {
        setPartners(answer.error?.code === 'PARTNER_REQUIRED' ? (answer.error.partners ?? []) : []);
        setMessage({ text: answer.error?.message ?? `Sign-in answered ${response.status}.`, error: true });
      }
    } catch {
      setMessage({ text: 'The gateway cannot be reached.', error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="redthread-sign-in" aria-label="Sign in">
      <div className="graphiql-doc-explorer-title">Sign in</div>
      <form
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          void signIn();
        }}
      >
        <input id="redthread-email" type="email" autoComplete="username" placeholder="Email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <input
          id="redthread-password"
          type="password"
          autoComplete="current-password"
          placeholder="Password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Button type="submit" disabled={busy || !email || !password}>
          Sign in
        </Button>
      </form>
      {message ? (
        <p className={message.error ? 'redthread-sign-in-error' : undefined} role="status">
          {message.text}
        </p>
      ) : null}
      {partners.length ? (
        <ul>
          {partners.map((code) => (
            <li key={code}>
              <Button type="button" data-partner-code={code} onClick={() => void signIn(code)}>
                {code}
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** A GraphiQL plugin for email and password sign-in. */
export const signInPlugin: GraphiQLPlugin = {
  title: 'Sign in',
  icon: PersonIcon,
  content: () => <SignInPanel />,
};
