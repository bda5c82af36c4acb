import type { RequestContext } from '@redthread/kit';
import type { CatalogLoaders } from './loaders';

/** What every catalog resolver receives. */
export type CatalogContext = RequestContext<CatalogLoaders>;
