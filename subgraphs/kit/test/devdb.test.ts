import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SetupProblem, connectionProblem, startEmbeddedPostgres } from '@redthread/kit/devdb';

describe('set-up problems said in one line', () => {
  it.runIf(process.getuid?.() === 0)('as root, a data dir the postgres user cannot reach is refused with what to do, before initdb', async () => {
    const privateHome = await mkdtemp(path.join(tmpdir(), 'rt-private-'));
    await chmod(privateHome, 0o700);
    try {
      const started = startEmbeddedPostgres({ dataDir: path.join(privateHome, 'clone', '.data', 'postgres'), ephemeral: true });
      await expect(started).rejects.toBeInstanceOf(SetupProblem);
      await expect(started).rejects.toThrow(new RegExp(`cannot enter ${privateHome} \\(mode 700\\).*chmod o\\+x.*DATABASE_URL`));
    } finally {
      await rm(privateHome, { recursive: true, force: true });
    }
  });

  it('names an unreachable DATABASE_URL without its password, and what to do', () => {
    const problem = connectionProblem(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'postgres://ann:secret@db.internal:5432/redthread');
    expect(problem).toBeInstanceOf(SetupProblem);
    expect(problem!.message).toBe(
      'Cannot use the PostgreSQL at postgres://ann:***@db.internal:5432/redthread: nothing listens there (connection refused). Start it or fix DATABASE_URL (PostgreSQL 15 or newer, a user that owns the database and may create roles), or unset DATABASE_URL to use the embedded PostgreSQL.',
    );
    expect(connectionProblem(Object.assign(new Error('x'), { code: '28P01' }), 'postgres://a:b@h/d')!.message).toMatch(/refused the password/);
    expect(connectionProblem(new Error('something else'), 'postgres://a:b@h/d')).toBeUndefined();
  });
});
