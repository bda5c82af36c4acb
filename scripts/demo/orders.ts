import { and, eq } from 'drizzle-orm';
import { orders } from '@redthread/schema';
import { inTenantTransaction, type Database, type Db, type Identity, type Tx } from '@redthread/kit';
import { createWorkflows } from '../../cli/wiring';
import { dispatchShipment, inspectShipment, pickLinesOf } from '@redthread/inventory/services/shipments';
import { shipmentsOfOrder } from '@redthread/inventory/services/queries';
import { visibleWarehouse } from '@redthread/inventory/services/warehouses';
import { createChannel, createCustomer } from '@redthread/orders/services/channels';
import { placeOrder, type PlaceOrderInput } from '@redthread/orders/services/intake';
import {
  acceptOrder,
  cancelOrder,
  confirmDelivery,
  financeReviewOrder,
  holdOrder,
  rejectOrder,
  reviewOrder,
} from '@redthread/orders/services/status';
import { isFailure } from '@redthread/orders/errors';
import { setSettlementRule } from '@redthread/finance/services/statements';

/** Where a demo sales order is taken to after intake. */
type DemoStage =
  | 'PENDING_REVIEW'
  | 'PENDING_FINANCE_REVIEW'
  | 'ON_HOLD'
  | 'CANCELLED'
  | 'APPROVED'
  | 'SUPPLIER_ACCEPTED'
  | 'CASCADE_SHIPPED'
  | 'DELIVERED'
  | 'TRADER_SHIPPED'
  | 'TRADER_REJECTED';

interface DemoOrder {
  externalNumber: string;
  channel: string;
  customer: number;
  lines: [skuCode: string, quantity: number, unitPriceMinor: number][];
  stage: DemoStage;
}

/** SHOP-A's dozen demo orders, from just placed to delivered through two levels of drop-ship. */
export const SHOP_A_ORDERS: readonly DemoOrder[] = [
  { externalNumber: 'WEB-1001', channel: 'web', customer: 0, lines: [['A-POT-001', 1, 3490]], stage: 'PENDING_REVIEW' },
  { externalNumber: 'WEB-1002', channel: 'web', customer: 1, lines: [['A-TEA-001', 3, 990]], stage: 'PENDING_REVIEW' },
  { externalNumber: 'WEB-1003', channel: 'web', customer: 2, lines: [['A-TEA-002', 2, 1490]], stage: 'PENDING_FINANCE_REVIEW' },
  { externalNumber: 'MKT-2001', channel: 'market', customer: 0, lines: [['A-GFT-001', 1, 2500]], stage: 'ON_HOLD' },
  { externalNumber: 'MKT-2002', channel: 'market', customer: 1, lines: [['A-MUG-001', 4, 890]], stage: 'CANCELLED' },
  { externalNumber: 'WEB-1004', channel: 'web', customer: 2, lines: [['A-POT-001', 2, 3490], ['A-GFT-001', 1, 2500]], stage: 'APPROVED' },
  { externalNumber: 'WEB-1005', channel: 'web', customer: 0, lines: [['A-TEA-001', 2, 990]], stage: 'APPROVED' },
  { externalNumber: 'WEB-1006', channel: 'web', customer: 1, lines: [['A-TEA-002', 5, 1490]], stage: 'SUPPLIER_ACCEPTED' },
  { externalNumber: 'WEB-1007', channel: 'web', customer: 2, lines: [['A-TEA-001', 2, 990], ['A-POT-001', 1, 3490]], stage: 'CASCADE_SHIPPED' },
  { externalNumber: 'MKT-2003', channel: 'market', customer: 0, lines: [['A-TEA-002', 1, 1490]], stage: 'DELIVERED' },
  { externalNumber: 'WEB-1008', channel: 'web', customer: 1, lines: [['A-MUG-001', 2, 890]], stage: 'TRADER_SHIPPED' },
  { externalNumber: 'WEB-1009', channel: 'web', customer: 2, lines: [['A-MUG-001', 6, 890]], stage: 'TRADER_REJECTED' },
];

/** SHOP-D's own orders: it has no links, so everything is own fulfilment. */
export const SHOP_D_ORDERS: readonly DemoOrder[] = [
  { externalNumber: 'D-501', channel: 'till', customer: 0, lines: [['D-CUP-001', 6, 450]], stage: 'PENDING_REVIEW' },
  { externalNumber: 'D-502', channel: 'till', customer: 0, lines: [['D-CUP-001', 2, 450], ['A-TEA-001', 1, 790]], stage: 'APPROVED' },
];

