import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { and, eq } from 'drizzle-orm';
import { products } from '@redthread/schema';
import { connectDatabase, inTenantTransaction, type Db, type Identity, type Role } from '@redthread/kit';
import { createProduct } from '@redthread/catalog/services/products';
import { hashPassword } from '@redthread/catalog/access/passwords';
import { proposeLink, setShareRule, setSupplyPrice, transitionLink } from '@redthread/catalog/services/links';
import { seedDemoInventory } from './inventory';
import { seedDemoOrders } from './orders';

/** A partner of the demo world. */
export interface DemoPartner {
  code: string;
  name: string;
  kinds: ('CHANNEL' | 'TRADER' | 'SUPPLIER' | 'LOGISTICS')[];
  products: { skuCode: string; name: string; barcode?: string; unit?: string }[];
}

/**
 * The demo world every `npm start` and test starts from. Deterministic: ids derive from codes.
 * SHOP-D has no relation to anyone; LOGI-E is a 3PL that runs one of SHOP-A's warehouses.
 */
export const DEMO_PARTNERS: readonly DemoPartner[] = [
  {
    code: 'SHOP-A',
    name: 'Shop A Online',
    kinds: ['CHANNEL'],
    products: [
      { skuCode: 'A-TEA-001', name: 'Green Tea 100g', barcode: '4006381333931' },
      { skuCode: 'A-TEA-002', name: 'Black Tea 250g', barcode: '4006381333948' },
      { skuCode: 'A-MUG-001', name: 'Ceramic Mug' },
      { skuCode: 'A-POT-001', name: 'Teapot 1l' },
      { skuCode: 'A-GFT-001', name: 'Gift Box', unit: 'box' },
    ],
  },
  {
    code: 'TRADER-B',
    name: 'Trader B Wholesale',
    kinds: ['TRADER'],
    products: [
      { skuCode: 'B-TEA-GRN', name: 'Green Tea 100g (wholesale)' },
      { skuCode: 'B-TEA-BLK', name: 'Black Tea 250g (wholesale)' },
      { skuCode: 'B-MUG-CER', name: 'Ceramic Mug (wholesale)' },
      { skuCode: 'B-POT-1L', name: 'Teapot 1l (wholesale)' },
    ],
  },
  {
    code: 'SUPPLIER-C',
    name: 'Supplier C Manufacturing',
    kinds: ['SUPPLIER'],
    products: [
      { skuCode: 'C-GT-100', name: 'Green Tea, loose, 100g' },
      { skuCode: 'C-BT-250', name: 'Black Tea, loose, 250g' },
      { skuCode: 'C-OOL-100', name: 'Oolong Tea, loose, 100g' },
      { skuCode: 'C-MUG-300', name: 'Ceramic Mug, white, 300ml' },
    ],
  },
  {
    code: 'LOGI-E',
    name: 'Logistics E Fulfilment',
    kinds: ['LOGISTICS'],
    products: [],
  },
  {
    code: 'SHOP-D',
    name: 'Shop D Boutique',
    kinds: ['CHANNEL'],
    products: [
      { skuCode: 'D-CUP-001', name: 'Espresso Cup' },
      { skuCode: 'A-TEA-001', name: 'House Tea (same SKU code as Shop A, different product)' },
    ],
  },
];

/** The password of every demo user (development only: `npm start` prints it). */
export const DEMO_PASSWORD = 'redthread-demo';

/** A person of the demo world who signs in with email and {@link DEMO_PASSWORD}. */
export interface DemoUser {
  email: string;
  displayName: string;
  memberships: { partner: string; roles: Role[] }[];
}

/**
 * The demo users: an admin per partner (`admin@<code>.example`), and at SHOP-A a sales clerk and
 * a reviewer with one role each. The TRADER-B admin also belongs to SUPPLIER-C, as a viewer, to
 * show picking a partner at sign-in.
 */
