import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_HTTP_STATUS, ErrorCode, publicErrorCode } from '@redthread/kit';

/** The README's "Errors" table: code → the first HTTP status it names ('—' for none). */
function readmeCodes(): Record<string, string> {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Errors'), readme.indexOf('\n### Hostile input'));
  const rows: Record<string, string> = {};
  for (const match of section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)) rows[match[1]!] = /\d{3}|—/.exec(match[2]!)?.[0] ?? '';
  return rows;
}

describe('the closed list of error codes', () => {
  it('is the same in the README and in the code, with the same HTTP status for each', () => {
    const documented = readmeCodes();
    expect(Object.keys(documented).sort()).toEqual(Object.values(ErrorCode).sort());
    for (const code of Object.values(ErrorCode)) {
      if (documented[code] === '—') continue;
      expect(documented[code], code).toBe(String(ERROR_HTTP_STATUS[code]));
    }
  });

  it("maps Apollo's own codes onto the list and nothing else through", () => {
    expect(publicErrorCode('GRAPHQL_PARSE_FAILED')).toBe('INVALID_OPERATION');
    expect(publicErrorCode('GRAPHQL_VALIDATION_FAILED')).toBe('INVALID_OPERATION');
    expect(publicErrorCode('BAD_REQUEST')).toBe('BAD_REQUEST');
    expect(publicErrorCode('PERSISTED_QUERY_NOT_SUPPORTED')).toBe('BAD_REQUEST');
    expect(publicErrorCode('INVALID_GRAPHQL')).toBeUndefined();
    expect(publicErrorCode(undefined)).toBeUndefined();
  });
});

describe('unexpected errors', () => {
  it('reach no client with their message: Apollo labels them INTERNAL_SERVER_ERROR, which is masked and logged', async () => {
    const { ApolloServer } = await import('@apollo/server');
    const { maskUnexpectedError, createLogger } = await import('@redthread/kit');
    const logged: unknown[] = [];
    const log = createLogger('test');
    const spy = { ...log, error: (...args: unknown[]) => void logged.push(args) } as typeof log;
    const server = new ApolloServer({
      typeDefs: 'type Query { order: String! }',
      resolvers: { Query: { order: () => { throw new Error('invariant: order 0b7c… was expected to exist (select * from orders.orders)'); } } },
      formatError: (formatted, error) => maskUnexpectedError(formatted, error, spy),
    });
    const response = await server.executeOperation({ query: '{ order }' });
    await server.stop();
    const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
    expect(errors).toEqual([
      { message: 'Something went wrong on our side; it has been logged. Retry, and report it if it persists.', path: ['order'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(logged).toHaveLength(1);
  });
});
