import {
  commissionKind,
  countStatus,
  invitationKind,
  lineFulfilment,
  linkStatus,
  movementKind,
  orderKind,
  orderStatus,
  returnStatus,
  shareRuleKind,
  shipmentStatus,
  statementStatus,
  transferStatus,
  warehouseKind,
} from '@redthread/schema';
import { z } from 'zod';
import type { Tx } from './db';
import type { EventBatchHandler, LoggedEvent } from './events';

/**
 * The event catalogue (DESIGN.md §4): every topic any producer writes to `events.event_log`,
 * declared once with the entity type it is about, its payload schema and (in its TSDoc) who is in
 * its audience. {@link appendEvent} type-checks what producers write against it, and
 * {@link eventHandlers} validates what consumers read. Conventions: ids travel as uuid strings,
 * money amounts (64-bit minor units) as decimal strings, times as ISO-8601 strings. Schemas accept
 * (and strip) fields they do not declare, so that adding a field is compatible; removing or
 * retyping one is not, and fails the type check of every producer and consumer that uses it.
 */

/** A uuid as PostgreSQL's `uuid` accepts it (any 8-4-4-4-12 hex string). */
const id = z.guid();
/** A 64-bit amount of minor units as a decimal string (JSON cannot carry a bigint). */
const minor = z.string().regex(/^-?\d{1,19}$/, 'a whole number of minor units as a decimal string');
/** An ISO-4217 currency code. */
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 currency code');
/** Who acted: a partner id or a subject (`user:…`, `key:…`, `workflow:…`). */
const actor = z.string().min(1);
const count = z.int().nonnegative();

/** A topic's declaration: the entity type its events are about and the schema of their payload. */
export interface EventDefinition<E extends string = string, P extends z.ZodObject = z.ZodObject> {
  entityType: E;
  payload: P;
}

/** Declares one topic of {@link EVENTS}. */
export function defineEvent<const E extends string, P extends z.ZodObject>(definition: EventDefinition<E, P>): EventDefinition<E, P> {
  return definition;
}

/** Fields of every `order.*` event ({@link appendOrderEvent}-style wrappers add them). */
const orderFields = {
  kind: z.enum(orderKind.enumValues),
  status: z.enum(orderStatus.enumValues),
  sellerPartnerId: id,
  buyerPartnerId: id.nullable(),
};
/** Fields of an order's status change (`changeStatus` adds them). */
const statusChangeFields = {
  ...orderFields,
  from: z.enum(orderStatus.enumValues),
  to: z.enum(orderStatus.enumValues),
  reason: z.string().nullable(),
};
const orderStatusChange = z.object(statusChangeFields);
/** Fields of every `return.*` event. */
const returnFields = {
  orderId: id,
  lineId: id,
  quantity: z.int().positive(),
  status: z.enum(returnStatus.enumValues),
  sellerPartnerId: id,
  /** Null for a customer's return (a sales order has no buyer partner). */
  buyerPartnerId: id.nullable(),
};
const returnStep = z.object({ ...returnFields, note: z.string().nullable(), fulfilment: z.enum(lineFulfilment.enumValues).nullable() });
/** Fields of every `link.*` and `price.*` event. */
const linkFields = { status: z.enum(linkStatus.enumValues), downstreamProductId: id, upstreamProductId: id };
const linkTransition = z.object({ ...linkFields, from: z.enum(linkStatus.enumValues), to: z.enum(linkStatus.enumValues), by: id, reason: z.string().nullable() });
const statement = z.object({ status: z.enum(statementStatus.enumValues), closingMinor: minor, currency });
const transfer = z.object({ status: z.enum(transferStatus.enumValues), fromWarehouseId: id, toWarehouseId: id });
const stockCount = z.object({ warehouseId: id, status: z.enum(countStatus.enumValues), by: id });
const shipmentState = z.object({ warehouseId: id, orderId: id, status: z.enum(shipmentStatus.enumValues) });
const inspection = z.object({
  warehouseId: id,
  orderId: id,
  status: z.enum(shipmentStatus.enumValues),
  differences: z.array(z.object({ code: z.string(), expected: count, scanned: count, kind: z.enum(['MISSING', 'EXTRA', 'UNKNOWN']) })),
  by: id,
});
const memberChange = z.object({ email: z.string(), roles: z.array(z.string()), by: actor });
const invitation = z.object({ kind: z.enum(invitationKind.enumValues), email: z.string().nullable(), by: actor });

