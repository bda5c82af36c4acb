import DataLoader from 'dataloader';
import { rowsByKey, rowsGroupedByKey, type LoaderScope } from '@redthread/kit';
import { visiblePartnersByIds, type PartnerRow } from './services/partners';
import { visibleProductViewsByIds, type VisibleProduct } from './services/products';
import {
  supplyPricesByLinkIds,
  visibleLinksByIds,
  visibleLinksByProductIds,
  type LinkRow,
  type SupplyPriceRow,
} from './services/links';

/** The catalog's DataLoaders: one statement per batch, cached for one request only. */
export interface CatalogLoaders {
  partner: DataLoader<string, PartnerRow | null>;
  /** A product in full, or the 3PL operator's view of one stored in a warehouse it operates. */
  product: DataLoader<string, VisibleProduct | null>;
  link: DataLoader<string, LinkRow | null>;
  /** The caller's links naming a product (either end), newest first. */
  linksOfProduct: DataLoader<string, LinkRow[]>;
  /** A link's supply prices, newest effective date first. */
  supplyPricesOfLink: DataLoader<string, SupplyPriceRow[]>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createCatalogLoaders(scope: LoaderScope): CatalogLoaders {
  return {
    partner: new DataLoader(async (ids) => rowsByKey(ids, await visiblePartnersByIds(await scope.tx(), ids), (row) => row.id)),
    product: new DataLoader(async (ids) => rowsByKey(ids, await visibleProductViewsByIds(await scope.tx(), ids), (row) => row.id)),
    link: new DataLoader(async (ids) => rowsByKey(ids, await visibleLinksByIds(await scope.tx(), ids), (row) => row.id)),
    linksOfProduct: new DataLoader(async (productIds) => {
      const links = await visibleLinksByProductIds(await scope.tx(), productIds);
      return productIds.map((id) => links.filter((l) => l.downstreamProductId === id || l.upstreamProductId === id));
    }),
    supplyPricesOfLink: new DataLoader(async (linkIds) => {
      const prices = await supplyPricesByLinkIds(await scope.tx(), linkIds);
      return rowsGroupedByKey(linkIds, prices, (price) => price.linkId);
    }),
  };
}
