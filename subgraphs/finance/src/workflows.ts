import type postgres from 'postgres';
import { EventConsumer, createLogger, eventHandlers, setTenant, type CatalogueEvent, type Db, type Identity, type Tx } from '@redthread/kit';
import { bookCostOfGoods, bookReceipt, bookReturnCredit, bookShippedLines, lineFacts } from './services/bookings';

/** Durable name of the finance bookkeeping consumer. */
export const BOOKKEEPING_CONSUMER = 'finance.bookkeeping';

function actingFor(partnerId: string): Identity {
  return { subject: 'workflow:finance.bookkeeping', partnerId, roles: ['admin'] };
}

/**
 * Bookkeeping as an event consumer, acting for the partner whose books change:
 * - `order.lines_shipped`: invoices (and commission) for DISTRIBUTION/PURCHASE lines, customer
 *   charges for SALES lines — for the seller;
 * - `stock.changed` receipts: the moving average cost — for the stock's owner. A purchase receipt
 *   enters at the unit price and currency its event carries (the purchase order line's); a free or
 *   return receipt carries no price and enters at the current average (see {@link bookReceipt});
 * - `shipment.dispatched`: cost of goods at the average — for the seller;
 * - `return.credited` / `return.refunded`: a credit note to the buyer, or a credit to the customer.
 * Every booking is keyed by its source event: a replay books nothing twice. Payloads are parsed
 * against the event catalogue; one that does not match is parked with its error.
 */
export const handleBookkeepingEvents = eventHandlers({
  'order.lines_shipped': async (tx, event) => {
    await setTenant(tx, actingFor(event.payload.sellerPartnerId));
    await bookShippedLines(tx, event.id, event.payload.lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })));
  },
  'stock.changed': async (tx, event) => {
    const { kind, ownerPartnerId, productId, delta, warehouseId, unitCostMinor, currency } = event.payload;
    if (kind !== 'PURCHASE_RECEIPT' && kind !== 'FREE_RECEIPT' && kind !== 'RETURN_RECEIPT') return;
    await setTenant(tx, actingFor(ownerPartnerId));
    const priced = kind === 'PURCHASE_RECEIPT' && unitCostMinor !== null && currency !== null ? { unitCostMinor: BigInt(unitCostMinor), currency } : null;
    await bookReceipt(tx, ownerPartnerId, productId, delta, priced, event.id, warehouseId);
  },
  'return.credited': bookReturn,
  'return.refunded': bookReturn,
  'shipment.dispatched': async (tx, event) => {
    const { sellerPartnerId: seller, lines: shipped, warehouseId } = event.payload;
    await setTenant(tx, actingFor(seller));
    const facts = await lineFacts(tx, shipped.map((l) => l.orderLineId));
    for (const item of shipped) {
      const line = facts.find((f) => f.line_id === item.orderLineId);
      if (!line) continue;
      await bookCostOfGoods(tx, seller, { productId: line.product_id, units: item.quantity, orderId: line.order_id, orderLineId: line.line_id, warehouseId }, event.id);
    }
  },
});

/** The seller gives the value of the returned units back to its buyer (or customer). */
async function bookReturn(tx: Tx, event: CatalogueEvent<'return.credited' | 'return.refunded'>): Promise<void> {
  await setTenant(tx, actingFor(event.payload.sellerPartnerId));
  await bookReturnCredit(tx, event.id, { lineId: event.payload.lineId, quantity: event.payload.quantity, returnId: event.entityId });
}

/** The topics finance books from. */
export const BOOKKEEPING_TOPICS = handleBookkeepingEvents.topics;

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