/**
 * Every topic, declared once. Audience rules (who may see an event: subscriptions and RLS filter
 * on it) are in each entry's TSDoc; "the order's parties" are its seller and, when it has one, its
 * buyer partner; "the warehouse's parties" its owner and, for a THIRD_PARTY warehouse, its operator.
 */
export const EVENTS = {
  // — catalog: access —
  /** A partner registered. Audience: the new partner. */
  'partner.registered': defineEvent({ entityType: 'Partner', payload: z.object({ code: z.string(), name: z.string(), by: actor }) }),
  /** A user joined a partner. Audience: that partner. */
  'access.member_added': defineEvent({ entityType: 'Member', payload: memberChange }),
  /** A member's roles changed. Audience: the partner. */
  'access.member_roles_changed': defineEvent({ entityType: 'Member', payload: memberChange.extend({ previous: z.array(z.string()) }) }),
  /** A member was removed. Audience: the partner. */
  'access.member_removed': defineEvent({ entityType: 'Member', payload: memberChange }),
  /** An invitation was issued. Audience: the issuing partner. */
  'access.invitation_created': defineEvent({ entityType: 'Invitation', payload: invitation }),
  /** An invitation was revoked. Audience: the issuing partner. */
  'access.invitation_revoked': defineEvent({ entityType: 'Invitation', payload: invitation }),
  /** An invitation was redeemed (`partnerId`: the partner joined or registered). Audience: the issuing partner. */
  'access.invitation_redeemed': defineEvent({ entityType: 'Invitation', payload: invitation.extend({ partnerId: id }) }),
  /** An API key was created. Audience: its partner. */
  'access.api_key_created': defineEvent({ entityType: 'ApiKey', payload: z.object({ name: z.string(), roles: z.array(z.string()), by: actor }) }),
  /** An API key was revoked. Audience: its partner. */
  'access.api_key_revoked': defineEvent({ entityType: 'ApiKey', payload: z.object({ name: z.string(), by: actor }) }),

  // — catalog: products and links —
  /** A product was created. Audience: its owner. */
  'product.created': defineEvent({ entityType: 'Product', payload: z.object({ skuCode: z.string(), name: z.string() }) }),
  /** Fields of a product changed (`changed`: their names). Audience: its owner. */
  'product.updated': defineEvent({ entityType: 'Product', payload: z.object({ changed: z.array(z.string()) }) }),
  /** A link was proposed. Audience: both parties of the link (downstream and upstream). */
  'link.proposed': defineEvent({ entityType: 'ProductLink', payload: z.object({ ...linkFields, proposedBy: id }) }),
  /** A proposed link was accepted. Audience: both parties of the link. */
  'link.accepted': defineEvent({ entityType: 'ProductLink', payload: linkTransition }),
  /** A proposed link was rejected. Audience: both parties of the link. */
  'link.rejected': defineEvent({ entityType: 'ProductLink', payload: linkTransition }),
  /** A link was suspended. Audience: both parties of the link. */
  'link.suspended': defineEvent({ entityType: 'ProductLink', payload: linkTransition }),
  /** A suspended link was resumed. Audience: both parties of the link. */
  'link.resumed': defineEvent({ entityType: 'ProductLink', payload: linkTransition }),
  /** A link was ended. Audience: both parties of the link. */
  'link.ended': defineEvent({ entityType: 'ProductLink', payload: linkTransition }),
  /** The upstream party set the share rule. Audience: both parties of the link. */
  'link.share_rule_set': defineEvent({
    entityType: 'ProductLink',
    payload: z.object({ ...linkFields, kind: z.enum(shareRuleKind.enumValues), value: z.number().nullable(), safetyBuffer: count }),
  }),
  /** A supply price was scheduled (from `effectiveFrom`, ISO-8601). Audience: both parties of the link. */
  'price.set': defineEvent({ entityType: 'ProductLink', payload: z.object({ ...linkFields, amountMinor: minor, currency, effectiveFrom: z.iso.datetime() }) }),

  // — orders —
  /**
   * An order was placed: a sales order from a channel (`channelId`, `externalNumber`), or a
   * distribution order routed along links (`lineCount`). Audience: the order's parties.
   */
  'order.placed': defineEvent({
    entityType: 'Order',
    payload: z.object({ ...orderFields, channelId: id.optional(), externalNumber: z.string().nullable().optional(), lineCount: z.int().positive().optional() }),
  }),
  /** A purchase order was drafted for a warehouse. Audience: the order's parties. */
  'order.drafted': defineEvent({ entityType: 'Order', payload: z.object({ ...orderFields, warehouseId: id.nullable() }) }),
  /** A purchase order was submitted to its supplier. Audience: the order's parties. */
  'order.submitted': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** A sales order passed review. Audience: the order's parties. */
  'order.reviewed': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** A sales order was approved (by finance when over its credit limit). Audience: the order's parties. */
  'order.approved': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** The seller accepted a distribution or purchase order. Audience: the order's parties. */
  'order.accepted': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** The seller rejected a distribution or purchase order; its lines were cancelled. Audience: the order's parties. */
  'order.rejected': defineEvent({ entityType: 'Order', payload: orderStatusChange.extend({ lines: z.array(z.object({ lineId: id })) }) }),
  /** An order was put on hold. Audience: the order's parties. */
  'order.held': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** An order was released from hold. Audience: the order's parties. */
  'order.released': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** An order was cancelled. Audience: the order's parties. */
  'order.cancelled': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** An order was delivered (a purchase order: received in full). Audience: the order's parties. */
  'order.delivered': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** An order was completed. Audience: the order's parties. */
  'order.completed': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /** Any other status change (allocation, shipping progress). Audience: the order's parties. */
  'order.status_changed': defineEvent({ entityType: 'Order', payload: orderStatusChange }),
  /**
   * Where an approved order's lines went: the distribution orders routed from it, its own lines,
   * those left undecided. Audience: the seller only (its suppliers are its business).
   */
  'order.routed': defineEvent({
    entityType: 'Order',
    payload: z.object({ ...orderFields, distributionOrderIds: z.array(id), ownLineIds: z.array(id), undecidedLineIds: z.array(id) }),
  }),
  /**
   * Inventory is asked to allocate and ship lines from the seller's own stock (`quantity`: what
   * remains to ship; `shipTo.regionCode` drives allocation). Audience: the seller only.
   */
  'order.fulfilment_requested': defineEvent({
    entityType: 'Order',
    payload: z.object({
      kind: z.enum(orderKind.enumValues),
      sellerPartnerId: id,
      warehouseId: id.nullable(),
      /** The order's ship-to address as orders stores it; allocation reads its region code. */
      shipTo: z.object({ regionCode: z.string().nullable().optional() }).nullable(),
      lines: z.array(z.object({ lineId: id, productId: id, quantity: count })),
    }),
  }),
  /**
   * An order was adjusted: `lineIds` changed, `rerouted` when inventory must release what it holds
   * (the order is routed, or re-allocated, again), `inPlace` for an adjustment of a live order.
   * Audience: the order's parties.
   */
  'order.adjusted': defineEvent({
    entityType: 'Order',
    payload: z.object({ ...orderFields, rerouted: z.boolean(), inPlace: z.boolean().optional(), lineIds: z.array(id), shipToChanged: z.boolean() }),
  }),
  /**
   * Units of the order's lines shipped (by the seller, a warehouse's dispatch `shipmentId`, or a
   * supplier one level down: `shippedBy`). Audience: the order's parties.
   */
  'order.lines_shipped': defineEvent({
    entityType: 'Order',
    payload: z.object({
      ...orderFields,
      lines: z.array(z.object({ lineId: id, quantity: z.int().positive() })),
      carrier: z.string().nullable().optional(),
      trackingNumber: z.string().nullable().optional(),
      shipmentId: id.optional(),
      shippedBy: z.literal('supplier').optional(),
    }),
  }),
  /** Unshipped lines of a partly shipped order were cancelled. Audience: the order's parties. */
  'order.lines_cancelled': defineEvent({ entityType: 'Order', payload: z.object({ ...orderFields, lineIds: z.array(id) }) }),
  /** A supplier's rejection left lines for the buyer to decide. Audience: the order's parties. */
  'order.lines_need_decision': defineEvent({ entityType: 'Order', payload: z.object({ ...orderFields, lineIds: z.array(id) }) }),
  /** The seller decided lines left NEEDS_DECISION. Audience: the order's parties. */
  'order.lines_decided': defineEvent({
    entityType: 'Order',
    payload: z.object({ ...orderFields, decision: z.enum(['FULFIL_OWN', 'RETRY_ROUTING', 'CANCEL']), lineIds: z.array(id) }),
  }),
  /** A return was requested (`fulfilment` of the returned line). Audience: the return's two parties. */
  'return.requested': defineEvent({ entityType: 'Return', payload: z.object({ ...returnFields, fulfilment: z.enum(lineFulfilment.enumValues).nullable() }) }),
  /** A return was approved. Audience: the return's two parties. */
  'return.approved': defineEvent({ entityType: 'Return', payload: returnStep }),
  /** A return was rejected. Audience: the return's two parties. */
  'return.rejected': defineEvent({ entityType: 'Return', payload: returnStep }),
  /** A return was received into the seller's warehouse. Audience: the return's two parties. */
  'return.received': defineEvent({ entityType: 'Return', payload: returnStep }),
  /** A received return was refunded (to a customer). Audience: the return's two parties. */
  'return.refunded': defineEvent({ entityType: 'Return', payload: returnStep }),
  /** A received return was credited (to a buyer partner). Audience: the return's two parties. */
  'return.credited': defineEvent({ entityType: 'Return', payload: returnStep }),

  // — inventory —
  /** A warehouse was created. Audience: the warehouse's parties. */
  'warehouse.created': defineEvent({ entityType: 'Warehouse', payload: z.object({ code: z.string(), kind: z.enum(warehouseKind.enumValues) }) }),
  /**
   * A stock slot changed by one movement (`delta`, signed). Entity id:
   * `warehouse:location:product:batch-or-dash`. A PURCHASE_RECEIPT names the purchase order line it
   * receives and the line's unit price and currency (`purchaseOrderId`, `purchaseOrderLineId`,
   * `unitCostMinor`, `currency`), so finance costs it without parsing `reference`. Other kinds carry
   * them as null: a free receipt states no price or currency (the receipt API has neither), and
   * finance values it at the product's current average in that average's currency (see
   * finance's `bookReceipt`). Audience: the warehouse's parties.
   */
  'stock.changed': defineEvent({
    entityType: 'StockLevel',
    payload: z.object({
      warehouseId: id,
      locationId: id,
      productId: id,
      batchId: id.nullable(),
      ownerPartnerId: id,
      kind: z.enum(movementKind.enumValues),
      delta: z.int(),
      reference: z.string().nullable(),
      purchaseOrderId: id.nullable().default(null),
      purchaseOrderLineId: id.nullable().default(null),
      unitCostMinor: minor.nullable().default(null),
      currency: currency.nullable().default(null),
    }),
  }),
  /**
   * Units of a purchase order arrived (`fullyReceived`: every line in full). Entity: the purchase
   * order. Audience: its buyer (the warehouse's owner) and its seller.
   */
  'stock.purchase_received': defineEvent({
    entityType: 'Order',
    payload: z.object({
      orderId: id,
      warehouseId: id,
      buyerPartnerId: id,
      sellerPartnerId: id,
      lines: z.array(z.object({ lineId: id, quantity: z.int().positive() })),
      fullyReceived: z.boolean(),
    }),
  }),
  /** A return was received into the seller's warehouse (RESTOCK or DAMAGED). Audience: the warehouse's parties. */
  'stock.return_received': defineEvent({
    entityType: 'Return',
    payload: z.object({ returnId: id, orderId: id, sellerPartnerId: id, warehouseId: id, outcome: z.enum(['RESTOCK', 'DAMAGED']), quantity: z.int().positive() }),
  }),
  /** Stock was allocated (or backordered) for an order's own lines. Audience: the seller (the stock's owner). */
  'inventory.allocation_changed': defineEvent({
    entityType: 'Order',
    payload: z.object({
      orderId: id,
      sellerPartnerId: id,
      fullyAllocated: z.boolean(),
      lines: z.array(z.object({ lineId: id, requested: count, allocated: count })),
    }),
  }),
  /** A shipment was queued for picking. Audience: the warehouse's parties. */
  'shipment.queued': defineEvent({ entityType: 'Shipment', payload: shipmentState }),
  /** An open shipment was cancelled (its order released). Audience: the warehouse's parties. */
  'shipment.cancelled': defineEvent({ entityType: 'Shipment', payload: shipmentState }),
  /** A shipment passed inspection (READY). Audience: the warehouse's parties. */
  'shipment.inspected': defineEvent({ entityType: 'Shipment', payload: inspection }),
  /** A shipment failed inspection (back to TO_PICK, with the differences). Audience: the warehouse's parties. */
  'shipment.inspection_failed': defineEvent({ entityType: 'Shipment', payload: inspection }),
  /** A shipment left the warehouse (`sellerPartnerId`: the stock's owner). Audience: the warehouse's parties. */
  'shipment.dispatched': defineEvent({
    entityType: 'Shipment',
    payload: z.object({
      shipmentId: id,
      warehouseId: id,
      orderId: id,
      sellerPartnerId: id,
      status: z.literal('DISPATCHED'),
      carrier: z.string().nullable(),
      trackingNumber: z.string().nullable(),
      lines: z.array(z.object({ orderLineId: id, quantity: z.int().positive() })),
    }),
  }),
  /** A transfer between warehouses was created. Audience: the stock's owner and both warehouses' operators. */
  'transfer.created': defineEvent({ entityType: 'Transfer', payload: transfer }),
  /** A transfer left its warehouse. Audience: the stock's owner and both warehouses' operators. */
  'transfer.shipped': defineEvent({ entityType: 'Transfer', payload: transfer }),
  /** A transfer arrived. Audience: the stock's owner and both warehouses' operators. */
  'transfer.received': defineEvent({ entityType: 'Transfer', payload: transfer }),
  /** A stock count was opened. Audience: the warehouse's parties. */
  'count.opened': defineEvent({ entityType: 'StockCount', payload: stockCount }),
  /** Counted quantities were recorded. Audience: the warehouse's parties. */
  'count.recorded': defineEvent({ entityType: 'StockCount', payload: stockCount }),
  /** A count was posted (its differences booked). Audience: the warehouse's parties. */
  'count.posted': defineEvent({ entityType: 'StockCount', payload: stockCount }),
  /**
   * A product's sellable quantity may have changed. Written by the SQL function
   * `inventory.append_sellable_changed` (migration 0028), not by TypeScript. Payload: the product
   * id only. Audience: the product's owner and the downstream parties of ACTIVE links naming it.
   */
  'sellable.changed': defineEvent({ entityType: 'Product', payload: z.object({ productId: id }) }),

  // — finance —
  /** A seller invoiced a buyer for shipped lines. Audience: creditor and debtor. */
  'finance.invoiced': defineEvent({ entityType: 'LedgerEntry', payload: z.object({ amountMinor: minor, currency, orderId: id }) }),
  /** A commission rule was set (`productId` null: all products). Audience: its payer and, when named, its earner. */
  'finance.commission_rule_set': defineEvent({
    entityType: 'CommissionRule',
    payload: z.object({ kind: z.enum(commissionKind.enumValues), value: z.string(), productId: id.nullable() }),
  }),
  /** A customer's credit limit was set. Audience: the partner owning the customer. */
  'finance.credit_limit_set': defineEvent({ entityType: 'Customer', payload: z.object({ limitMinor: minor, currency }) }),
  /** A customer paid. Audience: the partner owning the customer. */
  'finance.customer_payment': defineEvent({ entityType: 'Customer', payload: z.object({ amountMinor: minor, currency }) }),
  /** A draft statement was generated. Audience: its creditor only (a draft is the creditor's alone). */
  'finance.statement_generated': defineEvent({ entityType: 'Statement', payload: statement }),
  /** A statement was issued. Audience: creditor and debtor. */
  'finance.statement_issued': defineEvent({ entityType: 'Statement', payload: statement }),
  /** The debtor confirmed a statement. Audience: creditor and debtor. */
  'finance.statement_confirmed': defineEvent({ entityType: 'Statement', payload: statement }),
  /** The debtor disputed a statement. Audience: creditor and debtor. */
  'finance.statement_disputed': defineEvent({ entityType: 'Statement', payload: statement }),
  /** A statement was adjusted. Audience: creditor and debtor. */
  'finance.statement_adjusted': defineEvent({ entityType: 'Statement', payload: statement }),
  /** A payment against a statement was recorded. Audience: creditor and debtor. */
  'finance.payment_recorded': defineEvent({ entityType: 'Statement', payload: statement }),
  /** A statement was paid in full. Audience: creditor and debtor. */
  'finance.statement_settled': defineEvent({ entityType: 'Statement', payload: statement }),
} as const;

