import { lineStatus, orderKind, orderStatus, shipmentStatus } from '@redthread/schema';

/** An order's status (the `orders.order_status` enum). */
export type OrderStatus = (typeof orderStatus.enumValues)[number];
/** An order's kind (the `orders.order_kind` enum). */
export type OrderKind = (typeof orderKind.enumValues)[number];
/** An order line's status (the `orders.line_status` enum). */
export type LineStatus = (typeof lineStatus.enumValues)[number];
/** An outbound shipment's status (the `inventory.shipment_status` enum). */
export type ShipmentStatus = (typeof shipmentStatus.enumValues)[number];

/**
 * Who may make a move: the order's seller, its buyer, either of them, a workflow reacting to an
 * event (acting for the partner whose order it changes), or — for `cancel` — the seller of a SALES
 * order and the buyer of the others ({@link cancellingParty}).
 */
export type Party = 'SELLER' | 'BUYER' | 'EITHER' | 'WORKFLOW' | 'CANCELLER';

/** One move of a life cycle: where it may start, where it leads, who makes it, what follows. */
export interface Transition<S extends string> {
  from: readonly S[];
  /** The status it leads to; `'HELD_FROM'` returns a held order to the status it was held in. */
  to: S | 'HELD_FROM';
  by: Party;
  /** Order kinds the move applies to (all when absent). */
  kinds?: readonly OrderKind[];
  /** The event it appends. */
  topic?: string;
  /** What it sets off up or down the chain and in the other subgraphs, for readers and the README. */
  cascades?: string;
}

/** Statuses in which nothing has shipped yet and an order may still be held, adjusted or cancelled. */
export const OPEN_ORDER_STATUSES = [
  'DRAFT',
  'PENDING_REVIEW',
  'PENDING_FINANCE_REVIEW',
  'PENDING_ACCEPTANCE',
  'APPROVED',
  'ALLOCATED',
  'BACKORDERED',
] as const satisfies readonly OrderStatus[];

/** Statuses whose lines have been routed (own fulfilment or up a link) and may be shipping. */
export const ROUTED_ORDER_STATUSES = ['APPROVED', 'ALLOCATED', 'BACKORDERED', 'PARTIALLY_SHIPPED'] as const satisfies readonly OrderStatus[];

/** Statuses after which an order never changes again. */
export const FINAL_ORDER_STATUSES = ['COMPLETED', 'CANCELLED', 'REJECTED'] as const satisfies readonly OrderStatus[];

/**
 * The order life cycle, one entry per move. Services check a move with {@link orderMoveAllowed}
 * before making it, workflows and cascades consult the same entries, and the README's diagram is
 * rendered from it ({@link lifecycleDiagram}). Cancel and dispatch exclude each other across the
 * whole chain (`orders.lock_order_chain`): once goods left anywhere in the chain, `cancel` is
 * refused and the way out is a return.
 */
