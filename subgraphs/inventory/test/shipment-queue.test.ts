import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, type Warehouse } from './helpers';

/**
 * The shipment queue has no silent cap (issue 15): `shipments(filter:)` is a connection, newest
 * first (creation time, ties by id), and a busy warehouse's 2,000 shipments are all reachable
 * page by page, with no duplicate and no gap, each page one SQL statement. It used to answer the
 * 500 oldest and hide the newest. A malformed cursor and an out-of-range `first` are refused with
 * BAD_USER_INPUT naming the argument.
 */

let w: InventoryWorld;
let statements = 0;
let warehouse: Warehouse;
/** The 2,000 shipments' ids in the documented order (newest first, ties by id descending), read behind row-level security. */
let expected: string[];

const COUNT = 2_000;

const QUEUE = `query($filter: ShipmentFilter, $first: Int, $after: String) {
  shipments(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status createdAt warehouse { id } lines { skuCode quantity } } }
    pageInfo { hasNextPage endCursor } } }`;

interface QueueNode {
  id: string;
  status: string;
  createdAt: string;
  warehouse: { id: string };
  lines: unknown[];
}

interface QueuePage {
  shipments: { edges: { cursor: string; node: QueueNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

beforeAll(async () => {
  w = await InventoryWorld.start({ onQuery: () => (statements += 1) });
  warehouse = await w.createWarehouse('SHOP-A', { regions: ['DE-BE'] });
  // Setup in one set-based insert (2,000 orders through the API would take minutes). The
  // timestamps are what a busy warehouse produces: many shipments within one millisecond (a
  // cursor cut to milliseconds would skip or repeat them), and runs of three sharing one
  // timestamp exactly, so ties are broken by id.
  await w.admin`
    insert into inventory.shipments (warehouse_id, owner_partner_id, order_id, status, created_at)
    select w.id, w.owner_partner_id, gen_random_uuid(),
           (case when i % 4 = 0 then 'READY' else 'TO_PICK' end)::inventory.shipment_status,
           timestamptz '2031-03-01 08:00:00+00' + ((i / 3) * 7) * interval '1 microsecond'
    from inventory.warehouses w, generate_series(1, ${COUNT}) as i
    where w.id = ${warehouse.id}`;
  const rows = await w.admin`select id from inventory.shipments where warehouse_id = ${warehouse.id} order by created_at desc, id desc`;
  expected = rows.map((r) => r['id'] as string);
  expect(expected).toHaveLength(COUNT);
}, 60_000);

afterAll(async () => {
  await w?.close();
});

/** Pages through the queue with `first` per page; returns the ids in the order served and the pages' statement counts. */
async function pageThrough(filter: Record<string, unknown>, first: number): Promise<{ ids: string[]; pages: number; statementsPerPage: number[] }> {
  const ids: string[] = [];
  const statementsPerPage: number[] = [];
  let after: string | null = null;
  for (;;) {
    statements = 0;
    const page: QueuePage = await w.gql<QueuePage>('SHOP-A', QUEUE, { filter, first, after });
    statementsPerPage.push(statements);
    const { edges, pageInfo } = page.shipments;
    expect(edges.length).toBeLessThanOrEqual(first);
    for (const edge of edges) expect(edge.node.warehouse.id).toBe(warehouse.id);
    ids.push(...edges.map((e) => e.node.id));
    expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
    if (!pageInfo.hasNextPage) break;
    expect(edges).toHaveLength(first);
    after = pageInfo.endCursor;
    expect(statementsPerPage.length, 'pages').toBeLessThanOrEqual(COUNT);
  }
  return { ids, pages: statementsPerPage.length, statementsPerPage };
}

describe('the shipment queue of a busy warehouse', () => {
  it('pages through all 2,000 shipments, newest first, without a duplicate or a gap', async () => {
    const { ids, pages, statementsPerPage } = await pageThrough({ warehouseId: warehouse.id }, 100);
    expect(pages).toBe(COUNT / 100);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected);
    // The newest shipment leads the first page (the old list answered the 500 oldest).
    expect(ids[0]).toBe(expected[0]);
    // Each page costs the same few statements (one list query, one pick-list batch), not one per shipment.
    expect(new Set(statementsPerPage).size, `statements per page: ${statementsPerPage.join(', ')}`).toBe(1);
  });

  it('keeps the order across small pages and a status filter, every matching shipment once', async () => {
    const ready = await w.admin`select id from inventory.shipments
      where warehouse_id = ${warehouse.id} and status = 'READY' order by created_at desc, id desc`;
    const { ids } = await pageThrough({ warehouseId: warehouse.id, status: ['READY'] }, 7);
    expect(ids).toEqual(ready.map((r) => r['id'] as string));
    expect(ids).toHaveLength(COUNT / 4);
  });

  it('answers the documented order in createdAt: never older before newer', async () => {
    const page = await w.gql<QueuePage>('SHOP-A', QUEUE, { filter: { warehouseId: warehouse.id }, first: 100 });
    const times = page.shipments.edges.map((e) => Date.parse(e.node.createdAt));
    for (let i = 1; i < times.length; i += 1) expect(times[i]!).toBeLessThanOrEqual(times[i - 1]!);
  });

  it('shows another partner none of them, and an empty last page ends the walk', async () => {
    const foreign = await w.gql<QueuePage>('TRADER-B', QUEUE, { filter: { warehouseId: warehouse.id }, first: 100 });
    expect(foreign.shipments).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });
});

describe('refused page arguments', () => {
  async function refusal(variables: Record<string, unknown>) {
    const response = await w.raw('SHOP-A', QUEUE, { filter: { warehouseId: warehouse.id }, ...variables });
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    return response.errors![0]!;
  }

  it.each([0, -1, 101, 5_000])('first: %s is BAD_USER_INPUT naming "first"', async (first) => {
    const error = await refusal({ first });
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect(error.message).toContain('between 1 and 100');
  });

  it('a malformed, forged or foreign cursor is BAD_USER_INPUT naming "after"', async () => {
    const movements = await w.gql<{ movements: { pageInfo: { endCursor: string | null } } }>(
      'SHOP-A',
      `{ movements(first: 1) { pageInfo { endCursor } } }`,
    );
    const page = await w.gql<QueuePage>('SHOP-A', QUEUE, { filter: { warehouseId: warehouse.id }, first: 1 });
    const real = page.shipments.pageInfo.endCursor!;
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cursors = [
      'not a cursor',
      real.slice(0, -4),
      forge(['shipments', '2031-13-45T99:00:00.000000Z', '6f1c1e52-58a4-4b8e-9c43-7d1d2f6a0b9e']),
      forge(['shipments', '2031-03-01T08:00:00.000000Z', "x' or '1'='1"]),
      forge(['shipments', '2031-03-01T08:00:00.000000Z']),
      forge(['shipments', 42, '6f1c1e52-58a4-4b8e-9c43-7d1d2f6a0b9e']),
      ...(movements.movements.pageInfo.endCursor ? [movements.movements.pageInfo.endCursor] : []),
    ];
    for (const after of cursors) {
      const error = await refusal({ first: 10, after });
      expect(error.extensions, after).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
      expect(error.message).toMatch(/cursor is not valid/);
    }
    // An overlong one is refused at the subgraph's edge, before any list code runs, naming it too.
    const overlong = await refusal({ first: 10, after: 'x'.repeat(5_000) });
    expect(overlong.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});
