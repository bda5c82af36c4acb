import type postgres from 'postgres';
import { EventConsumer, createLogger, setTenant, type Db, type Identity, type LoggedEvent, type Tx } from '@redthread/kit';
import { minorFromSql } from './money';
import { bookCostOfGoods, bookReceipt, bookReturnCredit, bookShippedLines, lineFacts } from './services/bookings';

/** Durable name of the finance bookkeeping consumer. */
export const BOOKKEEPING_CONSUMER = 'finance.bookkeeping';

/** The topics finance books from. */
export const BOOKKEEPING_TOPICS = ['order.lines_shipped', 'stock.changed', 'shipment.dispatched', 'return.credited', 'return.refunded'] as const;

function actingFor(partnerId: string): Identity {
  return { subject: 'workflow:finance.bookkeeping', partnerId, roles: ['admin'] };
}

/**
 * Bookkeeping as an event consumer, acting for the partner whose books change:
 * - `order.lines_shipped`: invoices (and commission) for DISTRIBUTION/PURCHASE lines, customer
 *   charges for SALES lines — for the seller;
 * - `stock.changed` receipts: the moving average cost (purchase receipts at the order's price,
 *   free receipts at the current average) — for the stock's owner;
 * - `shipment.dispatched`: cost of goods at the average — for the seller;
 * - `return.credited` / `return.refunded`: a credit note to the buyer, or a credit to the customer.
 * Every booking is keyed by its source event: a replay books nothing twice.
 */
export async function handleBookkeepingEvents(tx: Tx, events: readonly LoggedEvent[]): Promise<void> {
  for (const event of events) {
    const payload = event.payload as Record<string, unknown>;
    switch (event.topic) {
      case 'order.lines_shipped': {
        await setTenant(tx, actingFor(payload['sellerPartnerId'] as string));
        const lines = ((payload['lines'] as { lineId: string; quantity: number }[]) ?? []).map((l) => ({ lineId: l.lineId, quantity: l.quantity }));
        await bookShippedLines(tx, event.id, lines);
        break;
      }
      case 'stock.changed': {
        const kind = payload['kind'];
        if (kind !== 'PURCHASE_RECEIPT' && kind !== 'FREE_RECEIPT' && kind !== 'RETURN_RECEIPT') break;
        const owner = payload['ownerPartnerId'] as string;
        await setTenant(tx, actingFor(owner));
        let unitCost: bigint | null = null;
        let currency = 'EUR';
        const match = /^purchase-order:[0-9a-f-]+:line:([0-9a-f-]+)$/.exec(String(payload['reference'] ?? ''));
        if (kind === 'PURCHASE_RECEIPT' && match?.[1]) {
          const [line] = await lineFacts(tx, [match[1]]);
          if (line) {
            unitCost = minorFromSql(line.unit_price_minor);
            currency = line.currency;
          }
        }
        await bookReceipt(tx, owner, payload['productId'] as string, payload['delta'] as number, unitCost, currency, event.id, payload['warehouseId'] as string);
        break;
      }
      case 'return.credited':
      case 'return.refunded': {
        // The seller gives the value of the returned units back to its buyer (or customer).
        await setTenant(tx, actingFor(payload['sellerPartnerId'] as string));
        await bookReturnCredit(tx, event.id, { lineId: payload['lineId'] as string, quantity: payload['quantity'] as number, returnId: event.entityId });
        break;
      }
      case 'shipment.dispatched': {
        const seller = payload['sellerPartnerId'] as string;
        await setTenant(tx, actingFor(seller));
        const shipped = (payload['lines'] as { orderLineId: string; quantity: number }[]) ?? [];
        const facts = await lineFacts(tx, shipped.map((l) => l.orderLineId));
        for (const item of shipped) {
          const line = facts.find((f) => f.line_id === item.orderLineId);
          if (!line) continue;
          await bookCostOfGoods(
            tx,
            seller,
            { productId: line.product_id, units: item.quantity, orderId: line.order_id, orderLineId: line.line_id, warehouseId: payload['warehouseId'] as string },
            event.id,
          );
        }
        break;
      }
    }
  }
}

/** Starts bookkeeping on a worker-role connection. */
export function startFinanceWorkflows(options: { db: Db; listenClient: postgres.Sql }): EventConsumer {
  return new EventConsumer({
    name: BOOKKEEPING_CONSUMER,
    db: options.db,
    listenClient: options.listenClient,
    topics: BOOKKEEPING_TOPICS,
    handle: handleBookkeepingEvents,
    // One partition: the moving average cost depends on the order of receipts (`stock.changed`,
    // keyed by stock level) and dispatches (`shipment.dispatched`, keyed by shipment) across
    // aggregates, which partitions by aggregate would not keep. Any worker may hold it; another
    // takes it over when that worker dies.
    partitions: 1,
    logger: createLogger('finance.bookkeeping'),
  });
}
