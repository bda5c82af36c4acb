import { randomUUID } from 'node:crypto';
import type { TestPlatform } from '../test/platform';

/**
 * The API calls the browser tests make behind the page's back, as a partner's ERP would: a fresh
 * product, a warehouse, stock receipts and an approved order (whose allocation queues a
 * shipment). Each test file tags its codes, so nothing collides with the demo world.
 */

/** A mutation result union: the object or a typed failure. */
type Result = { __typename: string; message?: string; [field: string]: unknown };

/** The operations of one partner against the test platform; every call fails loudly on errors. */
export class InventoryApi {
  readonly #tag = randomUUID().slice(0, 6).toUpperCase();
  #sequence = 0;
  #channelId: string | undefined;

  constructor(
    private readonly api: TestPlatform,
    readonly token: string,
  ) {}

  /** A unique code within this run. */
  unique(prefix: string): string {
    this.#sequence += 1;
    return `${prefix}-${this.#tag}-${this.#sequence}`;
  }

  /** Sends an operation and returns its data; throws on GraphQL errors. */
  async gql<Data>(query: string, variables?: Record<string, unknown>): Promise<Data> {
    const response = await this.api.query<Data>(this.token, query, variables);
    if (response.errors?.length || !response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
    return response.data;
  }

  async #mutate<T>(query: string, variables: Record<string, unknown>, typename: string): Promise<T> {
    const { result } = await this.gql<{ result: Result }>(query, variables);
    if (result.__typename !== typename) throw new Error(`expected ${typename}, got ${JSON.stringify(result)}`);
    return result as T;
  }

  /** Creates a product with a fresh SKU code and barcode. */
  createProduct(name: string): Promise<{ id: string; skuCode: string; barcode: string; name: string }> {
    return this.#mutate(
      `mutation($input: CreateProductInput!) { result: createProduct(input: $input) { __typename ... on Product { id skuCode barcode name } ... on CatalogError { message } } }`,
      { input: { skuCode: this.unique('E2E'), name, barcode: `40${String(Date.now()).slice(-7)}${String(++this.#sequence).padStart(4, '0')}` } },
      'Product',
    );
  }

  /** Creates an own warehouse covering `regions`, preferred over the demo ones (priority 1). */
  createWarehouse(regions: string[]): Promise<{ id: string; code: string; name: string }> {
    const code = this.unique('WH');
    return this.#mutate(
      `mutation($input: CreateWarehouseInput!) { result: createWarehouse(input: $input) { __typename ... on Warehouse { id code name } ... on InventoryError { message } } }`,
      { input: { code, name: `E2E ${code}`, kind: 'OWN', regions, priority: 1 } },
      'Warehouse',
    );
  }

  /** Receives `quantity` units of a product (free receipt, DEFAULT location). */
  async receive(warehouseId: string, productId: string, quantity: number): Promise<void> {
    await this.#mutate(
      `mutation($input: ReceiveStockInput!) { result: receiveStock(input: $input) { __typename ... on InventoryError { message } } }`,
      { input: { warehouseId, lines: [{ productId, quantity }] } },
      'Receipt',
    );
  }

  /**
   * Places an order shipped to Berlin (DE-BE) and approves it (review, then finance review);
   * returns its id. `externalNumber` is the channel's order number (default: a fresh one).
   */
  async approvedOrder(lines: { productId: string; quantity: number }[], externalNumber = this.unique('EXT')): Promise<string> {
    this.#channelId ??= (
      await this.#mutate<{ id: string }>(
        `mutation($input: CreateChannelInput!) { result: createChannel(input: $input) { __typename ... on Channel { id } ... on OrdersError { message } } }`,
        { input: { code: this.unique('CH'), name: 'E2E shop', kind: 'SHOP' } },
        'Channel',
      )
    ).id;
    const order = await this.#mutate<{ id: string }>(
      `mutation($input: PlaceOrderInput!) { result: placeOrder(input: $input) { __typename ... on Order { id } ... on OrdersError { message } } }`,
      {
        input: {
          channelId: this.#channelId,
          externalNumber,
          shipTo: { name: 'E2E Customer', line1: 'Teststraße 1', city: 'Berlin', postalCode: '10115', regionCode: 'DE-BE', country: 'DE' },
          currency: 'EUR',
          lines: lines.map((l) => ({ ...l, unitPriceMinor: 1500 })),
        },
      },
      'Order',
    );
    const REVIEW = `__typename ... on Order { status } ... on OrdersError { message }`;
    await this.#mutate(`mutation($id: ID!) { result: reviewOrder(id: $id, decision: APPROVE) { ${REVIEW} } }`, { id: order.id }, 'Order');
    await this.#mutate(`mutation($id: ID!) { result: financeReviewOrder(id: $id, decision: APPROVE) { ${REVIEW} } }`, { id: order.id }, 'Order');
    return order.id;
  }

  /** The shipments of an order in a warehouse with one of `status`. */
  async shipments(warehouseId: string, orderId: string, status: string[]): Promise<{ id: string; status: string; carrier: string | null; trackingNumber: string | null }[]> {
    // An order has at most a few shipments per warehouse: one page holds them all.
    const { shipments } = await this.gql<{ shipments: { edges: { node: { id: string; status: string; carrier: string | null; trackingNumber: string | null } }[] } }>(
      `query($filter: ShipmentFilter) { shipments(filter: $filter, first: 100) { edges { node { id status carrier trackingNumber } } } }`,
      { filter: { warehouseId, orderId, status } },
    );
    return shipments.edges.map((edge) => edge.node);
  }

  /** Inspects a shipment with exactly its pick list (by SKU code), as a warehouse screen elsewhere would; it becomes READY. */
  async inspected(shipmentId: string): Promise<void> {
    const { shipment } = await this.gql<{ shipment: { lines: { skuCode: string; quantity: number }[] } | null }>(
      `query($id: ID!) { shipment(id: $id) { lines { skuCode quantity } } }`,
      { id: shipmentId },
    );
    if (!shipment) throw new Error(`no shipment ${shipmentId}`);
    const { result } = await this.gql<{ result: Result & { passed?: boolean } }>(
      `mutation($input: InspectShipmentInput!) { result: inspectShipment(input: $input) { __typename ... on Inspection { passed } ... on InventoryError { message } } }`,
      { input: { shipmentId, scans: shipment.lines.map((line) => ({ code: line.skuCode, quantity: line.quantity })) } },
    );
    if (result.__typename !== 'Inspection' || !result.passed) throw new Error(`inspection of ${shipmentId} did not pass: ${JSON.stringify(result)}`);
  }

  /** Inspects a shipment with its pick list and dispatches it with `carrier` and `trackingNumber`. */
  async dispatched(shipmentId: string, trackingNumber: string, carrier = 'DHL'): Promise<void> {
    await this.inspected(shipmentId);
    await this.#mutate(
      `mutation($input: DispatchShipmentInput!) { result: dispatchShipment(input: $input) { __typename ... on InventoryError { message } } }`,
      { input: { shipmentId, carrier, trackingNumber } },
      'Shipment',
    );
  }

  /** Waits (polling) until allocation has queued a TO_PICK shipment for the order; returns its id. */
  async queuedShipment(warehouseId: string, orderId: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [shipment] = await this.shipments(warehouseId, orderId, ['TO_PICK']);
      if (shipment) return shipment.id;
      if (Date.now() > deadline) throw new Error(`no TO_PICK shipment for order ${orderId} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
