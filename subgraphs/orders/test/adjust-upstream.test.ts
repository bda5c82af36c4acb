import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTNER, POLL, World, eur, lastEntry, ok, type Order } from './helpers';

/**
 * Adjustments up the chain (issue 15): a quantity change on a routed line that the upstream has not
 * yet picked edits the orders up the chain in place — each level's line, total, a timeline entry
 * its two parties see and `order.adjusted` to them — instead of cancelling and re-creating them.
 * Once a supplier has begun picking (a shipment inspected, being picked, or dispatched) or shipped,
 * the change is refused with AlreadyPickedUpstream and nothing changes.
 *
 * Demo links: SHOP-A A-TEA-001 → TRADER-B B-TEA-GRN (450) → SUPPLIER-C C-GT-100 (300, stocked in
 * C-FACTORY), A-TEA-002 → B-TEA-BLK (700) → C-BT-250 (500, stocked).
 */

let w: World;

beforeAll(async () => {
  w = await World.start();
});
afterAll(async () => {
  await w?.close();
});

const REASON = 'the customer phoned: one more (ticket Q-81)';

const adjust = (orderId: string, quantities: { lineId: string; quantity: number }[], reason = REASON) =>
  w.mutate('SHOP-A', 'adjustOrder', { input: { orderId, reason, quantities } });

/** A sales order of SHOP-A routed to TRADER-B, accepted there and by SUPPLIER-C, allocated from C's stock. */
async function allocatedChain(lines: [string, number, number][]) {
  const so = await w.approvedOrder('SHOP-A', { lines });
  const first = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: so.childOrders[0]!.id }));
  const second = ok(await w.mutate('SUPPLIER-C', 'acceptDistributionOrder', { id: first.childOrders[0]!.id }));
  await expect.poll(() => w.status('SUPPLIER-C', second.id), POLL).toBe('ALLOCATED');
  return { so, first: await w.visibleOrder('TRADER-B', first.id), second: await w.visibleOrder('SUPPLIER-C', second.id) };
}

/** SUPPLIER-C's open shipments of an order, with their pick lists. */
async function shipmentsOf(orderId: string) {
  const data = await w.gql<{ shipments: { edges: { node: { id: string; status: string; lines: { skuCode: string; quantity: number }[] } }[] } }>(
    'SUPPLIER-C',
    `query($filter: ShipmentFilter) { shipments(filter: $filter) { edges { node { id status lines { skuCode quantity } } } } }`,
    { filter: { orderId } },
  );
  return data.shipments.edges.map((e) => e.node);
}

async function inspect(shipmentId: string, scans: { code: string; quantity: number }[]): Promise<boolean> {
  const data = await w.gql<{ result: { __typename: string; passed: boolean } }>(
    'SUPPLIER-C',
    `mutation($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { __typename ... on Inspection { passed } } }`,
    { input: { shipmentId, scans } },
  );
  return ok<{ passed: boolean }>(data.result, 'Inspection').passed;
}

/** The chain as each party sees it (for "nothing changed" comparisons). */
async function snapshot(chain: { so: Order; first: Order; second: Order }) {
  return {
    so: await w.visibleOrder('SHOP-A', chain.so.id),
    first: await w.visibleOrder('TRADER-B', chain.first.id),
    second: await w.visibleOrder('SUPPLIER-C', chain.second.id),
    events: [...(await w.events(chain.so.id)), ...(await w.events(chain.first.id)), ...(await w.events(chain.second.id))].length,
  };
}

