import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { LOG_START, encodeEventCursor } from '@redthread/kit';
import { InventoryWorld, PARTNER, POLL, type Code } from '../../subgraphs/inventory/test/helpers';

/**
 * Issue 15, warehouse partners, end to end through the gateway as the partners' screens ask: in
 * the demo world the 3PL LOGI-E runs SHOP-A's A-HAM. Owner and operator read each other's code
 * and name on the warehouse; the operator lists stock levels, a shipment's lines and movements
 * with the product's name, SKU code, barcode and unit, picks by them and dispatches, and none of
 * these responses carries an error (the regressions: "Cannot return null for non-nullable field
 * Partner.code", a whole response nulled by `owner`, one error per stock row). A partner
 * unrelated to the warehouse sees none of it.
 */

let w: InventoryWorld;
let ham = '';
const clients: Client[] = [];

beforeAll(async () => {
  w = await InventoryWorld.start();
  ham = await w.demoWarehouseId('A-HAM');
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await w?.close();
});

/** Sends an operation as `as` and expects data with no `errors` at all. */
async function clean<Data>(as: Code, query: string, variables?: Record<string, unknown>): Promise<Data> {
  const response = await w.raw<Data>(as, query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data).toBeTruthy();
  return response.data!;
}

interface WarehouseSeen {
  id: string;
  code: string;
  kind: string;
  owner: { id: string; code: string; name: string } | null;
  operator: { id: string; code: string; name: string } | null;
}

const WAREHOUSES = `{ warehouses { id code kind owner { id code name } operator { id code name } } }`;
const PRODUCT_VIEW = 'id name skuCode barcode unit owner { code } status';
const SHOPA = { id: PARTNER['SHOP-A'], code: 'SHOP-A', name: 'Shop A Online' };
const LOGIE = { id: PARTNER['LOGI-E'], code: 'LOGI-E', name: 'Logistics E Fulfilment' };

describe('owner and operator of a 3PL warehouse', () => {
  it('SHOP-A reads the code and name of the 3PL running A-HAM, with no errors', async () => {
    const { warehouses } = await clean<{ warehouses: WarehouseSeen[] }>('SHOP-A', WAREHOUSES);
    expect(warehouses.find((x) => x.id === ham)).toEqual({ id: ham, code: 'A-HAM', kind: 'THIRD_PARTY', owner: SHOPA, operator: LOGIE });
    expect(warehouses.filter((x) => x.kind === 'OWN').every((x) => x.operator === null && x.owner?.code === 'SHOP-A')).toBe(true);
  });

  it('LOGI-E reads the code and name of the owner of the warehouse it runs: the response is whole', async () => {
    const { warehouses } = await clean<{ warehouses: WarehouseSeen[] }>('LOGI-E', WAREHOUSES);
    expect(warehouses).toEqual([{ id: ham, code: 'A-HAM', kind: 'THIRD_PARTY', owner: SHOPA, operator: LOGIE }]);
    const { partner } = await clean<{ partner: unknown }>('LOGI-E', `query($id: ID!) { partner(id: $id) { code name kinds } }`, { id: SHOPA.id });
    expect(partner).toEqual({ code: 'SHOP-A', name: 'Shop A Online', kinds: null });
  });
});

