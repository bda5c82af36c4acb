import { and, desc, eq, getTableColumns, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { productLinks, products, supplyPrices } from '@redthread/schema';
import {
  LONG_MAX,
  appendEvent,
  isPgError,
  keysetPage,
  type Connection,
  type Identity,
  type KeysetPage,
  type LinkEventFields,
  type PageArgs,
  type PayloadOf,
  type TopicOf,
  type Tx,
} from '@redthread/kit';
import {
  alreadyLinkedUpstream,
  duplicateLink,
  invalidInput,
  invalidTransition,
  linkCycle,
  linkNotFound,
  notPermittedForSide,
  productNotFound,
  isFailure,
  type Failure,
} from '../errors';
import type {
  LinkDirection,
  LinkSide,
  ProductLinkFilter,
  ProposeLinkInput,
  ResultOf,
  SetShareRuleInput,
  SetSupplyPriceInput,
} from '../generated/resolvers';
import { isUuid } from '@redthread/kit';

/** A link row as stored. */
export type LinkRow = typeof productLinks.$inferSelect;
/** A supply price row as stored. */
export type SupplyPriceRow = typeof supplyPrices.$inferSelect;
/** A link's status as stored (the SDL's `LinkStatus` answers it). */
export type LinkStatus = LinkRow['status'];
/** A share rule's kind as stored (the SDL's `ShareRuleKind` answers it). */
export type ShareRuleKind = LinkRow['shareRuleKind'];

/** The SDL's input and enum types, generated (`npm run codegen`). */
export type { LinkDirection, LinkSide, ProductLinkFilter, ProposeLinkInput, SetShareRuleInput, SetSupplyPriceInput };

/** Statuses in which a link still binds its parties. */
export const LIVE_STATUSES: readonly LinkStatus[] = ['PROPOSED', 'ACTIVE', 'SUSPENDED'];

/** A lifecycle action on a link and what it requires. */
type LinkAction = 'accept' | 'reject' | 'suspend' | 'resume' | 'end';

const TRANSITIONS: Record<LinkAction, { from: readonly LinkStatus[]; to: LinkStatus; topic: 'link.accepted' | 'link.rejected' | 'link.suspended' | 'link.resumed' | 'link.ended' }> = {
  accept: { from: ['PROPOSED'], to: 'ACTIVE', topic: 'link.accepted' },
  reject: { from: ['PROPOSED'], to: 'REJECTED', topic: 'link.rejected' },
  suspend: { from: ['ACTIVE'], to: 'SUSPENDED', topic: 'link.suspended' },
  resume: { from: ['SUSPENDED'], to: 'ACTIVE', topic: 'link.resumed' },
  end: { from: ['PROPOSED', 'ACTIVE', 'SUSPENDED'], to: 'ENDED', topic: 'link.ended' },
};

/** A moment this close before now (clock skew, transit) means "now"; anything earlier is refused. */
const PAST_TOLERANCE_MS = 5_000;
const CURSOR_KIND = 'links';

/** The caller's side of a link. */
export function sideOf(link: LinkRow, identity: Identity): LinkSide {
  return link.downstreamPartnerId === identity.partnerId ? 'DOWNSTREAM' : 'UPSTREAM';
}

/** Links with these ids the caller is a party of; one statement. */
export async function visibleLinksByIds(tx: Tx, ids: readonly string[]): Promise<LinkRow[]> {
  const wellFormed = ids.filter(isUuid);
  if (wellFormed.length === 0) return [];
  return tx.select().from(productLinks).where(inArray(productLinks.id, wellFormed));
}

/**
 * The parents of a batch of nested pages, as the row source `parent(id)` that a LATERAL page
 * refers to (`parent.id`). Duplicates and malformed ids are dropped (a malformed id has no rows).
 */
function parentIds(ids: readonly string[]): { ids: string[]; source: SQL } {
  const wellFormed = [...new Set(ids.filter(isUuid))];
  return { ids: wellFormed, source: sql`unnest(array[${sql.join(wellFormed.map((id) => sql`${id}`), sql`, `)}]::uuid[]) as parent(id)` };
}

/** The page of `Product.links`: newest first (creation time, ties by id). Validates `first` and `after`. */
export function productLinksPage(args: PageArgs): KeysetPage {
  return keysetPage('product-links', args, [
    { column: productLinks.createdAt, type: 'timestamptz', descending: true },
    { column: productLinks.id, type: 'uuid', descending: true },
  ]);
}

/**
 * One page of the caller's links naming each of these products (either end; row-level security
 * shows only links it is a party of), newest first, optionally of some statuses: a connection per
 * product id (absent: no links). One statement for the whole batch: a LATERAL keyset page per
 * product, so each walks only its own links, at most one page and one row.
 */
export async function linkPagesOfProducts(
  tx: Tx,
  productIds: readonly string[],
  status: readonly LinkStatus[] | null | undefined,
  args: PageArgs,
): Promise<Map<string, Connection<LinkRow>>> {
  const page = productLinksPage(args);
  const parents = parentIds(productIds);
  if (parents.ids.length === 0) return new Map();
  const parent = sql`parent.id`;
  const pageOfProduct = tx
    .select({
      ...getTableColumns(productLinks),
      parentId: sql<string>`${parent}`.as('parent_id'),
      pageKey: page.key.as('page_key'),
      rank: sql<string>`row_number() over (order by ${sql.join(page.orderBy, sql`, `)})`.as('page_rank'),
    })
    .from(productLinks)
    .where(
      and(
        or(eq(productLinks.downstreamProductId, parent), eq(productLinks.upstreamProductId, parent)),
        status?.length ? inArray(productLinks.status, [...status]) : undefined,
        page.after,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(page.limit)
    .as('link');
  const rows = await tx.select().from(parents.source).crossJoinLateral(pageOfProduct).orderBy(parent, pageOfProduct.rank);
  return pagesByParent(
    rows.map(({ link: { rank: _rank, ...link } }) => link),
    (group) => page.connection(group),
  );
}

/** The page of `ProductLink.supplyPrices`: newest effective date first (ties by id). */
function supplyPricesPage(args: PageArgs): KeysetPage {
  return keysetPage('supply-prices', args, [
    { column: supplyPrices.effectiveFrom, type: 'timestamptz', descending: true },
    { column: supplyPrices.id, type: 'uuid', descending: true },
  ]);
}

/**
 * One page of the supply prices of each of these links (row-level security shows only the
 * caller's links'), newest effective date first: a connection per link id (absent: no prices).
 * One statement for the whole batch, a LATERAL keyset page per link along its
 * (link, effective from) index.
 */
export async function supplyPricePagesOfLinks(tx: Tx, linkIds: readonly string[], args: PageArgs): Promise<Map<string, Connection<SupplyPriceRow>>> {
  const page = supplyPricesPage(args);
  const parents = parentIds(linkIds);
  if (parents.ids.length === 0) return new Map();
  const parent = sql`parent.id`;
  const pageOfLink = tx
    .select({
      ...getTableColumns(supplyPrices),
      pageKey: page.key.as('page_key'),
      rank: sql<string>`row_number() over (order by ${sql.join(page.orderBy, sql`, `)})`.as('page_rank'),
    })
    .from(supplyPrices)
    .where(and(eq(supplyPrices.linkId, parent), page.after))
    .orderBy(...page.orderBy)
    .limit(page.limit)
    .as('price');
  const rows = await tx.select().from(parents.source).crossJoinLateral(pageOfLink).orderBy(parent, pageOfLink.rank);
  return pagesByParent(
    rows.map(({ price: { rank: _rank, ...price } }) => ({ ...price, parentId: price.linkId })),
    (group) => page.connection(group),
  );
}

/**
 * The supply price in force at a moment, for each (link, moment) asked: the latest price taking
 * effect at or before it (null before the first). One statement for the whole batch, a LATERAL
 * index lookup per pair. Answers in the order asked.
 */
export async function supplyPricesInForce(tx: Tx, asked: readonly { linkId: string; at: Date }[]): Promise<(SupplyPriceRow | null)[]> {
  const wellFormed = asked.filter((q) => isUuid(q.linkId));
  if (wellFormed.length === 0) return asked.map(() => null);
  const linkIds = sql.join(wellFormed.map((q) => sql`${q.linkId}`), sql`, `);
  const moments = sql.join(wellFormed.map((q) => sql`${q.at.toISOString()}`), sql`, `);
  const pricesInForce = tx
    .select({ ...getTableColumns(supplyPrices), askedIndex: sql<number>`asked.i`.as('asked_index') })
    .from(supplyPrices)
    .where(and(eq(supplyPrices.linkId, sql`asked.link_id`), lte(supplyPrices.effectiveFrom, sql`asked.at`)))
    .orderBy(desc(supplyPrices.effectiveFrom))
    .limit(1)
    .as('price');
  const rows = await tx
    .select()
    .from(sql`unnest(array[${linkIds}]::uuid[], array[${moments}]::timestamptz[]) with ordinality as asked(link_id, at, i)`)
    .crossJoinLateral(pricesInForce);
  const byIndex = new Map(rows.map(({ price: { askedIndex, ...price } }) => [Number(askedIndex), price]));
  let position = 0;
  return asked.map((q) => (isUuid(q.linkId) ? (byIndex.get((position += 1)) ?? null) : null));
}

/** Groups rows of a batch of pages (in parent, then page order) into one connection per parent. */
function pagesByParent<Row extends { parentId: string }, Node>(
  rows: readonly Row[],
  toConnection: (rows: Omit<Row, 'parentId'>[]) => Connection<Node>,
): Map<string, Connection<Node>> {
  const grouped = new Map<string, Omit<Row, 'parentId'>[]>();
  for (const { parentId, ...row } of rows) {
    const group = grouped.get(parentId);
    if (group) group.push(row);
    else grouped.set(parentId, [row]);
  }
  return new Map([...grouped].map(([parentId, group]) => [parentId, toConnection(group)]));
}

/**
 * The caller's links, newest first (creation time, ties by id), as a Relay connection; one
 * statement per page. A partner is on one side of a link, never both (a check constraint), so the
 * page is the newest of two keyset pages, one per side, each walking that side's page index
 * (`product_links_*_partner_page`) from the cursor: a page reads at most twice its size, however
 * many links the partner has (an OR of the two sides would read and sort all of them).
 */
export async function listLinks(
  tx: Tx,
  identity: Identity,
  filter: ProductLinkFilter | null | undefined,
  args: PageArgs,
): Promise<Connection<LinkRow>> {
  const page = keysetPage(CURSOR_KIND, args, [
    { column: productLinks.createdAt, type: 'timestamptz', descending: true },
    { column: productLinks.id, type: 'uuid', descending: true },
  ]);
  const conditions: (SQL | undefined)[] = [];
  if (filter?.status?.length) conditions.push(inArray(productLinks.status, [...filter.status]));
  if (filter?.productId) {
    if (!isUuid(filter.productId)) return page.empty();
    conditions.push(or(eq(productLinks.downstreamProductId, filter.productId), eq(productLinks.upstreamProductId, filter.productId)));
  }
  const side = (party: typeof productLinks.downstreamPartnerId | typeof productLinks.upstreamPartnerId) =>
    tx
      .select({ ...getTableColumns(productLinks), pageKey: page.key })
      .from(productLinks)
      .where(and(eq(party, identity.partnerId), ...conditions, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
  if (filter?.side === 'DOWNSTREAM') return page.connection(await side(productLinks.downstreamPartnerId));
  if (filter?.side === 'UPSTREAM') return page.connection(await side(productLinks.upstreamPartnerId));
  const rows = await side(productLinks.downstreamPartnerId)
    .unionAll(side(productLinks.upstreamPartnerId))
    .orderBy(desc(productLinks.createdAt), desc(productLinks.id))
    .limit(page.limit);
  return page.connection(rows);
}

/** One line of `relationships`: a partner and the live links with it in one direction. */
export interface RelationshipRow {
  partnerId: string;
  direction: LinkDirection;
  activeLinks: number;
  suspendedLinks: number;
}

/**
 * The partners the caller cooperates with in `direction` (UPSTREAM: its suppliers), counting its
 * ACTIVE and SUSPENDED links with each, by partner id, as a connection (one line per partner, so
 * it grows with the partners). One statement per page.
 */
export async function relationships(
  tx: Tx,
  identity: Identity,
  direction: LinkDirection,
  args: PageArgs,
): Promise<Connection<RelationshipRow>> {
  const upstream = direction === 'UPSTREAM';
  const mine = upstream ? productLinks.downstreamPartnerId : productLinks.upstreamPartnerId;
  const theirs = upstream ? productLinks.upstreamPartnerId : productLinks.downstreamPartnerId;
  const page = keysetPage(`relationships-${direction.toLowerCase()}`, args, [{ column: theirs, type: 'uuid' }]);
  const rows = await tx
    .select({
      partnerId: theirs,
      activeLinks: sql<number>`count(*) filter (where ${productLinks.status} = 'ACTIVE')::int`,
      suspendedLinks: sql<number>`count(*) filter (where ${productLinks.status} = 'SUSPENDED')::int`,
      pageKey: page.key,
    })
    .from(productLinks)
    .where(and(eq(mine, identity.partnerId), inArray(productLinks.status, ['ACTIVE', 'SUSPENDED']), page.after))
    .groupBy(theirs)
    .orderBy(...page.orderBy)
    .limit(page.limit);
  return page.connection(rows, (row) => ({ ...row, direction }));
}

/**
 * Proposes a link between one of the caller's products and a counterpart product, named by id
 * (when visible to the caller) or by partner code + SKU code. Refuses duplicates of a live link
 * and links that would close a loop. Link-graph changes are serialised by one advisory lock, so
 * racing proposals end in one link.
 */
export async function proposeLink(tx: Tx, identity: Identity, input: ProposeLinkInput): Promise<ResultOf<'LinkResult'>> {
  if (!isUuid(input.myProductId)) return productNotFound();
  const [mine] = await tx
    .select()
    .from(products)
    .where(and(eq(products.id, input.myProductId), eq(products.ownerPartnerId, identity.partnerId)));
  if (!mine) return productNotFound();
  if (mine.status !== 'ACTIVE') return invalidInput('myProductId', 'Archived products cannot be linked; reactivate it first.');

  const counterpart = await findCounterpartProduct(tx, input.counterpart);
  if (isFailure(counterpart)) return counterpart;
  if (counterpart.partner === identity.partnerId) {
    return invalidInput('counterpart', 'Both products belong to you; a link connects two different partners.');
  }
  if (counterpart.status !== 'ACTIVE') return productNotFound('The counterpart product is not available for linking.');

  const downstream = input.mySide === 'DOWNSTREAM' ? { product: mine.id, partner: identity.partnerId } : counterpart;
  const upstream = input.mySide === 'DOWNSTREAM' ? counterpart : { product: mine.id, partner: identity.partnerId };

  await lockLinkGraph(tx);
  const [existing] = await tx
    .select({ id: productLinks.id })
    .from(productLinks)
    .where(
      and(
        eq(productLinks.downstreamProductId, downstream.product),
        eq(productLinks.upstreamProductId, upstream.product),
        inArray(productLinks.status, [...LIVE_STATUSES]),
      ),
    );
  if (existing) return duplicateLink(existing.id);
  if (await wouldCycle(tx, downstream.product, upstream.product)) return linkCycle();

  const [link] = await tx
    .insert(productLinks)
    .values({
      downstreamPartnerId: downstream.partner,
      downstreamProductId: downstream.product,
      upstreamPartnerId: upstream.partner,
      upstreamProductId: upstream.product,
      proposedByPartnerId: identity.partnerId,
    })
    .returning();
  await appendLinkEvent(tx, link!, 'link.proposed', { proposedBy: identity.partnerId });
  return link!;
}

/**
 * Moves a link through its life cycle: accept and reject belong to the party that did not
 * propose; resume to the party that suspended; suspend and end to either. A refused transition
 * returns a typed failure and changes nothing.
 */
export async function transitionLink(
  tx: Tx,
  identity: Identity,
  linkId: string,
  action: LinkAction,
  reason?: string | null,
): Promise<ResultOf<'LinkResult'>> {
  const rule = TRANSITIONS[action];
  if (action === 'accept' || action === 'resume') await lockLinkGraph(tx);
  const link = await lockLink(tx, linkId);
  if (!link) return linkNotFound();
  if (!rule.from.includes(link.status)) return invalidTransition(link.status, action);
  if ((action === 'accept' || action === 'reject') && link.proposedByPartnerId === identity.partnerId) {
    return notPermittedForSide(`You proposed this link; only the other party can ${action} it. You may withdraw it with endLink.`);
  }
  if (action === 'resume' && link.suspendedByPartnerId !== identity.partnerId) {
    return notPermittedForSide('Only the party that suspended this link can resume it.');
  }
  const trimmedReason = reason?.trim() || null;
  if (trimmedReason && trimmedReason.length > 500) return invalidInput('reason', 'The reason must be at most 500 characters.');
  if (rule.to === 'ACTIVE') {
    const conflict = await activeUpstreamConflict(tx, link);
    if (conflict) return conflict;
  }
  const [updated] = await tx
    .update(productLinks)
    .set({
      status: rule.to,
      suspendedByPartnerId: rule.to === 'SUSPENDED' ? identity.partnerId : null,
      reason: trimmedReason ?? (rule.to === 'ACTIVE' ? null : link.reason),
      updatedAt: sql`now()`,
    })
    .where(eq(productLinks.id, link.id))
    .returning();
  await appendLinkEvent(tx, updated!, rule.topic, { from: link.status, to: rule.to, by: identity.partnerId, reason: trimmedReason });
  return updated!;
}

/**
 * Schedules a supply price (upstream party only) from `effectiveFrom` (default now; not in the
 * past). Prices are append-only; two prices cannot take effect at the same instant.
 */
export async function setSupplyPrice(tx: Tx, identity: Identity, input: SetSupplyPriceInput): Promise<ResultOf<'LinkResult'>> {
  const link = await lockLink(tx, input.linkId);
  if (!link) return linkNotFound();
  if (link.upstreamPartnerId !== identity.partnerId) return notPermittedForSide('Only the upstream party (the supplier) sets supply prices.');
  if (!LIVE_STATUSES.includes(link.status)) return invalidTransition(link.status, 'price');
  if (typeof input.amountMinor !== 'bigint' || input.amountMinor < 0n || input.amountMinor > LONG_MAX) {
    return invalidInput('amountMinor', `The amount must be a whole number of minor units (cents) from 0 to ${LONG_MAX}.`);
  }
  const currency = input.currency.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) return invalidInput('currency', 'The currency must be an ISO-4217 code such as EUR or USD.');
  const now = Date.now();
  const requested = input.effectiveFrom?.getTime() ?? now;
  if (requested < now - PAST_TOLERANCE_MS) {
    return invalidInput('effectiveFrom', 'A supply price cannot take effect in the past; omit effectiveFrom for now, or choose a later moment.');
  }
  const effectiveFrom = new Date(Math.max(requested, now));
  try {
    await tx.transaction(async (savepoint) => {
      await savepoint.insert(supplyPrices).values({
        linkId: link.id,
        amountMinor: input.amountMinor,
        currency,
        effectiveFrom,
        setByPartnerId: identity.partnerId,
      });
    });
  } catch (error) {
    if (isPgError(error, '23505')) {
      return invalidInput('effectiveFrom', 'Another price of this link takes effect at exactly this moment; choose another moment.');
    }
    throw error;
  }
  const [updated] = await tx.update(productLinks).set({ updatedAt: sql`now()` }).where(eq(productLinks.id, link.id)).returning();
  await appendLinkEvent(tx, updated!, 'price.set', {
    // JSON cannot carry a bigint: amounts travel in payloads as decimal strings.
    amountMinor: input.amountMinor.toString(),
    currency,
    effectiveFrom: effectiveFrom.toISOString(),
  });
  return updated!;
}

/** Sets the share rule (upstream party only): NONE, ALL, PERCENT 0–100, FIXED ≥ 0, plus a safety buffer ≥ 0. */
export async function setShareRule(tx: Tx, identity: Identity, input: SetShareRuleInput): Promise<ResultOf<'LinkResult'>> {
  const link = await lockLink(tx, input.linkId);
  if (!link) return linkNotFound();
  if (link.upstreamPartnerId !== identity.partnerId) return notPermittedForSide('Only the upstream party (the supplier) sets the share rule.');
  if (!LIVE_STATUSES.includes(link.status)) return invalidTransition(link.status, 'share');
  const value = input.value ?? null;
  if (input.kind === 'PERCENT' && (value === null || value < 0 || value > 100)) {
    return invalidInput('value', 'A PERCENT rule needs a value from 0 to 100.');
  }
  if (input.kind === 'FIXED' && (value === null || value < 0)) return invalidInput('value', 'A FIXED rule needs a cap of 0 or more.');
  if ((input.kind === 'NONE' || input.kind === 'ALL') && value !== null) {
    return invalidInput('value', `A ${input.kind} rule takes no value.`);
  }
  const safetyBuffer = input.safetyBuffer ?? 0;
  if (safetyBuffer < 0) return invalidInput('safetyBuffer', 'The safety buffer must be 0 or more.');
  const [updated] = await tx
    .update(productLinks)
    .set({ shareRuleKind: input.kind, shareRuleValue: value, safetyBuffer, updatedAt: sql`now()` })
    .where(eq(productLinks.id, link.id))
    .returning();
  await appendLinkEvent(tx, updated!, 'link.share_rule_set', { kind: input.kind, value, safetyBuffer });
  return updated!;
}

interface CounterpartProduct {
  product: string;
  partner: string;
  status: 'ACTIVE' | 'ARCHIVED';
}

async function findCounterpartProduct(
  tx: Tx,
  counterpart: ProposeLinkInput['counterpart'],
): Promise<CounterpartProduct | Failure<'ProductNotFound' | 'InvalidInput'>> {
  if (counterpart.productId) {
    if (!isUuid(counterpart.productId)) return productNotFound('No such counterpart product.');
    // By id only when the caller can already see it (row-level security decides).
    const [row] = await tx.select().from(products).where(eq(products.id, counterpart.productId));
    if (!row) return productNotFound('No such counterpart product.');
    return { product: row.id, partner: row.ownerPartnerId, status: row.status };
  }
  const partnerCode = counterpart.partnerCode?.trim();
  const skuCode = counterpart.skuCode?.trim();
  if (!partnerCode || !skuCode) {
    return invalidInput('counterpart', 'Name the counterpart product by productId, or by partnerCode and skuCode.');
  }
  const found = await tx.execute<{ product_id: string; partner_id: string; product_status: 'ACTIVE' | 'ARCHIVED' }>(
    sql`select product_id, partner_id, product_status from catalog.find_product_for_proposal(${partnerCode}, ${skuCode})`,
  );
  const row = [...found][0];
  if (!row) return productNotFound(`Partner ${partnerCode.toUpperCase()} has no product with SKU code "${skuCode}".`);
  return { product: row.product_id, partner: row.partner_id, status: row.product_status };
}

/** Serialises every change to the link graph (proposals, accepts, resumes) across the database. */
async function lockLinkGraph(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('catalog.link_graph'))`);
}

/** Locks a link the caller is a party of; undefined when it is missing or foreign. */
async function lockLink(tx: Tx, linkId: string): Promise<LinkRow | undefined> {
  if (!isUuid(linkId)) return undefined;
  const [link] = await tx.select().from(productLinks).where(eq(productLinks.id, linkId)).for('update');
  return link;
}

async function wouldCycle(tx: Tx, downstreamProduct: string, upstreamProduct: string): Promise<boolean> {
  const result = await tx.execute<{ cycle: boolean }>(
    sql`select catalog.link_would_cycle(${downstreamProduct}::uuid, ${upstreamProduct}::uuid) as cycle`,
  );
  return Boolean([...result][0]?.cycle);
}

/**
 * Whether activating `link` would give its downstream product a second ACTIVE upstream link.
 * Checked under the graph lock; the partial unique index is the backstop. The other link's id is
 * named only when the caller is one of its parties.
 */
async function activeUpstreamConflict(tx: Tx, link: LinkRow): Promise<Failure<'AlreadyLinkedUpstream'> | undefined> {
  const result = await tx.execute<{ id: string }>(
    sql`select catalog.active_upstream_link(${link.downstreamProductId}::uuid, ${link.id}::uuid) as id`,
  );
  const otherId = [...result][0]?.id;
  if (!otherId) return undefined;
  const [visible] = await visibleLinksByIds(tx, [otherId]);
  return alreadyLinkedUpstream(visible ? visible.id : null);
}

/** Appends a `link.*`/`price.set` event to both parties, with the fields every such event carries. */
async function appendLinkEvent<T extends TopicOf<'ProductLink'>>(tx: Tx, link: LinkRow, topic: T, payload: Omit<PayloadOf<T>, keyof LinkEventFields>): Promise<void> {
  await appendEvent<TopicOf<'ProductLink'>>(tx, {
    topic,
    entityType: 'ProductLink',
    entityId: link.id,
    audience: [link.downstreamPartnerId, link.upstreamPartnerId],
    payload: {
      status: link.status,
      downstreamProductId: link.downstreamProductId,
      upstreamProductId: link.upstreamProductId,
      ...payload,
    } as PayloadOf<T>,
  });
}
