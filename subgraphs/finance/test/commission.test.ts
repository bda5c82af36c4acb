import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinanceWorld, PARTNER, POLL, eur, type CommissionRule, type Code, type LedgerEntry, type TestProduct } from './helpers';

/**
 * Commission (finance issue, DESIGN.md §3): when a distribution order's lines ship, the seller
 * (payer) owes the buyer (earner) commission under its most specific rule — for the product (with
 * this earner, then for anyone) > for the earner > the default. PERCENT is basis points of the
 * line amount (shipped quantity × supply price), rounded half to even; FIXED is minor units per
 * unit shipped. Debtor = payer, creditor = earner. Rules are seen by the payer and by the earner
 * they name; commission entries by the two parties.
 *
 * TRADER-B pays; SHOP-A and SHOP-D (each linked to TRADER-B products here) earn.
 */

let w: FinanceWorld;
const product = {} as Record<'X' | 'Y' | 'W' | 'V' | 'Z' | 'Q', TestProduct>;
/** SHOP-A's and SHOP-D's products linked to TRADER-B's, by TRADER-B product key. */
const shopA = {} as Record<'X' | 'Y' | 'W' | 'V', TestProduct>;
const shopD = {} as Record<'X' | 'Z', TestProduct>;

beforeAll(async () => {
  w = await FinanceWorld.start();
  // Supply prices chosen for the rounding: 2.5 % of 140 = 3.5 → 4, of 100 = 2.5 → 2, of 180 = 4.5 → 4.
  for (const [key, price] of [['X', 450], ['Y', 140], ['W', 100], ['V', 180]] as const) {
    const linked = await w.linkedStock({ supplyPriceMinor: price });
    product[key] = linked.sellerProduct;
    shopA[key] = linked.buyerProduct;
  }
  const z = await w.linkedStock({ buyer: 'SHOP-D', supplyPriceMinor: 333 });
  product.Z = z.sellerProduct;
  shopD.Z = z.buyerProduct;
  shopD.X = await w.createProduct('SHOP-D');
  await w.link('SHOP-D', shopD.X.id, 'TRADER-B', product.X.skuCode, 500);
  product.Q = await w.createProduct('TRADER-B');
});
afterAll(async () => {
  await w?.close();
});

const FIXED_RULE = `mutation($input: CommissionRuleInput!) { setCommissionRule(input: $input) { __typename } }`;

const commissions = async (as: Code, orderId: string): Promise<LedgerEntry[]> => (await w.entriesOfOrder(as, orderId)).filter((e) => e.kind === 'COMMISSION');
/** The amounts of entries as the API answers them (strings of digits), smallest first. */
const amounts = (entries: LedgerEntry[]) => entries.map((e) => e.amount.amountMinor).sort((a, b) => Number(BigInt(a) - BigInt(b)));

