import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { decodeJwt } from 'jose';
import { freshDatabase, type TestDatabase } from './database';

/** `npm run token`: refuses what would only fail later, at the gateway. */

const run = promisify(execFile);
const token = (args: string[], env: Record<string, string> = {}) =>
  run('npx', ['tsx', 'scripts/token.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent', DATA_DIR: '/nonexistent-redthread-data', ...env }, timeout: 60_000 });

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('empty');
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  await admin`insert into catalog.partners (id, code, name, kinds) values ('0b0b0b0b-0000-4000-8000-000000000001', 'ACME', 'Acme Tea', array['SUPPLIER']::catalog.partner_kind[])`;
  await admin.end();
});
afterAll(() => db?.drop());

describe('npm run token', () => {
  it('mints a token for a demo partner', async () => {
    const { stdout } = await token(['--partner', 'SHOP-A']);
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('refuses a partner that is not a demo partner when there is no database to look it up in, naming the ways', async () => {
    const failed = await token(['--partner', 'NOPE']).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr.trim()).toBe(
      'There is no demo partner NOPE: the demo partners are SHOP-A, TRADER-B, SUPPLIER-C, LOGI-E, SHOP-D. For another partner pass its id as well: --partner-id <uuid>, ' +
        'or run this while Redthread runs (npm start) or with DATABASE_URL, so its code can be looked up.',
    );
  });

  it('looks a real partner up by its code in the database, and refuses a code that is not there', async () => {
    const { stdout } = await token(['--partner', 'acme'], { DATABASE_URL: db.adminUrl });
    expect(decodeJwt(stdout.trim())).toMatchObject({ pid: '0b0b0b0b-0000-4000-8000-000000000001', pcode: 'ACME' });
    const failed = await token(['--partner', 'NOPE'], { DATABASE_URL: db.adminUrl }).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^There is no partner NOPE in the database at postgres:\/\/.*\*\*\*@/);
  });
});
