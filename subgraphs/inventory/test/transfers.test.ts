import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryWorld, TRANSFER_FIELDS, ok, type Transfer } from './helpers';

/**
 * Transfers between two of the owner's warehouses (inventory issue, DESIGN.md §3): planned
 * (CREATED, nothing moves), shipped (IN_TRANSIT: TRANSFER_OUT at the source, refused if the stock
 * is not available), received (RECEIVED: TRANSFER_IN at the destination, received − shipped kept as
 * the difference). Every refusal changes nothing.
 */

let w: InventoryWorld;

beforeAll(async () => {
  w = await InventoryWorld.start();
});

afterAll(async () => {
  await w?.close();
});

async function transfers(status?: string[]): Promise<Transfer[]> {
  return w.allNodes<Transfer>(
    'SHOP-A',
    `query($status: [TransferStatus!], $first: Int, $after: String) { transfers(status: $status, first: $first, after: $after) {
      edges { node { ${TRANSFER_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    'transfers',
    { status },
  );
}

describe('transfer life cycle', () => {
  it('CREATED → IN_TRANSIT → RECEIVED, with the shortfall recorded as the difference', async () => {
    const product = await w.createProduct('SHOP-A');
    const from = await w.createWarehouse('SHOP-A');
    const to = await w.createWarehouse('SHOP-A', { locations: ['INBOUND'] });
    await w.received('SHOP-A', from.id, [{ productId: product.id, quantity: 10 }]);

    const created = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: product.id, quantity: 6 }] } }),
      'Transfer',
    );
    expect(created).toMatchObject({
      status: 'CREATED',
      source: { id: from.id },
      destination: { id: to.id },
      lines: [{ productId: product.id, quantity: 6, receivedQuantity: null, difference: null, batch: null }],
    });
    // Planning moves nothing.
    expect(await w.totals('SHOP-A', from.id, product.id)).toEqual({ onHand: 10, reserved: 0, available: 10 });
    expect((await transfers(['CREATED'])).map((t) => t.id)).toContain(created.id);

    const shipped = ok<Transfer>(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id }), 'Transfer');
    expect(shipped.status).toBe('IN_TRANSIT');
    expect(await w.totals('SHOP-A', from.id, product.id)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await w.stock('SHOP-A', { warehouseId: to.id })).toEqual([]);
    expect(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', errorCode: 'INVALID_TRANSITION', from: 'IN_TRANSIT' });

    // Only 5 of the 6 arrive, into the INBOUND bin.
    const received = ok<Transfer>(
      await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, locationCode: 'INBOUND', lines: [{ lineId: created.lines[0]!.id, receivedQuantity: 5 }] } }),
      'Transfer',
    );
    expect(received).toMatchObject({ status: 'RECEIVED', lines: [{ quantity: 6, receivedQuantity: 5, difference: -1 }] });
    const arrived = await w.stock('SHOP-A', { warehouseId: to.id });
    expect(arrived.map((l) => [l.location.code, l.onHand, l.reserved])).toEqual([['INBOUND', 5, 0]]);
    expect(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [{ lineId: created.lines[0]!.id, receivedQuantity: 5 }] } })).toMatchObject({
      __typename: 'InvalidInventoryTransition',
      from: 'RECEIVED',
    });
    expect(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id })).toMatchObject({ __typename: 'InvalidInventoryTransition', from: 'RECEIVED' });

    const movements = await w.movements('SHOP-A', { productId: product.id, kind: ['TRANSFER_OUT', 'TRANSFER_IN'] });
    expect(movements.map((m) => [m.kind, m.quantity, m.warehouse.id, m.reference])).toEqual([
      ['TRANSFER_IN', 5, to.id, `transfer:${created.id}`],
      ['TRANSFER_OUT', -6, from.id, `transfer:${created.id}`],
    ]);
    await w.expectLedgerBalanced(product.id);
    expect((await transfers(['RECEIVED'])).find((t) => t.id === created.id)).toMatchObject({ status: 'RECEIVED' });
    expect((await transfers(['CREATED', 'IN_TRANSIT'])).map((t) => t.id)).not.toContain(created.id);
  });

  it('moves a lot with its batch, and records a surplus as a positive difference', async () => {
    const product = await w.createProduct('SHOP-A');
    const from = await w.createWarehouse('SHOP-A');
    const to = await w.createWarehouse('SHOP-A');
    await w.received('SHOP-A', from.id, [
      { productId: product.id, quantity: 8, batch: { lotNumber: 'LOT-T', expiresOn: '2030-05-01' } },
      { productId: product.id, quantity: 8 },
    ]);
    const created = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: product.id, quantity: 3, lotNumber: 'LOT-T' }] } }),
      'Transfer',
    );
    expect(created.lines[0]!.batch).toEqual({ lotNumber: 'LOT-T' });
    ok(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id }), 'Transfer');
    const received = ok<Transfer>(
      await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [{ lineId: created.lines[0]!.id, receivedQuantity: 4 }] } }),
      'Transfer',
    );
    expect(received.lines[0]).toMatchObject({ quantity: 3, receivedQuantity: 4, difference: 1 });
    const source = await w.stock('SHOP-A', { warehouseId: from.id });
    expect(source.map((l) => [l.batch?.lotNumber ?? null, l.onHand]).sort()).toEqual([['LOT-T', 5], [null, 8]].sort());
    const destination = await w.stock('SHOP-A', { warehouseId: to.id });
    expect(destination.map((l) => [l.batch?.lotNumber ?? null, l.batch?.expiresOn ?? null, l.onHand])).toEqual([['LOT-T', '2030-05-01', 4]]);
    await w.expectLedgerBalanced(product.id);
  });
});

describe('refusals', () => {
  it('refuses to ship more than is available (reserved units are not available) and changes nothing', async () => {
    const product = await w.createProduct('SHOP-A');
    const from = await w.createWarehouse('SHOP-A', { regions: ['DE-RP'] });
    const to = await w.createWarehouse('SHOP-A');
    await w.received('SHOP-A', from.id, [{ productId: product.id, quantity: 4 }]);
    const order = await w.approvedOrder('SHOP-A', [{ productId: product.id, quantity: 3 }], 'DE-RP');
    expect(order.status).toBe('ALLOCATED');

    const created = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: product.id, quantity: 2 }] } }),
      'Transfer',
    );
    const before = await w.movements('SHOP-A', { productId: product.id });
    expect(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id })).toMatchObject({
      __typename: 'InsufficientStock',
      errorCode: 'INSUFFICIENT_STOCK',
      productId: product.id,
      requested: 2,
      available: 1,
    });
    expect((await transfers(['CREATED'])).map((t) => t.id)).toContain(created.id);
    expect(await w.movements('SHOP-A', { productId: product.id })).toEqual(before);
    expect(await w.totals('SHOP-A', from.id, product.id)).toEqual({ onHand: 4, reserved: 3, available: 1 });

    // A transfer of a product the source does not hold at all is refused the same way.
    const empty = await w.createProduct('SHOP-A');
    const none = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: empty.id, quantity: 1 }] } }),
      'Transfer',
    );
    expect(await w.mutate('SHOP-A', 'shipTransfer', { id: none.id })).toMatchObject({ __typename: 'InsufficientStock', requested: 1, available: 0 });
  });

  it('refuses bad plans: the same warehouse twice, a foreign warehouse or product, bad quantities, an unknown lot', async () => {
    const product = await w.createProduct('SHOP-A');
    const a = await w.createWarehouse('SHOP-A');
    const b = await w.createWarehouse('SHOP-A');
    const foreignWarehouse = await w.createWarehouse('TRADER-B');
    const foreignProduct = await w.createProduct('TRADER-B');
    const plan = (input: Record<string, unknown>) => w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: a.id, toWarehouseId: b.id, lines: [{ productId: product.id, quantity: 1 }], ...input } });
    expect(await plan({ toWarehouseId: a.id })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'toWarehouseId' });
    expect(await plan({ toWarehouseId: foreignWarehouse.id })).toMatchObject({ __typename: 'InventoryNotFound', errorCode: 'NOT_FOUND' });
    expect(await plan({ fromWarehouseId: foreignWarehouse.id })).toMatchObject({ __typename: 'InventoryNotFound' });
    expect(await plan({ lines: [{ productId: foreignProduct.id, quantity: 1 }] })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].productId' });
    expect(await plan({ lines: [{ productId: product.id, quantity: 0 }] })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].quantity' });
    expect(await plan({ lines: [] })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines' });
    expect(await plan({ lines: [{ productId: product.id, quantity: 1, lotNumber: 'NO-SUCH-LOT' }] })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[0].lotNumber' });
    expect((await transfers()).filter((t) => [t.source.id, t.destination.id].includes(a.id))).toEqual([]);
  });

  it('receiving needs every line, with a quantity of 0 or more', async () => {
    const product = await w.createProduct('SHOP-A');
    const from = await w.createWarehouse('SHOP-A');
    const to = await w.createWarehouse('SHOP-A');
    await w.received('SHOP-A', from.id, [{ productId: product.id, quantity: 5 }]);
    const created = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', { input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: product.id, quantity: 2 }] } }),
      'Transfer',
    );
    expect(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [{ lineId: created.lines[0]!.id, receivedQuantity: 2 }] } })).toMatchObject({
      __typename: 'InvalidInventoryTransition',
      from: 'CREATED',
    });
    ok(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id }), 'Transfer');
    expect(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [] } })).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines' });
    expect(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [{ lineId: created.lines[0]!.id, receivedQuantity: -1 }] } })).toMatchObject({
      __typename: 'InvalidInventoryInput',
      field: 'lines[0].receivedQuantity',
    });
    // Nothing arrived: received 0, the whole quantity is the difference, no TRANSFER_IN.
    const received = ok<Transfer>(await w.mutate('SHOP-A', 'receiveTransfer', { input: { transferId: created.id, lines: [{ lineId: created.lines[0]!.id, receivedQuantity: 0 }] } }), 'Transfer');
    expect(received.lines[0]).toMatchObject({ receivedQuantity: 0, difference: -2 });
    expect(await w.stock('SHOP-A', { warehouseId: to.id })).toEqual([]);
    await w.expectLedgerBalanced(product.id);
  });

  it('a refused receipt changes nothing: no line keeps a received quantity while the transfer is still in transit', async () => {
    const first = await w.createProduct('SHOP-A');
    const second = await w.createProduct('SHOP-A');
    const from = await w.createWarehouse('SHOP-A');
    const to = await w.createWarehouse('SHOP-A');
    await w.received('SHOP-A', from.id, [{ productId: first.id, quantity: 5 }, { productId: second.id, quantity: 5 }]);
    const created = ok<Transfer>(
      await w.mutate('SHOP-A', 'createTransfer', {
        input: { fromWarehouseId: from.id, toWarehouseId: to.id, lines: [{ productId: first.id, quantity: 2 }, { productId: second.id, quantity: 3 }] },
      }),
      'Transfer',
    );
    ok(await w.mutate('SHOP-A', 'shipTransfer', { id: created.id }), 'Transfer');
    const lineOf = (productId: string) => created.lines.find((l) => l.productId === productId)!.id;

    // The second line's quantity is invalid; the first line must not be recorded as received.
    expect(
      await w.mutate('SHOP-A', 'receiveTransfer', {
        input: { transferId: created.id, lines: [{ lineId: lineOf(first.id), receivedQuantity: 2 }, { lineId: lineOf(second.id), receivedQuantity: -1 }] },
      }),
    ).toMatchObject({ __typename: 'InvalidInventoryInput' });
    // A line id of another transfer: refused too.
    expect(
      await w.mutate('SHOP-A', 'receiveTransfer', {
        input: {
          transferId: created.id,
          lines: [{ lineId: lineOf(first.id), receivedQuantity: 1 }, { lineId: lineOf(second.id), receivedQuantity: 1 }, { lineId: '00000000-0000-4000-8000-000000000000', receivedQuantity: 1 }],
        },
      }),
    ).toMatchObject({ __typename: 'InvalidInventoryInput', field: 'lines[2].lineId' });

    const after = (await transfers()).find((t) => t.id === created.id)!;
    expect(after.status).toBe('IN_TRANSIT');
    expect(after.lines.map((l) => [l.receivedQuantity, l.difference])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(await w.stock('SHOP-A', { warehouseId: to.id })).toEqual([]);
  });
});
