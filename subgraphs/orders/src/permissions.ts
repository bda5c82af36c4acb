import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';
import type { PermissionRules } from './generated/resolvers';

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
export const permissions: PermissionRules = {
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
  // Every other type: its fields are readable by whoever may read the field that led to it.
  OrderChange: allow,
  Order: allow,
  OrderLine: allow,
  TimelineEntry: allow,
  Return: allow,
  Customer: allow,
  Channel: allow,
  Address: allow,
  CustomFieldDefinition: allow,
  CustomFieldValue: allow,
  Money: allow,
  PageInfo: allow,
  OrderConnection: allow,
  OrderEdge: allow,
  CustomerConnection: allow,
  CustomerEdge: allow,
  Partner: allow,
  Product: allow,
  ProductLink: allow,
  ImportOrdersPayload: allow,
  ImportResult: allow,
  ImportProblem: allow,
  OrderNotFound: allow,
  ReturnNotFound: allow,
  InvalidOrderTransition: allow,
  InvalidOrderInput: allow,
  DuplicateOrder: allow,
  IdempotencyKeyReused: allow,
  ChannelCodeTaken: allow,
  NotPermittedForRoleInOrder: allow,
  CreditLimitExceeded: allow,
  AlreadyPickedUpstream: allow,
};