const CUSTOMERS = [
  { name: 'Mara Berg', email: 'mara@example.com', addresses: [{ line1: 'Torstraße 1', city: 'Berlin', postalCode: '10119', regionCode: 'DE-BE', country: 'DE' }] },
  { name: 'Jonas Kühn', email: 'jonas@example.com', addresses: [{ line1: 'Jungfernstieg 7', city: 'Hamburg', postalCode: '20354', regionCode: 'DE-HH', country: 'DE' }] },
  { name: 'Lena Maier', email: 'lena@example.com', addresses: [{ line1: 'Marienplatz 3', city: 'München', postalCode: '80331', regionCode: 'DE-BY', country: 'DE' }] },
];

/**
 * Seeds channels, customers and the demo orders through the orders services, then runs the chain
 * workflow (the same consumer and cursor the platform runs) until the chain is settled.
 */
export async function seedDemoOrders(app: Database, worker: Database, partnerId: (code: string) => string): Promise<void> {
  // The very consumers the workers run (same names, topics and partitions), drained by hand.
  const consumers = [...createWorkflows(worker).values()];
  // Runs both workflows (the same consumers and cursors the platform runs) until nothing is left.
  // Consumers only read events below the oldest running transaction of the whole server (so that
  // none commits late behind them). On a shared PostgreSQL another database's open transaction can
  // hold that back: "nothing handled" then does not mean "nothing left", so wait for such events.
  const settle = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      let handled = 0;
      for (const consumer of consumers) handled += await consumer.drainOnce();
      if (handled > 0) continue;
      const [pending] = await worker.client`
        select exists (select from events.event_log where txid >= (select events.log_horizon())) as waiting`;
      if (!pending?.['waiting']) return;
      if (Date.now() > deadline) throw new Error('seed: events stayed invisible for 60 s; a long transaction on this PostgreSQL server holds them back');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const shipAll = async (db: Db, seller: Identity, orderId: string) => {
    await settle();
    await shipThroughWarehouse(db, seller, orderId);
  };
  const as = (code: string): Identity => ({ subject: 'seed', partnerId: partnerId(code), roles: ['admin'] });
  const shopA = as('SHOP-A');
  const trader = as('TRADER-B');
  const supplier = as('SUPPLIER-C');

  const channelsA = await setUpChannels(app.db, shopA, [
    { code: 'web', name: 'Web shop', kind: 'SHOP' as const },
    { code: 'market', name: 'Marketplace', kind: 'MARKETPLACE' as const },
  ]);
  const channelsD = await setUpChannels(app.db, as('SHOP-D'), [{ code: 'till', name: 'Boutique till', kind: 'OFFLINE' as const }]);
  const customersA = await setUpCustomers(app.db, shopA, CUSTOMERS);
  const customersD = await setUpCustomers(app.db, as('SHOP-D'), CUSTOMERS.slice(0, 1));

  for (const demo of SHOP_A_ORDERS) {
    const orderId = await placeDemoOrder(app.db, shopA, channelsA, customersA, demo);
    if (!orderId) continue;
    await advanceSalesOrder(app.db, shopA, orderId, demo.stage);
    if (['SUPPLIER_ACCEPTED', 'CASCADE_SHIPPED', 'DELIVERED', 'TRADER_SHIPPED', 'TRADER_REJECTED'].includes(demo.stage)) {
      const toTrader = await childOf(app.db, shopA, orderId);
      if (demo.stage === 'TRADER_REJECTED') {
        await step(app.db, trader, (tx) => rejectOrder(tx, trader, toTrader, 'mugs out of production until March'));
        continue;
      }
      await step(app.db, trader, (tx) => acceptOrder(tx, trader, toTrader));
      if (demo.stage === 'TRADER_SHIPPED') {
        await shipAll(app.db, trader, toTrader);
        continue;
      }
      if (demo.stage === 'SUPPLIER_ACCEPTED') continue;
      const toSupplier = await childOf(app.db, trader, toTrader);
      await step(app.db, supplier, (tx) => acceptOrder(tx, supplier, toSupplier));
      await shipAll(app.db, supplier, toSupplier);
      if (demo.stage === 'DELIVERED') {
        await settle();
        await step(app.db, shopA, (tx) => confirmDelivery(tx, shopA, orderId));
      }
    }
  }
  for (const demo of SHOP_D_ORDERS) {
    const orderId = await placeDemoOrder(app.db, as('SHOP-D'), channelsD, customersD, demo);
    if (orderId) await advanceSalesOrder(app.db, as('SHOP-D'), orderId, demo.stage);
  }
  await settle();
  // Settlement between the chain's partners: TRADER-B bills SHOP-A monthly from the 1st, 30 days
  // to pay; SUPPLIER-C bills TRADER-B weekly from Monday, 14 days to pay. The shipments above booked
  // real invoices, so `generateStatements` for the current period shows real numbers.
  await step(app.db, trader, (tx) => setSettlementRule(tx, trader, { debtorCode: 'SHOP-A', period: 'MONTHLY', value: 1, paymentTermsDays: 30 }));
  await step(app.db, supplier, (tx) => setSettlementRule(tx, supplier, { debtorCode: 'TRADER-B', period: 'WEEKLY', value: 1, paymentTermsDays: 14 }));
}

