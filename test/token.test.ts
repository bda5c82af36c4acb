import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** `npm run token`: refuses what would only fail later, at the gateway. */

const run = promisify(execFile);
const token = (...args: string[]) => run('npx', ['tsx', 'scripts/token.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent' }, timeout: 60_000 });

describe('npm run token', () => {
  it('mints a token for a demo partner', async () => {
    const { stdout } = await token('--partner', 'SHOP-A');
    expect(stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('refuses a partner that is not a demo partner, naming them and the way for others', async () => {
    const failed = await token('--partner', 'NOPE').then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr.trim()).toBe(
      'There is no demo partner NOPE: the demo partners are SHOP-A, TRADER-B, SUPPLIER-C, LOGI-E, SHOP-D. For another partner pass its id as well: --partner-id <uuid>.',
    );
  });
});
