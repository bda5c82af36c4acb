import type postgres from 'postgres';
import { EventConsumer, createLogger, setTenant, type Db, type Identity, type LoggedEvent, type Tx } from '@redthread/kit';
import { allocateLines, releaseOrder, retryBackorders } from './services/allocation';

/** Durable name of the allocation consumer. */
export const ALLOCATION_CONSUMER = 'inventory.allocation';

/** The topics allocation reacts to. */
export const ALLOCATION_TOPICS = ['order.fulfilment_requested', 'order.cancelled', 'order.adjusted', 'stock.changed'] as const;

function owner(partnerId: string): Identity {
  return { subject: 'workflow:inventory.allocation', partnerId, roles: ['admin'] };
}

/**
 * Allocation as an event consumer, acting for the stock's owner:
 * - `order.fulfilment_requested` reserves stock for own-fulfilment lines (allocated or backordered);
 * - `order.cancelled`, and `order.adjusted` when re-routed, release what the order holds and offer
 *   the freed units to the waiting backorders of those products, oldest first;
 * - `stock.changed` with a positive delta retries that product's backorders.
 * Runs with its cursor in one transaction per batch: exactly-once effects.
 */
export async function handleAllocationEvents(tx: Tx, events: readonly LoggedEvent[]): Promise<void> {
  for (const event of events) {
    const payload = event.payload as Record<string, unknown>;
    switch (event.topic) {
      case 'order.fulfilment_requested': {
        const identity = owner(payload['sellerPartnerId'] as string);
        await setTenant(tx, identity);
        const shipTo = payload['shipTo'] as { regionCode?: string } | null;
        const lines = (payload['lines'] as { lineId: string; productId: string; quantity: number }[]).filter((l) => l.quantity > 0);
        await allocateLines(
          tx,
          identity,
          lines.map((l) => ({ orderId: event.entityId, lineId: l.lineId, productId: l.productId, quantity: l.quantity, regionCode: shipTo?.regionCode ?? null })),
        );
        break;
      }
      case 'order.cancelled':
      case 'order.adjusted': {
        if (event.topic === 'order.adjusted' && !payload['rerouted']) break;
        const identity = owner(payload['sellerPartnerId'] as string);
        await setTenant(tx, identity);
        // Freed units go to the oldest waiting backorders of the same products at once.
        await retryBackorders(tx, identity, await releaseOrder(tx, event.entityId));
        break;
      }
      case 'stock.changed': {
        if ((payload['delta'] as number) <= 0) break;
        const identity = owner(payload['ownerPartnerId'] as string);
        await setTenant(tx, identity);
        await retryBackorders(tx, identity, [payload['productId'] as string]);
        break;
      }
    }
  }
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