describe('the operator picks by product name and SKU code', () => {
  it('lists the stock levels of A-HAM with each product’s name, SKU code and unit', async () => {
    const data = await clean<{ stockLevels: { edges: { node: { productId: string; onHand: number; product: Record<string, unknown> | null } }[] } }>(
      'LOGI-E',
      `query($filter: StockFilter) { stockLevels(filter: $filter, first: 100) { edges { node { productId onHand product { ${PRODUCT_VIEW} } } } } }`,
      { filter: { warehouseId: ham } },
    );
    const stockLevels = data.stockLevels.edges.map((e) => e.node);
    expect(stockLevels.length).toBeGreaterThanOrEqual(2);
    expect(stockLevels.every((l) => l.product !== null && l.product['id'] === l.productId)).toBe(true);
    const bySku = new Map(stockLevels.map((l) => [l.product!['skuCode'], l]));
    expect(bySku.get('A-GFT-001')).toMatchObject({ onHand: 15, product: { name: 'Gift Box', unit: 'box', barcode: null, owner: { code: 'SHOP-A' }, status: null } });
    expect(bySku.get('A-POT-001')).toMatchObject({ onHand: 8, product: { name: 'Teapot 1l', unit: 'pcs', status: null } });
  });

  it('reads a shipment’s lines with name and SKU code, inspects and dispatches by them, and the ledger names the product', async () => {
    const kettle = await w.createProduct('SHOP-A', { name: 'Stovetop Kettle 1.5 l', barcode: w.barcode() });
    await w.received('SHOP-A', ham, [{ productId: kettle.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: kettle.id, quantity: 2 }], 'DE-HH');
    expect(order.status).toBe('ALLOCATED');
    const [queued] = await w.shipmentsOf('SHOP-A', order.id);

    const { shipment } = await clean<{ shipment: { id: string; warehouse: { code: string }; order: unknown; lines: { productId: string; skuCode: string; name: string | null; quantity: number; product: Record<string, unknown> | null }[] } }>(
      'LOGI-E',
      `query($id: ID!) { shipment(id: $id) { id warehouse { code } order { id } lines { productId skuCode name quantity product { ${PRODUCT_VIEW} } } } }`,
      { id: queued!.id },
    );
    expect(shipment).toEqual({
      id: queued!.id,
      warehouse: { code: 'A-HAM' },
      order: null,
      lines: [
        {
          productId: kettle.id,
          skuCode: kettle.skuCode,
          name: 'Stovetop Kettle 1.5 l',
          quantity: 2,
          product: { id: kettle.id, name: 'Stovetop Kettle 1.5 l', skuCode: kettle.skuCode, barcode: kettle.barcode, unit: 'pcs', owner: { code: 'SHOP-A' }, status: null },
        },
      ],
    });

    // The picker scans what the product view shows: one by SKU code, one by barcode.
    const line = shipment.lines[0]!;
    const inspected = await clean<{ inspectShipment: { __typename: string; passed?: boolean } }>(
      'LOGI-E',
      `mutation($input: InspectShipmentInput!) { inspectShipment(input: $input) { __typename ... on Inspection { passed } } }`,
      { input: { shipmentId: shipment.id, scans: [{ code: line.product!['skuCode'], quantity: 1 }, { code: line.product!['barcode'], quantity: 1 }] } },
    );
    expect(inspected.inspectShipment).toEqual({ __typename: 'Inspection', passed: true });
    const dispatched = await clean<{ dispatchShipment: { __typename: string; status?: string; lines?: { product: { name: string } | null }[] } }>(
      'LOGI-E',
      `mutation($input: DispatchShipmentInput!) { dispatchShipment(input: $input) { __typename ... on Shipment { status lines { product { name } } } } }`,
      { input: { shipmentId: shipment.id, carrier: 'DHL', trackingNumber: w.unique('TRK') } },
    );
    expect(dispatched.dispatchShipment).toEqual({ __typename: 'Shipment', status: 'DISPATCHED', lines: [{ product: { name: 'Stovetop Kettle 1.5 l' } }] });
    await expect.poll(() => w.orderStatus('SHOP-A', order.id), POLL).toBe('SHIPPED');

    const { movements } = await clean<{ movements: { edges: { node: { kind: string; quantity: number; product: { name: string; skuCode: string } | null } }[] } }>(
      'LOGI-E',
      `query($filter: MovementFilter) { movements(filter: $filter, first: 10) { edges { node { kind quantity product { name skuCode } } } } }`,
      { filter: { warehouseId: ham, productId: kettle.id } },
    );
    expect(movements.edges.map((e) => e.node)).toEqual([
      { kind: 'SHIPMENT', quantity: -2, product: { name: 'Stovetop Kettle 1.5 l', skuCode: kettle.skuCode } },
      { kind: 'FREE_RECEIPT', quantity: 5, product: { name: 'Stovetop Kettle 1.5 l', skuCode: kettle.skuCode } },
    ]);
  });

  it('sees the products of A-HAM’s stock changes live, with the owner named, over graphql-ws', async () => {
    const token = await w.api.tokenFor('LOGI-E');
    const client = createClient({ url: w.api.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    clients.push(client);
    const changes: { data?: unknown; errors?: unknown }[] = [];
    // From the start of the log: the demo receipts into A-HAM replay first, so nothing races.
    const seenBoth = new Promise<void>((resolve, reject) => {
      client.subscribe(
        {
          query: `subscription($after: String, $filter: StockChangeFilter) { stockChanged(after: $after, filter: $filter) {
            kind delta productId product { name skuCode unit } warehouse { code owner { code name } operator { code } } } }`,
          variables: { after: encodeEventCursor(LOG_START), filter: { warehouseId: ham } },
        },
        {
          next: (value) => {
            changes.push(value);
            if (changes.length >= 2) resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await seenBoth;
    for (const change of changes) expect(change.errors, JSON.stringify(change.errors)).toBeUndefined();
    const bySku = new Map(changes.map((c) => {
      const stockChanged = (c.data as { stockChanged: { product: { skuCode: string } } }).stockChanged;
      return [stockChanged.product.skuCode, stockChanged];
    }));
    expect(bySku.get('A-GFT-001')).toMatchObject({
      kind: 'FREE_RECEIPT',
      delta: 15,
      product: { name: 'Gift Box', skuCode: 'A-GFT-001', unit: 'box' },
      warehouse: { code: 'A-HAM', owner: { code: 'SHOP-A', name: 'Shop A Online' }, operator: { code: 'LOGI-E' } },
    });
    expect(bySku.get('A-POT-001')).toMatchObject({ delta: 8, product: { name: 'Teapot 1l' } });
  });
});

describe('a partner unrelated to the 3PL warehouse', () => {
  it.each(['TRADER-B', 'SHOP-D'] as const)('%s sees none of it: no warehouse, stock, shipment, stored product or 3PL', async (code) => {
    const giftBox = await w.demoProductId('SHOP-A', 'A-GFT-001');
    const { warehouses } = await clean<{ warehouses: WarehouseSeen[] }>(code, WAREHOUSES);
    expect(warehouses.map((x) => x.id)).not.toContain(ham);
    expect(warehouses.every((x) => x.owner?.code === code)).toBe(true);
    const seen = await clean<{ warehouse: unknown; stockLevels: unknown; product: unknown; partner: unknown }>(
      code,
      `query($ham: ID!, $product: ID!, $partner: ID!) {
        warehouse(id: $ham) { id }
        stockLevels(filter: { warehouseId: $ham }, first: 100) { edges { node { productId } } }
        product(id: $product) { name }
        partner(id: $partner) { code }
      }`,
      { ham, product: giftBox, partner: PARTNER['LOGI-E'] },
    );
    expect(seen).toEqual({ warehouse: null, stockLevels: { edges: [] }, product: null, partner: null });
  });
});
