import { and, eq, inArray, sql } from 'drizzle-orm';
import { orderLines, orders } from '@redthread/schema';
import { LONG_MAX, appendEvent, type Identity, type Tx } from '@redthread/kit';
import { appendOrderEvent, refreshTotal, writeTimeline, type LineRow, type OrderRow } from './common';

/** An active upstream link of one of the caller's products, with the supplier's price. */
export interface SupplyLink extends Record<string, unknown> {
  link_id: string;
  downstream_product_id: string;
  upstream_partner_id: string;
  upstream_product_id: string;
  /** A `bigint` column: postgres.js hands it over as a decimal string (read it with `BigInt`). */
  price_amount_minor: string | null;
  price_currency: string | null;
}

/** What routing did with an order's lines. */
export interface RoutingOutcome {
  distributionOrders: OrderRow[];
  ownLines: LineRow[];
  /**
   * Lines whose link has no supply price in force, or whose distribution order's total would
   * exceed 2^63 − 1 minor units at the supply price: the seller decides.
   */
  undecidedLines: LineRow[];
}

/**
 * The active upstream links of the caller's `productIds`, by downstream product id, read from
 * catalog's published `active_supply_links` under the caller's identity (one statement).
 */
export async function activeSupplyLinks(tx: Tx, identity: Identity, productIds: readonly string[]): Promise<Map<string, SupplyLink>> {
  if (productIds.length === 0) return new Map();
  const links = await tx.execute<SupplyLink>(sql`
    select link_id, downstream_product_id, upstream_partner_id, upstream_product_id, price_amount_minor, price_currency
    from catalog.active_supply_links
    where downstream_partner_id = ${identity.partnerId}
      and downstream_product_id in (${sql.join(productIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
  return new Map([...links].map((link) => [link.downstream_product_id, link]));
}

/**
 * Routes an approved order's OPEN lines (or just `lineIds`). A line whose product has an ACTIVE
 * upstream link (catalog's published `active_supply_links`, seen under the caller's identity) goes
 * to a DISTRIBUTION order towards that supplier at the supply price in force, lines for the same
 * supplier and currency sharing one order, ship-to carried. Other lines are for own fulfilment
 * (`order.fulfilment_requested`, which inventory consumes). A link without a price in force
 * leaves its line NEEDS_DECISION. The supplier routes further up when it accepts (cascade). A
 * routed line of a DISTRIBUTION or PURCHASE order keeps the link it came through (each hop is
 * private); a SALES line records the link it was routed through.
 */
export async function routeOpenLines(
  tx: Tx,
  identity: Identity,
  order: OrderRow,
  lineIds?: readonly string[],
): Promise<RoutingOutcome> {
  const conditions = [eq(orderLines.orderId, order.id), eq(orderLines.status, 'OPEN')];
  if (lineIds) conditions.push(inArray(orderLines.id, [...lineIds]));
  const lines = await tx.select().from(orderLines).where(and(...conditions)).orderBy(orderLines.lineNo);
  const outcome: RoutingOutcome = { distributionOrders: [], ownLines: [], undecidedLines: [] };
  if (lines.length === 0) return outcome;

  const productIds = [...new Set(lines.map((l) => l.productId))];
  const linkOf = await activeSupplyLinks(tx, identity, productIds);

  const groups = new Map<string, { link: SupplyLink; line: LineRow }[]>();
  for (const line of lines) {
    const link = linkOf.get(line.productId);
    if (!link) outcome.ownLines.push(line);
    else if (link.price_amount_minor === null || !link.price_currency) outcome.undecidedLines.push(line);
    else {
      const key = `${link.upstream_partner_id}|${link.price_currency}`;
      groups.set(key, [...(groups.get(key) ?? []), { link, line }]);
    }
  }

  for (const [key, group] of groups) {
    const total = group.reduce((sum, { link, line }) => sum + BigInt(line.quantity - line.shippedQuantity) * BigInt(link.price_amount_minor!), 0n);
    if (total > LONG_MAX) {
      outcome.undecidedLines.push(...group.map(({ line }) => line));
      groups.delete(key);
    }
  }
  for (const group of groups.values()) {
    const { link } = group[0]!;
    const [distribution] = await tx
      .insert(orders)
      .values({
        kind: 'DISTRIBUTION',
        sellerPartnerId: link.upstream_partner_id,
        buyerPartnerId: identity.partnerId,
        parentOrderId: order.id,
        status: 'PENDING_ACCEPTANCE',
        currency: link.price_currency!,
        shipTo: order.shipTo,
        // A purchase order passed further up still delivers into the original buyer's warehouse.
        warehouseId: order.warehouseId,
        deliveryMethod: order.deliveryMethod,
      })
      .returning();
    await tx.insert(orderLines).values(
      group.map(({ link: groupLink, line }, index) => ({
        orderId: distribution!.id,
        sellerPartnerId: groupLink.upstream_partner_id,
        buyerPartnerId: identity.partnerId,
        lineNo: index + 1,
        productId: groupLink.upstream_product_id,
        buyerProductId: line.productId,
        quantity: line.quantity - line.shippedQuantity,
        unitPriceMinor: BigInt(groupLink.price_amount_minor!),
        linkId: groupLink.link_id,
        parentLineId: line.id,
      })),
    );
    await refreshTotal(tx, distribution!.id);
    // Each hop is private: a line of a distribution or purchase order keeps the link it came
    // through, the one its buyer is party to. Only a sales line (which came through none) takes
    // the link it is routed through. The onward link is on the line one level up (parent_line_id),
    // which only this seller and its supplier see. One statement for the group's lines.
    if (order.buyerPartnerId) {
      await tx
        .update(orderLines)
        .set({ status: 'ROUTED', fulfilment: 'DISTRIBUTED' })
        .where(inArray(orderLines.id, group.map(({ line }) => line.id)));
    } else {
      const routed = group.map(({ link: groupLink, line }) => sql`(${line.id}::uuid, ${groupLink.link_id}::uuid)`);
      await tx.execute(sql`
        update orders.order_lines as line set status = 'ROUTED', fulfilment = 'DISTRIBUTED', link_id = routed.link_id
        from (values ${sql.join(routed, sql`, `)}) as routed (id, link_id)
        where line.id = routed.id`);
    }
    await writeTimeline(tx, identity, distribution!, null, 'PENDING_ACCEPTANCE', 'drop-ship order routed along product links');
    await appendOrderEvent(tx, distribution!, 'order.placed', { lineCount: group.length });
    outcome.distributionOrders.push(distribution!);
  }

  if (outcome.ownLines.length) {
    await tx
      .update(orderLines)
      .set({ status: 'ROUTED', fulfilment: 'OWN' })
      .where(inArray(orderLines.id, outcome.ownLines.map((l) => l.id)));
    await requestOwnFulfilment(tx, order, outcome.ownLines);
  }
  if (outcome.undecidedLines.length) {
    await tx
      .update(orderLines)
      .set({ status: 'NEEDS_DECISION' })
      .where(inArray(orderLines.id, outcome.undecidedLines.map((l) => l.id)));
  }
  return outcome;
}

/**
 * Asks inventory to allocate and ship lines from the seller's own stock: `order.fulfilment_requested`
 * with the lines and the ship-to (its region code drives allocation). Addressed to the seller only.
 */
export async function requestOwnFulfilment(tx: Tx, order: OrderRow, lines: readonly LineRow[]): Promise<void> {
  await appendEvent(tx, {
    topic: 'order.fulfilment_requested',
    entityType: 'Order',
    entityId: order.id,
    audience: [order.sellerPartnerId],
    payload: {
      kind: order.kind,
      sellerPartnerId: order.sellerPartnerId,
      warehouseId: order.warehouseId,
      shipTo: order.shipTo,
      lines: lines.map((l) => ({ lineId: l.id, productId: l.productId, quantity: l.quantity - l.shippedQuantity })),
    },
  });
}
