import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld } from './helpers';

/**
 * What a pick list tells the people who pick it (the warehouse screen's shipment cards): each
 * line names its product, for the warehouse owner and for the 3PL operating the warehouse, who
 * sees the name, SKU code and barcode of the products it stores and nothing else of them
 * (DESIGN.md §2). The order behind a shipment (number, destination) stays the owner's; to a
 * partner without a relation the shipment looks exactly like one that does not exist.
 */

let w: InventoryWorld;

const RANDOM_ID = '6f1c1e52-58a4-4b8e-9c43-7d1d2f6a0b9e';
const CARD_FIELDS = 'id status orderId lines { productId name skuCode barcode quantity } order { id externalNumber shipTo { city country } }';

/** A shipment as the warehouse screen's queue card reads it. */
interface Card {
  id: string;
  status: string;
  orderId: string;
  lines: { productId: string; name: string | null; skuCode: string; barcode: string | null; quantity: number }[];
  order: { id: string; externalNumber: string | null; shipTo: { city: string; country: string } | null } | null;
}

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

/** One shipment of `as`'s view by id (null when it cannot see it). */
async function card(as: string, id: string): Promise<Card | null> {
  return (await w.gql<{ shipment: Card | null }>(as, `query($id: ID!) { shipment(id: $id) { ${CARD_FIELDS} } }`, { id })).shipment;
}

/** A SHOP-A order of two named products allocated to `warehouseId` (covering `regionCode`), and its shipment. */
async function namedShipment(warehouseId: string, regionCode: string) {
  const kettle = await w.createProduct('SHOP-A', { name: 'Stovetop Kettle 1.5 l', barcode: w.barcode() });
  const filters = await w.createProduct('SHOP-A', { name: 'Paper Filters (100)' });
  await w.received('SHOP-A', warehouseId, [
    { productId: kettle.id, quantity: 4 },
    { productId: filters.id, quantity: 9 },
  ]);
  const order = await w.approvedOrder('SHOP-A', [
    { productId: kettle.id, quantity: 1 },
    { productId: filters.id, quantity: 3 },
  ], regionCode);
  expect(order.status).toBe('ALLOCATED');
  const [shipment] = await w.shipmentsOf('SHOP-A', order.id);
  return { kettle, filters, order, shipment: shipment! };
}

describe('pick list names', () => {
  it('the owner reads each line’s product name, and the order’s number and destination behind the shipment', async () => {
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
    const { kettle, filters, order, shipment } = await namedShipment(warehouse.id, 'DE-BE');
    const seen = await card('SHOP-A', shipment.id);
    expect(seen!.lines.map((l) => [l.name, l.skuCode, l.quantity]).sort()).toEqual(
      [
        ['Paper Filters (100)', filters.skuCode, 3],
        ['Stovetop Kettle 1.5 l', kettle.skuCode, 1],
      ].sort(),
    );
    expect(seen!.order).toMatchObject({ id: order.id, externalNumber: expect.stringMatching(/^EXT-/), shipTo: { city: 'Teststadt', country: 'DE' } });
  });

  it('the 3PL operator reads the names, SKU codes and barcodes of the products it picks, never the order', async () => {
    const ham = await w.demoWarehouseId('A-HAM');
    const { kettle, filters, shipment } = await namedShipment(ham, 'DE-HH');
    const seen = await card('LOGI-E', shipment.id);
    expect(seen).toMatchObject({ id: shipment.id, order: null });
    expect(seen!.lines).toEqual(
      expect.arrayContaining([
        { productId: kettle.id, name: 'Stovetop Kettle 1.5 l', skuCode: kettle.skuCode, barcode: kettle.barcode, quantity: 1 },
        { productId: filters.id, name: 'Paper Filters (100)', skuCode: filters.skuCode, barcode: null, quantity: 3 },
      ]),
    );
    expect(seen!.lines).toHaveLength(2);
    // The catalog shows the 3PL the same of a product it stores (issue 15), and nothing else of it.
    const { product } = await w.gql<{ product: { name: string; status: string | null; links: { edges: unknown[] } } | null }>(
      'LOGI-E',
      `query($id: ID!) { product(id: $id) { name status links { edges { node { id } } } } }`,
      { id: kettle.id },
    );
    expect(product).toEqual({ name: 'Stovetop Kettle 1.5 l', status: null, links: { edges: [] } });
  });

  it.each(['TRADER-B', 'SHOP-D'] as const)('%s reads no pick list of SHOP-A’s: the shipment answers like an unknown id', async (code) => {
    const warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'], priority: 1 });
    const { shipment } = await namedShipment(warehouse.id, 'DE-BE');
    const foreign = await w.raw(code, `query($id: ID!) { shipment(id: $id) { ${CARD_FIELDS} } }`, { id: shipment.id });
    const missing = await w.raw(code, `query($id: ID!) { shipment(id: $id) { ${CARD_FIELDS} } }`, { id: RANDOM_ID });
    expect(foreign).toEqual(missing);
    expect(foreign.data).toEqual({ shipment: null });
    expect((await w.shipments(code)).map((s) => s.id)).not.toContain(shipment.id);
  });
});
