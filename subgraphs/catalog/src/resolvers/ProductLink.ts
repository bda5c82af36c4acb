import type { CatalogContext } from '../context';
import type { PageArgs } from '@redthread/kit';
import { sideOf, type LinkRow, type SupplyPriceRow } from '../services/links';

/** ProductLink fields and its federation reference resolver. */
export const ProductLink = {
  /** Reloads by key under the caller's scope; a link the caller is no party of resolves to null. */
  __resolveReference: (reference: { id: string }, ctx: CatalogContext) => ctx.loaders.link.load(reference.id),
  mySide: (link: LinkRow, _: unknown, ctx: CatalogContext) => sideOf(link, ctx.identity),
  downstreamPartner: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(link.downstreamPartnerId),
  upstreamPartner: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(link.upstreamPartnerId),
  downstreamProduct: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.product.load(link.downstreamProductId),
  upstreamProduct: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.product.load(link.upstreamProductId),
  proposedBy: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.partner.load(link.proposedByPartnerId),
  suspendedBy: (link: LinkRow, _: unknown, ctx: CatalogContext) =>
    link.suspendedByPartnerId ? ctx.loaders.partner.load(link.suspendedByPartnerId) : null,
  /** One page of the price history, batched over every link of the response. */
  supplyPrices: (link: LinkRow, args: PageArgs, ctx: CatalogContext) => ctx.loaders.supplyPricesOfLink.load({ parentId: link.id, args }),
  currentSupplyPrice: (link: LinkRow, _: unknown, ctx: CatalogContext) => ctx.loaders.supplyPriceAt.load({ linkId: link.id, at: new Date() }),
  supplyPriceAt: (link: LinkRow, args: { time: Date }, ctx: CatalogContext) => ctx.loaders.supplyPriceAt.load({ linkId: link.id, at: args.time }),
  shareRule: (link: LinkRow) => ({ kind: link.shareRuleKind, value: link.shareRuleValue, safetyBuffer: link.safetyBuffer }),
};

/** A supply price as the SDL shows it. */
export const SupplyPrice = {
  price: (price: SupplyPriceRow) => ({ amountMinor: price.amountMinor, currency: price.currency }),
};