export const ORDER_TRANSITIONS = {
  submit: { from: ['DRAFT'], to: 'PENDING_ACCEPTANCE', by: 'BUYER', kinds: ['PURCHASE'], topic: 'order.submitted', cascades: 'the supplier sees the purchase order' },
  review: { from: ['PENDING_REVIEW'], to: 'PENDING_FINANCE_REVIEW', by: 'SELLER', kinds: ['SALES'], topic: 'order.reviewed' },
  rejectInReview: { from: ['PENDING_REVIEW', 'PENDING_FINANCE_REVIEW'], to: 'CANCELLED', by: 'SELLER', kinds: ['SALES'], topic: 'order.cancelled' },
  approve: {
    from: ['PENDING_FINANCE_REVIEW'],
    to: 'APPROVED',
    by: 'SELLER',
    kinds: ['SALES'],
    topic: 'order.approved',
    cascades: 'lines route: linked ones to DISTRIBUTION orders (PENDING_ACCEPTANCE) at each supplier, the rest to own fulfilment (inventory allocates)',
  },
  accept: {
    from: ['PENDING_ACCEPTANCE'],
    to: 'APPROVED',
    by: 'SELLER',
    kinds: ['DISTRIBUTION', 'PURCHASE'],
    topic: 'order.accepted',
    cascades: 'lines route further up the chain, or to own fulfilment',
  },
  reject: {
    from: ['PENDING_ACCEPTANCE'],
    to: 'REJECTED',
    by: 'SELLER',
    kinds: ['DISTRIBUTION', 'PURCHASE'],
    topic: 'order.rejected',
    cascades: 'the lines below become NEEDS_DECISION for the buyer',
  },
  allocate: { from: ['APPROVED', 'BACKORDERED'], to: 'ALLOCATED', by: 'WORKFLOW', topic: 'order.status_changed', cascades: 'from inventory.allocation_changed' },
  backorder: { from: ['APPROVED', 'ALLOCATED'], to: 'BACKORDERED', by: 'WORKFLOW', topic: 'order.status_changed', cascades: 'from inventory.allocation_changed' },
  shipPartially: {
    from: ROUTED_ORDER_STATUSES,
    to: 'PARTIALLY_SHIPPED',
    by: 'WORKFLOW',
    topic: 'order.status_changed',
    cascades: 'a dispatch or a supplier shipment; order.lines_shipped ships the order below',
  },
  ship: {
    from: ROUTED_ORDER_STATUSES,
    to: 'SHIPPED',
    by: 'WORKFLOW',
    topic: 'order.status_changed',
    cascades: 'the last units shipped; order.lines_shipped ships the order below, finance invoices the buyer',
  },
  deliver: { from: ['SHIPPED'], to: 'DELIVERED', by: 'EITHER', topic: 'order.delivered' },
  receivePurchase: {
    from: [...ROUTED_ORDER_STATUSES, 'SHIPPED'],
    to: 'DELIVERED',
    by: 'WORKFLOW',
    kinds: ['PURCHASE'],
    topic: 'order.delivered',
    cascades: 'from stock.purchase_received in full',
  },
  complete: { from: ['DELIVERED'], to: 'COMPLETED', by: 'SELLER', topic: 'order.completed' },
  hold: { from: OPEN_ORDER_STATUSES.filter((s) => s !== 'DRAFT'), to: 'ON_HOLD', by: 'SELLER', topic: 'order.held' },
  release: {
    from: ['ON_HOLD'],
    to: 'HELD_FROM',
    by: 'SELLER',
    topic: 'order.released',
    cascades: 'lines adjusted while held are routed',
  },
  cancel: {
    from: [...OPEN_ORDER_STATUSES, 'ON_HOLD'],
    to: 'CANCELLED',
    by: 'CANCELLER',
    topic: 'order.cancelled',
    cascades:
      'refused once goods left anywhere in the chain; inventory releases reservations (freed stock goes to backorders) and the unshipped orders routed from it are cancelled, level by level up the chain',
  },
  cascadeCancel: {
    from: [...OPEN_ORDER_STATUSES, 'ON_HOLD'],
    to: 'CANCELLED',
    by: 'WORKFLOW',
    kinds: ['DISTRIBUTION', 'PURCHASE'],
    topic: 'order.cancelled',
    cascades: 'the order it was routed from was cancelled',
  },
  /** Lines change, the status stays: quantities, products, address (before anything shipped). */
  adjust: { from: [...OPEN_ORDER_STATUSES, 'ON_HOLD'], to: 'HELD_FROM', by: 'SELLER', topic: 'order.adjusted', cascades: 'routed lines are edited up the chain until picked' },
  /** Lines a supplier rejected are decided; the status stays. */
  decideLines: { from: [...ROUTED_ORDER_STATUSES, 'ON_HOLD'], to: 'HELD_FROM', by: 'SELLER', topic: 'order.lines_decided' },
} as const satisfies Record<string, Transition<OrderStatus>>;

/** A move of the order life cycle. */
export type OrderMove = keyof typeof ORDER_TRANSITIONS;

/** The order line life cycle. */
export const LINE_TRANSITIONS = {
  route: { from: ['OPEN'], to: 'ROUTED', by: 'SELLER', cascades: 'own fulfilment, or a line of a DISTRIBUTION order one level up' },
  awaitDecision: { from: ['OPEN', 'ROUTED'], to: 'NEEDS_DECISION', by: 'WORKFLOW', cascades: 'the supplier rejected it, or its link has no price' },
  decide: { from: ['NEEDS_DECISION'], to: 'ROUTED', by: 'SELLER' },
  retryRouting: { from: ['NEEDS_DECISION'], to: 'OPEN', by: 'SELLER' },
  ship: { from: ['ROUTED'], to: 'SHIPPED', by: 'WORKFLOW', cascades: 'every unit shipped' },
  cancel: { from: ['OPEN', 'ROUTED', 'NEEDS_DECISION'], to: 'CANCELLED', by: 'SELLER', cascades: 'only while nothing of it shipped anywhere in the chain' },
} as const satisfies Record<string, Transition<LineStatus>>;

/** A move of the order line life cycle. */
export type LineMove = keyof typeof LINE_TRANSITIONS;

