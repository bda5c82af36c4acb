import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';

const admin = hasAnyRole('admin');
const sales = hasAnyRole('admin', 'sales');
const reviewers = hasAnyRole('admin', 'reviewer');
const finance = hasAnyRole('admin', 'finance');
const holders = hasAnyRole('admin', 'sales', 'reviewer');
const warehouse = hasAnyRole('admin', 'warehouse');
const deliverers = hasAnyRole('admin', 'sales', 'warehouse');

/**
 * Orders field rules: which roles may call what. Which orders a caller sees is decided by
 * row-level security (seller and buyer); unlisted fields are denied.
 */
export const permissions = {
  Query: { orders: isCaller, order: isCaller, channels: isCaller, customers: isCaller, customer: isCaller },
  Subscription: { orderChanged: isCaller },
  Mutation: {
    createChannel: admin,
    createCustomer: sales,
    placeOrder: sales,
    importOrders: sales,
    reviewOrder: reviewers,
    financeReviewOrder: finance,
    holdOrder: holders,
    releaseOrder: holders,
    cancelOrder: sales,
    adjustOrder: sales,
    acceptDistributionOrder: sales,
    rejectDistributionOrder: sales,
    decideLines: sales,
    confirmShipment: warehouse,
    confirmDelivery: deliverers,
    completeOrder: sales,
    createPurchaseOrder: sales,
    submitPurchaseOrder: sales,
    requestReturn: sales,
    approveReturn: sales,
    rejectReturn: sales,
    receiveReturn: warehouse,
    settleReturn: finance,
  },
  ...Object.fromEntries(
    [
      'OrderChange', 'Order', 'OrderLine', 'TimelineEntry', 'Return', 'Customer', 'Channel', 'Address', 'CustomFieldDefinition',
      'CustomFieldValue', 'Money', 'PageInfo', 'OrderConnection', 'OrderEdge', 'CustomerConnection', 'CustomerEdge',
      'Partner', 'Product', 'ProductLink', 'ImportOrdersPayload', 'ImportResult', 'ImportProblem', 'OrderNotFound',
      'ReturnNotFound', 'InvalidOrderTransition', 'InvalidOrderInput', 'DuplicateOrder', 'IdempotencyKeyReused',
      'ChannelCodeTaken', 'NotPermittedForRoleInOrder', 'CreditLimitExceeded', 'AlreadyPickedUpstream',
    ].map((type) => [type, allow]),
  ),
};
