import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, PARTNER, POLL, SHIPMENT_FIELDS, WAREHOUSE_FIELDS, ok, type Code, type Shipment } from './helpers';

/**
 * Who sees warehouses, stock, movements and shipments (DESIGN.md §2: the warehouse owner and its
 * operator). LOGI-E, the 3PL running SHOP-A's A-HAM, sees and operates A-HAM only — never SHOP-A's
 * own warehouses nor its orders. TRADER-B and SHOP-D see nothing of SHOP-A's. A foreign warehouse
 * or shipment probed by id answers exactly like an id that does not exist.
 */

let w: InventoryWorld;
const ids = { ber: '', muc: '', ham: '' };
let product: { id: string; skuCode: string };
let hamShipment: Shipment;
let berShipment: Shipment;

const RANDOM_ID = '6f1c1e52-58a4-4b8e-9c43-7d1d2f6a0b9e';

beforeAll(async () => {
  w = await InventoryWorld.start();
  ids.ber = await w.demoWarehouseId('A-BER');
  ids.muc = await w.demoWarehouseId('A-MUC');
  ids.ham = await w.demoWarehouseId('A-HAM');
});

afterAll(async () => {
  await w?.close();
});

let scenario: Promise<void> | undefined;

/**
 * SHOP-A's product with stock in A-HAM and A-BER and one allocated order at each (set up once, on
 * first use: allocation is awaited with expect.poll, which only runs inside a test).
 */
function orders(): Promise<void> {
  scenario ??= (async () => {
    product = await w.createProduct('SHOP-A');
    await w.received('SHOP-A', ids.ham, [{ productId: product.id, quantity: 5 }]);
    await w.received('SHOP-A', ids.ber, [{ productId: product.id, quantity: 5 }]);
    // Hamburg is covered by A-HAM only, Berlin by A-BER.
    const hamOrder = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-HH');
    const berOrder = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 1 }], 'DE-BE');
    expect([hamOrder.status, berOrder.status]).toEqual(['ALLOCATED', 'ALLOCATED']);
    [hamShipment] = (await w.shipmentsOf('SHOP-A', hamOrder.id)) as [Shipment];
    [berShipment] = (await w.shipmentsOf('SHOP-A', berOrder.id)) as [Shipment];
    expect(hamShipment.warehouse.code).toBe('A-HAM');
    expect(berShipment.warehouse.code).toBe('A-BER');
  })();
  return scenario;
}

const shopAWarehouses = () => [ids.ber, ids.muc, ids.ham];