/** The outbound shipment life cycle (inventory). */
export const SHIPMENT_TRANSITIONS = {
  passInspection: { from: ['TO_PICK', 'READY'], to: 'READY', by: 'SELLER', topic: 'shipment.inspected' },
  failInspection: { from: ['TO_PICK', 'READY'], to: 'TO_PICK', by: 'SELLER', topic: 'shipment.inspection_failed' },
  dispatch: {
    from: ['READY'],
    to: 'DISPATCHED',
    by: 'SELLER',
    topic: 'shipment.dispatched',
    cascades: 'refused once a line it serves is cancelled anywhere below; ships the order lines, and so every order down the chain',
  },
  cancel: { from: ['TO_PICK', 'READY'], to: 'CANCELLED', by: 'WORKFLOW', topic: 'shipment.cancelled', cascades: 'its order was cancelled or re-routed' },
} as const satisfies Record<string, Transition<ShipmentStatus>>;

/** A move of the shipment life cycle. */
export type ShipmentMove = keyof typeof SHIPMENT_TRANSITIONS;

function allows<S extends string>(transition: Transition<S>, status: S, kind?: OrderKind): boolean {
  return (transition.from as readonly string[]).includes(status) && (!kind || !transition.kinds || transition.kinds.includes(kind));
}

/** Whether an order of `kind` in `status` may make `move` (ignoring who asks). */
export function orderMoveAllowed(move: OrderMove, status: OrderStatus, kind?: OrderKind): boolean {
  return allows<OrderStatus>(ORDER_TRANSITIONS[move], status, kind);
}

/** Whether an order line in `status` may make `move`. */
export function lineMoveAllowed(move: LineMove, status: LineStatus): boolean {
  return allows<LineStatus>(LINE_TRANSITIONS[move], status);
}

/** Whether a shipment in `status` may make `move`. */
export function shipmentMoveAllowed(move: ShipmentMove, status: ShipmentStatus): boolean {
  return allows<ShipmentStatus>(SHIPMENT_TRANSITIONS[move], status);
}

/** The statuses `move` may start from, e.g. for a SQL `in (...)` guard. */
export function lineStatusesFor(move: LineMove): readonly LineStatus[] {
  return LINE_TRANSITIONS[move].from;
}

/** The party that cancels an order: its seller for SALES, its buyer for DISTRIBUTION and PURCHASE. */
export function cancellingParty(kind: OrderKind): 'SELLER' | 'BUYER' {
  return kind === 'SALES' ? 'SELLER' : 'BUYER';
}

/** Whether an order in `status` has routed lines that may be shipping (APPROVED … PARTIALLY_SHIPPED). */
export function isRoutedOrderStatus(status: OrderStatus): boolean {
  return (ROUTED_ORDER_STATUSES as readonly OrderStatus[]).includes(status);
}

/** Whether an order in `status` is final (nothing changes it any more). */
export function isFinalOrderStatus(status: OrderStatus): boolean {
  return (FINAL_ORDER_STATUSES as readonly OrderStatus[]).includes(status);
}

/**
 * The three life cycles as Mermaid state diagrams (one fenced block each), rendered from the tables
 * above. The README embeds this text; a test keeps the two identical.
 */
export function lifecycleDiagram(): string {
  const render = (title: string, table: Record<string, Transition<string>>, start: readonly string[]): string => {
    const lines = [`%% ${title}`, 'stateDiagram-v2', ...start.map((s) => `  [*] --> ${s}`)];
    for (const [move, transition] of Object.entries(table)) {
      if (transition.to === 'HELD_FROM' && move !== 'release') continue;
      for (const from of transition.from) {
        const to = transition.to === 'HELD_FROM' ? 'HELD_FROM' : transition.to;
        if (from === to) continue;
        const by = transition.by === 'CANCELLER' ? 'seller of a sales order, else buyer' : transition.by.toLowerCase();
        lines.push(`  ${from} --> ${to === 'HELD_FROM' ? 'HELD_FROM_STATUS' : to}: ${move} (${by})`);
      }
    }
    return ['```mermaid', ...lines, '```'].join('\n');
  };
  return [
    render('Orders', ORDER_TRANSITIONS, ['PENDING_REVIEW', 'PENDING_ACCEPTANCE', 'DRAFT']),
    render('Order lines', LINE_TRANSITIONS, ['OPEN']),
    render('Shipments (inventory)', SHIPMENT_TRANSITIONS, ['TO_PICK']),
  ].join('\n\n');
}
