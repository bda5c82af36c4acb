/**
 * What the page says while the schema cannot load for want of a token: below the response, a
 * notice naming the missing or refused token as the reason and how to get one. Without it a new
 * user sees only GraphiQL's "Error fetching schema" (or "No GraphQL schema available").
 */
import { useEffect, useRef } from 'react';
import { pick, useGraphiQL } from '@graphiql/react';

/** Error codes of the gateway that mean the token, not the request, is the problem. */
const TOKEN_ERROR_CODES: ReadonlySet<unknown> = new Set(['UNAUTHENTICATED', 'FORBIDDEN']);

/** Why there is no schema, as far as the token is concerned. */
type TokenProblem = { kind: 'missing' } | { kind: 'refused'; message: string };

/**
 * The token problem behind a schema fetch, if any: no Authorization header yet, or a fetch the
 * gateway answered with UNAUTHENTICATED or FORBIDDEN (`fetchError` is GraphiQL's JSON text of
 * the failed answer). Other failures (the gateway down, say) are not about the token.
 */
function tokenProblem(authorization: string | undefined, fetchError: string | null): TokenProblem | undefined {
  if (!authorization) return { kind: 'missing' };
  if (!fetchError) return undefined;
  let answer: unknown;
  try {
    answer = JSON.parse(fetchError);
  } catch {
    return undefined;
  }
  const errors = typeof answer === 'object' && answer !== null && 'errors' in answer && Array.isArray(answer.errors) ? (answer.errors as unknown[]) : [];
  for (const error of errors) {
    if (typeof error !== 'object' || error === null) continue;
    const { message, extensions } = error as { message?: unknown; extensions?: { code?: unknown } };
    if (TOKEN_ERROR_CODES.has(extensions?.code)) return { kind: 'refused', message: typeof message === 'string' ? message : 'The token was refused.' };
  }
  return undefined;
}

/** The ways this page offers to get a token, as the start of a sentence each. */
function tokenSources(devTokensOffered: boolean): string[] {
  return ['sign in with the person button on the left', ...(devTokensOffered ? ['pick a demo partner’s token with the key button'] : [])];
}

/** How to get a token, one plain sentence (for messages shown as JSON, where markup cannot go). */
export function tokenHelpText(devTokensOffered: boolean): string {
  return `To get a token, ${[...tokenSources(devTokensOffered), 'or paste one into the Headers tab'].join(', ')}.`;
}

/**
 * Rendered inside GraphiQL (in `GraphiQL.Footer`): the notice, while there is a token problem,
 * and nothing otherwise. Also takes a schema error off the response pane once it is over (GraphiQL
 * writes it there and leaves it, so a refused token's error stayed after a good one was picked).
 */
export function SchemaNotice({ authorization, devTokensOffered }: { authorization: string | undefined; devTokensOffered: boolean }) {
  const { fetchError, isIntrospecting, responseEditor } = useGraphiQL(pick('fetchError', 'isIntrospecting', 'responseEditor'));
  // Without a token GraphiQL does not fetch the schema, but keeps the error of an earlier fetch.
  const schemaError = authorization ? fetchError : null;
  const shownError = useRef<string | null>(null);
  useEffect(() => {
    if (schemaError) {
      shownError.current = schemaError;
      return;
    }
    if (shownError.current !== null && responseEditor?.getValue() === shownError.current) responseEditor.setValue('');
    shownError.current = null;
  }, [schemaError, responseEditor]);

  const problem = isIntrospecting ? undefined : tokenProblem(authorization, schemaError);
  if (!problem) return null;
  const sources = tokenSources(devTokensOffered);
  return (
    <section className="redthread-schema-notice" role="status" aria-label="Token needed">
      <p>
        {problem.kind === 'missing' ? (
          <>
            <strong>No token yet.</strong> Every request needs one, and the schema (the Docs button) loads as soon as it is in place.
          </>
        ) : (
          <>
            <strong>The gateway refused the token in the Headers tab</strong>, so the schema cannot load: {problem.message}
          </>
        )}
      </p>
      <p>
        To get {problem.kind === 'missing' ? 'one' : 'a new one'}, {sources.join(', ')}, or paste <code>{'{ "Authorization": "Bearer <token>" }'}</code> into
        the Headers tab.
        {devTokensOffered ? (
          <>
            {' '}
            In development, <code>npm run token -- --partner SHOP-A</code> prints one too.
          </>
        ) : null}
      </p>
    </section>
  );
}
