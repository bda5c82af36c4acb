import { DateTimeScalar, LongScalar, changeEnvelope, eventSubscription, namedByTypename, resultUnion } from '@redthread/kit';
import type { SubgraphResolvers, SubscriptionOrderChangedArgs } from '../generated/resolvers';
import { Mutation } from './Mutation';
import { Channel, Customer, Order, OrderLine, Return, TimelineEntry } from './Order';
import { Query } from './Query';

/** Every orders resolver, by type. */
export const resolvers: SubgraphResolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query,
  Mutation,
  Subscription: {
    orderChanged: eventSubscription<SubscriptionOrderChangedArgs>(
      ['order.*'],
      ({ filter }) =>
        filter?.orderId || filter?.kind?.length
          ? (event) =>
              (!filter.orderId || event.entityId === filter.orderId) &&
              (!filter.kind?.length || filter.kind.some((kind) => kind === event.payload['kind']))
          : undefined,
    ),
  },
  OrderChange: {
    ...changeEnvelope,
    orderId: (event) => event.entityId,
    order: (event, _, ctx) => ctx.loaders.order.load(event.entityId),
  },
  Order,
  OrderLine,
  TimelineEntry,
  Return,
  Customer,
  Channel,
  ChannelResult: resultUnion('Channel'),
  CustomerResult: resultUnion('Customer'),
  PlaceOrderResult: resultUnion('Order'),
  OrderResult: resultUnion('Order'),
  ReturnResult: resultUnion('Return'),
  OrdersError: namedByTypename,
};
