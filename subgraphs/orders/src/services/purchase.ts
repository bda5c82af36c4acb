import type { ResultOf, CreatePurchaseOrderInput } from '../generated/resolvers';
import { sql } from 'drizzle-orm';
import { orderLines, orders } from '@redthread/schema';
import { LONG_MAX, isUuid, orderMoveAllowed, type Identity, type Tx } from '@redthread/kit';
import { invalidInput, invalidTransition, notPermittedForRole, orderNotFound } from '../errors';
import { appendOrderEvent, changeStatus, lockOrder, refreshTotal, roleIn, writeTimeline } from './common';
import { activeSupplyLinks, type SupplyLink } from './routing';

/** The SDL's input types, generated (`npm run codegen`). */
export type { CreatePurchaseOrderInput };


/**
 * Drafts a purchase (replenishment) order: each of the caller's products must have an ACTIVE
 * upstream link, all to the same supplier, each with a supply price in force — which becomes the
 * line price. The order stays DRAFT until `submitPurchaseOrder`.
 */
export async function createPurchaseOrder(tx: Tx, identity: Identity, input: CreatePurchaseOrderInput): Promise<ResultOf<'OrderResult'>> {
  if (!isUuid(input.warehouseId)) return invalidInput('warehouseId', 'Name one of your warehouses by id.');
  if (input.lines.length === 0) return invalidInput('lines', 'A purchase order needs at least one line.');
  if (input.lines.length > 500) return invalidInput('lines', 'A purchase order may have at most 500 lines.');
  const [warehouse] = await tx.execute(sql`select 1 from inventory.warehouse_directory where warehouse_id = ${input.warehouseId}`);
  if (!warehouse) return invalidInput('warehouseId', 'None of your warehouses has this id; purchase orders are delivered to one of your own.');
  const productIds = input.lines.map((l) => l.productId).filter(isUuid);
  const links = await activeSupplyLinks(tx, identity, productIds);
  const resolved: { link: SupplyLink; quantity: number }[] = [];
  let total = 0n;
  for (const [index, line] of input.lines.entries()) {
    const path = `lines[${index}]`;
    const link = links.get(line.productId);
    if (!link) return invalidInput(`${path}.productId`, 'This product has no ACTIVE upstream link; link it to a supplier first.');
    if (link.price_amount_minor === null || !link.price_currency) {
      return invalidInput(`${path}.productId`, 'The supplier has set no supply price in force for this product.');
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 1_000_000) {
      return invalidInput(`${path}.quantity`, 'The quantity must be a whole number from 1 to 1,000,000.');
    }
    const first = resolved[0]?.link;
    if (first && first.upstream_partner_id !== link.upstream_partner_id) {
      return invalidInput(`${path}.productId`, 'All lines of a purchase order must come from the same supplier.');
    }
    if (first && first.price_currency !== link.price_currency) {
      return invalidInput(`${path}.productId`, 'All lines of a purchase order must be priced in one currency.');
    }
    total += BigInt(line.quantity) * BigInt(link.price_amount_minor);
    if (total > LONG_MAX) {
      return invalidInput(`${path}.quantity`, `With this line the order total at the supply prices would exceed ${LONG_MAX} minor units, the most an amount can carry.`);
    }
    resolved.push({ link, quantity: line.quantity });
  }
  const supplier = resolved[0]!.link;
  const [order] = await tx
    .insert(orders)
    .values({
      kind: 'PURCHASE',
      sellerPartnerId: supplier.upstream_partner_id,
      buyerPartnerId: identity.partnerId,
      warehouseId: input.warehouseId,
      status: 'DRAFT',
      currency: supplier.price_currency!,
    })
    .returning();
  await tx.insert(orderLines).values(
    resolved.map(({ link, quantity }, index) => ({
      orderId: order!.id,
      sellerPartnerId: link.upstream_partner_id,
      buyerPartnerId: identity.partnerId,
      lineNo: index + 1,
      productId: link.upstream_product_id,
      buyerProductId: link.downstream_product_id,
      quantity,
      unitPriceMinor: BigInt(link.price_amount_minor!),
      linkId: link.link_id,
    })),
  );
  await refreshTotal(tx, order!.id);
  await writeTimeline(tx, identity, order!, null, 'DRAFT', 'purchase order drafted');
  await appendOrderEvent(tx, order!, 'order.drafted', { warehouseId: input.warehouseId });
  return (await lockOrder(tx, order!.id))!;
}

/** Sends a DRAFT purchase order to the supplier: PENDING_ACCEPTANCE. */
export async function submitPurchaseOrder(tx: Tx, identity: Identity, orderId: string): Promise<ResultOf<'OrderResult'>> {
  const order = await lockOrder(tx, orderId);
  if (!order) return orderNotFound();
  if (order.kind !== 'PURCHASE') return invalidTransition(order.status, 'submitted', 'Only purchase orders are submitted.');
  if (roleIn(order, identity) !== 'BUYER') return notPermittedForRole('Only the buyer submits a purchase order.');
  if (!orderMoveAllowed('submit', order.status, order.kind)) return invalidTransition(order.status, 'submitted');
  return changeStatus(tx, identity, order, 'PENDING_ACCEPTANCE', 'order.submitted', null);
}
