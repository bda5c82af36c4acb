import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, POLL, ok, type Shipment, type StockCount } from './helpers';

/**
 * Operations over many slots or lines in one request take a fixed number of statements, not one
 * or more per slot or line: a stock count of a big warehouse (one line per stock slot; posting
 * writes a COUNT_ADJUSTMENT movement and a `stock.changed` event per adjusted slot) and the
 * dispatch of a shipment of many lines (stock, reservations, allocations, movements, events).
 */

let w: InventoryWorld;
let statements = 0;

beforeAll(async () => {
  w = await InventoryWorld.start({ onQuery: () => (statements += 1) });
});

afterAll(async () => {
  await w?.close();
});

/** A warehouse of SHOP-A with `slots` products of 10 units each, and an open count of it. */
async function openCount(slots: number) {
  const warehouse = await w.createWarehouse('SHOP-A');
  const products = [];
  for (let i = 0; i < slots; i += 1) products.push(await w.createProduct('SHOP-A'));
  await w.received('SHOP-A', warehouse.id, products.map((p) => ({ productId: p.id, quantity: 10 })));
  const count = ok<StockCount>(await w.mutate('SHOP-A', 'openStockCount', { id: warehouse.id }), 'StockCount');
  expect(count.lines).toHaveLength(slots);
  return { warehouse, products, count };
}

/** Counts every slot at 7 (3 under what is on hand), then posts: the statements each took. */
async function countAndPost(slots: number) {
  const { warehouse, products, count } = await openCount(slots);
  statements = 0;
  const recorded = ok<StockCount>(await w.mutate('SHOP-A', 'recordCount', { input: { countId: count.id, lines: count.lines.map((l) => ({ lineId: l.id, counted: 7 })) } }), 'StockCount');
  const recording = statements;
  expect(recorded.status).toBe('COUNTED');
  statements = 0;
  const posted = ok<StockCount>(await w.mutate('SHOP-A', 'postStockCount', { id: count.id }), 'StockCount');
  const posting = statements;
  expect(posted.status).toBe('POSTED');

  for (const product of products) expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 7, reserved: 0, available: 7 });
  const reference = `count:${count.id}`;
  const [movements] = await w.admin`select count(*)::int as n, sum(quantity)::int as total from inventory.movements where reference = ${reference} and kind = 'COUNT_ADJUSTMENT'`;
  expect(movements).toEqual({ n: slots, total: -3 * slots });
  const events = await w.admin`select payload from events.event_log where topic = 'stock.changed' and payload->>'reference' = ${reference} order by id`;
  expect(events.map((e) => (e['payload'] as { productId: string; delta: number })).map((p) => p.delta)).toEqual(Array(slots).fill(-3));
  expect(new Set(events.map((e) => (e['payload'] as { productId: string }).productId))).toEqual(new Set(products.map((p) => p.id)));
  return { recording, posting };
}

