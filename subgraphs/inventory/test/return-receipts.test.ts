import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';

let db: TestDatabase;
let api: TestPlatform;
let shopA: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  shopA = await api.tokenFor('SHOP-A');
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

type Data = Record<string, any>;
async function call(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await api.query<Data>(shopA, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data!;
}

/** A shipped SHOP-A sales order for an own-fulfilment product, through allocation, inspection and dispatch. */
async function shippedOrder(skuCode: string, quantity: number) {
  const channel = await call(`mutation { createChannel(input: { code: "ret-${skuCode}", name: "Returns", kind: API }) { ... on Channel { id } } }`);
  const placed = await call(`mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { ... on Order { id lines { id } } } }`, {
    i: {
      channelId: channel['createChannel'].id,
      externalNumber: `RET-${skuCode}`,
      currency: 'EUR',
      shipTo: { line1: 'Torstraße 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
      lines: [{ skuCode, quantity, unitPriceMinor: 1000 }],
    },
  });
  const order = placed['placeOrder'];
  await call(`mutation($id: ID!) { reviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: order.id });
  await call(`mutation($id: ID!) { financeReviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: order.id });
  let shipment: Data | undefined;
  await expect
    .poll(async () => {
      shipment = (await call(`query($o: ID) { shipments(filter: { orderId: $o, status: [TO_PICK] }) { edges { node { id lines { skuCode quantity } } } } }`, { o: order.id }))['shipments'].edges[0]?.node;
      return Boolean(shipment);
    }, { timeout: 10_000 })
    .toBe(true);
  await call(`mutation($i: InspectShipmentInput!) { inspectShipment(input: $i) { __typename } }`, {
    i: { shipmentId: shipment!.id, scans: shipment!.lines.map((l: Data) => ({ code: l.skuCode, quantity: l.quantity })) },
  });
  await call(`mutation($i: DispatchShipmentInput!) { dispatchShipment(input: $i) { __typename } }`, {
    i: { shipmentId: shipment!.id, carrier: 'DHL', trackingNumber: `T-${skuCode}` },
  });
  await expect.poll(async () => (await call(`query($id: ID!) { order(id: $id) { status } }`, { id: order.id }))['order'].status, { timeout: 10_000 }).toBe('SHIPPED');
  return { orderId: order.id as string, lineId: order.lines[0].id as string };
}

async function approvedReturn(orderId: string, lineId: string, quantity: number) {
  const requested = await call(`mutation($i: RequestReturnInput!) { requestReturn(input: $i) { ... on Return { id } } }`, {
    i: { orderId, lineId, quantity, reason: 'customer changed their mind' },
  });
  const id = requested['requestReturn'].id as string;
  await call(`mutation($id: ID!) { approveReturn(id: $id) { __typename } }`, { id });
  return id;
}

async function onHand(warehouseCode: string, skuCode: string): Promise<number> {
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  const [row] = await admin`select coalesce(sum(s.on_hand), 0)::int as n from inventory.stock s
    join inventory.warehouses w on w.id = s.warehouse_id join catalog.products p on p.id = s.product_id
    where w.code = ${warehouseCode} and p.sku_code = ${skuCode} and p.owner_partner_id = w.owner_partner_id`;
  await admin.end();
  return row!['n'];
}

describe('sales-return receipts', () => {
  it('restocks an approved return with a RETURN_RECEIPT movement and marks the return RECEIVED', async () => {
    const { orderId, lineId } = await shippedOrder('A-GFT-001', 2);
    const returnId = await approvedReturn(orderId, lineId, 2);
    const warehouses = (await call('{ warehouses { id code } }'))['warehouses'] as Data[];
    const berlin = warehouses.find((w) => w.code === 'A-BER')!;
    const before = await onHand('A-BER', 'A-GFT-001');
    const received = await call(`mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename ... on Receipt { movements { kind quantity reference } } } }`, {
      i: { returnId, warehouseId: berlin.id, outcome: 'RESTOCK' },
    });
    expect(received["receiveReturnStock"]).toEqual({
      __typename: 'Receipt',
      movements: [{ kind: 'RETURN_RECEIPT', quantity: 2, reference: `return:${returnId}` }],
    });
    expect(await onHand('A-BER', 'A-GFT-001')).toBe(before + 2);
    await expect
      .poll(async () => (await call(`query($id: ID!) { order(id: $id) { returns { id status } } }`, { id: orderId }))['order'].returns[0].status, { timeout: 10_000 })
      .toBe('RECEIVED');
    const again = await call(`mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename ... on InvalidInventoryInput { field } } }`, {
      i: { returnId, warehouseId: berlin.id, outcome: 'RESTOCK' },
    });
    expect(again["receiveReturnStock"]).toEqual({ __typename: 'InvalidInventoryInput', field: 'returnId' });
  });

  it('keeps damaged units out of stock, and refuses a return that is not approved or belongs to another partner', async () => {
    const { orderId, lineId } = await shippedOrder('A-POT-001', 1);
    const requested = await call(`mutation($i: RequestReturnInput!) { requestReturn(input: $i) { ... on Return { id } } }`, {
      i: { orderId, lineId, quantity: 1, reason: 'broken spout' },
    });
    const returnId = requested['requestReturn'].id as string;
    const berlin = ((await call('{ warehouses { id code } }'))['warehouses'] as Data[]).find((w) => w.code === 'A-BER')!;
    const notYet = await call(`mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename } }`, {
      i: { returnId, warehouseId: berlin.id, outcome: 'DAMAGED' },
    });
    expect(notYet["receiveReturnStock"].__typename).toBe('InvalidInventoryInput');
    const shopD = await api.tokenFor('SHOP-D');
    const dWarehouse = (await api.query<Data>(shopD, '{ warehouses { id } }')).data!['warehouses'][0];
    const foreign = await api.query<Data>(shopD, `mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename } }`, {
      i: { returnId, warehouseId: dWarehouse.id, outcome: 'RESTOCK' },
    });
    expect(foreign.data!["receiveReturnStock"].__typename).toBe('InventoryNotFound');

    await call(`mutation($id: ID!) { approveReturn(id: $id) { __typename } }`, { id: returnId });
    const before = await onHand('A-BER', 'A-POT-001');
    const damaged = await call(`mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename ... on Receipt { movements { kind } } } }`, {
      i: { returnId, warehouseId: berlin.id, outcome: 'DAMAGED' },
    });
    expect(damaged["receiveReturnStock"]).toEqual({ __typename: 'Receipt', movements: [] });
    expect(await onHand('A-BER', 'A-POT-001')).toBe(before);
    await expect
      .poll(async () => (await call(`query($id: ID!) { order(id: $id) { returns { status note } } }`, { id: orderId }))['order'].returns[0], { timeout: 10_000 })
      .toEqual({ status: 'RECEIVED', note: 'received: damaged' });
    // A damaged receipt leaves no movement, yet it cannot be followed by a second receipt.
    const twice = await call(`mutation($i: ReceiveReturnInput!) { receiveReturnStock(input: $i) { __typename } }`, {
      i: { returnId, warehouseId: berlin.id, outcome: 'RESTOCK' },
    });
    expect(twice['receiveReturnStock'].__typename).toBe('InvalidInventoryInput');
    expect(await onHand('A-BER', 'A-POT-001')).toBe(before);
  });

  it('re-allocates an allocated order after an adjustment re-routes it', async () => {
    const channel = await call(`mutation { createChannel(input: { code: "readjust", name: "Readjust", kind: API }) { ... on Channel { id } } }`);
    const placed = await call(`mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { ... on Order { id lines { id } } } }`, {
      i: {
        channelId: channel['createChannel'].id,
        externalNumber: 'READJUST-1',
        currency: 'EUR',
        shipTo: { line1: 'Torstraße 1', city: 'Berlin', regionCode: 'DE-BE', country: 'DE' },
        lines: [{ skuCode: 'A-GFT-001', quantity: 1, unitPriceMinor: 1000 }],
      },
    });
    const order = placed['placeOrder'];
    await call(`mutation($id: ID!) { reviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: order.id });
    await call(`mutation($id: ID!) { financeReviewOrder(id: $id, decision: APPROVE) { __typename } }`, { id: order.id });
    const status = async () => (await call(`query($id: ID!) { order(id: $id) { status } }`, { id: order.id }))['order'].status;
    await expect.poll(status, { timeout: 10_000 }).toBe('ALLOCATED');
    const adjusted = await call(`mutation($i: AdjustOrderInput!) { adjustOrder(input: $i) { __typename } }`, {
      i: { orderId: order.id, quantities: [{ lineId: order.lines[0].id, quantity: 2 }], reason: 'customer wants two' },
    });
    expect(adjusted['adjustOrder'].__typename).toBe('Order');
    const queued = async () =>
      ((await call(`query($o: ID) { shipments(filter: { orderId: $o, status: [TO_PICK] }) { edges { node { lines { quantity } } } } }`, { o: order.id }))['shipments'].edges as Data[])
        .flatMap((edge) => edge.node.lines.map((l: Data) => l.quantity))
        .reduce((sum: number, q: number) => sum + q, 0);
    await expect.poll(queued, { timeout: 10_000 }).toBe(2);
    await expect.poll(status, { timeout: 10_000 }).toBe('ALLOCATED');
  });
});