/** A topic of the catalogue. */
export type Topic = keyof typeof EVENTS;

/** The topics whose events are about `E` (`TopicOf<'Order'>`). */
export type TopicOf<E extends string> = { [T in Topic]: (typeof EVENTS)[T]['entityType'] extends E ? T : never }[Topic];

/** What a producer writes as the payload of `T` (fields with a default may be left out). */
export type PayloadOf<T extends Topic> = z.input<(typeof EVENTS)[T]['payload']>;

/** What a consumer reads as the payload of `T`, parsed and validated. */
export type ParsedPayloadOf<T extends Topic> = z.output<(typeof EVENTS)[T]['payload']>;

/** The entity type of the events of `T`. */
export type EntityTypeOf<T extends Topic> = (typeof EVENTS)[T]['entityType'];

/** The fields every `order.*` event carries (added by the orders subgraph's `appendOrderEvent`). */
export type OrderEventFields = z.input<z.ZodObject<typeof orderFields>>;

/** The fields every order status change carries (added by the orders subgraph's `changeStatus`). */
export type StatusChangeFields = z.input<typeof orderStatusChange>;

/** The fields every `return.*` event carries. */
export type ReturnEventFields = z.input<z.ZodObject<typeof returnFields>>;

/** The fields every `link.*` and `price.set` event carries. */
export type LinkEventFields = z.input<z.ZodObject<typeof linkFields>>;

