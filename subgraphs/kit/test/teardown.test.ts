import { describe, expect, it } from 'vitest';
import { Teardown } from '../src/teardown';

describe('Teardown', () => {
  it('releases the parts last added first, every one even when some fail, and names the failures', async () => {
    const released: string[] = [];
    const parts = new Teardown();
    parts.add('pool', () => released.push('pool'));
    parts.add('hub', async () => {
      released.push('hub');
      throw new Error('connection ended');
    });
    parts.add('server', () => released.push('server'));
    const failure = await parts.run().catch((error: unknown) => error);
    expect(released).toEqual(['server', 'hub', 'pool']);
    expect(failure).toBeInstanceOf(AggregateError);
    expect((failure as AggregateError).message).toBe('1 part(s) stopped with an error: hub: connection ended');
  });

  it('runs once: a second stop (a second signal, stop after a failed start) answers the first outcome', async () => {
    let closes = 0;
    const parts = new Teardown();
    parts.add('pool', () => (closes += 1));
    await Promise.all([parts.run(), parts.run()]);
    await parts.run();
    expect(closes).toBe(1);
    expect(() => parts.add('late', () => {})).toThrow('cannot add late: this teardown has already run');
  });
});