export const DEMO_USERS: readonly DemoUser[] = [
  ...DEMO_PARTNERS.map((partner) => ({
    email: `admin@${partner.code.toLowerCase()}.example`,
    displayName: `${partner.name} admin`,
    memberships: [
      { partner: partner.code, roles: ['admin'] as Role[] },
      ...(partner.code === 'TRADER-B' ? [{ partner: 'SUPPLIER-C', roles: ['viewer'] as Role[] }] : []),
    ],
  })),
  { email: 'sales@shop-a.example', displayName: 'Sam Sales (Shop A)', memberships: [{ partner: 'SHOP-A', roles: ['sales'] }] },
  { email: 'reviewer@shop-a.example', displayName: 'Rita Reviewer (Shop A)', memberships: [{ partner: 'SHOP-A', roles: ['reviewer'] }] },
];

/** A link of the demo world: downstream product → upstream product, by partner and SKU code. */
export interface DemoLink {
  downstream: [partnerCode: string, skuCode: string];
  upstream: [partnerCode: string, skuCode: string];
  /** ACTIVE links are proposed by the downstream party and accepted; PROPOSED ones stay pending. */
  status: 'ACTIVE' | 'PROPOSED';
  /** Supply prices in EUR cents; `inDays` > 0 schedules a future price. */
  prices?: { amountMinor: number; inDays?: number }[];
  shareRule?: { kind: 'NONE' | 'ALL' | 'PERCENT' | 'FIXED'; value?: number; safetyBuffer?: number };
}

/**
 * The links of the demo world: SHOP-A buys three products from TRADER-B, which buys two of them
 * on from SUPPLIER-C and has a mug proposal pending with SUPPLIER-C. SHOP-A's teapot and gift box
 * are unlinked (own fulfilment). SHOP-D has no links and no proposals at all.
 */
export const DEMO_LINKS: readonly DemoLink[] = [
  {
    downstream: ['SHOP-A', 'A-TEA-001'],
    upstream: ['TRADER-B', 'B-TEA-GRN'],
    status: 'ACTIVE',
    prices: [{ amountMinor: 450 }, { amountMinor: 480, inDays: 30 }],
    shareRule: { kind: 'ALL', safetyBuffer: 2 },
  },
  {
    downstream: ['SHOP-A', 'A-TEA-002'],
    upstream: ['TRADER-B', 'B-TEA-BLK'],
    status: 'ACTIVE',
    prices: [{ amountMinor: 700 }],
    shareRule: { kind: 'PERCENT', value: 50 },
  },
  {
    downstream: ['SHOP-A', 'A-MUG-001'],
    upstream: ['TRADER-B', 'B-MUG-CER'],
    status: 'ACTIVE',
    prices: [{ amountMinor: 300 }],
    shareRule: { kind: 'FIXED', value: 20 },
  },
  {
    downstream: ['TRADER-B', 'B-TEA-GRN'],
    upstream: ['SUPPLIER-C', 'C-GT-100'],
    status: 'ACTIVE',
    prices: [{ amountMinor: 300 }],
  },
  {
    downstream: ['TRADER-B', 'B-TEA-BLK'],
    upstream: ['SUPPLIER-C', 'C-BT-250'],
    status: 'ACTIVE',
    prices: [{ amountMinor: 500 }],
  },
  { downstream: ['TRADER-B', 'B-MUG-CER'], upstream: ['SUPPLIER-C', 'C-MUG-300'], status: 'PROPOSED' },
];

/** A stable UUID for a name in the demo world (deterministic across runs and machines). */
export function demoId(name: string): string {
  const hex = createHash('sha256').update(`redthread-demo:${name}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The id of a demo partner by code. */
export function demoPartnerId(code: string): string {
  return demoId(`partner:${code}`);
}

/** Whether the demo world (or any partner) is already in the database. */
export async function hasPartners(adminUrl: string): Promise<boolean> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select exists (select 1 from catalog.partners) as present`;
    return Boolean(row?.['present']);
  } finally {
    await sql.end();
  }
}

/**
 * Seeds the demo world. Partners are registered with the owner connection (as onboarding will);
 * everything else — products, links, prices, channels, customers, orders along the chain — goes
 * through the services under each partner's own identity, so the demo data obeys the same rules
 * and writes the same events as real use. The order chain workflow is drained on `workerUrl`.
 */
