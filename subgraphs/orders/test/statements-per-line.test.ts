import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, World, type LineSpec, type Order } from './helpers';

/**
 * Orders of many lines cost a fixed number of statements to route and to ship, not a few per
 * line: routing on finance approval writes the routed lines of a supplier's group in one
 * statement, and a seller confirming the shipment of many lines (own fulfilment) writes the
 * shipped units of every line in one, a line named several times shipping the sum named.
 */

let w: World;
let statements = 0;
/** Fresh SHOP-A products: unlinked (own fulfilment), and linked to TRADER-B products at 400. */
const OWN: string[] = [];
const LINKED: string[] = [];

beforeAll(async () => {
  w = await World.start({ onQuery: () => (statements += 1) });
  for (let i = 0; i < 5; i += 1) {
    OWN.push(`A-OWN-${i}`);
    await w.createProduct('SHOP-A', `A-OWN-${i}`, `Own product ${i}`);
    LINKED.push(`A-LNK-${i}`);
    await w.createProduct('SHOP-A', `A-LNK-${i}`, `Linked product ${i}`);
    await w.createProduct('TRADER-B', `B-LNK-${i}`, `Supplied product ${i}`);
    await w.link(['SHOP-A', `A-LNK-${i}`], ['TRADER-B', `B-LNK-${i}`], { amountMinor: 400 });
  }
});
afterAll(async () => {
  await w?.close();
});

/** An approved order of `lines` lines of 3 units, every line shipped in two parts (1 + 2) in one confirmation: the statements it took. */
async function shipInParts(lines: number): Promise<number> {
  const order = await w.approvedOrder('SHOP-A', { lines: OWN.slice(0, lines).map((sku): LineSpec => [sku, 3, 1000]) });
  statements = 0;
  const shipped = ok<Order>(
    await w.mutate('SHOP-A', 'confirmShipment', {
      input: { orderId: order.id, lines: order.lines.flatMap((l) => [{ lineId: l.id, quantity: 1 }, { lineId: l.id, quantity: 2 }]), carrier: 'DHL', trackingNumber: w.unique('JJD') },
    }),
  );
  const used = statements;
  expect(shipped.status).toBe('SHIPPED');
  expect(shipped.lines.map((l) => [l.shippedQuantity, l.status])).toEqual(order.lines.map(() => [3, 'SHIPPED']));
  return used;
}

describe('confirmShipment', () => {
  it('ships 5 lines in the same number of statements as 2, each line the sum of its parts', async () => {
    const few = await shipInParts(2);
    const many = await shipInParts(5);
    expect(many, `statements to ship 2 and 5 lines: ${few}, ${many}`).toBe(few);
  });

  it('refuses a line named more times than it has units left, counting every earlier mention, and ships nothing', async () => {
    const order = await w.approvedOrder('SHOP-A', { lines: [[OWN[0]!, 3, 1000]] });
    const tea = order.lines[0]!;
    const refused = await w.mutate('SHOP-A', 'confirmShipment', {
      input: { orderId: order.id, lines: [{ lineId: tea.id, quantity: 1 }, { lineId: tea.id, quantity: 1 }, { lineId: tea.id, quantity: 2 }] },
    });
    expect(refused).toMatchObject({ __typename: 'InvalidOrderInput', field: 'lines[2].quantity', message: 'Ship between 1 and 1 unit(s) of this line.' });
    expect((await w.order('SHOP-A', order.id))!.lines.map((l) => l.shippedQuantity)).toEqual([0]);
  });

  it('ships part of a line, then the rest', async () => {
    const order = await w.approvedOrder('SHOP-A', { lines: [[OWN[0]!, 3, 1000], [OWN[1]!, 1, 500]] });
    const [tea, mug] = order.lines;
    const partly = ok<Order>(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: order.id, lines: [{ lineId: tea!.id, quantity: 2 }] } }));
    expect(partly.status).toBe('PARTIALLY_SHIPPED');
    expect(partly.lines.map((l) => [l.shippedQuantity, l.status])).toEqual([
      [2, 'ROUTED'],
      [0, 'ROUTED'],
    ]);
    // Over what remains is refused, and changes nothing.
    expect(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: order.id, lines: [{ lineId: tea!.id, quantity: 1 }, { lineId: tea!.id, quantity: 1 }] } })).toMatchObject({
      __typename: 'InvalidOrderInput',
      field: 'lines[1].quantity',
    });
    const rest = ok<Order>(await w.mutate('SHOP-A', 'confirmShipment', { input: { orderId: order.id, lines: [{ lineId: tea!.id, quantity: 1 }, { lineId: mug!.id, quantity: 1 }] } }));
    expect(rest.status).toBe('SHIPPED');
    expect(rest.lines.map((l) => [l.shippedQuantity, l.status])).toEqual([
      [3, 'SHIPPED'],
      [1, 'SHIPPED'],
    ]);
  });
});

describe('routing on finance approval', () => {
  /** A sales order of `lines` linked lines, reviewed; the statements its finance approval (which routes it) took. */
  async function routeOf(lines: number): Promise<number> {
    const placed = await w.salesOrder('SHOP-A', { lines: LINKED.slice(0, lines).map((sku): LineSpec => [sku, 2, 900]) });
    ok<Order>(await w.mutate('SHOP-A', 'reviewOrder', { id: placed.id, decision: 'APPROVE' }));
    statements = 0;
    const approved = ok<Order>(await w.mutate('SHOP-A', 'financeReviewOrder', { id: placed.id, decision: 'APPROVE' }));
    const used = statements;
    expect(approved.lines.map((l) => [l.status, l.fulfilment, Boolean(l.link?.id)])).toEqual(placed.lines.map(() => ['ROUTED', 'DISTRIBUTED', true]));
    expect(approved.childOrders).toHaveLength(1);
    const child = await w.onlyChild('SHOP-A', placed.id);
    expect(child.kind).toBe('DISTRIBUTION');
    expect(child.lines.map((l) => [l.buyerProduct?.skuCode, l.quantity])).toEqual(LINKED.slice(0, lines).map((sku) => [sku, 2]));
    return used;
  }

  it('routes 5 linked lines to their supplier in the same number of statements as 2', async () => {
    const few = await routeOf(2);
    const many = await routeOf(5);
    expect(many, `statements to route 2 and 5 lines: ${few}, ${many}`).toBe(few);
  });
});