describe('rules', () => {
  it('TRADER-B sets a default, an earner, a product and a product-for-earner rule; setting a scope again replaces it', async () => {
    const first = await w.setCommissionRule('TRADER-B', { kind: 'PERCENT', value: 500 });
    const replaced = await w.setCommissionRule('TRADER-B', { kind: 'PERCENT', value: 1000 });
    expect(replaced).toMatchObject({ payer: { id: PARTNER['TRADER-B'] }, earner: null, productId: null, kind: 'PERCENT', value: '1000' });
    expect(replaced.id).toBe(first.id);
    expect(await w.setCommissionRule('TRADER-B', { earnerCode: 'SHOP-A', kind: 'PERCENT', value: 250 })).toMatchObject({ earner: { id: PARTNER['SHOP-A'] }, productId: null });
    expect(await w.setCommissionRule('TRADER-B', { productId: product.X.id, kind: 'FIXED', value: 7 })).toMatchObject({ earner: null, productId: product.X.id, kind: 'FIXED', value: '7' });
    expect(await w.setCommissionRule('TRADER-B', { earnerCode: 'SHOP-D', productId: product.X.id, kind: 'FIXED', value: 11 })).toMatchObject({
      earner: { id: PARTNER['SHOP-D'] },
      productId: product.X.id,
    });
    await w.setCommissionRule('TRADER-B', { earnerCode: 'SHOP-D', productId: product.Q.id, kind: 'PERCENT', value: 9999 });
    expect(await w.commissionRules('TRADER-B')).toHaveLength(5);
  });

  it('refuses bad rules, naming the field', async () => {
    const bad = (input: Record<string, unknown>) => w.finance('TRADER-B', 'setCommissionRule', { input });
    expect(await bad({ kind: 'PERCENT', value: 10_001 })).toMatchObject({ __typename: 'InvalidFinanceInput', errorCode: 'INVALID_INPUT', field: 'value' });
    expect(await bad({ kind: 'FIXED', value: -1 })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'value' });
    // Basis points stay 0–10000 however large a Long is; a FIXED amount beyond a Long is refused by the scalar itself.
    expect(await bad({ kind: 'PERCENT', value: '9007199254740993' })).toMatchObject({ __typename: 'InvalidFinanceInput', field: 'value', message: expect.stringContaining('10000') });
    const beyondLong = await w.raw('TRADER-B', FIXED_RULE, { input: { kind: 'FIXED', value: '9223372036854775808' } });
    expect(beyondLong.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    // Another partner's product (visible to TRADER-B through the link) is not TRADER-B's to pay commission on.
    expect(await bad({ productId: shopA.X.id, kind: 'FIXED', value: 1 })).toMatchObject({ __typename: expect.stringMatching(/^(InvalidFinanceInput|FinanceNotFound)$/) });
    expect(await bad({ earnerCode: 'NO-SUCH-PARTNER', kind: 'FIXED', value: 1 })).toMatchObject({ __typename: expect.stringMatching(/^(InvalidFinanceInput|FinanceNotFound)$/) });
    expect(await bad({ earnerCode: 'TRADER-B', kind: 'FIXED', value: 1 })).toMatchObject({ __typename: expect.stringMatching(/^(InvalidFinanceInput|FinanceNotFound)$/) });
    expect(await w.commissionRules('TRADER-B')).toHaveLength(5);
    const sales = await w.tokenFor('TRADER-B', ['sales']);
    const response = await w.raw(sales, `mutation { setCommissionRule(input: { kind: FIXED, value: 1 }) { __typename } }`);
    expect(response.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('are seen by the payer, and by the earner each names; not by anyone else', async () => {
    const scopes = async (as: Code) =>
      (await w.commissionRules(as)).map((r: CommissionRule) => [r.payer.id === PARTNER['TRADER-B'], r.earner?.id ?? null, r.productId, r.kind, r.value]).sort();
    expect(await scopes('SHOP-A')).toEqual([[true, PARTNER['SHOP-A'], null, 'PERCENT', '250']]);
    expect(await scopes('SHOP-D')).toEqual(
      [
        [true, PARTNER['SHOP-D'], product.X.id, 'FIXED', '11'],
        [true, PARTNER['SHOP-D'], product.Q.id, 'PERCENT', '9999'],
      ].sort(),
    );
    expect(await w.commissionRules('SUPPLIER-C')).toEqual([]);
  });
});

describe('commission on shipped lines', () => {
  it('SHOP-A earns by the most specific rule: product (fixed per unit) over earner (percent, half to even)', async () => {
    const before = BigInt((await w.balanceWith('TRADER-B', 'SHOP-A'))?.net.amountMinor ?? 0);
    const { distribution } = await w.shippedDistribution('SHOP-A', 'TRADER-B', [
      { productId: shopA.X.id, quantity: 3, unitPriceMinor: 999 },
      { productId: shopA.Y.id, quantity: 1, unitPriceMinor: 999 },
      { productId: shopA.W.id, quantity: 1, unitPriceMinor: 999 },
      { productId: shopA.V.id, quantity: 1, unitPriceMinor: 999 },
    ]);
    await expect.poll(async () => (await commissions('TRADER-B', distribution.id)).length, POLL).toBe(4);
    const entries = await commissions('TRADER-B', distribution.id);
    // X: 3 × 7 = 21 (product rule beats SHOP-A's 2.5 %); Y: 3.5 → 4; W: 2.5 → 2; V: 4.5 → 4.
    expect(amounts(entries)).toEqual(['2', '4', '4', '21']);
    for (const entry of entries) {
      expect(entry).toMatchObject({ side: 'PAYABLE', creditor: { id: PARTNER['SHOP-A'] }, debtor: { id: PARTNER['TRADER-B'] }, order: { id: distribution.id } });
    }
    const invoices = (await w.entriesOfOrder('TRADER-B', distribution.id)).filter((e) => e.kind === 'INVOICE');
    expect(amounts(invoices)).toEqual(['100', '140', '180', '1350']);

    // SHOP-A sees the same commission as its receivable; TRADER-B's net with SHOP-A is invoices less commission.
    const earned = await commissions('SHOP-A', distribution.id);
    expect(earned.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
    expect(earned.every((e) => e.side === 'RECEIVABLE')).toBe(true);
    expect((await w.balanceWith('TRADER-B', 'SHOP-A'))!.net).toEqual(eur(before + 1770n - 31n));
  });

  it('SHOP-D earns by its product-for-earner rule, and by the default rule where it has no rule of its own', async () => {
    const { distribution } = await w.shippedDistribution('SHOP-D', 'TRADER-B', [
      { productId: shopD.X.id, quantity: 2, unitPriceMinor: 1500 },
      { productId: shopD.Z.id, quantity: 2, unitPriceMinor: 1500 },
    ]);
    await expect.poll(async () => (await commissions('TRADER-B', distribution.id)).length, POLL).toBe(2);
    // X: 2 × 11 (the product rule for SHOP-D beats the product rule for anyone); Z: 10 % of 666 = 66.6 → 67.
    expect(amounts(await commissions('TRADER-B', distribution.id))).toEqual(['22', '67']);
    expect(amounts(await commissions('SHOP-D', distribution.id))).toEqual(['22', '67']);
    expect((await commissions('SHOP-D', distribution.id)).every((e) => e.side === 'RECEIVABLE' && e.creditor.id === PARTNER['SHOP-D'])).toBe(true);
  });

  it('commission entries are seen by their two parties only', async () => {
    const all = await w.ledgerEntries('TRADER-B', { kind: ['COMMISSION'] });
    expect(all.length).toBeGreaterThanOrEqual(6);
    const ofShopA = all.filter((e) => e.creditor.id === PARTNER['SHOP-A']).map((e) => e.id);
    const ofShopD = all.filter((e) => e.creditor.id === PARTNER['SHOP-D']).map((e) => e.id);
    const seen = async (as: Code) => (await w.ledgerEntries(as, { kind: ['COMMISSION'] })).map((e) => e.id);
    expect((await seen('SHOP-A')).sort()).toEqual(ofShopA.sort());
    expect((await seen('SHOP-D')).sort()).toEqual(ofShopD.sort());
    expect(await seen('SUPPLIER-C')).toEqual([]);
  });

  it('a rule changed later applies to what ships later, not to what was booked', async () => {
    await w.setCommissionRule('TRADER-B', { productId: product.X.id, kind: 'FIXED', value: 9 });
    const { distribution } = await w.shippedDistribution('SHOP-A', 'TRADER-B', [{ productId: shopA.X.id, quantity: 2, unitPriceMinor: 999 }]);
    await expect.poll(async () => amounts(await commissions('TRADER-B', distribution.id)), POLL).toEqual(['18']);
    // The first order's commission stays as booked.
    const earlier = (await w.ledgerEntries('SHOP-A', { kind: ['COMMISSION'] })).filter((e) => e.order?.id !== distribution.id);
    expect(amounts(earlier)).toEqual(['2', '4', '4', '21']);
  });
});

describe('FIXED commissions beyond 32 bits (a bigint column, exact to 2^63 − 1)', () => {
  it('books a FIXED commission of 9007199254740993 minor units per unit exactly, for 1 and for 1000 units', async () => {
    // 9007199254740993 = 2^53 + 1: a JavaScript number would round it to …992.
    const one = await w.linkedStock({ buyer: 'SHOP-D', supplyPriceMinor: 100 });
    const many = await w.linkedStock({ buyer: 'SHOP-D', supplyPriceMinor: 100, stock: 1000 });
    for (const linked of [one, many]) {
      expect(await w.setCommissionRule('TRADER-B', { productId: linked.sellerProduct.id, kind: 'FIXED', value: '9007199254740993' })).toMatchObject({
        productId: linked.sellerProduct.id,
        kind: 'FIXED',
        value: '9007199254740993',
      });
    }
    // The rule reads back exactly, as the payer sees it in its list.
    expect((await w.commissionRules('TRADER-B')).filter((r) => r.productId === one.sellerProduct.id).map((r) => r.value)).toEqual(['9007199254740993']);
    const [stored] = await w.admin`select value::text from finance.commission_rules where product_id = ${one.sellerProduct.id}`;
    expect(stored!['value']).toBe('9007199254740993');

    const { distribution } = await w.shippedDistribution('SHOP-D', 'TRADER-B', [
      { productId: one.buyerProduct.id, quantity: 1, unitPriceMinor: 999 },
      { productId: many.buyerProduct.id, quantity: 1000, unitPriceMinor: 999 },
    ]);
    await expect.poll(async () => (await commissions('TRADER-B', distribution.id)).length, POLL).toBe(2);
    // 1 × 9007199254740993 and 1000 × 9007199254740993 = 9007199254740993000 (< 2^63 − 1), to the unit.
    expect(amounts(await commissions('TRADER-B', distribution.id))).toEqual(['9007199254740993', '9007199254740993000']);
    expect(amounts(await commissions('SHOP-D', distribution.id))).toEqual(['9007199254740993', '9007199254740993000']);
    const booked = await w.admin`select amount_minor::text as amount from finance.ledger_entries where order_id = ${distribution.id} and kind = 'COMMISSION' order by amount_minor`;
    expect(booked.map((r) => r['amount'])).toEqual(['9007199254740993', '9007199254740993000']);
  });
});