describe('a stock count of many slots', () => {
  it('records and posts in the same number of statements for 3 slots as for 40', async () => {
    const few = await countAndPost(3);
    const many = await countAndPost(40);
    expect(many.recording, `statements to record 3 and 40 lines: ${few.recording}, ${many.recording}`).toBe(few.recording);
    expect(many.posting, `statements to post 3 and 40 lines: ${few.posting}, ${many.posting}`).toBe(few.posting);
  });

  it('opens a count of a warehouse of 15,000 slots (one line each, on hand frozen as expected) in the statements one of 3 takes', async () => {
    const opening = async (slots: number) => {
      const warehouse = await w.createWarehouse('SHOP-A');
      // The slots straight into the table (15,000 receipts through the API would take minutes).
      await w.admin`
        insert into inventory.stock (warehouse_id, location_id, product_id, owner_partner_id, operator_partner_id, on_hand)
        select w.id, l.id, gen_random_uuid(), w.owner_partner_id, w.operator_partner_id, 1 + i % 7
        from inventory.warehouses w join inventory.locations l on l.warehouse_id = w.id and l.code = 'DEFAULT', generate_series(1, ${slots}) as i
        where w.id = ${warehouse.id}`;
      statements = 0;
      const { result } = await w.gql<{ result: { __typename: string; id?: string; status?: string } }>(
        'SHOP-A',
        `mutation($id: ID!) { result: openStockCount(warehouseId: $id) { __typename ... on StockCount { id status } } }`,
        { id: warehouse.id },
      );
      const used = statements;
      expect(result).toMatchObject({ __typename: 'StockCount', status: 'OPEN' });
      const [lines] = await w.admin`
        select count(*)::int as n, sum(l.expected)::int as expected, sum(s.on_hand)::int as on_hand
        from inventory.stock_count_lines l join inventory.stock s on s.id = l.stock_id where l.count_id = ${result.id!}`;
      expect(lines!['n']).toBe(slots);
      expect(lines!['expected']).toBe(lines!['on_hand']);
      return used;
    };
    const few = await opening(3);
    const many = await opening(15_000);
    expect(many, `statements to open a count of 3 and 15,000 slots: ${few}, ${many}`).toBe(few);
  }, 60_000);

  it('takes the last quantity of a line given twice, and leaves the lines not given uncounted', async () => {
    const { count } = await openCount(3);
    const [first, second] = count.lines;
    const recorded = ok<StockCount>(
      await w.mutate('SHOP-A', 'recordCount', { input: { countId: count.id, lines: [{ lineId: first!.id, counted: 5 }, { lineId: second!.id, counted: 2 }, { lineId: first!.id, counted: 6 }] } }),
      'StockCount',
    );
    expect(recorded.status).toBe('OPEN');
    const counted = Object.fromEntries(recorded.lines.map((l) => [l.id, l.counted]));
    expect(counted).toEqual({ [first!.id]: 6, [second!.id]: 2, [count.lines[2]!.id]: null });
  });

  it('refuses a line of another count and changes nothing', async () => {
    const { count } = await openCount(2);
    const { count: other } = await openCount(1);
    const refused = await w.mutate('SHOP-A', 'recordCount', { input: { countId: count.id, lines: [{ lineId: count.lines[0]!.id, counted: 1 }, { lineId: other.lines[0]!.id, counted: 1 }] } });
    expect(refused).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[1].lineId' });
    const [row] = await w.admin`select count(*)::int as n from inventory.stock_count_lines where count_id in (${count.id}, ${other.id}) and counted is not null`;
    expect(row!['n']).toBe(0);
  });
});

describe('dispatching a shipment of many lines', () => {
  /** An allocated order of `lines` products (1 unit each) from a fresh warehouse, its shipment inspected; the statements its dispatch took. */
  async function dispatchOf(lines: number) {
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
    const products = [];
    for (let i = 0; i < lines; i += 1) products.push(await w.createProduct('SHOP-A'));
    await w.received('SHOP-A', warehouse.id, products.map((p) => ({ productId: p.id, quantity: 4 })));
    const order = await w.approvedOrder('SHOP-A', products.map((p) => ({ productId: p.id, quantity: 1 })));
    expect(order.status).toBe('ALLOCATED');
    const [shipment] = await w.shipmentsOf('SHOP-A', order.id);
    expect(shipment!.lines).toHaveLength(lines);
    const scans = shipment!.lines.map((l) => ({ code: l.skuCode, quantity: l.quantity }));
    expect(ok<{ passed: boolean }>(await w.mutate('SHOP-A', 'inspectShipment', { input: { shipmentId: shipment!.id, scans } }), 'Inspection').passed).toBe(true);
    statements = 0;
    const dispatched = ok<Shipment>(await w.mutate('SHOP-A', 'dispatchShipment', { input: { shipmentId: shipment!.id, carrier: 'DHL', trackingNumber: w.unique('TRK') } }), 'Shipment');
    const used = statements;
    expect(dispatched.status).toBe('DISPATCHED');
    for (const product of products) {
      expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 3, reserved: 0, available: 3 });
      await w.expectLedgerBalanced(product.id);
    }
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');
    return used;
  }

  it('dispatches 12 lines in the same number of statements as 3', async () => {
    const few = await dispatchOf(3);
    const many = await dispatchOf(12);
    expect(many, `statements to dispatch 3 and 12 lines: ${few}, ${many}`).toBe(few);
  });
});

