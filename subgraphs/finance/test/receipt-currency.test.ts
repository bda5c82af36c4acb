import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, POLL, eur, type ProductCost } from './helpers';

/**
 * The currency of a receipt's cost (issue 17): a purchase receipt is costed at the unit price and
 * currency its `stock.changed` event carries (the purchase order line's); a free receipt states
 * neither, so it never guesses one: for a product without a cost yet it enters at zero value in
 * ISO 4217 "XXX" (no currency), and the first priced receipt sets the average's currency.
 */

let w: FinanceWorld;

beforeAll(async () => {
  w = await FinanceWorld.start();
});
afterAll(async () => {
  await w?.close();
});

const cost = async (productId: string) => (await w.productCost('TRADER-B', productId))?.cost ?? null;

describe('receipt currency', () => {
  it('a free receipt of an uncosted product has no currency, and the first purchase receipt sets it', async () => {
    const product = await w.createProduct('TRADER-B');
    const upstream = await w.createProduct('SUPPLIER-C');
    const linkId = await w.link('TRADER-B', product.id, 'SUPPLIER-C', upstream.skuCode, 250);

    await w.receive('TRADER-B', [{ productId: product.id, quantity: 5 }]);
    const none = { amountMinor: '0', currency: 'XXX' };
    await expect.poll(() => cost(product.id), POLL).toEqual({ average: none, units: 5, value: none } satisfies ProductCost);

    await w.setSupplyPrice('SUPPLIER-C', linkId, 250);
    await w.purchaseAndReceive('TRADER-B', 'SUPPLIER-C', product.id, 4);
    // 4 × 250 over 9 units: 111.1… → 111, in the purchase order's currency.
    await expect.poll(() => cost(product.id), POLL).toEqual({ average: eur(111), units: 9, value: eur(1000) } satisfies ProductCost);
  });
});