async function setUpChannels(db: Db, identity: Identity, list: { code: string; name: string; kind: 'SHOP' | 'MARKETPLACE' | 'OFFLINE' }[]) {
  const ids = new Map<string, string>();
  for (const channel of list) {
    const created = await inTenantTransaction(db, identity, (tx) =>
      createChannel(tx, identity, {
        ...channel,
        customFields:
          channel.kind === 'SHOP'
            ? [
                { key: 'giftNote', label: 'Gift note', type: 'TEXT' },
                { key: 'deliverySlot', label: 'Delivery slot', type: 'ENUM', options: ['morning', 'afternoon'] },
              ]
            : [],
      }),
    );
    if (isFailure(created)) throw new Error(`seed channel ${channel.code}: ${created.message}`);
    ids.set(channel.code, created.id);
  }
  return ids;
}

async function setUpCustomers(db: Db, identity: Identity, list: typeof CUSTOMERS) {
  const ids: string[] = [];
  for (const customer of list) {
    const created = await inTenantTransaction(db, identity, (tx) => createCustomer(tx, identity, customer));
    if (isFailure(created)) throw new Error(`seed customer ${customer.name}: ${created.message}`);
    ids.push(created.id);
  }
  return ids;
}

async function placeDemoOrder(db: Db, identity: Identity, channels: Map<string, string>, customers: string[], demo: DemoOrder) {
  const input: PlaceOrderInput = {
    channelId: channels.get(demo.channel)!,
    externalNumber: demo.externalNumber,
    customerId: customers[demo.customer] ?? null,
    currency: 'EUR',
    deliveryMethod: 'parcel',
    lines: demo.lines.map(([skuCode, quantity, unitPriceMinor]) => ({ skuCode, quantity, unitPriceMinor: BigInt(unitPriceMinor) })),
  };
  const placed = await inTenantTransaction(db, identity, (tx) => placeOrder(tx, identity, input));
  if (isFailure(placed)) {
    if (placed.__typename === 'DuplicateOrder') return undefined;
    throw new Error(`seed order ${demo.externalNumber}: ${placed.message}`);
  }
  return placed.id;
}

async function advanceSalesOrder(db: Db, identity: Identity, orderId: string, stage: DemoStage): Promise<void> {
  if (stage === 'PENDING_REVIEW') return;
  if (stage === 'ON_HOLD') {
    await step(db, identity, (tx) => holdOrder(tx, identity, orderId, 'customer asked to wait for a second parcel'));
    return;
  }
  if (stage === 'CANCELLED') {
    await step(db, identity, (tx) => cancelOrder(tx, identity, orderId, 'customer cancelled by phone'));
    return;
  }
  await step(db, identity, (tx) => reviewOrder(tx, identity, orderId, 'APPROVE'));
  if (stage === 'PENDING_FINANCE_REVIEW') return;
  await step(db, identity, (tx) => financeReviewOrder(tx, identity, orderId, 'APPROVE'));
}

async function step<T>(db: Db, identity: Identity, work: (tx: Tx) => Promise<T>): Promise<void> {
  const result = await inTenantTransaction(db, identity, work);
  if (isFailure(result)) throw new Error(`seed step failed: ${result.message}`);
}

async function childOf(db: Db, buyer: Identity, parentId: string): Promise<string> {
  const [child] = await inTenantTransaction(db, buyer, (tx) =>
    tx
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.parentOrderId, parentId), eq(orders.buyerPartnerId, buyer.partnerId))),
  );
  if (!child) throw new Error(`seed: no order routed from ${parentId}`);
  return child.id;
}

/**
 * Ships an order's allocated units the way a warehouse does: for each of its open shipments, scan
 * the pick list at outbound inspection, then dispatch. The workflows carry the rest down the chain.
 */
async function shipThroughWarehouse(db: Db, seller: Identity, orderId: string): Promise<void> {
  await step(db, seller, async (tx) => {
    for (const shipment of await shipmentsOfOrder(tx, orderId, ['TO_PICK'])) {
      const lines = (await pickLinesOf(tx, [shipment])).get(shipment.id) ?? [];
      const inspected = await inspectShipment(tx, seller, {
        shipmentId: shipment.id,
        scans: lines.map((l) => ({ code: l.skuCode, quantity: l.quantity })),
      });
      if ('errorCode' in inspected) return inspected;
      if (!inspected.passed) throw new Error(`demo inspection of shipment ${shipment.id} failed: ${JSON.stringify(inspected.differences)}`);
      const dispatched = await dispatchShipment(
        tx,
        seller,
        { shipmentId: shipment.id, carrier: 'DHL', trackingNumber: `DEMO-${shipment.id.slice(0, 8)}` },
        (id) => visibleWarehouse(tx, id),
      );
      if ('errorCode' in dispatched) return dispatched;
    }
    return undefined;
  });
}
