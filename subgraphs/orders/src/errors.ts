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

export type OrdersFailure =
  | { __typename: 'OrderNotFound'; errorCode: 'ORDER_NOT_FOUND'; message: string }
  | { __typename: 'ReturnNotFound'; errorCode: 'RETURN_NOT_FOUND'; message: string }
  | { __typename: 'InvalidOrderTransition'; errorCode: 'INVALID_TRANSITION'; message: string; from: string; action: string }
  | { __typename: 'InvalidOrderInput'; errorCode: 'INVALID_INPUT'; message: string; field: string }
  | { __typename: 'DuplicateOrder'; errorCode: 'DUPLICATE_ORDER'; message: string; existingOrder: unknown }
  | { __typename: 'IdempotencyKeyReused'; errorCode: 'IDEMPOTENCY_KEY_REUSED'; message: string }
  | { __typename: 'ChannelCodeTaken'; errorCode: 'CHANNEL_CODE_TAKEN'; message: string }
  | { __typename: 'NotPermittedForRoleInOrder'; errorCode: 'NOT_PERMITTED_FOR_ROLE_IN_ORDER'; message: string }
  | { __typename: 'AlreadyPickedUpstream'; errorCode: 'ALREADY_PICKED_UPSTREAM'; message: string; lineId: string }
  | {
      __typename: 'CreditLimitExceeded';
      errorCode: 'CREDIT_LIMIT_EXCEEDED';
      message: string;
      limit: Money;
      outstanding: Money;
      orderTotal: Money;
    };

/** An amount in exact minor units (a `Long`). */
type Money = { amountMinor: bigint; currency: string };

/** Whether a service result is a typed failure. */
export function isFailure(value: unknown): value is OrdersFailure {
  return typeof value === 'object' && value !== null && 'errorCode' in value && '__typename' in value;
}

export const orderNotFound = (): OrdersFailure => ({
  __typename: 'OrderNotFound',
  errorCode: 'ORDER_NOT_FOUND',
  message: 'No order with this id exists among your orders.',
});

export const returnNotFound = (): OrdersFailure => ({
  __typename: 'ReturnNotFound',
  errorCode: 'RETURN_NOT_FOUND',
  message: 'No return with this id exists among your returns.',
});

/** The order's (or return's) status does not allow `action`. */
export const invalidTransition = (from: string, action: string, message?: string): OrdersFailure => ({
  __typename: 'InvalidOrderTransition',
  errorCode: 'INVALID_TRANSITION',
  from,
  action,
  message: message ?? `An order in status ${from} cannot be ${action}.`,
});

/** An input field failed validation; `field` is a path such as `lines[2].quantity`. */
export const invalidInput = (field: string, message: string): OrdersFailure => ({
  __typename: 'InvalidOrderInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});

export const duplicateOrder = (existingOrder: unknown, externalNumber: string): OrdersFailure => ({
  __typename: 'DuplicateOrder',
  errorCode: 'DUPLICATE_ORDER',
  existingOrder,
  message: `Order ${externalNumber} of this channel exists already; nothing new was created.`,
});

export const idempotencyKeyReused = (): OrdersFailure => ({
  __typename: 'IdempotencyKeyReused',
  errorCode: 'IDEMPOTENCY_KEY_REUSED',
  message: 'This idempotency key was already used for a different order. Use a new key for a new order.',
});

export const channelCodeTaken = (code: string): OrdersFailure => ({
  __typename: 'ChannelCodeTaken',
  errorCode: 'CHANNEL_CODE_TAKEN',
  message: `You already have a channel with code "${code}".`,
});

export const notPermittedForRole = (message: string): OrdersFailure => ({
  __typename: 'NotPermittedForRoleInOrder',
  errorCode: 'NOT_PERMITTED_FOR_ROLE_IN_ORDER',
  message,
});

/**
 * A routed line's quantity cannot change any more: the supplier (or one further up the chain) has
 * begun picking or shipping it. `lineId` is the caller's own line.
 */
export const alreadyPickedUpstream = (lineId: string): OrdersFailure => ({
  __typename: 'AlreadyPickedUpstream',
  errorCode: 'ALREADY_PICKED_UPSTREAM',
  lineId,
  message: 'A supplier up the chain has already begun picking or shipping this line; its quantity can no longer change. Request a return once it has arrived, or agree the change with the supplier.',
});

export const creditLimitExceeded = (limit: Money, outstanding: Money, orderTotal: Money): OrdersFailure => ({
  __typename: 'CreditLimitExceeded',
  errorCode: 'CREDIT_LIMIT_EXCEEDED',
  limit,
  outstanding,
  orderTotal,
  message: `This order (${orderTotal.amountMinor}) would take the customer to ${outstanding.amountMinor + orderTotal.amountMinor} of a ${limit.amountMinor} ${limit.currency} credit limit. Approve with a reason to override, or after a payment.`,
});
