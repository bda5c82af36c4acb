import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from './database';
import { startTestPlatform, type TestPlatform } from './platform';

/** `npm run partner:create` on an empty installation: the way in before anyone can invite. */

const run = promisify(execFile);
let db: TestDatabase;
let api: TestPlatform;

beforeAll(async () => {
  db = await freshDatabase('empty');
  api = await startTestPlatform(db);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

function partnerCreate(...args: string[]) {
  return run('npx', ['tsx', 'scripts/partner-create.ts', ...args], {
    env: { ...process.env, DATABASE_URL: db.adminUrl, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
}

describe('npm run partner:create', () => {
  it('registers the first partner with its admin, whose generated password signs in', async () => {
    const { stdout } = await partnerCreate('--code', 'acme', '--name', 'Acme Tea', '--kinds', 'supplier,trader', '--email', 'Ann@Acme.example');
    expect(stdout).toMatch(/Partner ACME \(Acme Tea\) registered/);
    const password = /Password: (\S+)/.exec(stdout)?.[1];
    expect(password).toBeDefined();

    const signedIn = await api.auth<{ accessToken: string }>('/auth/sign-in', { email: 'ann@acme.example', password });
    expect(signedIn.status).toBe(200);
    const me = await api.query(signedIn.body.accessToken, '{ me { code kinds } myRoles members { edges { node { email roles } } pageInfo { hasNextPage } } }');
    expect(me.data).toEqual({
      me: { code: 'ACME', kinds: ['SUPPLIER', 'TRADER'] },
      myRoles: ['admin'],
      members: { edges: [{ node: { email: 'ann@acme.example', roles: ['admin'] } }], pageInfo: { hasNextPage: false } },
    });
    const log = await api.query<{ accessLog: { edges: { node: { topic: string; actor: string } }[] } }>(
      signedIn.body.accessToken,
      '{ accessLog { edges { node { topic actor } } } }',
    );
    expect(log.data?.accessLog.edges.map((e) => e.node)).toEqual([{ topic: 'access.member_added', actor: 'partner:create' }]);
  }, 120_000);

  it('refuses a taken code, a bad kind and missing options with a message, and changes nothing', async () => {
    const taken = partnerCreate('--code', 'ACME', '--name', 'Other', '--kinds', 'CHANNEL', '--email', 'bob@other.example', '--password', 'bob password 1');
    await expect(taken).rejects.toMatchObject({ stderr: expect.stringMatching(/partner code ACME is taken/) });
    await expect(partnerCreate('--code', 'X1', '--name', 'X', '--kinds', 'SHOP', '--email', 'x@x.example')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Unknown kind\(s\): SHOP/),
    });
    await expect(partnerCreate('--code', 'X1')).rejects.toMatchObject({ stderr: expect.stringMatching(/Missing --name, --kinds, --email/) });
    const bob = await api.auth('/auth/sign-in', { email: 'bob@other.example', password: 'bob password 1' });
    expect(bob.status).toBe(401);
  }, 120_000);
});
