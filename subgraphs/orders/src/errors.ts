import { isFailure as isTypedFailure, type WithTypename } from '@redthread/kit';
import type { ResolversInterfaceTypes, ResolversParentTypes } from './generated/resolvers';
import type { OrderRow } from './services/common';

/**
 * The orders subgraph's closed list of expected-failure codes (the `OrdersErrorCode` enum of the
 * SDL). Each failure is returned as data in a mutation result union and means nothing changed.
 */
export const OrdersErrorCode = {
  ORDER_NOT_FOUND: 'ORDER_NOT_FOUND',
  RETURN_NOT_FOUND: 'RETURN_NOT_FOUND',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  INVALID_INPUT: 'INVALID_INPUT',
  DUPLICATE_ORDER: 'DUPLICATE_ORDER',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  CHANNEL_CODE_TAKEN: 'CHANNEL_CODE_TAKEN',
  NOT_PERMITTED_FOR_ROLE_IN_ORDER: 'NOT_PERMITTED_FOR_ROLE_IN_ORDER',
  CREDIT_LIMIT_EXCEEDED: 'CREDIT_LIMIT_EXCEEDED',
  ALREADY_PICKED_UPSTREAM: 'ALREADY_PICKED_UPSTREAM',
} as const;

/**
 * Every typed failure of the orders SDL (the members of its `OrdersError` interface), as services
 * return them: generated from the schema, so a failure field the SDL renames is a type error here.
 */
export type OrdersFailure = WithTypename<ResolversInterfaceTypes<ResolversParentTypes>['OrdersError']>;

/** One failure of the orders SDL, by its type name. */
export type Failure<Name extends OrdersFailure['__typename']> = Extract<OrdersFailure, { __typename: Name }>;

/** Whether a service result is a typed failure. */
export const isFailure = isTypedFailure;

/** An amount in exact minor units (a `Long`). */
type Money = { amountMinor: bigint; currency: string };

export const orderNotFound = (): Failure<'OrderNotFound'> => ({
  __typename: 'OrderNotFound',
  errorCode: 'ORDER_NOT_FOUND',
  message: 'No order with this id exists among your orders.',
});

export const returnNotFound = (): Failure<'ReturnNotFound'> => ({
  __typename: 'ReturnNotFound',
  errorCode: 'RETURN_NOT_FOUND',
  message: 'No return with this id exists among your returns.',
});

/** The order's (or return's) status does not allow `action`. */
export const invalidTransition = (from: string, action: string, message?: string): Failure<'InvalidOrderTransition'> => ({
  __typename: 'InvalidOrderTransition',
  errorCode: 'INVALID_TRANSITION',
  from,
  action,
  message: message ?? `An order in status ${from} cannot be ${action}.`,
});

/** An input field failed validation; `field` is a path such as `lines[2].quantity`. */
export const invalidInput = (field: string, message: string): Failure<'InvalidOrderInput'> => ({
  __typename: 'InvalidOrderInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});

export const duplicateOrder = (existingOrder: OrderRow, externalNumber: string): Failure<'DuplicateOrder'> => ({
  __typename: 'DuplicateOrder',
  errorCode: 'DUPLICATE_ORDER',
  existingOrder,
  message: `Order ${externalNumber} of this channel exists already; nothing new was created.`,
});

export const idempotencyKeyReused = (): Failure<'IdempotencyKeyReused'> => ({
  __typename: 'IdempotencyKeyReused',
  errorCode: 'IDEMPOTENCY_KEY_REUSED',
  message: 'This idempotency key was already used for a different order. Use a new key for a new order.',
});

export const channelCodeTaken = (code: string): Failure<'ChannelCodeTaken'> => ({
  __typename: 'ChannelCodeTaken',
  errorCode: 'CHANNEL_CODE_TAKEN',
  message: `You already have a channel with code "${code}".`,
});

export const notPermittedForRole = (message: string): Failure<'NotPermittedForRoleInOrder'> => ({
  __typename: 'NotPermittedForRoleInOrder',
  errorCode: 'NOT_PERMITTED_FOR_ROLE_IN_ORDER',
  message,
});

/**
 * A routed line's quantity cannot change any more: the supplier (or one further up the chain) has
 * begun picking or shipping it. `lineId` is the caller's own line.
 */
export const alreadyPickedUpstream = (lineId: string): Failure<'AlreadyPickedUpstream'> => ({
  __typename: 'AlreadyPickedUpstream',
  errorCode: 'ALREADY_PICKED_UPSTREAM',
  lineId,
  message: 'A supplier up the chain has already begun picking or shipping this line; its quantity can no longer change. Request a return once it has arrived, or agree the change with the supplier.',
});

export const creditLimitExceeded = (limit: Money, outstanding: Money, orderTotal: Money): Failure<'CreditLimitExceeded'> => ({
  __typename: 'CreditLimitExceeded',
  errorCode: 'CREDIT_LIMIT_EXCEEDED',
  limit,
  outstanding,
  orderTotal,
  message: `This order (${orderTotal.amountMinor}) would take the customer to ${outstanding.amountMinor + orderTotal.amountMinor} of a ${limit.amountMinor} ${limit.currency} credit limit. Approve with a reason to override, or after a payment.`,
});
