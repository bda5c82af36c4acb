import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSUMER_PARTITIONS, projectPath } from '@redthread/kit';
import { InventoryWorld, PARTNER, POLL, type Code } from './helpers';

/**
 * A poison event in a real workflow (issue 17): a malformed `order.fulfilment_requested` in the
 * log, ahead of another tenant's order in the same allocation partition, is parked with a
 * readable error after its bounded retries, and the other tenants' orders are still allocated.
 * The partner's admin sees it in `parkedEvents`, the operator with `redthread events parked` (and
 * the metric), and discards it.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});
afterAll(async () => {
  await w?.close();
});

const CONSUMER = 'inventory.allocation';

/** Runs `redthread events …` as an admin would, on the workers' login. */
function eventsCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', projectPath('cli', 'redthread.ts'), 'events', ...args], {
      cwd: projectPath(),
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: w.db.workerUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The parked-events gauge of the allocation consumer, as the platform's /metrics serves it. */
async function parkedMetric(): Promise<number | undefined> {
  const text = await (await fetch(`${w.api.platform.gateway.url}/metrics`)).text();
  const match = new RegExp(`^redthread_parked_events\\{consumer="${CONSUMER}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A product of `as` with 10 units in a warehouse covering DE-BE. */
async function stocked(as: Code): Promise<string> {
  const product = await w.createProduct(as);
  const warehouse = await w.createWarehouse(as, { regions: ['DE-BE'], priority: 1 });
  await w.received(as, warehouse.id, [{ productId: product.id, quantity: 10 }]);
  return product.id;
}

describe('a malformed event in the allocation workflow', () => {
  it('is parked with a readable error while other tenants’ orders are still allocated; an admin lists and discards it', async () => {
    const shopProduct = await stocked('SHOP-A');
    const otherProduct = await stocked('SHOP-D');
    const shopOrder = await w.placeOrder('SHOP-A', [{ productId: shopProduct, quantity: 2 }]);
    const otherOrder = await w.placeOrder('SHOP-D', [{ productId: otherProduct, quantity: 1 }]);

    // SHOP-D's malformed fulfilment request, in the very partition of SHOP-A's order and ahead of
    // it: before parking, it held that partition (and so SHOP-A's allocation) for good.
    const partitions = DEFAULT_CONSUMER_PARTITIONS;
    const [partition] = await w.admin`select (abs(hashtext(${shopOrder.id})::bigint) % ${partitions})::int as p`;
    const [fake] = await w.admin`
      select r.id::text as id from generate_series(1, 1000) g, lateral (select gen_random_uuid() as id, g) r
      where abs(hashtext(r.id::text)::bigint) % ${partitions} = ${partition!['p'] as number} limit 1`;
    const [poison] = await w.admin`
      insert into events.event_log (topic, entity_type, entity_id, audience, payload)
      values ('order.fulfilment_requested', 'Order', ${fake!['id'] as string}, array[${PARTNER['SHOP-D']}]::uuid[],
              ${w.admin.json({ sellerPartnerId: PARTNER['SHOP-D'], shipTo: { regionCode: 'DE-BE' }, lines: 'two mugs' })})
      returning id`;
    const poisonId = Number(poison!['id']);

    expect(await w.approve('SHOP-A', shopOrder.id)).toBe('APPROVED');
    expect(await w.approve('SHOP-D', otherOrder.id)).toBe('APPROVED');
    expect(await w.settledStatus('SHOP-A', shopOrder.id)).toBe('ALLOCATED');
    expect(await w.settledStatus('SHOP-D', otherOrder.id)).toBe('ALLOCATED');
    expect(await w.totals('SHOP-A', (await w.shipmentsOf('SHOP-A', shopOrder.id))[0]!.warehouse.id, shopProduct)).toEqual({ onHand: 10, reserved: 2, available: 8 });

    // Parked after the default five attempts, with what went wrong: the event catalogue's
    // validation names the event, its topic and the field.
    const [parked] = await w.admin`
      select attempts, error_code, error_message, behind from events.parked_events where consumer = ${CONSUMER} and event_id = ${poisonId}`;
    expect(parked).toEqual({
      attempts: 5,
      error_code: 'EventPayloadError',
      error_message: expect.stringMatching(new RegExp(`^event ${poisonId} \\(order\\.fulfilment_requested\\): .*lines: Invalid input: expected array, received string`)),
      behind: null,
    });
    await expect.poll(parkedMetric, POLL).toBe(1);

    // The admin's view.
    const listed = await eventsCommand(['parked', '--consumer', CONSUMER]);
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    const line = listed.stdout.split('\n').find((l) => l.startsWith(`${poisonId} `));
    expect(line).toContain('order.fulfilment_requested');
    expect(line).toContain(`Order ${fake!['id'] as string}`);
    expect(line).toMatch(/\[EventPayloadError\] event \d+ \(order\.fulfilment_requested\): the payload does not match/);

    // The partner's admins see it through the API, those of other partners do not, and a role
    // other than admin is refused.
    const PARKED = `{ parkedEvents { edges { node { consumer eventId topic entityType entityId attempts error { message code } behindEventId waiting } } } }`;
    type ParkedSeen = { parkedEvents: { edges: { node: Record<string, unknown> }[] } };
    const seenByShopD = (await w.gql<ParkedSeen>('SHOP-D', PARKED)).parkedEvents.edges.map((e) => e.node);
    expect(seenByShopD).toEqual([
      {
        consumer: CONSUMER,
        eventId: String(poisonId),
        topic: 'order.fulfilment_requested',
        entityType: 'Order',
        entityId: fake!['id'] as string,
        attempts: 5,
        error: { message: expect.stringMatching(/lines: Invalid input: expected array, received string/), code: 'EventPayloadError' },
        behindEventId: null,
        waiting: 0,
      },
    ]);
    expect((await w.gql<ParkedSeen>('SHOP-A', PARKED)).parkedEvents.edges).toEqual([]);
    const asSales = await w.raw<ParkedSeen>(await w.tokenFor('SHOP-D', ['sales']), PARKED);
    expect(asSales.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    // Refused without a reason; discarded with one, audited.
    expect((await eventsCommand(['discard', String(poisonId), '--consumer', CONSUMER])).code).toBe(2);
    const discarded = await eventsCommand(['discard', String(poisonId), '--consumer', CONSUMER, '--reason', 'malformed test event', '--actor', 'ops@example']);
    expect(discarded, discarded.stderr).toMatchObject({ code: 0 });
    expect(discarded.stdout).toContain(`Event ${poisonId} of ${CONSUMER} discarded`);
    expect(await w.admin`select action, actor, reason, outcome from events.parked_event_actions where consumer = ${CONSUMER} and event_id = ${poisonId}`).toEqual([
      { action: 'discard', actor: 'ops@example', reason: 'malformed test event', outcome: 'released' },
    ]);
    expect((await eventsCommand(['parked', '--consumer', CONSUMER])).stdout).toBe('No parked events.\n');
    await expect.poll(parkedMetric, POLL).toBe(0);
    expect((await w.gql<ParkedSeen>('SHOP-D', PARKED)).parkedEvents.edges).toEqual([]);
  }, 90_000);
});
