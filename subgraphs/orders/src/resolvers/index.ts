import { DateTimeScalar, LongScalar, changeEnvelope, eventSubscription, type LoggedEvent } from '@redthread/kit';
import type { OrdersContext } from '../context';
import { Mutation } from './Mutation';
import { Channel, Customer, Order, OrderLine, Return, TimelineEntry } from './Order';
import { Query } from './Query';

function resultType(success: string) {
  return { __resolveType: (value: { __typename?: string }) => value.__typename ?? success };
}

/** Every orders resolver, by type. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query,
  Mutation,
  Subscription: {
    orderChanged: eventSubscription<{ after?: string | null; filter?: { orderId?: string | null; kind?: string[] | null } | null }>(
      ['order.*'],
      ({ filter }) =>
        filter?.orderId || filter?.kind?.length
          ? (event) =>
              (!filter.orderId || event.entityId === filter.orderId) &&
              (!filter.kind?.length || filter.kind.includes(event.payload['kind'] as string))
          : undefined,
    ),
  },
  OrderChange: {
    ...changeEnvelope,
    orderId: (event: LoggedEvent) => event.entityId,
    order: (event: LoggedEvent, _: unknown, ctx: OrdersContext) => ctx.loaders.order.load(event.entityId),
  },
  Order,
  OrderLine,
  TimelineEntry,
  Return,
  Customer,
  Channel,
  ChannelResult: resultType('Channel'),
  CustomerResult: resultType('Customer'),
  PlaceOrderResult: resultType('Order'),
  OrderResult: resultType('Order'),
  ReturnResult: resultType('Return'),
  OrdersError: { __resolveType: (value: { __typename: string }) => value.__typename },
};
