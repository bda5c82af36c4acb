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
