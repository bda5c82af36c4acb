import type { RequestContext } from '@redthread/kit';
import type { InventoryLoaders } from './loaders';

/** What every inventory resolver receives. */
export type InventoryContext = RequestContext<InventoryLoaders>;