describe('a 3PL reading its queue across the owners it works for', () => {
  it('reads the pick lists of shipments of three owners in the statements it took for one', async () => {
    type Card = { id: string; lines: { productId: string; name: string | null; skuCode: string; quantity: number }[] };
    const QUEUE = `query { shipments(first: 100) { edges { node { id lines { productId name skuCode quantity } } } } }`;
    const read = async () => {
      statements = 0;
      const data = await w.gql<{ shipments: { edges: { node: Card }[] } }>('LOGI-E', QUEUE);
      return { statements, cards: data.shipments.edges.map((e) => e.node) };
    };
    // LOGI-E runs SHOP-A's A-HAM (demo world); SHOP-D and TRADER-B each get a warehouse it runs.
    const owners = [
      { code: 'SHOP-A' as const, warehouseId: await w.demoWarehouseId('A-HAM'), region: 'DE-HH' },
      { code: 'SHOP-D' as const, warehouseId: (await w.createWarehouse('SHOP-D', { operatorCode: 'LOGI-E', regions: ['DE-HB'], priority: 1 })).id, region: 'DE-HB' },
      { code: 'TRADER-B' as const, warehouseId: (await w.createWarehouse('TRADER-B', { operatorCode: 'LOGI-E', regions: ['DE-NI'], priority: 1 })).id, region: 'DE-NI' },
    ];
    const picked: { productId: string; name: string; shipmentId: string }[] = [];
    let oneOwner: Awaited<ReturnType<typeof read>> | undefined;
    for (const owner of owners) {
      const name = `Picked for ${owner.code}`;
      const product = await w.createProduct(owner.code, { name });
      await w.received(owner.code, owner.warehouseId, [{ productId: product.id, quantity: 5 }]);
      const order = await w.approvedOrder(owner.code, [{ productId: product.id, quantity: 2 }], owner.region);
      expect(order.status, owner.code).toBe('ALLOCATED');
      const [shipment] = await w.shipmentsOf(owner.code, order.id);
      picked.push({ productId: product.id, name, shipmentId: shipment!.id });
      oneOwner ??= await read();
    }
    const threeOwners = await read();
    expect(threeOwners.statements, `statements for one owner and for three: ${oneOwner!.statements}, ${threeOwners.statements}`).toBe(oneOwner!.statements);
    for (const { productId, name, shipmentId } of picked) {
      const card = threeOwners.cards.find((c) => c.id === shipmentId);
      expect(card?.lines, name).toEqual([{ productId, name, skuCode: expect.any(String), quantity: 2 }]);
    }
  });
});

describe('receiving stock of many lines', () => {
  /** A receipt of `lines` products into two bins, each line with a lot (three lots per product's line number): the statements it took. */
  async function receiptOf(lines: number) {
    const warehouse = await w.createWarehouse('SHOP-A', { locations: ['BIN-1', 'BIN-2'] });
    const products = [];
    for (let i = 0; i < lines; i += 1) products.push(await w.createProduct('SHOP-A'));
    statements = 0;
    const movements = await w.received(
      'SHOP-A',
      warehouse.id,
      products.map((p, i) => ({ productId: p.id, quantity: 2 + i, locationCode: i % 2 ? 'bin-1' : 'BIN-2', batch: { lotNumber: ` L-${i % 3} `, expiresOn: '2031-01-01' } })),
    );
    const used = statements;
    expect(movements.map((m) => [m.productId, m.quantity, m.location.code, m.batch?.lotNumber])).toEqual(products.map((p, i) => [p.id, 2 + i, i % 2 ? 'BIN-1' : 'BIN-2', `L-${i % 3}`]));
    for (const [i, product] of products.entries()) expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 2 + i, reserved: 0, available: 2 + i });
    return { used, warehouse, products };
  }

  it('receives 30 lines with lots into bins in the same number of statements as 3', async () => {
    const few = await receiptOf(3);
    const many = await receiptOf(30);
    expect(many.used, `statements to receive 3 and 30 lines: ${few.used}, ${many.used}`).toBe(few.used);
  });

  it('takes a lot received again (same dates, or none given) and refuses one given other dates, at that line, writing nothing', async () => {
    const { warehouse, products } = await receiptOf(3);
    const [first] = products;
    // Known lot, dates repeated or left out: the same batch.
    const again = await w.received('SHOP-A', warehouse.id, [
      { productId: first!.id, quantity: 1, batch: { lotNumber: 'L-0', expiresOn: '2031-01-01' } },
      { productId: first!.id, quantity: 1, batch: { lotNumber: 'L-0' } },
    ]);
    expect(again.map((m) => m.batch?.lotNumber)).toEqual(['L-0', 'L-0']);
    const before = await w.totals('SHOP-A', warehouse.id, first!.id);
    // Known lot, other date: refused at its line.
    expect(await w.receive('SHOP-A', warehouse.id, [
      { productId: first!.id, quantity: 1 },
      { productId: first!.id, quantity: 1, batch: { lotNumber: 'L-0', expiresOn: '2032-01-01' } },
    ])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[1].batch' });
    // A new lot given two sets of dates in one receipt: refused at the second, and the lot not created.
    expect(await w.receive('SHOP-A', warehouse.id, [
      { productId: first!.id, quantity: 1, batch: { lotNumber: 'NEW-1', producedOn: '2030-01-01' } },
      { productId: first!.id, quantity: 1, batch: { lotNumber: 'NEW-1', producedOn: '2030-02-01' } },
    ])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[1].batch' });
    expect(await w.totals('SHOP-A', warehouse.id, first!.id)).toEqual(before);
    const [lot] = await w.admin`select count(*)::int as n from inventory.batches where product_id = ${first!.id} and lot_number = 'NEW-1'`;
    expect(lot!['n']).toBe(0);
  });
});

