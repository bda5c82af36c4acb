import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_START, encodeEventCursor } from '@redthread/kit';
import { InventoryWorld, ok, type Code } from './helpers';

/**
 * The warehouse's live feeds through the gateway over graphql-ws: `shipmentQueueChanged` follows
 * one shipment from queued through a failed and a passed inspection to dispatch, `stockChanged`
 * the receipt and the dispatch, each field read from the event's payload as the event catalogue
 * declares it, and no delivery carries an error.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

interface Delivery<Data> {
  data?: Data | null;
  errors?: unknown;
}

/** Subscribes as `as` from the start of the log; resolves with the first `count` deliveries. */
function collect<Data>(as: Code, query: string, variables: Record<string, unknown>, count: number): Promise<Delivery<Data>[]> {
  const client = w.liveClient(as);
  const deliveries: Delivery<Data>[] = [];
  return new Promise((resolve, reject) => {
    client.subscribe<Data>(
      { query, variables: { ...variables, after: encodeEventCursor(LOG_START) } },
      {
        next: (value) => {
          deliveries.push(value);
          if (deliveries.length === count) resolve(deliveries);
        },
        error: reject,
        complete: () => reject(new Error(`the subscription completed after ${deliveries.length} of ${count} deliveries`)),
      },
    );
  });
}

interface QueueChange {
  topic: string;
  shipmentId: string;
  status: string;
  shipment: { id: string } | null;
}

interface StockChange {
  topic: string;
  kind: string;
  delta: number;
  productId: string;
  product: { id: string; skuCode: string } | null;
  warehouse: { id: string } | null;
  level: { productId: string; warehouse: { id: string } } | null;
}

describe('live warehouse feeds', () => {
  it('a shipment’s way through the queue, and the stock it moved, each field typed from the payload', async () => {
    const product = await w.createProduct('SHOP-A');
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-HB'] });
    await w.received('SHOP-A', warehouse.id, [{ productId: product.id, quantity: 5 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 2 }], 'DE-HB');
    expect(order.status).toBe('ALLOCATED');
    const [queued] = await w.shipmentsOf('SHOP-A', order.id);
    if (!queued) throw new Error('allocation queued no shipment');
    // A scan that does not match first (the shipment stays TO_PICK), then the pick list exactly.
    const failed = await w.mutate('SHOP-A', 'inspectShipment', { input: { shipmentId: queued.id, scans: [{ code: product.skuCode }] } });
    expect(ok<{ passed: boolean }>(failed, 'Inspection').passed).toBe(false);
    await w.inspectAndDispatch('SHOP-A', queued);

    const queue = await collect<{ shipmentQueueChanged: QueueChange }>(
      'SHOP-A',
      `subscription($warehouseId: ID!, $after: String) { shipmentQueueChanged(warehouseId: $warehouseId, after: $after) { topic shipmentId status shipment { id } } }`,
      { warehouseId: warehouse.id },
      4,
    );
    for (const delivery of queue) expect(delivery.errors, JSON.stringify(delivery.errors)).toBeUndefined();
    expect(queue.map((d) => d.data?.shipmentQueueChanged)).toEqual([
      { topic: 'shipment.queued', shipmentId: queued.id, status: 'TO_PICK', shipment: { id: queued.id } },
      { topic: 'shipment.inspection_failed', shipmentId: queued.id, status: 'TO_PICK', shipment: { id: queued.id } },
      { topic: 'shipment.inspected', shipmentId: queued.id, status: 'READY', shipment: { id: queued.id } },
      { topic: 'shipment.dispatched', shipmentId: queued.id, status: 'DISPATCHED', shipment: { id: queued.id } },
    ]);

    const stock = await collect<{ stockChanged: StockChange }>(
      'SHOP-A',
      `subscription($filter: StockChangeFilter, $after: String) { stockChanged(filter: $filter, after: $after) {
        topic kind delta productId product { id skuCode } warehouse { id } level { productId warehouse { id } } } }`,
      { filter: { warehouseId: warehouse.id } },
      2,
    );
    for (const delivery of stock) expect(delivery.errors, JSON.stringify(delivery.errors)).toBeUndefined();
    const slot = { productId: product.id, warehouse: { id: warehouse.id } };
    expect(stock.map((d) => d.data?.stockChanged)).toEqual([
      { topic: 'stock.changed', kind: 'FREE_RECEIPT', delta: 5, productId: product.id, product: { id: product.id, skuCode: product.skuCode }, warehouse: { id: warehouse.id }, level: slot },
      { topic: 'stock.changed', kind: 'SHIPMENT', delta: -2, productId: product.id, product: { id: product.id, skuCode: product.skuCode }, warehouse: { id: warehouse.id }, level: slot },
    ]);
  });
});
