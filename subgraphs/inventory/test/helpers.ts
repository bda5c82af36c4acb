import { expect } from 'vitest';
import { demoPartnerId } from '../../../scripts/demo/world';
import { TestWorld, linkProducts, ok, type Result } from '../../../test/world';
import type { TestPlatformOptions } from '../../../test/platform';

export { ok, type Result } from '../../../test/world';

/**
 * Shared fixtures of the inventory tests: a fresh demo database and the real platform per test
 * file, GraphQL documents for the inventory API, factories for the products, warehouses, stock
 * and orders a test needs (tests never rely on the demo stock), and ledger checks that read
 * `inventory.stock` and `inventory.movements` behind row-level security.
 */

/** The demo partners. LOGI-E is the 3PL operating SHOP-A's A-HAM warehouse. */
export const CODES = ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'LOGI-E', 'SHOP-D'] as const;
export type Code = (typeof CODES)[number];

/** Partner ids by code (deterministic in the demo world). */
export const PARTNER: Record<Code, string> = Object.fromEntries(CODES.map((code) => [code, demoPartnerId(code)])) as Record<Code, string>;

/** Timeouts for `expect.poll` on the background workflows (allocation, order chain). */
export const POLL = { timeout: 15_000, interval: 25 } as const;

export interface Warehouse {
  id: string;
  code: string;
  name: string;
  kind: 'OWN' | 'THIRD_PARTY';
  owner: { id: string };
  operator: { id: string } | null;
  regions: string[];
  priority: number;
  locations: { id: string; code: string }[];
}

export interface StockLevel {
  warehouse: { id: string; code: string };
  location: { code: string };
  productId: string;
  batch: { lotNumber: string; expiresOn: string | null } | null;
  onHand: number;
  reserved: number;
  available: number;
}

export interface Movement {
  id: string;
  kind: string;
  quantity: number;
  warehouse: { id: string };
  location: { code: string };
  productId: string;
  batch: { lotNumber: string } | null;
  reference: string | null;
  at: string;
}

export interface InspectionDifference {
  code: string;
  expected: number;
  scanned: number;
  kind: string;
}

export interface Shipment {
  id: string;
  status: string;
  warehouse: { id: string; code: string };
  order: { id: string } | null;
  orderId: string;
  lines: { productId: string; skuCode: string; barcode: string | null; location: { code: string }; batch: { lotNumber: string; expiresOn: string | null } | null; quantity: number }[];
  lastMismatch: InspectionDifference[] | null;
  carrier: string | null;
  trackingNumber: string | null;
}

export interface Transfer {
  id: string;
  status: string;
  source: { id: string };
  destination: { id: string };
  lines: { id: string; productId: string; batch: { lotNumber: string } | null; quantity: number; receivedQuantity: number | null; difference: number | null }[];
}

export interface StockCount {
  id: string;
  status: string;
  warehouse: { id: string };
  lines: { id: string; location: { code: string }; productId: string; batch: { lotNumber: string } | null; counted: number | null; expected: number | null; variance: number | null }[];
}

export const WAREHOUSE_FIELDS = 'id code name kind owner { id } operator { id } regions priority locations { id code }';
export const STOCK_FIELDS = 'warehouse { id code } location { code } productId batch { lotNumber expiresOn } onHand reserved available';
export const MOVEMENT_FIELDS = 'id kind quantity warehouse { id } location { code } productId batch { lotNumber } reference at';
export const SHIPMENT_FIELDS = `id status warehouse { id code } order { id } orderId
  lines { productId skuCode barcode location { code } batch { lotNumber expiresOn } quantity }
  lastMismatch { code expected scanned kind } carrier trackingNumber`;
// `from` is aliased: InvalidInventoryTransition.from (String!) conflicts with Transfer.from (Warehouse!) in one selection.
export const TRANSFER_FIELDS = 'id status source: from { id } destination: to { id } lines { id productId batch { lotNumber } quantity receivedQuantity difference }';
export const COUNT_FIELDS = 'id status warehouse { id } lines { id location { code } productId batch { lotNumber } counted expected variance }';

const ERROR_FIELDS = `... on InventoryError { errorCode message }`;
const FAILURES = {
  InvalidInventoryInput: '... on InvalidInventoryInput { field }',
  InvalidInventoryTransition: '... on InvalidInventoryTransition { from }',
  InsufficientStock: '... on InsufficientStock { productId requested available }',
} as const;

