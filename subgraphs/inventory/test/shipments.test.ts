import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, POLL, ok, type Shipment } from './helpers';

/**
 * Outbound shipments (inventory issue, DESIGN.md §3): pick → outbound inspection (every scanned
 * SKU code or barcode and quantity must match; a mismatch lists each difference and blocks
 * dispatch) → dispatch with carrier and tracking, which deducts the stock, consumes the
 * reservation and ships the order. And the end of the chain: an order placed at SHOP-A becomes
 * ALLOCATED, is inspected, dispatched and shows SHIPPED.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

/** An ALLOCATED order of two products (2 × teapot with a barcode, 1 × cup) and its one shipment. */
async function allocatedShipment() {
  const teapot = await w.createProduct('SHOP-A', { barcode: w.barcode() });
  const cup = await w.createProduct('SHOP-A');
  const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
  await w.received('SHOP-A', warehouse.id, [
    { productId: teapot.id, quantity: 10 },
    { productId: cup.id, quantity: 4 },
  ]);
  const order = await w.approvedOrder('SHOP-A', [
    { productId: teapot.id, quantity: 2 },
    { productId: cup.id, quantity: 1 },
  ]);
  expect(order.status).toBe('ALLOCATED');
  const shipments = await w.shipmentsOf('SHOP-A', order.id);
  expect(shipments).toHaveLength(1);
  return { teapot, cup, warehouse, order, shipment: shipments[0]! };
}

const inspect = (shipmentId: string, scans: { code: string; quantity?: number }[]) => w.mutate('SHOP-A', 'inspectShipment', { input: { shipmentId, scans } });
const dispatch = (shipmentId: string, carrier = 'DHL', trackingNumber = 'JJD0001') => w.mutate('SHOP-A', 'dispatchShipment', { input: { shipmentId, carrier, trackingNumber } });

describe('outbound inspection', () => {
  it('the pick list names what to take, from where', async () => {
    const { teapot, cup, warehouse, order, shipment } = await allocatedShipment();
    expect(shipment).toMatchObject({ status: 'TO_PICK', warehouse: { id: warehouse.id }, order: { id: order.id }, orderId: order.id, lastMismatch: null, carrier: null, trackingNumber: null });
    expect(shipment.lines.map((l) => [l.skuCode, l.barcode, l.location.code, l.quantity]).sort()).toEqual(
      [
        [teapot.skuCode, teapot.barcode, 'DEFAULT', 2],
        [cup.skuCode, null, 'DEFAULT', 1],
      ].sort(),
    );
  });

  it('a failed inspection lists every missing, extra and unknown code and keeps the shipment TO_PICK', async () => {
    const { teapot, cup, shipment } = await allocatedShipment();
    const result = await inspect(shipment.id, [
      { code: teapot.skuCode, quantity: 1 },
      { code: cup.skuCode, quantity: 2 },
      { code: 'NOT-IN-THIS-SHIPMENT', quantity: 1 },
    ]);
    expect(result).toMatchObject({ __typename: 'Inspection', passed: false, shipment: { id: shipment.id, status: 'TO_PICK' } });
    const differences = result['differences'] as Shipment['lastMismatch'];
    const expected = [
      { code: teapot.skuCode, expected: 2, scanned: 1, kind: 'MISSING' },
      { code: cup.skuCode, expected: 1, scanned: 2, kind: 'EXTRA' },
      { code: 'NOT-IN-THIS-SHIPMENT', expected: 0, scanned: 1, kind: 'UNKNOWN' },
    ];
    expect(differences).toHaveLength(3);
    expect(differences).toEqual(expect.arrayContaining(expected));

    const [after] = await w.shipments('SHOP-A', { orderId: shipment.orderId });
    expect(after!.status).toBe('TO_PICK');
    expect(after!.lastMismatch).toEqual(expect.arrayContaining(expected));
    expect(after!.lastMismatch).toHaveLength(3);
    // Blocked: it cannot be dispatched.
    expect(await dispatch(shipment.id)).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'TO_PICK' });
  });

  it('scanning nothing reports every line as missing', async () => {
    const { teapot, cup, shipment } = await allocatedShipment();
    const result = await inspect(shipment.id, []);
    expect(result).toMatchObject({ __typename: 'Inspection', passed: false });
    expect(result['differences']).toEqual(
      expect.arrayContaining([
        { code: teapot.skuCode, expected: 2, scanned: 0, kind: 'MISSING' },
        { code: cup.skuCode, expected: 1, scanned: 0, kind: 'MISSING' },
      ]),
    );
  });

  it('a match makes it READY; barcode scans count like SKU codes, repeated scans add up', async () => {
    const { teapot, cup, shipment } = await allocatedShipment();
    const inspection = ok<{ passed: boolean; differences: unknown[]; shipment: Shipment }>(
      await inspect(shipment.id, [
        { code: teapot.barcode! },
        { code: cup.skuCode, quantity: 1 },
        { code: teapot.skuCode, quantity: 1 },
      ]),
      'Inspection',
    );
    expect(inspection).toMatchObject({ passed: true, differences: [], shipment: { id: shipment.id, status: 'READY', lastMismatch: null } });
    // A barcode scanned twice for two teapots matches too (re-inspecting a READY shipment).
    expect(await inspect(shipment.id, [{ code: teapot.barcode!, quantity: 2 }, { code: ` ${cup.skuCode} ` }])).toMatchObject({ __typename: 'Inspection', passed: true, shipment: { status: 'READY' } });
    // A later failed inspection blocks it again.
    expect(await inspect(shipment.id, [{ code: teapot.barcode!, quantity: 3 }, { code: cup.skuCode }])).toMatchObject({ __typename: 'Inspection', passed: false, shipment: { status: 'TO_PICK' } });
    const [after] = await w.shipments('SHOP-A', { orderId: shipment.orderId });
    expect(after!.status).toBe('TO_PICK');
    expect(after!.lastMismatch).toEqual([{ code: teapot.skuCode, expected: 2, scanned: 3, kind: 'EXTRA' }]);
  });

  it('refuses scans without a code or with a quantity below 1', async () => {
    const { teapot, shipment } = await allocatedShipment();
    expect(await inspect(shipment.id, [{ code: teapot.skuCode, quantity: 0 }])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'scans[0]' });
    expect(await inspect(shipment.id, [{ code: teapot.skuCode, quantity: 2 }, { code: '  ' }])).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'scans[1]' });
  });
});