describe('the 3PL operator LOGI-E', () => {
  it('sees exactly the warehouse it operates, with SHOP-A as owner and itself as operator', async () => {
    await orders();
    const warehouses = await w.warehouses('LOGI-E');
    expect(warehouses.map((x) => x.code)).toEqual(['A-HAM']);
    expect(warehouses[0]).toMatchObject({ id: ids.ham, kind: 'THIRD_PARTY', owner: { id: PARTNER['SHOP-A'] }, operator: { id: PARTNER['LOGI-E'] }, regions: ['DE-HH', 'DE-NI', 'DE-SH'] });
    // The owner sees all three, the 3PL one included.
    expect((await w.warehouses('SHOP-A')).map((x) => x.id)).toEqual(expect.arrayContaining(shopAWarehouses()));
  });

  it('sees stock, movements and shipments of A-HAM only; SHOP-A orders stay hidden', async () => {
    await orders();
    const levels = await w.stock('LOGI-E');
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels.map((l) => l.warehouse.id))).toEqual(new Set([ids.ham]));
    expect(levels.find((l) => l.productId === product.id)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect(await w.stock('LOGI-E', { warehouseId: ids.ber })).toEqual([]);
    expect(await w.stock('LOGI-E', { productId: product.id })).toHaveLength(1);

    const movements = await w.movements('LOGI-E');
    expect(movements.length).toBeGreaterThan(0);
    expect(new Set(movements.map((m) => m.warehouse.id))).toEqual(new Set([ids.ham]));
    expect(await w.movements('LOGI-E', { warehouseId: ids.ber })).toEqual([]);

    const shipments = await w.shipments('LOGI-E');
    expect(shipments.map((s) => s.id)).toContain(hamShipment.id);
    expect(shipments.map((s) => s.id)).not.toContain(berShipment.id);
    expect(new Set(shipments.map((s) => s.warehouse.id))).toEqual(new Set([ids.ham]));
    // The pick list is readable (codes included), the order behind it is not.
    const seen = shipments.find((s) => s.id === hamShipment.id)!;
    expect(seen.order).toBeNull();
    expect(seen.lines).toEqual([expect.objectContaining({ productId: product.id, skuCode: product.skuCode, quantity: 2 })]);
    expect(await w.shipments('LOGI-E', { warehouseId: ids.ber })).toEqual([]);
    expect(await w.shipments('LOGI-E', { orderId: berShipment.orderId })).toEqual([]);
  });

  it('operates A-HAM: receives stock into it, inspects and dispatches its shipments, and the order ships', async () => {
    await orders();
    const own = await w.createProduct('SHOP-A');
    const receipt = ok<{ movements: { kind: string; quantity: number }[] }>(await w.receive('LOGI-E', ids.ham, [{ productId: own.id, quantity: 3 }]), 'Receipt');
    expect(receipt.movements.map((m) => [m.kind, m.quantity])).toEqual([['FREE_RECEIPT', 3]]);
    expect(await w.totals('SHOP-A', ids.ham, own.id)).toEqual({ onHand: 3, reserved: 0, available: 3 });

    const order = await w.approvedOrder('SHOP-A', [{ productId: own.id, quantity: 2 }], 'DE-NI');
    expect(order.status).toBe('ALLOCATED');
    const [shipment] = (await w.shipments('LOGI-E', { warehouseId: ids.ham })).filter((s) => s.orderId === order.id);
    expect(shipment).toMatchObject({ status: 'TO_PICK', order: null, lines: [{ productId: own.id, skuCode: own.skuCode, quantity: 2 }] });

    const failed = await w.mutate('LOGI-E', 'inspectShipment', { input: { shipmentId: shipment!.id, scans: [{ code: own.skuCode, quantity: 1 }] } });
    expect(failed).toMatchObject({ __typename: 'Inspection', passed: false, differences: [{ code: own.skuCode, expected: 2, scanned: 1, kind: 'MISSING' }] });
    const dispatched = await w.inspectAndDispatch('LOGI-E', shipment!);
    expect(dispatched).toMatchObject({ status: 'DISPATCHED', order: null });
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');
    expect(await w.totals('SHOP-A', ids.ham, own.id)).toEqual({ onHand: 1, reserved: 0, available: 1 });
    await w.expectLedgerBalanced(own.id);
  });

  it('cannot operate SHOP-A’s own warehouses: every attempt answers like an unknown id', async () => {
    await orders();
    await expectLikeUnknown('LOGI-E', ids.ber, berShipment.id);
    // The Berlin shipment is untouched.
    const [after] = await w.shipments('SHOP-A', { orderId: berShipment.orderId });
    expect(after).toMatchObject({ status: 'TO_PICK', lastMismatch: null });
  });
});

describe('partners without any relation to the warehouses', () => {
  it.each(['TRADER-B', 'SHOP-D'] as const)('%s sees none of SHOP-A’s warehouses, stock, movements or shipments', async (code) => {
    await orders();
    const warehouses = await w.warehouses(code);
    expect(warehouses.map((x) => x.id).filter((id) => shopAWarehouses().includes(id))).toEqual([]);
    expect(warehouses.every((x) => x.owner.id === PARTNER[code])).toBe(true);
    const levels = await w.stock(code);
    expect(levels.filter((l) => shopAWarehouses().includes(l.warehouse.id))).toEqual([]);
    expect(await w.stock(code, { productId: product.id })).toEqual([]);
    expect(await w.movements(code, { productId: product.id })).toEqual([]);
    expect((await w.movements(code)).filter((m) => shopAWarehouses().includes(m.warehouse.id))).toEqual([]);
    const shipments = await w.shipments(code);
    expect(shipments.filter((s) => shopAWarehouses().includes(s.warehouse.id))).toEqual([]);
  });

  it.each(['TRADER-B', 'SHOP-D'] as const)('%s probing SHOP-A’s warehouses and shipments by id gets exactly what an unknown id gets', async (code) => {
    await orders();
    for (const warehouseId of shopAWarehouses()) await expectLikeUnknown(code, warehouseId, berShipment.id);
  });
});

