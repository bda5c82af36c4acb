import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, POLL, eur, type ProductCost, type TestProduct } from './helpers';

/**
 * Cost accounting (finance issue, DESIGN.md §3): a moving weighted average cost per owner and
 * product. A purchase receipt enters at the purchase order line's unit price, a free receipt at
 * the current average, a shipment takes cost of goods out at the average. Divisions round half to
 * even to whole cents (10 / 3 → 3; 2.5 → 2; 3.5 → 4). Product.cost is its owner's alone.
 *
 * TRADER-B buys its products from SUPPLIER-C through real purchase orders (supply price → order
 * line price → receipt into TRADER-B's warehouse), and ships them to SHOP-A on distribution orders
 * after suspending the upstream link, so that it fulfils them from its own stock.
 */

let w: FinanceWorld;

beforeAll(async () => {
  w = await FinanceWorld.start();
});
afterAll(async () => {
  await w?.close();
});

/** A TRADER-B product supplied by SUPPLIER-C (link priced at `priceMinor`). */
async function supplied(priceMinor: number): Promise<{ product: TestProduct; linkId: string }> {
  const product = await w.createProduct('TRADER-B');
  const upstream = await w.createProduct('SUPPLIER-C');
  const linkId = await w.link('TRADER-B', product.id, 'SUPPLIER-C', upstream.skuCode, priceMinor);
  return { product, linkId };
}

/** Buys `quantity` units at `priceMinor` each (the supply price set first) and receives them. */
async function buy(item: { product: TestProduct; linkId: string }, quantity: number, priceMinor: number): Promise<void> {
  await w.setSupplyPrice('SUPPLIER-C', item.linkId, priceMinor);
  const po = await w.purchaseAndReceive('TRADER-B', 'SUPPLIER-C', item.product.id, quantity);
  expect(po.lines.map((l) => [l.quantity, l.unitPrice])).toEqual([[quantity, eur(priceMinor)]]);
}

const cost = async (productId: string) => (await w.productCost('TRADER-B', productId))?.cost ?? null;
const expectCost = (productId: string, expected: ProductCost) => expect.poll(() => cost(productId), POLL).toEqual(expected);
const costOf = (average: number, units: number, value: number): ProductCost => ({ average: eur(average), units, value: eur(value) });

/** Ships `quantity` units of a TRADER-B product to SHOP-A on a distribution order fulfilled from TRADER-B's stock. */
async function shipToShopA(item: { product: TestProduct; linkId: string }, quantity: number): Promise<void> {
  await w.suspendLink('TRADER-B', item.linkId);
  const mine = await w.createProduct('SHOP-A');
  await w.link('SHOP-A', mine.id, 'TRADER-B', item.product.skuCode, 999);
  await w.shippedDistribution('SHOP-A', 'TRADER-B', [{ productId: mine.id, quantity, unitPriceMinor: 1999 }]);
}

describe('moving weighted average', () => {
  it('over several purchase receipts, free receipts at the average, and cost of goods at shipment', async () => {
    const item = await supplied(250);
    expect(await cost(item.product.id)).toBeNull();
    await buy(item, 4, 250);
    await expectCost(item.product.id, costOf(250, 4, 1000));
    await buy(item, 6, 300);
    // (4 × 250 + 6 × 300) / 10 = 280
    await expectCost(item.product.id, costOf(280, 10, 2800));

    // A free receipt (no purchase order) enters at the current average: the average stays.
    await w.receive('TRADER-B', [{ productId: item.product.id, quantity: 5 }]);
    await expectCost(item.product.id, costOf(280, 15, 4200));

    // Shipping 3 takes 3 × 280 out.
    await shipToShopA(item, 3);
    await expectCost(item.product.id, costOf(280, 12, 3360));
  });

  it('a later receipt at another price moves the average', async () => {
    const item = await supplied(100);
    await buy(item, 2, 100);
    await buy(item, 1, 400);
    // (2 × 100 + 400) / 3 = 200
    await expectCost(item.product.id, costOf(200, 3, 600));
    await buy(item, 5, 360);
    // (600 + 1800) / 8 = 300
    await expectCost(item.product.id, costOf(300, 8, 2400));
  });
});

describe('rounding half to even', () => {
  it('3 units costing 10 in all average 3 (3.33…)', async () => {
    const item = await supplied(4);
    await buy(item, 1, 4);
    await buy(item, 2, 3);
    await expectCost(item.product.id, costOf(3, 3, 10));
  });

  it('an average of 2.5 rounds down to 2, one of 3.5 up to 4', async () => {
    const low = await supplied(2);
    await buy(low, 1, 2);
    await buy(low, 1, 3);
    await expectCost(low.product.id, costOf(2, 2, 5));

    const high = await supplied(3);
    await buy(high, 1, 3);
    await buy(high, 1, 4);
    await expectCost(high.product.id, costOf(4, 2, 7));
  });

  it('cost of goods leaves at the rounded average: 10 / 3 → 3 out, the remaining 7 over 2 units average 3.5 → 4', async () => {
    const item = await supplied(4);
    await buy(item, 1, 4);
    await buy(item, 2, 3);
    await expectCost(item.product.id, costOf(3, 3, 10));
    await shipToShopA(item, 1);
    await expectCost(item.product.id, costOf(4, 2, 7));
  });
});

describe('visibility of costs', () => {
  it('Product.cost is the owner’s alone; others see the product (through a link) but no cost, or nothing', async () => {
    const item = await supplied(800);
    await buy(item, 2, 800);
    await expectCost(item.product.id, costOf(800, 2, 1600));
    const mine = await w.createProduct('SHOP-A');
    await w.link('SHOP-A', mine.id, 'TRADER-B', item.product.skuCode, 1200);

    // SHOP-A (downstream) and SUPPLIER-C (upstream) see the product through their links, not its cost.
    expect(await w.productCost('SHOP-A', item.product.id)).toEqual({ id: item.product.id, cost: null });
    expect(await w.productCost('SUPPLIER-C', item.product.id)).toEqual({ id: item.product.id, cost: null });
    expect(await w.productCost('SHOP-D', item.product.id)).toBeNull();
    // Nor does SHOP-A's own product, which it never received, have a cost.
    expect(await w.productCost('SHOP-A', mine.id)).toEqual({ id: mine.id, cost: null });

    // Costs need the finance (or admin) role.
    const sales = await w.tokenFor('TRADER-B', ['sales']);
    const response = await w.raw(sales, `query($id: ID!) { product(id: $id) { id cost { units } } }`, { id: item.product.id });
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const finance = await w.tokenFor('TRADER-B', ['finance']);
    expect((await w.productCost(finance, item.product.id))?.cost).toEqual(costOf(800, 2, 1600));
  });
});
