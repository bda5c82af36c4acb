import DataLoader from 'dataloader';
import type { LoaderScope } from '@redthread/kit';
import { visiblePartnersByIds, type PartnerRow } from './services/partners';
import { visibleProductsByIds, type ProductRow } from './services/products';

/** The catalog's DataLoaders: one statement per batch, cached for one request only. */
export interface CatalogLoaders {
  partner: DataLoader<string, PartnerRow | null>;
  product: DataLoader<string, ProductRow | null>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createCatalogLoaders(scope: LoaderScope): CatalogLoaders {
  return {
    partner: new DataLoader(async (ids) => byId(ids, await visiblePartnersByIds(await scope.tx(), ids))),
    product: new DataLoader(async (ids) => byId(ids, await visibleProductsByIds(await scope.tx(), ids))),
  };
}

function byId<Row extends { id: string }>(ids: readonly string[], rows: Row[]): (Row | null)[] {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
}
