import { bigint, char, check, foreignKey, index, integer, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { catalogSchema, partners } from './partners';
import { products } from './products';

/** PROPOSED → ACTIVE ⇄ SUSPENDED → ENDED, or PROPOSED → REJECTED. */
export const linkStatus = catalogSchema.enum('link_status', ['PROPOSED', 'ACTIVE', 'SUSPENDED', 'ENDED', 'REJECTED']);

/** How much upstream stock a downstream partner may sell (see inventory's sellable quantity). */
export const shareRuleKind = catalogSchema.enum('share_rule_kind', ['NONE', 'ALL', 'PERCENT', 'FIXED']);

/**
 * Drop-ship cooperation on one product: the downstream partner's product is supplied by the
 * upstream partner's product. Partner ids are denormalised (and pinned to the products' owners by
 * composite foreign keys) so row-level security can decide visibility from the row alone.
 */
export const productLinks = catalogSchema.table(
  'product_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    downstreamPartnerId: uuid('downstream_partner_id').notNull(),
    downstreamProductId: uuid('downstream_product_id').notNull(),
    upstreamPartnerId: uuid('upstream_partner_id').notNull(),
    upstreamProductId: uuid('upstream_product_id').notNull(),
    status: linkStatus('status').notNull().default('PROPOSED'),
    proposedByPartnerId: uuid('proposed_by_partner_id')
      .notNull()
      .references(() => partners.id),
    suspendedByPartnerId: uuid('suspended_by_partner_id').references(() => partners.id),
    reason: text('reason'),
    shareRuleKind: shareRuleKind('share_rule_kind').notNull().default('ALL'),
    shareRuleValue: integer('share_rule_value'),
    safetyBuffer: integer('safety_buffer').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'product_links_downstream_product_fk',
      columns: [t.downstreamProductId, t.downstreamPartnerId],
      foreignColumns: [products.id, products.ownerPartnerId],
    }),
    foreignKey({
      name: 'product_links_upstream_product_fk',
      columns: [t.upstreamProductId, t.upstreamPartnerId],
      foreignColumns: [products.id, products.ownerPartnerId],
    }),
    check('product_links_two_partners', sql`${t.downstreamPartnerId} <> ${t.upstreamPartnerId}`),
    check('product_links_proposer_is_party', sql`${t.proposedByPartnerId} in (${t.downstreamPartnerId}, ${t.upstreamPartnerId})`),
    check(
      'product_links_share_rule_value',
      sql`(${t.shareRuleKind} in ('NONE', 'ALL') and ${t.shareRuleValue} is null)
        or (${t.shareRuleKind} = 'PERCENT' and ${t.shareRuleValue} between 0 and 100)
        or (${t.shareRuleKind} = 'FIXED' and ${t.shareRuleValue} >= 0)`,
    ),
    check('product_links_safety_buffer', sql`${t.safetyBuffer} >= 0`),
    check(
      'product_links_suspended_by',
      sql`(${t.status} = 'SUSPENDED') = (${t.suspendedByPartnerId} is not null)`,
    ),
    // One live link per product pair; one ACTIVE upstream link per downstream product.
    uniqueIndex('product_links_live_pair')
      .on(t.downstreamProductId, t.upstreamProductId)
      .where(sql`status in ('PROPOSED', 'ACTIVE', 'SUSPENDED')`),
    uniqueIndex('product_links_one_active_upstream').on(t.downstreamProductId).where(sql`status = 'ACTIVE'`),
    index('product_links_downstream_partner_idx').on(t.downstreamPartnerId, t.status),
    index('product_links_upstream_partner_idx').on(t.upstreamPartnerId, t.status),
    // A partner's links on each side, in the order productLinks pages them (newest first).
    index('product_links_downstream_partner_page').on(t.downstreamPartnerId, t.createdAt, t.id),
    index('product_links_upstream_partner_page').on(t.upstreamPartnerId, t.createdAt, t.id),
    // A product's links from either end, in the order Product.links pages them (newest first).
    index('product_links_downstream_product_page').on(t.downstreamProductId, t.createdAt, t.id),
    index('product_links_upstream_product_page').on(t.upstreamProductId, t.createdAt, t.id),
  ],
);

/** Effective-dated supply prices of a link, set by its upstream party. Append-only. */
export const supplyPrices = catalogSchema.table(
  'supply_prices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    linkId: uuid('link_id')
      .notNull()
      .references(() => productLinks.id),
    amountMinor: bigint('amount_minor', { mode: 'bigint' }).notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    effectiveFrom: timestamp('effective_from', { withTimezone: true }).notNull(),
    setByPartnerId: uuid('set_by_partner_id')
      .notNull()
      .references(() => partners.id),
    setAt: timestamp('set_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('supply_prices_link_effective_unique').on(t.linkId, t.effectiveFrom),
    check('supply_prices_amount_not_negative', sql`${t.amountMinor} >= 0`),
    check('supply_prices_currency_iso', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

/**
 * Published read-only contract for the other subgraphs (orders routes with it): every ACTIVE link
 * with the supply price in force now. Runs with the caller's rights (security_invoker), so each
 * partner sees only the links it is a party of. Columns are a contract: add, never rename.
 */
export const activeSupplyLinks = catalogSchema
  .view('active_supply_links', {
    linkId: uuid('link_id').notNull(),
    downstreamPartnerId: uuid('downstream_partner_id').notNull(),
    downstreamProductId: uuid('downstream_product_id').notNull(),
    upstreamPartnerId: uuid('upstream_partner_id').notNull(),
    upstreamProductId: uuid('upstream_product_id').notNull(),
    priceAmountMinor: bigint('price_amount_minor', { mode: 'bigint' }),
    priceCurrency: char('price_currency', { length: 3 }),
    priceEffectiveFrom: timestamp('price_effective_from', { withTimezone: true }),
  })
  .existing();