describe('dispatch', () => {
  it('is refused before inspection, then deducts stock, consumes the reservation and ships the order', async () => {
    const { teapot, cup, warehouse, order, shipment } = await allocatedShipment();
    expect(await w.totals('SHOP-A', warehouse.id, teapot.id)).toEqual({ onHand: 10, reserved: 2, available: 8 });
    expect(await dispatch(shipment.id)).toMatchObject({ __typename: 'InvalidInventoryTransition', errorCode: 'INVALID_TRANSITION', from: 'TO_PICK' });
    expect(await w.totals('SHOP-A', warehouse.id, teapot.id)).toEqual({ onHand: 10, reserved: 2, available: 8 });

    expect(ok<{ passed: boolean }>(await inspect(shipment.id, [{ code: teapot.skuCode, quantity: 2 }, { code: cup.skuCode }]), 'Inspection').passed).toBe(true);
    expect(await dispatch(shipment.id, 'DHL', '  ')).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'trackingNumber' });
    expect(await dispatch(shipment.id, '', 'JJD1')).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'carrier' });
    const dispatched = ok<Shipment>(await dispatch(shipment.id, 'DHL', 'JJD000123'), 'Shipment');
    expect(dispatched).toMatchObject({ status: 'DISPATCHED', carrier: 'DHL', trackingNumber: 'JJD000123' });

    expect(await w.totals('SHOP-A', warehouse.id, teapot.id)).toEqual({ onHand: 8, reserved: 0, available: 8 });
    expect(await w.totals('SHOP-A', warehouse.id, cup.id)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await w.reservedUnits(teapot.id)).toBe(0);
    const shipped = await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['SHIPMENT'] });
    expect(shipped.map((m) => [m.productId, m.quantity, m.reference]).sort()).toEqual(
      [
        [teapot.id, -2, `shipment:${shipment.id}`],
        [cup.id, -1, `shipment:${shipment.id}`],
      ].sort(),
    );
    await w.expectLedgerBalanced(teapot.id);
    await w.expectLedgerBalanced(cup.id);

    // Dispatched once only; it can neither be inspected nor dispatched again.
    expect(await dispatch(shipment.id)).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'DISPATCHED' });
    expect(await inspect(shipment.id, [{ code: teapot.skuCode, quantity: 2 }, { code: cup.skuCode }])).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'DISPATCHED' });
    expect(await w.movements('SHOP-A', { warehouseId: warehouse.id, kind: ['SHIPMENT'] })).toHaveLength(2);

    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');
  });

  it('unknown shipment ids are not found', async () => {
    const id = '3b6f1e0a-9a0c-4c3e-8a59-1f0e7c2d4b11';
    expect(await inspect(id, [{ code: 'X' }])).toMatchObject({ __typename: 'InventoryNotFound', errorCode: 'NOT_FOUND' });
    expect(await dispatch(id)).toMatchObject({ __typename: 'InventoryNotFound', errorCode: 'NOT_FOUND' });
    expect(await dispatch('not-a-uuid')).toMatchObject({ __typename: 'InventoryNotFound' });
  });
});

