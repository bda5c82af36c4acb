import type postgres from 'postgres';
import { EventConsumer, createLogger, eventHandlers, setTenant, type Db, type Identity, type Tx } from '@redthread/kit';
import { allocateLines, releaseOrder, retryBackorders } from './services/allocation';

/** Durable name of the allocation consumer. */
export const ALLOCATION_CONSUMER = 'inventory.allocation';

function owner(partnerId: string): Identity {
  return { subject: 'workflow:inventory.allocation', partnerId, roles: ['admin'] };
}

/**
 * Allocation as an event consumer, acting for the stock's owner:
 * - `order.fulfilment_requested` reserves stock for own-fulfilment lines (allocated or backordered);
 * - `order.cancelled`, and `order.adjusted` when re-routed, release what the order holds and offer
 *   the freed units to the waiting backorders of those products, oldest first;
 * - `stock.changed` with a positive delta retries that product's backorders.
 * Runs with its cursor in one transaction per batch: exactly-once effects. Payloads are parsed
 * against the event catalogue; one that does not match is parked with its error.
 */
export const handleAllocationEvents = eventHandlers({
  'order.fulfilment_requested': async (tx, event) => {
    const identity = owner(event.payload.sellerPartnerId);
    await setTenant(tx, identity);
    const regionCode = event.payload.shipTo?.regionCode ?? null;
    const lines = event.payload.lines.filter((l) => l.quantity > 0);
    await allocateLines(
      tx,
      identity,
      lines.map((l) => ({ orderId: event.entityId, lineId: l.lineId, productId: l.productId, quantity: l.quantity, regionCode })),
    );
  },
  'order.cancelled': async (tx, event) => release(tx, event.entityId, event.payload.sellerPartnerId),
  'order.adjusted': async (tx, event) => {
    if (event.payload.rerouted) await release(tx, event.entityId, event.payload.sellerPartnerId);
  },
  'stock.changed': async (tx, event) => {
    if (event.payload.delta <= 0) return;
    const identity = owner(event.payload.ownerPartnerId);
    await setTenant(tx, identity);
    await retryBackorders(tx, identity, [event.payload.productId]);
  },
});

/** The topics allocation reacts to. */
export const ALLOCATION_TOPICS = handleAllocationEvents.topics;

/** Releases what the order holds; the freed units go to the oldest waiting backorders of the same products at once. */
async function release(tx: Tx, orderId: string, sellerPartnerId: string): Promise<void> {
  const identity = owner(sellerPartnerId);
  await setTenant(tx, identity);
  await retryBackorders(tx, identity, await releaseOrder(tx, orderId));
}

/** Starts the allocation consumer on a worker-role connection. */
export function startInventoryWorkflows(options: { db: Db; listenClient: postgres.Sql }): EventConsumer {
  return new EventConsumer({
    name: ALLOCATION_CONSUMER,
    db: options.db,
    listenClient: options.listenClient,
    topics: ALLOCATION_TOPICS,
    handle: handleAllocationEvents,
    logger: createLogger('inventory.allocation'),
  });
}
