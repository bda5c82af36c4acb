import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, POLL, eur, ok, type CreditFile, type OrderView, type Result, type TestProduct } from './helpers';

/**
 * Customer credit (finance issue, DESIGN.md §3): a channel partner sets a credit limit on one of
 * its customers; what the customer owes (outstanding) is the unpaid shipped value — shipped sales
 * order lines charge it, recorded payments lower it. Finance review of a sales order that would
 * take outstanding + the order total above the limit answers CreditLimitExceeded and the order
 * stays in PENDING_FINANCE_REVIEW, unless a finance user approves it with a reason; once payments
 * have lowered the outstanding, a plain approval passes. Credit files are their owner's alone.
 *
 * SHOP-A sells a product of its own (no link) from its own warehouse; orders ship through
 * inventory (allocation, inspection, dispatch).
 */

let w: FinanceWorld;
let product: TestProduct;

beforeAll(async () => {
  w = await FinanceWorld.start();
  product = await w.createProduct('SHOP-A');
  await w.receive('SHOP-A', [{ productId: product.id, quantity: 100 }]);
});
afterAll(async () => {
  await w?.close();
});

const MONEY = 'amountMinor currency';
const FINANCE_REVIEW = `mutation($id: ID!, $reason: String) { result: financeReviewOrder(id: $id, decision: APPROVE, reason: $reason) { __typename
  ... on Order { id status }
  ... on OrdersError { errorCode message }
  ... on CreditLimitExceeded { limit { ${MONEY} } outstanding { ${MONEY} } orderTotal { ${MONEY} } } } }`;

/** Places an order for `quantity` × 1000 and takes it through the first review. */
async function inFinanceReview(customerId: string, quantity: number): Promise<OrderView> {
  const placed = await w.placeOrder('SHOP-A', [{ productId: product.id, quantity, unitPriceMinor: 1000 }], { customerId });
  ok(await w.orderStep('SHOP-A', 'reviewOrder', { id: placed.id, decision: 'APPROVE' }), 'Order');
  expect(await w.orderStatus('SHOP-A', placed.id)).toBe('PENDING_FINANCE_REVIEW');
  return placed;
}

const financeReview = async (orderId: string, reason?: string): Promise<Result> =>
  (await w.gql<{ result: Result }>('SHOP-A', FINANCE_REVIEW, { id: orderId, ...(reason ? { reason } : {}) })).result;

const credit = async (customerId: string): Promise<CreditFile | null> => (await w.customerCredit('SHOP-A', customerId))?.credit ?? null;

describe('the credit check in finance review', () => {
  it('blocks an order beyond the limit, releases it after a payment, and lets finance override with a reason', async () => {
    const customer = await w.createCustomer('SHOP-A');
    expect(await credit(customer)).toBeNull();
    const file = await w.setCreditLimit('SHOP-A', customer, 5000);
    expect(file).toMatchObject({ customerId: customer, limit: eur(5000), outstanding: eur(0), available: eur(5000), payments: { edges: [], pageInfo: { hasNextPage: false } } });

    // 0 + 4000 ≤ 5000: approved, shipped, and charged to the customer.
    const first = await inFinanceReview(customer, 4);
    expect(ok<{ status: string }>(await financeReview(first.id), 'Order').status).toBe('APPROVED');
    await w.shipOwn('SHOP-A', first.id);
    await expect.poll(async () => (await credit(customer))?.outstanding, POLL).toEqual(eur(4000));
    expect(await credit(customer)).toMatchObject({ limit: eur(5000), available: eur(1000) });

    // 4000 + 2000 > 5000: refused, the order stays in finance review.
    const second = await inFinanceReview(customer, 2);
    expect(await financeReview(second.id)).toEqual({
      __typename: 'CreditLimitExceeded',
      errorCode: 'CREDIT_LIMIT_EXCEEDED',
      message: expect.any(String),
      limit: eur(5000),
      outstanding: eur(4000),
      orderTotal: eur(2000),
    });
    expect(await w.orderStatus('SHOP-A', second.id)).toBe('PENDING_FINANCE_REVIEW');

    // A payment of 1500 lowers the outstanding to 2500: 2500 + 2000 ≤ 5000, a plain approval passes.
    const paid = await w.recordCustomerPayment('SHOP-A', customer, 1500, 'bank transfer 42');
    expect(paid).toMatchObject({ outstanding: eur(2500), available: eur(2500) });
    expect(paid.payments.edges.map((edge) => edge.node)).toEqual([{ amount: eur(1500), reference: 'bank transfer 42', at: expect.any(String) }]);
    expect(ok<{ status: string }>(await financeReview(second.id), 'Order').status).toBe('APPROVED');

    // 2500 (the second order has not shipped) + 3000 > 5000: refused, then approved by finance with a reason.
    const third = await inFinanceReview(customer, 3);
    expect(await financeReview(third.id)).toMatchObject({ __typename: 'CreditLimitExceeded', outstanding: eur(2500), orderTotal: eur(3000) });
    expect(await w.orderStatus('SHOP-A', third.id)).toBe('PENDING_FINANCE_REVIEW');
    expect(ok<{ status: string }>(await financeReview(third.id, 'customer called: paying on Friday'), 'Order').status).toBe('APPROVED');
    const timeline = await w.gql<{ order: { timeline: { to: string; reason: string | null }[] } }>('SHOP-A', `query($id: ID!) { order(id: $id) { timeline { to reason } } }`, { id: third.id });
    expect(timeline.order.timeline.find((e) => e.to === 'APPROVED')?.reason).toContain('customer called: paying on Friday');

    // Shipping the second order charges 2000 more.
    await w.shipOwn('SHOP-A', second.id);
    await expect.poll(async () => (await credit(customer))?.outstanding, POLL).toEqual(eur(4500));
  });

  it('the limit itself is allowed: outstanding + total = limit passes, one cent more does not', async () => {
    const exact = await w.createCustomer('SHOP-A');
    await w.setCreditLimit('SHOP-A', exact, 2000);
    expect(ok<{ status: string }>(await financeReview((await inFinanceReview(exact, 2)).id), 'Order').status).toBe('APPROVED');

    const short = await w.createCustomer('SHOP-A');
    await w.setCreditLimit('SHOP-A', short, 1999);
    expect(await financeReview((await inFinanceReview(short, 2)).id)).toMatchObject({ __typename: 'CreditLimitExceeded', limit: eur(1999), outstanding: eur(0), orderTotal: eur(2000) });
    // Raising the limit releases it.
    expect(await w.setCreditLimit('SHOP-A', short, 2500)).toMatchObject({ limit: eur(2500), available: eur(2500) });
  });

  it('customers without a credit file are not checked', async () => {
    const free = await w.createCustomer('SHOP-A');
    expect(ok<{ status: string }>(await financeReview((await inFinanceReview(free, 90)).id), 'Order').status).toBe('APPROVED');
  });
});