/** The selection of a mutation result union: the object's fields, the error interface, and each failure's own fields. */
function resultSelection(object: string, fields: string, failures: (keyof typeof FAILURES)[]): string {
  return `__typename ... on ${object} { ${fields} } ${ERROR_FIELDS} ${failures.map((f) => FAILURES[f]).join(' ')}`;
}

/** The inventory mutations, each as a document with `$input` (or `$id`) and its result selection. */
export const MUTATIONS = {
  createWarehouse: `mutation($input: CreateWarehouseInput!) { result: createWarehouse(input: $input) { ${resultSelection('Warehouse', WAREHOUSE_FIELDS, ['InvalidInventoryInput'])} } }`,
  createLocation: `mutation($input: CreateLocationInput!) { result: createLocation(input: $input) { ${resultSelection('Warehouse', WAREHOUSE_FIELDS, ['InvalidInventoryInput'])} } }`,
  receiveStock: `mutation($input: ReceiveStockInput!) { result: receiveStock(input: $input) { ${resultSelection('Receipt', `warehouse { id } movements { ${MOVEMENT_FIELDS} }`, ['InvalidInventoryInput'])} } }`,
  createTransfer: `mutation($input: CreateTransferInput!) { result: createTransfer(input: $input) { ${resultSelection('Transfer', TRANSFER_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  shipTransfer: `mutation($id: ID!) { result: shipTransfer(id: $id) { ${resultSelection('Transfer', TRANSFER_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  receiveTransfer: `mutation($input: ReceiveTransferInput!) { result: receiveTransfer(input: $input) { ${resultSelection('Transfer', TRANSFER_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  openStockCount: `mutation($id: ID!) { result: openStockCount(warehouseId: $id) { ${resultSelection('StockCount', COUNT_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  recordCount: `mutation($input: RecordCountInput!) { result: recordCount(input: $input) { ${resultSelection('StockCount', COUNT_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  postStockCount: `mutation($id: ID!) { result: postStockCount(id: $id) { ${resultSelection('StockCount', COUNT_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition', 'InsufficientStock'])} } }`,
  inspectShipment: `mutation($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { ${resultSelection(
    'Inspection',
    `passed differences { code expected scanned kind } shipment { ${SHIPMENT_FIELDS} }`,
    ['InvalidInventoryInput', 'InvalidInventoryTransition'],
  )} } }`,
  dispatchShipment: `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { ${resultSelection('Shipment', SHIPMENT_FIELDS, ['InvalidInventoryInput', 'InvalidInventoryTransition'])} } }`,
} as const;
export type InventoryMutation = keyof typeof MUTATIONS;

/** A mutation result as the test sees it: the object with `__typename`, or a typed failure. */
/** The address of a region (only the region code matters to allocation). */
export function addressIn(regionCode: string): Record<string, unknown> {
  return { name: 'Test Customer', line1: 'Teststraße 1', city: 'Teststadt', postalCode: '10000', regionCode, country: regionCode.slice(0, 2) };
}

/** A slot of the ledger check: stock row against the sum of its movements. */
export interface SlotBalance {
  warehouseId: string;
  locationId: string;
  batchId: string | null;
  onHand: number;
  reserved: number;
  movementSum: number;
}

/** A test world: a fresh demo database, the platform, tokens and factories. */
export class InventoryWorld extends TestWorld<Code> {
  #channels = new Map<Code, string>();

  /** Clones a fresh demo database and starts the platform on it (with `options`, e.g. a statement counter). Call in `beforeAll`. */
  static async start(options: TestPlatformOptions = {}): Promise<InventoryWorld> {
    return new InventoryWorld(await TestWorld.boot(CODES, options));
  }

  /** Runs an inventory mutation and returns its result union. */
  async mutate(as: Code | string, mutation: InventoryMutation, variables: Record<string, unknown>): Promise<Result> {
    return (await this.gql<{ result: Result }>(as, MUTATIONS[mutation], variables)).result;
  }

  // ---- catalog -------------------------------------------------------------------------------

  /** Creates a product (fresh SKU code) and returns its id and codes. */
  async createProduct(as: Code, options: { skuCode?: string; barcode?: string; name?: string } = {}): Promise<{ id: string; skuCode: string; barcode: string | null }> {
    const skuCode = options.skuCode ?? this.unique(`${as.slice(0, 1)}-SKU`);
    const data = await this.gql<{ createProduct: Result }>(
      as,
      `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id skuCode barcode } ... on CatalogError { errorCode message } } }`,
      { input: { skuCode, name: options.name ?? `Test product ${skuCode}`, ...(options.barcode ? { barcode: options.barcode } : {}) } },
    );
    return ok(data.createProduct, 'Product');
  }

  /** A fresh 13-digit barcode. */
  barcode(): string {
    return `40${String(Date.now() % 1e7).padStart(7, '0')}${String(this.next()).padStart(4, '0')}`;
  }

  /** Links two products, priced (see linkProducts in test/world.ts). Returns the link id. */
  link(downstream: Code, downstreamProductId: string, upstream: Code, upstreamSku: string, priceMinor = 500): Promise<string> {
    return linkProducts(this, downstream, downstreamProductId, upstream, upstreamSku, priceMinor);
  }

  // ---- inventory -----------------------------------------------------------------------------

  /** Creates a warehouse of `as` (OWN unless an operator is named) and returns it. */
  async createWarehouse(
    as: Code,
    options: { code?: string; regions?: string[]; priority?: number; operatorCode?: Code; locations?: string[] } = {},
  ): Promise<Warehouse> {
    const code = options.code ?? this.unique(`${as.slice(0, 1)}-WH`);
    const result = await this.mutate(as, 'createWarehouse', {
      input: {
        code,
        name: `Warehouse ${code}`,
        kind: options.operatorCode ? 'THIRD_PARTY' : 'OWN',
        ...(options.operatorCode ? { operatorCode: options.operatorCode } : {}),
        regions: options.regions ?? [],
        priority: options.priority ?? 100,
      },
    });
    let warehouse = ok<Warehouse>(result, 'Warehouse');
    for (const location of options.locations ?? []) {
      warehouse = ok<Warehouse>(await this.mutate(as, 'createLocation', { input: { warehouseId: warehouse.id, code: location } }), 'Warehouse');
    }
    return warehouse;
  }

  /** Receives stock (free receipt unless a purchase order is named) and returns the result union. */
  receive(
    as: Code,
    warehouseId: string,
    lines: { productId: string; quantity: number; locationCode?: string; batch?: { lotNumber: string; expiresOn?: string; producedOn?: string } }[],
    purchaseOrderId?: string,
  ): Promise<Result> {
    return this.mutate(as, 'receiveStock', { input: { warehouseId, lines, ...(purchaseOrderId ? { purchaseOrderId } : {}) } });
  }

  /** Receives stock and expects it to succeed; returns the new movements. */
  async received(as: Code, warehouseId: string, lines: Parameters<InventoryWorld['receive']>[2]): Promise<Movement[]> {
    return ok<{ movements: Movement[] }>(await this.receive(as, warehouseId, lines), 'Receipt').movements;
  }

  /** Stock levels as `as` sees them (every page). */
  async stock(as: Code | string, filter: Record<string, unknown> = {}): Promise<StockLevel[]> {
    return this.allNodes<StockLevel>(
      as,
      `query($filter: StockFilter, $first: Int, $after: String) { stockLevels(filter: $filter, first: $first, after: $after) {
        edges { node { ${STOCK_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'stockLevels',
      { filter },
    );
  }

  /** On hand, reserved and available of a product in a warehouse (all slots), as the owner sees it. */
  async totals(as: Code, warehouseId: string, productId: string): Promise<{ onHand: number; reserved: number; available: number }> {
    const levels = await this.stock(as, { warehouseId, productId });
    return levels.reduce((sum, l) => ({ onHand: sum.onHand + l.onHand, reserved: sum.reserved + l.reserved, available: sum.available + l.available }), { onHand: 0, reserved: 0, available: 0 });
  }

  /** Movements as `as` sees them (first page of up to 200), newest first. */
  async movements(as: Code | string, filter: Record<string, unknown> = {}): Promise<Movement[]> {
    const data = await this.gql<{ movements: { edges: { node: Movement }[] } }>(
      as,
      `query($filter: MovementFilter) { movements(filter: $filter, first: 100) { edges { node { ${MOVEMENT_FIELDS} } } } }`,
      { filter },
    );
    return data.movements.edges.map((e) => e.node);
  }

  /** Shipments as `as` sees them, newest first (every page). */
  async shipments(as: Code | string, filter: Record<string, unknown> = {}): Promise<Shipment[]> {
    return this.allNodes<Shipment>(
      as,
      `query($filter: ShipmentFilter, $first: Int, $after: String) { shipments(filter: $filter, first: $first, after: $after) {
        edges { node { ${SHIPMENT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      'shipments',
      { filter },
    );
  }

  /** Warehouses as `as` sees them. */
  async warehouses(as: Code | string): Promise<Warehouse[]> {
    return (await this.gql<{ warehouses: Warehouse[] }>(as, `{ warehouses { ${WAREHOUSE_FIELDS} } }`)).warehouses;
  }

  /** A demo warehouse's id by code (setup only). */
  async demoWarehouseId(code: string): Promise<string> {
    const [row] = await this.admin`select id from inventory.warehouses where code = ${code}`;
    expect(row, `demo warehouse ${code}`).toBeDefined();
    return row!['id'] as string;
  }

  /** A demo product's id by owner and SKU code (setup only). */
  async demoProductId(owner: Code, skuCode: string): Promise<string> {
    const [row] = await this.admin`select id from catalog.products where owner_partner_id = ${PARTNER[owner]} and sku_code = ${skuCode}`;
    expect(row, `demo product ${owner}/${skuCode}`).toBeDefined();
    return row!['id'] as string;
  }

  /**
   * The ledger check of a product, read behind row-level security: every stock slot with its
   * on-hand, reserved and the sum of its movements (slots with movements but no stock row
   * included). A consistent ledger has onHand = movementSum in every slot.
   */
  async ledger(productId: string): Promise<SlotBalance[]> {
    const rows = await this.admin`
      with sums as (
        select warehouse_id, location_id, batch_id, sum(quantity)::int as movement_sum
        from inventory.movements where product_id = ${productId}
        group by warehouse_id, location_id, batch_id
      )
      select coalesce(s.warehouse_id, m.warehouse_id) as warehouse_id, coalesce(s.location_id, m.location_id) as location_id,
             coalesce(s.batch_id, m.batch_id) as batch_id, coalesce(s.on_hand, 0) as on_hand, coalesce(s.reserved, 0) as reserved,
             coalesce(m.movement_sum, 0) as movement_sum
      from (select * from inventory.stock where product_id = ${productId}) s
      full join sums m on m.warehouse_id = s.warehouse_id and m.location_id = s.location_id and m.batch_id is not distinct from s.batch_id
      order by 1, 2, 3`;
    return rows.map((r) => ({
      warehouseId: r['warehouse_id'] as string,
      locationId: r['location_id'] as string,
      batchId: (r['batch_id'] as string | null) ?? null,
      onHand: Number(r['on_hand']),
      reserved: Number(r['reserved']),
      movementSum: Number(r['movement_sum']),
    }));
  }

  /** Asserts on-hand = sum of movements in every slot of the product; returns the slots. */
  async expectLedgerBalanced(productId: string): Promise<SlotBalance[]> {
    const slots = await this.ledger(productId);
    for (const slot of slots) {
      expect(slot.onHand, `slot ${slot.warehouseId}/${slot.locationId}/${slot.batchId}: on-hand vs movements`).toBe(slot.movementSum);
      expect(slot.reserved).toBeGreaterThanOrEqual(0);
      expect(slot.reserved).toBeLessThanOrEqual(slot.onHand);
    }
    return slots;
  }

  /**
   * Units of a product held by open reservations (behind row-level security). Reservations of a
   * dispatched shipment stay as its pick-list record but no longer hold stock.
   */
  async reservedUnits(productId: string): Promise<number> {
    const [row] = await this.admin`
      select coalesce(sum(r.quantity), 0)::int as units from inventory.reservations r
      join inventory.stock s on s.id = r.stock_id
      left join inventory.shipments sh on sh.id = r.shipment_id
      where s.product_id = ${productId} and sh.status is distinct from 'DISPATCHED'`;
    return Number(row!['units']);
  }

  // ---- orders --------------------------------------------------------------------------------

  /** A channel of the partner (created once per world). */
  async channel(as: Code): Promise<string> {
    let id = this.#channels.get(as);
    if (!id) {
      id = await this.createChannel(as);
      this.#channels.set(as, id);
    }
    return id;
  }

  /** Creates a sales channel and returns its id. */
  async createChannel(as: Code): Promise<string> {
    const code = this.unique('CH');
    const data = await this.gql<{ createChannel: Result }>(
      as,
      `mutation($input: CreateChannelInput!) { createChannel(input: $input) { __typename ... on Channel { id } ... on OrdersError { message } } }`,
      { input: { code, name: `Channel ${code}`, kind: 'SHOP', customFields: [] } },
    );
    return ok<{ id: string }>(data.createChannel, 'Channel').id;
  }

  /** Places a sales order shipped to a region; returns its id and line ids (by product). */
  async placeOrder(
    as: Code,
    lines: { productId: string; quantity: number }[],
    regionCode = 'DE-BE',
    channelId?: string,
  ): Promise<{ id: string; lines: { id: string; productId: string; quantity: number }[] }> {
    const data = await this.gql<{ result: Result }>(
      as,
      `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename
        ... on Order { id status lines { id quantity product { id } } }
        ... on OrdersError { errorCode message } } }`,
      {
        input: {
          channelId: channelId ?? (await this.channel(as)),
          externalNumber: this.unique('EXT'),
          shipTo: addressIn(regionCode),
          currency: 'EUR',
          lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity, unitPriceMinor: 1000 })),
        },
      },
    );
    const order = ok<{ id: string; lines: { id: string; quantity: number; product: { id: string } }[] }>(data.result, 'Order');
    return { id: order.id, lines: order.lines.map((l) => ({ id: l.id, productId: l.product.id, quantity: l.quantity })) };
  }

  /** Runs reviewOrder or financeReviewOrder with APPROVE and returns the status it answers. */
  async approve(as: Code, orderId: string): Promise<string> {
    const REVIEW = `__typename ... on Order { status } ... on OrdersError { errorCode message }`;
    const reviewed = await this.gql<{ result: Result }>(as, `mutation($id: ID!) { result: reviewOrder(id: $id, decision: APPROVE) { ${REVIEW} } }`, { id: orderId });
    ok(reviewed.result, 'Order');
    const approved = await this.gql<{ result: Result }>(as, `mutation($id: ID!) { result: financeReviewOrder(id: $id, decision: APPROVE) { ${REVIEW} } }`, { id: orderId });
    return ok<{ status: string }>(approved.result, 'Order').status;
  }

  /** Places and approves an order; returns it once allocation has settled (ALLOCATED or BACKORDERED). */
  async approvedOrder(as: Code, lines: { productId: string; quantity: number }[], regionCode = 'DE-BE'): Promise<{ id: string; status: string; lines: { id: string; productId: string; quantity: number }[] }> {
    const order = await this.placeOrder(as, lines, regionCode);
    expect(await this.approve(as, order.id)).toBe('APPROVED');
    const status = await this.settledStatus(as, order.id);
    return { ...order, status };
  }

  /** The status of an order as `as` sees it. */
  async orderStatus(as: Code, orderId: string): Promise<string | null> {
    return (await this.gql<{ order: { status: string } | null }>(as, `query($id: ID!) { order(id: $id) { status } }`, { id: orderId })).order?.status ?? null;
  }

  /** Waits until allocation has moved an approved order on, and returns its status. */
  async settledStatus(as: Code, orderId: string): Promise<string> {
    await expect.poll(() => this.orderStatus(as, orderId), POLL).toMatch(/^(ALLOCATED|BACKORDERED)$/);
    return (await this.orderStatus(as, orderId))!;
  }

  /** Inspects a shipment with exactly its pick list (by SKU code) and dispatches it; returns it DISPATCHED. */
  async inspectAndDispatch(as: Code | string, shipment: Shipment, trackingNumber = this.unique('TRK')): Promise<Shipment> {
    const scans = shipment.lines.map((l) => ({ code: l.skuCode, quantity: l.quantity }));
    expect(ok<{ passed: boolean }>(await this.mutate(as, 'inspectShipment', { input: { shipmentId: shipment.id, scans } }), 'Inspection').passed).toBe(true);
    return ok<Shipment>(await this.mutate(as, 'dispatchShipment', { input: { shipmentId: shipment.id, carrier: 'DHL', trackingNumber } }), 'Shipment');
  }

  /** The open shipments of an order, as `as` sees them. */
  async shipmentsOf(as: Code | string, orderId: string): Promise<Shipment[]> {
    return this.shipments(as, { orderId });
  }
}

/** Runs `work` over `items` with at most `limit` in flight, keeping result order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(runners);
  return results;
}