describe('a quantity change the upstream has not picked yet is made in place up the chain', () => {
  it('edits the pending distribution order: same order, new quantity and total, an entry in its timeline', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-001', 2, 1299]] });
    const dist = so.childOrders[0]!;
    const adjusted = ok(await adjust(so.id, [{ lineId: so.lines[0]!.id, quantity: 5 }]));
    expect(adjusted.childOrders).toEqual([{ id: dist.id, kind: 'DISTRIBUTION', status: 'PENDING_ACCEPTANCE' }]);
    expect(adjusted.lines[0]).toMatchObject({ quantity: 5, status: 'ROUTED', fulfilment: 'DISTRIBUTED' });
    for (const party of ['SHOP-A', 'TRADER-B'] as const) {
      const seen = await w.visibleOrder(party, dist.id);
      expect(seen.lines.map((l) => [l.product.skuCode, l.quantity, l.lineTotal])).toEqual([['B-TEA-GRN', 5, eur(5 * 450)]]);
      expect(seen.total).toEqual(eur(5 * 450));
      expect(lastEntry(seen)).toMatchObject({ actor: { id: PARTNER['SHOP-A'] }, from: 'PENDING_ACCEPTANCE', to: 'PENDING_ACCEPTANCE', reason: `quantity adjusted by the buyer: ${REASON}` });
    }
    expect((await w.events(dist.id)).at(-1)).toMatchObject({ topic: 'order.adjusted', audience: ['TRADER-B', 'SHOP-A'], payload: { inPlace: true, rerouted: false } });
    // TRADER-B then accepts the new quantity.
    const accepted = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: dist.id }));
    expect((await w.visibleOrder('TRADER-B', accepted.childOrders[0]!.id)).lines.map((l) => l.quantity)).toEqual([5]);
  });

  it('edits every level of an accepted chain and re-allocates the supplier’s stock; each party sees it in its own timeline', async () => {
    const chain = await allocatedChain([['A-TEA-001', 2, 1299], ['A-TEA-002', 1, 1599]]);
    const [tea, black] = chain.so.lines;
    const before = await shipmentsOf(chain.second.id);
    expect(before.map((s) => s.status)).toEqual(['TO_PICK']);

    const adjusted = ok(await adjust(chain.so.id, [{ lineId: tea!.id, quantity: 3 }, { lineId: black!.id, quantity: 0 }]));
    expect(adjusted.lines.map((l) => [l.quantity, l.status])).toEqual([[3, 'ROUTED'], [1, 'CANCELLED']]);
    expect(adjusted.total).toEqual(eur(3 * 1299));
    expect(lastEntry(adjusted)).toMatchObject({ actor: { id: PARTNER['SHOP-A'] }, reason: `adjusted: ${REASON}` });

    // TRADER-B's order from SHOP-A and its own order to SUPPLIER-C: the same orders, edited.
    const first = await w.visibleOrder('TRADER-B', chain.first.id);
    expect(first.status).toBe('APPROVED');
    expect(first.lines.map((l) => [l.id, l.product.skuCode, l.quantity, l.status])).toEqual([
      [chain.first.lines[0]!.id, 'B-TEA-GRN', 3, 'ROUTED'],
      [chain.first.lines[1]!.id, 'B-TEA-BLK', 1, 'CANCELLED'],
    ]);
    expect(first.total).toEqual(eur(3 * 450));
    expect(first.childOrders).toEqual([{ id: chain.second.id, kind: 'DISTRIBUTION', status: 'ALLOCATED' }]);
    expect(lastEntry(first)).toMatchObject({ actor: { id: PARTNER['SHOP-A'] }, reason: `quantity adjusted by the buyer: ${REASON}` });

    const second = await w.visibleOrder('SUPPLIER-C', chain.second.id);
    expect(second.status).toBe('ALLOCATED');
    expect(second.lines.map((l) => [l.id, l.product.skuCode, l.quantity, l.status])).toEqual([
      [chain.second.lines[0]!.id, 'C-GT-100', 3, 'ROUTED'],
      [chain.second.lines[1]!.id, 'C-BT-250', 1, 'CANCELLED'],
    ]);
    expect(second.total).toEqual(eur(3 * 300));
    // SUPPLIER-C's entry is TRADER-B's: it says the order below changed, not SHOP-A's reason.
    expect(lastEntry(second)).toMatchObject({ actor: { id: PARTNER['TRADER-B'] }, from: 'ALLOCATED', to: 'ALLOCATED', reason: 'quantity adjusted: the order it was routed from changed' });
    expect(JSON.stringify(second)).not.toContain('Q-81');
    // TRADER-B sees the same order, and the order of SHOP-A it came from.
    expect(await w.visibleOrder('TRADER-B', chain.second.id)).toEqual({ ...second, parentOrder: { id: chain.first.id } });

    const events = await w.events(chain.second.id);
    // One entry and one event per order, naming both of its changed lines.
    expect(second.timeline.filter((e) => e.reason?.startsWith('quantity adjusted'))).toHaveLength(1);
    expect(events.filter((e) => e.topic === 'order.adjusted')).toEqual([
      expect.objectContaining({
        audience: ['SUPPLIER-C', 'TRADER-B'],
        payload: expect.objectContaining({ inPlace: true, rerouted: true, lineIds: chain.second.lines.map((l) => l.id) }),
      }),
    ]);
    // Inventory released the old pick list and allocated the new quantity: a fresh shipment of 3.
    await expect.poll(async () => (await shipmentsOf(chain.second.id)).filter((s) => s.status === 'TO_PICK').flatMap((s) => s.lines.map((l) => [l.skuCode, l.quantity])), POLL).toEqual([['C-GT-100', 3]]);
    expect((await shipmentsOf(chain.second.id)).find((s) => s.id === before[0]!.id)?.status).toBe('CANCELLED');
    // Nothing was cancelled and routed anew anywhere.
    expect((await w.visibleOrder('SHOP-A', chain.so.id)).childOrders).toEqual([{ id: chain.first.id, kind: 'DISTRIBUTION', status: 'APPROVED' }]);
  });

  it('works on a held order too: the lines stay routed, nothing is re-routed on release', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-TEA-002', 1, 1599]] });
    ok(await w.mutate('SHOP-A', 'holdOrder', { id: so.id, reason: 'check stock' }));
    const adjusted = ok(await adjust(so.id, [{ lineId: so.lines[0]!.id, quantity: 2 }]));
    expect(adjusted).toMatchObject({ status: 'ON_HOLD', lines: [{ quantity: 2, status: 'ROUTED', fulfilment: 'DISTRIBUTED' }] });
    const released = ok(await w.mutate('SHOP-A', 'releaseOrder', { id: so.id }));
    expect(released.childOrders).toEqual([{ id: so.childOrders[0]!.id, kind: 'DISTRIBUTION', status: 'PENDING_ACCEPTANCE' }]);
    expect((await w.visibleOrder('TRADER-B', so.childOrders[0]!.id)).lines.map((l) => l.quantity)).toEqual([2]);
  });
});

