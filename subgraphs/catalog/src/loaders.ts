import DataLoader from 'dataloader';
import type { LoaderScope } from '@redthread/kit';
import { visiblePartnersByIds, type PartnerRow } from './services/partners';
import { visibleProductsByIds, type ProductRow } from './services/products';
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
  product: DataLoader<string, ProductRow | null>;
  link: DataLoader<string, LinkRow | null>;
  /** The caller's links naming a product (either end), newest first. */
  linksOfProduct: DataLoader<string, LinkRow[]>;
  /** A link's supply prices, newest effective date first. */
  supplyPricesOfLink: DataLoader<string, SupplyPriceRow[]>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createCatalogLoaders(scope: LoaderScope): CatalogLoaders {
  return {
    partner: new DataLoader(async (ids) => byId(ids, await visiblePartnersByIds(await scope.tx(), ids))),
    product: new DataLoader(async (ids) => byId(ids, await visibleProductsByIds(await scope.tx(), ids))),
    link: new DataLoader(async (ids) => byId(ids, await visibleLinksByIds(await scope.tx(), ids))),
    linksOfProduct: new DataLoader(async (productIds) => {
      const links = await visibleLinksByProductIds(await scope.tx(), productIds);
      return productIds.map((id) => links.filter((l) => l.downstreamProductId === id || l.upstreamProductId === id));
    }),
    supplyPricesOfLink: new DataLoader(async (linkIds) => {
      const prices = await supplyPricesByLinkIds(await scope.tx(), linkIds);
      return groupBy(linkIds, prices, (price) => price.linkId);
    }),
  };
}

function byId<Row extends { id: string }>(ids: readonly string[], rows: Row[]): (Row | null)[] {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
}

function groupBy<Row>(keys: readonly string[], rows: Row[], keyOf: (row: Row) => string): Row[][] {
  const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key) ?? []);
}
