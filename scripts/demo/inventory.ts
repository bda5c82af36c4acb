import { and, eq } from 'drizzle-orm';
import { products } from '@redthread/schema';
import { inTenantTransaction, type Db, type Identity } from '@redthread/kit';
import { isFailure } from '@redthread/inventory/errors';
import { createWarehouse } from '@redthread/inventory/services/warehouses';
import { receiveStock } from '@redthread/inventory/services/receipts';

interface DemoWarehouse {
  owner: string;
  code: string;
  name: string;
  kind: 'OWN' | 'THIRD_PARTY';
  operator?: string;
  regions: string[];
  priority: number;
  stock: { skuCode: string; quantity: number; lot?: [lotNumber: string, expiresOn: string] }[];
}

/**
 * The demo warehouses: SHOP-A runs two of its own (north-east and south) and one run by the 3PL
 * LOGI-E (north-west); TRADER-B and SUPPLIER-C hold stock with batches; SHOP-D a shop store room.
 */
export const DEMO_WAREHOUSES: readonly DemoWarehouse[] = [
  {
    owner: 'SHOP-A', code: 'A-BER', name: 'Shop A Berlin', kind: 'OWN', regions: ['DE-BE', 'DE-BB', 'DE-MV'], priority: 10,
    stock: [{ skuCode: 'A-POT-001', quantity: 20 }, { skuCode: 'A-GFT-001', quantity: 10 }],
  },
  {
    owner: 'SHOP-A', code: 'A-MUC', name: 'Shop A München', kind: 'OWN', regions: ['DE-BY', 'DE-BW'], priority: 20,
    stock: [{ skuCode: 'A-POT-001', quantity: 5 }],
  },
  {
    owner: 'SHOP-A', code: 'A-HAM', name: 'Shop A Hamburg (LOGI-E)', kind: 'THIRD_PARTY', operator: 'LOGI-E', regions: ['DE-HH', 'DE-NI', 'DE-SH'], priority: 30,
    stock: [{ skuCode: 'A-GFT-001', quantity: 15 }, { skuCode: 'A-POT-001', quantity: 8 }],
  },
  {
    owner: 'TRADER-B', code: 'B-HUB', name: 'Trader B Hub', kind: 'OWN', regions: ['DE'], priority: 10,
    stock: [
      { skuCode: 'B-MUG-CER', quantity: 50, lot: ['MUG-2026-09', '2036-09-30'] },
      { skuCode: 'B-POT-1L', quantity: 10 },
    ],
  },
  {
    owner: 'SUPPLIER-C', code: 'C-FACTORY', name: 'Supplier C Factory Store', kind: 'OWN', regions: ['DE'], priority: 10,
    stock: [
      { skuCode: 'C-GT-100', quantity: 120, lot: ['GT-2026-10', '2027-10-01'] },
      { skuCode: 'C-GT-100', quantity: 80, lot: ['GT-2026-11', '2027-11-01'] },
      { skuCode: 'C-BT-250', quantity: 150, lot: ['BT-2026-10', '2027-12-01'] },
      { skuCode: 'C-OOL-100', quantity: 40, lot: ['OOL-2026-08', '2027-08-01'] },
    ],
  },
  {
    owner: 'SHOP-D', code: 'D-STORE', name: 'Shop D Store Room', kind: 'OWN', regions: ['DE-BE'], priority: 10,
    stock: [{ skuCode: 'D-CUP-001', quantity: 30 }],
  },
];

/** Creates the demo warehouses and receives their stock, through the inventory services. */
export async function seedDemoInventory(db: Db, identityOf: (code: string) => Identity): Promise<void> {
  for (const demo of DEMO_WAREHOUSES) {
    const owner = identityOf(demo.owner);
    await inTenantTransaction(db, owner, async (tx) => {
      const warehouse = await createWarehouse(tx, owner, {
        code: demo.code,
        name: demo.name,
        kind: demo.kind,
        operatorCode: demo.operator ?? null,
        regions: demo.regions,
        priority: demo.priority,
      });
      if (isFailure(warehouse)) {
        if (warehouse.errorCode === 'CODE_TAKEN') return;
        throw new Error(`seed warehouse ${demo.code}: ${warehouse.message}`);
      }
      const lines = [];
      for (const item of demo.stock) {
        const [product] = await tx
          .select({ id: products.id })
          .from(products)
          .where(and(eq(products.ownerPartnerId, owner.partnerId), eq(products.skuCode, item.skuCode)));
        if (!product) throw new Error(`seed stock: ${demo.owner} has no product ${item.skuCode}`);
        lines.push({
          productId: product.id,
          quantity: item.quantity,
          ...(item.lot ? { batch: { lotNumber: item.lot[0], expiresOn: item.lot[1] } } : {}),
        });
      }
      const receipt = await receiveStock(tx, owner, { warehouseId: warehouse.id, lines });
      if (isFailure(receipt)) throw new Error(`seed stock ${demo.code}: ${receipt.message}`);
    });
  }
}