describe('once the upstream has begun picking, the change is refused and nothing changes', () => {
  it('an inspected (READY) shipment at the supplier two levels up', async () => {
    const chain = await allocatedChain([['A-TEA-001', 2, 1299]]);
    const [shipment] = await shipmentsOf(chain.second.id);
    expect(await inspect(shipment!.id, [{ code: 'C-GT-100', quantity: 2 }])).toBe(true);
    const before = await snapshot(chain);
    const refused = await w.gql<{ result: Record<string, unknown> }>(
      'SHOP-A',
      `mutation($input: AdjustOrderInput!) { result: adjustOrder(input: $input) { __typename ... on AlreadyPickedUpstream { errorCode message lineId } } }`,
      { input: { orderId: chain.so.id, reason: REASON, quantities: [{ lineId: chain.so.lines[0]!.id, quantity: 3 }] } },
    );
    expect(refused.result).toEqual({ __typename: 'AlreadyPickedUpstream', errorCode: 'ALREADY_PICKED_UPSTREAM', message: expect.stringContaining('picking'), lineId: chain.so.lines[0]!.id });
    expect(await snapshot(chain)).toEqual(before);
    // A quantity it already has is no change to refuse.
    expect(ok(await adjust(chain.so.id, [{ lineId: chain.so.lines[0]!.id, quantity: 2 }])).lines[0]!.quantity).toBe(2);
  });

  it('a shipment being picked (a failed inspection) or dispatched', async () => {
    const picking = await allocatedChain([['A-TEA-002', 2, 1599]]);
    const [shipment] = await shipmentsOf(picking.second.id);
    expect(await inspect(shipment!.id, [{ code: 'C-BT-250', quantity: 1 }])).toBe(false);
    expect(await adjust(picking.so.id, [{ lineId: picking.so.lines[0]!.id, quantity: 1 }])).toMatchObject({ __typename: 'AlreadyPickedUpstream' });
    expect((await w.visibleOrder('SUPPLIER-C', picking.second.id)).lines[0]!.quantity).toBe(2);

    expect(await inspect(shipment!.id, [{ code: 'C-BT-250', quantity: 2 }])).toBe(true);
    const dispatched = await w.gql<{ result: { __typename: string } }>(
      'SUPPLIER-C',
      `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { __typename } }`,
      { input: { shipmentId: shipment!.id, carrier: 'DHL', trackingNumber: w.unique('TRK') } },
    );
    expect(dispatched.result.__typename).toBe('Shipment');
    const refused = await adjust(picking.so.id, [{ lineId: picking.so.lines[0]!.id, quantity: 5 }]);
    // Before the shipment reached the sales order the upstream check refuses; after, the order's own.
    expect(['AlreadyPickedUpstream', 'InvalidOrderTransition']).toContain(refused.__typename);
    expect((await w.visibleOrder('SUPPLIER-C', picking.second.id)).lines[0]!.quantity).toBe(2);
  });

  it('a shipment picked before the adjustment cannot leave with the old quantity', async () => {
    const chain = await allocatedChain([['A-TEA-001', 2, 1299]]);
    const [shipment] = await shipmentsOf(chain.second.id);
    expect(shipment).toMatchObject({ status: 'TO_PICK', lines: [{ skuCode: 'C-GT-100', quantity: 2 }] });
    // Hold the workflows back so inventory has not re-allocated yet when the warehouse goes on.
    const resume = await w.pauseWorkflows();
    let dispatched: { __typename: string; message?: string };
    try {
      expect(ok(await adjust(chain.so.id, [{ lineId: chain.so.lines[0]!.id, quantity: 1 }])).lines[0]!.quantity).toBe(1);
      // The warehouse still holds the old pick list: it passes inspection, but must not leave.
      expect(await inspect(shipment!.id, [{ code: 'C-GT-100', quantity: 2 }])).toBe(true);
      const data = await w.gql<{ result: { __typename: string; message?: string } }>(
        'SUPPLIER-C',
        `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { __typename ... on InventoryError { message } } }`,
        { input: { shipmentId: shipment!.id, carrier: 'DHL', trackingNumber: w.unique('TRK') } },
      );
      dispatched = data.result;
    } finally {
      await resume();
    }
    expect(dispatched).toMatchObject({ __typename: 'InvalidInventoryTransition', message: expect.stringContaining('adjusted after this shipment was picked') });
    // Inventory re-allocates: the old shipment is cancelled (its reservations released), a new one
    // holds the new quantity.
    await expect
      .poll(async () => (await shipmentsOf(chain.second.id)).map((s) => `${s.status}:${s.lines.map((l) => l.quantity).join(',')}`).sort(), POLL)
      .toEqual(['CANCELLED:', 'TO_PICK:1']);
  });

  it('a trader that shipped the line from its own stock', async () => {
    const so = await w.approvedOrder('SHOP-A', { lines: [['A-MUG-001', 2, 899]] });
    const first = ok(await w.mutate('TRADER-B', 'acceptDistributionOrder', { id: so.childOrders[0]!.id }));
    const resume = await w.pauseWorkflows();
    try {
      ok(await w.mutate('TRADER-B', 'confirmShipment', { input: { orderId: first.id, lines: [{ lineId: first.lines[0]!.id, quantity: 1 }] } }));
      // The shipment has not reached the sales order yet: only the upstream check can see it.
      expect(await adjust(so.id, [{ lineId: so.lines[0]!.id, quantity: 3 }])).toMatchObject({ __typename: 'AlreadyPickedUpstream' });
      expect((await w.visibleOrder('TRADER-B', first.id)).lines[0]!.quantity).toBe(2);
    } finally {
      await resume();
    }
  });

  it('the check answers nothing about a line the caller is no party of', async () => {
    const chain = await allocatedChain([['A-TEA-001', 1, 1299]]);
    const [shipment] = await shipmentsOf(chain.second.id);
    expect(await inspect(shipment!.id, [{ code: 'C-GT-100', quantity: 1 }])).toBe(true);
    const asPartner = (code: keyof typeof PARTNER, lineId: string) =>
      w.admin.begin(async (sql) => {
        await sql`set local role redthread_app`;
        await sql`select set_config('app.partner_id', ${PARTNER[code]}, true)`;
        const [row] = await sql`select orders.line_picked_upstream(${lineId}::uuid) as picked`;
        return row!['picked'] as boolean;
      });
    expect(await asPartner('SHOP-A', chain.so.lines[0]!.id)).toBe(true);
    expect(await asPartner('TRADER-B', chain.first.lines[0]!.id)).toBe(true);
    for (const code of ['SHOP-D', 'SUPPLIER-C'] as const) expect(await asPartner(code, chain.so.lines[0]!.id), code).toBe(false);
  });
});