describe('the end of the chain', () => {
  it('an order placed at SHOP-A for an unlinked product is allocated, inspected, dispatched and shows SHIPPED', async () => {
    const product = await w.createProduct('SHOP-A', { barcode: w.barcode() });
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-HH'], priority: 1 });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 6 }]);

    const placed = await w.placeOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-HH');
    expect(await w.orderStatus('SHOP-A', placed.id)).toBe('PENDING_REVIEW');
    expect(await w.shipmentsOf('SHOP-A', placed.id)).toEqual([]);
    expect(await w.approve('SHOP-A', placed.id)).toBe('APPROVED');
    await expect.poll(() => w.orderStatus('SHOP-A', placed.id), POLL).toBe('ALLOCATED');

    const [shipment] = await w.shipmentsOf('SHOP-A', placed.id);
    expect(shipment).toMatchObject({ status: 'TO_PICK', warehouse: { id: warehouse.id }, lines: [{ productId: product.id, quantity: 3 }] });
    expect(ok<{ passed: boolean }>(await inspect(shipment!.id, [{ code: product.barcode!, quantity: 3 }]), 'Inspection').passed).toBe(true);
    ok(await dispatch(shipment!.id, 'UPS', '1Z999AA10123456784'), 'Shipment');

    await expect.poll(() => w.orderStatus('SHOP-A', placed.id), POLL).toBe('SHIPPED');
    const order = await w.gql<{ order: { status: string; lines: { quantity: number; shippedQuantity: number }[]; timeline: { to: string }[] } }>(
      'SHOP-A',
      `query($id: ID!) { order(id: $id) { status lines { quantity shippedQuantity } timeline { to } } }`,
      { id: placed.id },
    );
    expect(order.order.lines).toEqual([{ quantity: 3, shippedQuantity: 3 }]);
    expect(order.order.timeline.map((e) => e.to)).toEqual(['PENDING_REVIEW', 'PENDING_FINANCE_REVIEW', 'APPROVED', 'ALLOCATED', 'SHIPPED']);
    expect(await w.totals('SHOP-A', warehouse.id, product.id)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    await w.expectLedgerBalanced(product.id);
  });

  it('a split order ships partially per dispatched warehouse, then fully', async () => {
    const product = await w.createProduct('SHOP-A');
    const near = await w.createWarehouse('SHOP-A', { regions: ['DE-NW'], priority: 1 });
    const far = await w.createWarehouse('SHOP-A', { regions: ['DE-BY'], priority: 2 });
    await w.received('SHOP-A', near.id, [{ productId: product.id, quantity: 2 }]);
    await w.received('SHOP-A', far.id, [{ productId: product.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 4 }], 'DE-NW');
    expect(order.status).toBe('ALLOCATED');
    const shipments = await w.shipmentsOf('SHOP-A', order.id);
    const nearShipment = shipments.find((s) => s.warehouse.id === near.id)!;
    const farShipment = shipments.find((s) => s.warehouse.id === far.id)!;
    await w.inspectAndDispatch('SHOP-A', nearShipment);
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('PARTIALLY_SHIPPED');
    await w.inspectAndDispatch('SHOP-A', farShipment);
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');
    expect(await w.reservedUnits(product.id)).toBe(0);
    await w.expectLedgerBalanced(product.id);
  });
});