/**
 * Every read and write naming a foreign warehouse or shipment answers byte for byte like the same
 * operation naming an id that does not exist.
 */
async function expectLikeUnknown(as: Code, warehouseId: string, shipmentId: string): Promise<void> {
  const ledgerBefore = await w.ledger(product.id);
  const probes: [query: string, variables: (id: string) => Record<string, unknown>, kind: 'warehouse' | 'shipment'][] = [
    [`query($id: ID!) { warehouse(id: $id) { ${WAREHOUSE_FIELDS} } }`, (id) => ({ id }), 'warehouse'],
    [`query($id: ID!) { stockLevels(filter: { warehouseId: $id }) { edges { cursor node { onHand } } pageInfo { hasNextPage endCursor } } }`, (id) => ({ id }), 'warehouse'],
    [`query($id: ID!) { movements(filter: { warehouseId: $id }) { edges { node { id } } } }`, (id) => ({ id }), 'warehouse'],
    [`query($id: ID!) { shipments(filter: { warehouseId: $id }) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, (id) => ({ id }), 'warehouse'],
    [`query($id: ID!) { stockCounts(warehouseId: $id) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, (id) => ({ id }), 'warehouse'],
    [`query($id: ID!) { shipment(id: $id) { ${SHIPMENT_FIELDS} } }`, (id) => ({ id }), 'shipment'],
    [`query($id: ID!) { shipments(filter: { orderId: $id }) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, (id) => ({ id }), 'shipment'],
  ];
  for (const [query, variables, kind] of probes) {
    const foreignId = kind === 'warehouse' ? warehouseId : shipmentId;
    const foreign = await w.raw(as, query, variables(foreignId));
    const unknown = await w.raw(as, query, variables(RANDOM_ID));
    expect(foreign, `${as}: ${query}`).toEqual(unknown);
    expect(foreign.errors).toBeUndefined();
  }
  // shipments(orderId) above probes by shipment id; probe by the order id too.
  expect(await w.raw(as, `query($id: ID!) { shipments(filter: { orderId: $id }) { edges { node { id } } } }`, { id: berShipment.orderId })).toEqual(
    await w.raw(as, `query($id: ID!) { shipments(filter: { orderId: $id }) { edges { node { id } } } }`, { id: RANDOM_ID }),
  );

  const ownProduct = as === 'LOGI-E' ? product.id : (await w.createProduct(as)).id;
  const mutations: [mutation: Parameters<InventoryWorld['mutate']>[1], variables: (id: string) => Record<string, unknown>, kind: 'warehouse' | 'shipment'][] = [
    ['receiveStock', (id) => ({ input: { warehouseId: id, lines: [{ productId: ownProduct, quantity: 1 }] } }), 'warehouse'],
    ['createLocation', (id) => ({ input: { warehouseId: id, code: 'PROBE' } }), 'warehouse'],
    ['openStockCount', (id) => ({ id }), 'warehouse'],
    ['inspectShipment', (id) => ({ input: { shipmentId: id, scans: [{ code: product.skuCode, quantity: 1 }] } }), 'shipment'],
    ['dispatchShipment', (id) => ({ input: { shipmentId: id, carrier: 'DHL', trackingNumber: 'PROBE' } }), 'shipment'],
  ];
  for (const [mutation, variables, kind] of mutations) {
    const foreignId = kind === 'warehouse' ? warehouseId : shipmentId;
    const foreign = await w.mutate(as, mutation, variables(foreignId));
    const unknown = await w.mutate(as, mutation, variables(RANDOM_ID));
    expect(foreign, `${as}: ${mutation}`).toEqual(unknown);
    expect(foreign).toMatchObject({ __typename: 'InventoryNotFound', errorCode: 'NOT_FOUND' });
  }
  const transfer = await w.mutate(as, 'createTransfer', { input: { fromWarehouseId: warehouseId, toWarehouseId: RANDOM_ID, lines: [{ productId: ownProduct, quantity: 1 }] } });
  expect(transfer).toEqual(await w.mutate(as, 'createTransfer', { input: { fromWarehouseId: RANDOM_ID, toWarehouseId: RANDOM_ID.replace('6f', '7f'), lines: [{ productId: ownProduct, quantity: 1 }] } }));
  // Nothing changed anywhere.
  expect(await w.ledger(product.id)).toEqual(ledgerBefore);
}
