import { describe, expect, it } from 'vitest';
import type { Shipment } from '../gateway/src/warehouse/page/api';
import { WarehouseStore } from '../gateway/src/warehouse/page/store';

/**
 * The warehouse screen's queue counts (its store, without a browser: here because the page's
 * modules compile with the DOM library, as e2e/ does). The screen loads the whole open queue but only the newest
 * page (100) of dispatched shipments, a list that only grows: the "Dispatched" count must then say
 * "100+", not stop at 100 as if that were all.
 */

function shipment(index: number, status: Shipment['status']): Shipment {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    status,
    orderId: `order-${index}`,
    order: null,
    lines: [],
    lastMismatch: null,
    carrier: status === 'DISPATCHED' ? 'DHL' : null,
    trackingNumber: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, index)).toISOString(),
  };
}

const dispatched = (count: number, from = 0) => Array.from({ length: count }, (_, i) => shipment(from + i, 'DISPATCHED'));

describe('warehouse screen queue counts', () => {
  it('counts 100+ dispatched shipments when older ones exist beyond the loaded page', () => {
    const store = new WarehouseStore();
    store.replaceShipments([shipment(1000, 'TO_PICK'), shipment(1001, 'READY'), ...dispatched(100)], true);
    expect(store.countLabel('DISPATCHED')).toBe('100+');
    // The open queue is loaded in full: its counts are exact.
    expect(store.countLabel('TO_PICK')).toBe('1');
    expect(store.countLabel('READY')).toBe('1');
  });

  it('counts exactly when the page held every dispatched shipment', () => {
    const store = new WarehouseStore();
    store.replaceShipments(dispatched(100), false);
    expect(store.countLabel('DISPATCHED')).toBe('100');
    store.replaceShipments(dispatched(3));
    expect(store.countLabel('DISPATCHED')).toBe('3');
  });

  it('keeps the lower bound as live dispatches arrive, until a reload knows better', () => {
    const store = new WarehouseStore();
    store.replaceShipments(dispatched(100), true);
    const next = dispatched(1, 500)[0]!;
    store.applyQueueChange({ cursor: 'c1', shipmentId: next.id, status: 'DISPATCHED', shipment: next });
    expect(store.countLabel('DISPATCHED')).toBe('101+');
    store.replaceShipments(dispatched(40), false);
    expect(store.countLabel('DISPATCHED')).toBe('40');
  });
});
