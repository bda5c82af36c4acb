import type { RequestContext } from '@redthread/kit';
import type { OrdersLoaders } from './loaders';

/** What every orders resolver receives. */
export type OrdersContext = RequestContext<OrdersLoaders>;
