import DataLoader from 'dataloader';
import { pagedLoader, rowsByKey, type Connection, type LoaderScope, type PageArgs, type PageOf } from '@redthread/kit';
import { visiblePartnersByIds, type PartnerRow } from './services/partners';
import { visibleProductViewsByIds, type VisibleProduct } from './services/products';
import {
  linkPagesOfProducts,
  supplyPricePagesOfLinks,
  supplyPricesInForce,
  visibleLinksByIds,
  type LinkRow,
  type SupplyPriceRow,
} from './services/links';
import type { ProductLinksArgs } from './generated/resolvers';

/** The arguments of `Product.links` (generated from the SDL). */
export type { ProductLinksArgs };

/** The catalog's DataLoaders: one statement per batch, cached for one request only. */
export interface CatalogLoaders {
  partner: DataLoader<string, PartnerRow | null>;
  /** A product in full, or the 3PL operator's view of one stored in a warehouse it operates. */
  product: DataLoader<string, VisibleProduct | null>;
  link: DataLoader<string, LinkRow | null>;
  /** A page of the caller's links naming a product (either end), newest first. */
  linksOfProduct: DataLoader<PageOf<ProductLinksArgs>, Connection<LinkRow>, string>;
  /** A page of a link's supply prices, newest effective date first. */
  supplyPricesOfLink: DataLoader<PageOf, Connection<SupplyPriceRow>, string>;
  /** The supply price of a link in force at a moment (null before its first). */
  supplyPriceAt: DataLoader<{ linkId: string; at: Date }, SupplyPriceRow | null, string>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createCatalogLoaders(scope: LoaderScope): CatalogLoaders {
  return {
    partner: new DataLoader(async (ids) => rowsByKey(ids, await visiblePartnersByIds(await scope.tx(), ids), (row) => row.id)),
    product: new DataLoader(async (ids) => rowsByKey(ids, await visibleProductViewsByIds(await scope.tx(), ids), (row) => row.id)),
    link: new DataLoader(async (ids) => rowsByKey(ids, await visibleLinksByIds(await scope.tx(), ids), (row) => row.id)),
    linksOfProduct: pagedLoader(async (productIds, { status, ...page }: ProductLinksArgs) =>
      linkPagesOfProducts(await scope.tx(), productIds, status, page),
    ),
    supplyPricesOfLink: pagedLoader(async (linkIds, page: PageArgs) => supplyPricePagesOfLinks(await scope.tx(), linkIds, page)),
    supplyPriceAt: new DataLoader(async (asked) => supplyPricesInForce(await scope.tx(), asked), {
      cacheKeyFn: (key) => `${key.linkId}|${key.at.toISOString()}`,
    }),
  };
}