describe('transfers of many lines', () => {
  type Planned = { id: string; status: string; lines: { id: string }[] };
  /** A transfer of `lines` products (lots in a bin) between two fresh warehouses, shipped and received: the statements of each step. */
  async function transferOf(lines: number) {
    const from = await w.createWarehouse('SHOP-A', { locations: ['BIN-1'] });
    const to = await w.createWarehouse('SHOP-A');
    const products = [];
    for (let i = 0; i < lines; i += 1) products.push(await w.createProduct('SHOP-A'));
    await w.received('SHOP-A', from.id, products.map((p) => ({ productId: p.id, quantity: 5, locationCode: 'BIN-1', batch: { lotNumber: 'T-1' } })));
    const steps: number[] = [];
    statements = 0;
    const created = ok<Planned>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: products.map((p) => ({ productId: p.id, quantity: 3, locationCode: 'bin-1', lotNumber: 'T-1' })) } }),
      'Transfer',
    );
    steps.push(statements);
    statements = 0;
    expect(ok<Planned>(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id }), 'Transfer').status).toBe('IN_TRANSIT');
    steps.push(statements);
    statements = 0;
    const received = ok<Planned>(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: created.lines.map((l) => ({ lineId: l.id, receivedQuantity: 2 })) } }), 'Transfer');
    steps.push(statements);
    expect(received.status).toBe('RECEIVED');
    for (const product of products) {
      expect(await w.totals('SHOP-A', from.id, product.id)).toEqual({ onHand: 2, reserved: 0, available: 2 });
      expect(await w.totals('SHOP-A', to.id, product.id)).toEqual({ onHand: 2, reserved: 0, available: 2 });
      await w.expectLedgerBalanced(product.id);
    }
    return steps;
  }

  it('creates, ships and receives 20 lines in the statements 3 take', async () => {
    const few = await transferOf(3);
    const many = await transferOf(20);
    expect(many, `statements to create, ship and receive 3 and 20 lines: ${few.join('/')}, ${many.join('/')}`).toEqual(few);
  });

  it('refuses to ship two lines that together take more than their slot holds, moving nothing', async () => {
    const from = await w.createWarehouse('SHOP-A');
    const to = await w.createWarehouse('SHOP-A');
    const product = await w.createProduct('SHOP-A');
    await w.received('SHOP-A', from.id, [{ productId: product.id, quantity: 5 }]);
    const created = ok<Planned>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: product.id, quantity: 3 }, { productId: product.id, quantity: 3 }] } }),
      'Transfer',
    );
    expect(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id })).toMatchObject({ __typename: 'InsufficientStock', productId: product.id, requested: 3, available: 2 });
    expect(await w.totals('SHOP-A', from.id, product.id)).toEqual({ onHand: 5, reserved: 0, available: 5 });
    await w.expectLedgerBalanced(product.id);
  });
});