export async function seedDemoWorld(adminUrl: string, appUrl: string, workerUrl: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    for (const partner of DEMO_PARTNERS) {
      await admin`insert into catalog.partners (id, code, name, kinds)
        values (${demoPartnerId(partner.code)}, ${partner.code}, ${partner.name}, ${`{${partner.kinds.join(',')}}`}::catalog.partner_kind[])
        on conflict (id) do nothing`;
    }
    for (const user of DEMO_USERS) {
      const userId = demoId(`user:${user.email}`);
      await admin`insert into catalog.users (id, email, display_name, password_hash)
        values (${userId}, ${user.email}, ${user.displayName}, ${await hashPassword(DEMO_PASSWORD)})
        on conflict (id) do nothing`;
      for (const membership of user.memberships) {
        await admin`insert into catalog.memberships (partner_id, user_id, roles, created_by)
          values (${demoPartnerId(membership.partner)}, ${userId}, ${`{${membership.roles.join(',')}}`}::text[], 'seed')
          on conflict do nothing`;
      }
    }
  } finally {
    await admin.end();
  }
  const app = connectDatabase(appUrl, { max: 2, applicationName: 'redthread-seed' });
  try {
    for (const partner of DEMO_PARTNERS) {
      const identity: Identity = { subject: 'seed', partnerId: demoPartnerId(partner.code), roles: ['admin'] };
      await inTenantTransaction(app.db, identity, async (tx) => {
        for (const product of partner.products) {
          const result = await createProduct(tx, identity, product);
          if ('errorCode' in result && result.errorCode !== 'SKU_CODE_TAKEN') {
            throw new Error(`seed product ${partner.code}/${product.skuCode}: ${result.message}`);
          }
        }
      });
    }
    for (const link of DEMO_LINKS) await seedLink(app.db, link);
    await seedDemoInventory(app.db, demoIdentity);
    const worker = connectDatabase(workerUrl, { max: 2, applicationName: 'redthread-seed' });
    try {
      await seedDemoOrders(app, worker, demoPartnerId);
    } finally {
      await worker.close();
    }
  } finally {
    await app.close();
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

function demoIdentity(code: string): Identity {
  return { subject: 'seed', partnerId: demoPartnerId(code), roles: ['admin'] };
}

/** Proposes a demo link as its downstream party; for ACTIVE ones accepts, prices and shares it as the upstream. */
async function seedLink(db: Db, link: DemoLink): Promise<void> {
  const [downCode, downSku] = link.downstream;
  const [upCode, upSku] = link.upstream;
  const buyer = demoIdentity(downCode);
  const proposed = await inTenantTransaction(db, buyer, async (tx) => {
    const [mine] = await tx
      .select({ id: products.id })
      .from(products)
      .where(and(eq(products.ownerPartnerId, buyer.partnerId), eq(products.skuCode, downSku)));
    if (!mine) throw new Error(`seed link: ${downCode} has no product ${downSku}`);
    return proposeLink(tx, buyer, {
      myProductId: mine.id,
      mySide: 'DOWNSTREAM',
      counterpart: { partnerCode: upCode, skuCode: upSku },
    });
  });
  if ('errorCode' in proposed) {
    if (proposed.errorCode === 'DUPLICATE_LINK') return;
    throw new Error(`seed link ${downSku} → ${upSku}: ${proposed.message}`);
  }
  if (link.status !== 'ACTIVE') return;
  const supplier = demoIdentity(upCode);
  await inTenantTransaction(db, supplier, async (tx) => {
    const steps = [
      await transitionLink(tx, supplier, proposed.id, 'accept'),
      ...(await sequential(link.prices ?? [], (price) =>
        setSupplyPrice(tx, supplier, {
          linkId: proposed.id,
          amountMinor: BigInt(price.amountMinor),
          currency: 'EUR',
          effectiveFrom: price.inDays ? new Date(Date.now() + price.inDays * DAY_MS) : null,
        }),
      )),
      ...(link.shareRule ? [await setShareRule(tx, supplier, { linkId: proposed.id, ...link.shareRule })] : []),
    ];
    const failed = steps.find((step) => 'errorCode' in step);
    if (failed && 'message' in failed) throw new Error(`seed link ${downSku} → ${upSku}: ${failed.message}`);
  });
}

async function sequential<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await work(item));
  return results;
}
