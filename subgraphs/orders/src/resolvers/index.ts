import { DateTimeScalar } from '@redthread/kit';
import { Mutation } from './Mutation';
import { Channel, Customer, Order, OrderLine, Return, TimelineEntry } from './Order';
import { Query } from './Query';

function resultType(success: string) {
  return { __resolveType: (value: { __typename?: string }) => value.__typename ?? success };
}

/** Every orders resolver, by type. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Query,
  Mutation,
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
