import { missingRow } from '@redthread/kit';
import type { CatalogContext } from '../context';
import type { TypeResolvers } from '../generated/resolvers';
import { sideOf } from '../services/links';

/**
 * A party of a link, or the product at one of its ends: the caller, a party of the link, sees
 * both parties and both products (row-level security shows them while the link exists, in any
 * status), so a missing one is a broken invariant.
 */
const partyOf = async (ctx: CatalogContext, partnerId: string) => (await ctx.loaders.partner.load(partnerId)) ?? missingRow('partner', partnerId);
const productAt = async (ctx: CatalogContext, productId: string) => (await ctx.loaders.product.load(productId)) ?? missingRow('product', productId);

/** ProductLink fields and its federation reference resolver. */
export const ProductLink: TypeResolvers<'ProductLink'> = {
  /** Reloads by key under the caller's scope; a link the caller is no party of resolves to null. */
  __resolveReference: (reference, ctx) => ctx.loaders.link.load(reference.id),
  mySide: (link, _, ctx) => sideOf(link, ctx.identity),
  downstreamPartner: (link, _, ctx) => partyOf(ctx, link.downstreamPartnerId),
  upstreamPartner: (link, _, ctx) => partyOf(ctx, link.upstreamPartnerId),
  downstreamProduct: (link, _, ctx) => productAt(ctx, link.downstreamProductId),
  upstreamProduct: (link, _, ctx) => productAt(ctx, link.upstreamProductId),
  proposedBy: (link, _, ctx) => partyOf(ctx, link.proposedByPartnerId),
  suspendedBy: (link, _, ctx) => (link.suspendedByPartnerId ? ctx.loaders.partner.load(link.suspendedByPartnerId) : null),
  /** One page of the price history, batched over every link of the response. */
  supplyPrices: (link, args, ctx) => ctx.loaders.supplyPricesOfLink.load({ parentId: link.id, args }),
  currentSupplyPrice: (link, _, ctx) => ctx.loaders.supplyPriceAt.load({ linkId: link.id, at: new Date() }),
  supplyPriceAt: (link, args, ctx) => ctx.loaders.supplyPriceAt.load({ linkId: link.id, at: args.time }),
  shareRule: (link) => ({ kind: link.shareRuleKind, value: link.shareRuleValue, safetyBuffer: link.safetyBuffer }),
};

/** A supply price as the SDL shows it. */
export const SupplyPrice: TypeResolvers<'SupplyPrice'> = {
  price: (price) => ({ amountMinor: price.amountMinor, currency: price.currency }),
};