/** True for a topic of the catalogue. */
export function isTopic(topic: string): topic is Topic {
  return Object.hasOwn(EVENTS, topic);
}

/** A logged event of topic `T` with its payload parsed against the catalogue. */
export type CatalogueEvent<T extends Topic> = Omit<LoggedEvent, 'topic' | 'payload'> & { topic: T; payload: ParsedPayloadOf<T> };

/** A handler of the events of one topic, inside the consumer's transaction. */
export type TopicHandler<T extends Topic> = (tx: Tx, event: CatalogueEvent<T>) => Promise<void>;

/**
 * A payload does not match its topic's schema: in the log, the event cannot be handled as it is;
 * at append, the producer has a bug and its transaction fails before anything is written.
 */
export class EventPayloadError extends Error {
  override readonly name = 'EventPayloadError';

  constructor(
    readonly topic: string,
    /** The logged event's id; null for an event a producer was about to append (nothing was written). */
    readonly eventId: number | null,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    const described = issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`).join('; ');
    const which = eventId === null ? `a new ${topic} event` : `event ${eventId} (${topic})`;
    super(`${which}: the payload does not match the catalogue: ${described}`);
  }
}

/**
 * Parses a logged event's payload against its topic's schema; throws {@link EventPayloadError}
 * (naming the topic, the event id and what is wrong) when it does not match, and an Error for a
 * topic the catalogue does not know.
 */
export function parseEvent<T extends Topic>(event: LoggedEvent & { topic: T }): CatalogueEvent<T> {
  if (!isTopic(event.topic)) throw new Error(`event ${event.id}: topic ${event.topic} is not in the event catalogue`);
  const result = EVENTS[event.topic].payload.safeParse(event.payload);
  if (!result.success) throw new EventPayloadError(event.topic, event.id, result.error.issues);
  return { ...event, payload: result.data as ParsedPayloadOf<T> };
}

/**
 * A handler of consecutive events of one topic in one call (see {@link inBatches}): handling the
 * list must have the effects of handling its events one after another, in order.
 */
export interface BatchTopicHandler<T extends Topic> {
  readonly batch: (tx: Tx, events: readonly CatalogueEvent<T>[]) => Promise<void>;
}

/** Marks a topic's handler of {@link eventHandlers} as taking consecutive events of the topic together. */
export function inBatches<T extends Topic>(batch: (tx: Tx, events: readonly CatalogueEvent<T>[]) => Promise<void>): BatchTopicHandler<T> {
  return { batch };
}

/** The handler map of {@link eventHandlers}: one typed handler per topic, of single events or of batches. */
export type TopicHandlers<K extends Topic> = { [T in K]: TopicHandler<T> | BatchTopicHandler<T> };

/**
 * A consumer's `handle` (see `EventConsumer`) from one typed handler per topic: each event's
 * payload is parsed against the catalogue before its handler runs, so a handler reads typed,
 * validated fields. A payload that does not match throws {@link EventPayloadError}: the consumer
 * retries it and then parks it with that readable error. Events of topics without a handler are
 * skipped. A handler wrapped in {@link inBatches} gets each stretch of consecutive events of its
 * topic in one call; the others one event per call. `topics` lists the handled topics (pass them
 * as the consumer's `topics`).
 */
export function eventHandlers<K extends Topic>(handlers: TopicHandlers<K>): EventBatchHandler & { readonly topics: readonly K[] } {
  const handle = async (tx: Tx, events: readonly LoggedEvent[]): Promise<void> => {
    const handled = events.filter((event) => Object.hasOwn(handlers, event.topic));
    for (let start = 0; start < handled.length; ) {
      const topic = handled[start]!.topic as K;
      const handler = handlers[topic] as TopicHandler<K> | BatchTopicHandler<K>;
      if (typeof handler === 'function') {
        await handler(tx, parseEvent({ ...handled[start]!, topic }));
        start += 1;
        continue;
      }
      let end = start + 1;
      while (end < handled.length && handled[end]!.topic === topic) end += 1;
      await handler.batch(
        tx,
        handled.slice(start, end).map((event) => parseEvent({ ...event, topic })),
      );
      start = end;
    }
  };
  return Object.assign(handle, { topics: Object.keys(handlers) as K[] });
}
