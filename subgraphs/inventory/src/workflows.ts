import type postgres from 'postgres';
import { EventConsumer, createLogger, eventHandlers, inBatches, perTenant, setTenant, type Db, type Identity, type Tx } from '@redthread/kit';
import { allocateLines, releaseOrder, retryBackorders, type LineToAllocate } from './services/allocation';

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
 * Consecutive requests (and stock arrivals) of a batch are handled together in a fixed number of
 * statements. Runs with its cursor in one transaction per batch: exactly-once effects. Payloads
 * are parsed against the event catalogue; one that does not match is parked with its error.
 */
export const handleAllocationEvents = eventHandlers({
  // Consecutive requests of a batch are allocated together, in log order: first come, first served.
  // The sellers' stock is disjoint, so one seller's requests before another's keep the log's effects.
  'order.fulfilment_requested': inBatches((tx, events) =>
    perTenant(tx, events, (event) => event.payload.sellerPartnerId, owner, (identity, ofSeller) =>
      allocateLines(
        tx,
        identity,
        ofSeller.flatMap((event) => {
          const regionCode = event.payload.shipTo?.regionCode ?? null;
          return event.payload.lines
            .filter((l) => l.quantity > 0)
            .map((l) => ({ orderId: event.entityId, lineId: l.lineId, productId: l.productId, quantity: l.quantity, regionCode }))
            .sort(byProductThenLine);
        }),
      ),
    ),
  ),
  'order.cancelled': async (tx, event) => release(tx, event.entityId, event.payload.sellerPartnerId),
  'order.adjusted': async (tx, event) => {
    if (event.payload.rerouted) await release(tx, event.entityId, event.payload.sellerPartnerId);
  },
  'stock.changed': inBatches((tx, events) =>
    perTenant(
      tx,
      events.filter((event) => event.payload.delta > 0),
      (event) => event.payload.ownerPartnerId,
      owner,
      (identity, ofOwner) =>
        retryBackorders(
          tx,
          identity,
          ofOwner.map((event) => event.payload.productId),
        ),
    ),
  ),
});

/** An order's lines by product, then line: the order one order's lines have always been allocated in. */
function byProductThenLine(a: LineToAllocate, b: LineToAllocate): number {
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0;
}

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
