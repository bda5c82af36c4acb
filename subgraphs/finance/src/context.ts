import type { RequestContext } from '@redthread/kit';
import type { FinanceLoaders } from './loaders';

/** What every finance resolver receives. */
export type FinanceContext = RequestContext<FinanceLoaders>;
