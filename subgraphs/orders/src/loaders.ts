import DataLoader from 'dataloader';
import { rowsByKey, rowsGroupedByKey, type LoaderScope } from '@redthread/kit';
import { channelsByIds, customersByIds, type ChannelRow, type CustomerRow } from './services/channels';
import type { LineRow, OrderRow, TimelineRow } from './services/common';
import { childOrdersByParentIds, linesByOrderIds, timelineByOrderIds, visibleOrdersByIds } from './services/queries';
import { returnsByOrderIds, type ReturnRow } from './services/returns';

/** The orders subgraph's DataLoaders: one statement per batch, cached for one request. */
export interface OrdersLoaders {
  order: DataLoader<string, OrderRow | null>;
  linesOfOrder: DataLoader<string, LineRow[]>;
  timelineOfOrder: DataLoader<string, TimelineRow[]>;
  childrenOfOrder: DataLoader<string, OrderRow[]>;
  returnsOfOrder: DataLoader<string, ReturnRow[]>;
  channel: DataLoader<string, ChannelRow | null>;
  customer: DataLoader<string, CustomerRow | null>;
}

/** Creates the loaders of one request; they read through the request's transaction. */
export function createOrdersLoaders(scope: LoaderScope): OrdersLoaders {
  return {
    order: new DataLoader(async (ids) => rowsByKey(ids, await visibleOrdersByIds(await scope.tx(), ids), (row) => row.id)),
    linesOfOrder: new DataLoader(async (ids) => rowsGroupedByKey(ids, await linesByOrderIds(await scope.tx(), ids), (l) => l.orderId)),
    timelineOfOrder: new DataLoader(async (ids) => rowsGroupedByKey(ids, await timelineByOrderIds(await scope.tx(), ids), (t) => t.orderId)),
    childrenOfOrder: new DataLoader(async (ids) =>
      rowsGroupedByKey(ids, await childOrdersByParentIds(await scope.tx(), ids), (o) => o.parentOrderId!),
    ),
    returnsOfOrder: new DataLoader(async (ids) => rowsGroupedByKey(ids, await returnsByOrderIds(await scope.tx(), ids), (r) => r.orderId)),
    channel: new DataLoader(async (ids) => rowsByKey(ids, await channelsByIds(await scope.tx(), ids), (row) => row.id)),
    customer: new DataLoader(async (ids) => rowsByKey(ids, await customersByIds(await scope.tx(), ids), (row) => row.id)),
  };
}