describe('credit files', () => {
  it('are their owner’s alone', async () => {
    const customer = await w.createCustomer('SHOP-A');
    await w.setCreditLimit('SHOP-A', customer, 700);
    expect((await w.customerCredit('SHOP-A', customer))?.credit).toMatchObject({ limit: eur(700) });
    for (const other of ['TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const) {
      expect(await w.customerCredit(other, customer), other).toBeNull();
      expect(await w.finance(other, 'setCreditLimit', { input: { customerId: customer, limitMinor: 1, currency: 'EUR' } }), other).toMatchObject({ __typename: 'FinanceNotFound', errorCode: 'NOT_FOUND' });
      expect(await w.finance(other, 'recordCustomerPayment', { input: { customerId: customer, amountMinor: 1, currency: 'EUR' } }), other).toMatchObject({ __typename: 'FinanceNotFound' });
    }
    expect((await w.customerCredit('SHOP-A', customer))?.credit).toMatchObject({ limit: eur(700), outstanding: eur(0), payments: { edges: [] } });
    // Credit files need the finance (or admin) role.
    const sales = await w.tokenFor('SHOP-A', ['sales']);
    const response = await w.raw(sales, `query($id: ID!) { customer(id: $id) { id credit { limit { amountMinor } } } }`, { id: customer });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('refuse bad input, naming the field', async () => {
    const customer = await w.createCustomer('SHOP-A');
    expect(await w.finance('SHOP-A', 'recordCustomerPayment', { input: { customerId: customer, amountMinor: 100, currency: 'EUR' } })).toMatchObject({
      __typename: 'InvalidFinanceInput',
      field: 'customerId',
    });
    expect(await w.finance('SHOP-A', 'setCreditLimit', { input: { customerId: customer, limitMinor: -1, currency: 'EUR' } })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'limitMinor' });
    await w.setCreditLimit('SHOP-A', customer, 1000);
    expect(await w.finance('SHOP-A', 'recordCustomerPayment', { input: { customerId: customer, amountMinor: 0, currency: 'EUR' } })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'amountMinor' });
    expect(await w.finance('SHOP-A', 'recordCustomerPayment', { input: { customerId: customer, amountMinor: 10, currency: 'USD' } })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'currency' });
    expect(await w.finance('SHOP-A', 'setCreditLimit', { input: { customerId: '0b6f1e0a-9a0c-4c3e-8a59-1f0e7c2d4b11', limitMinor: 1, currency: 'EUR' } })).toMatchObject({ __typename: 'FinanceNotFound' });
    expect((await w.customerCredit('SHOP-A', customer))?.credit).toMatchObject({ limit: eur(1000), outstanding: eur(0), payments: { edges: [] } });
  });
});
