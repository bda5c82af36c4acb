/**
 * The wall-screen board of one warehouse: live stock levels and the shipment queue, redrawn on
 * every change of the store.
 */
import type { Shipment } from './api';
import { clockTime, h, replaceChildren, shortId } from './dom';
import type { StockRow, WarehouseStore } from './store';

/** How long a changed stock row stays highlighted. */
const HIGHLIGHT_MS = 4_000;
/** Dispatched shipments shown (newest first). */
const DISPATCHED_SHOWN = 8;

/** The queue's columns: shipment status → heading. */
const QUEUE_COLUMNS: readonly { status: Shipment['status']; title: string; hint: string }[] = [
  { status: 'TO_PICK', title: 'To pick & inspect', hint: 'Pick, then scan to inspect' },
  { status: 'READY', title: 'Ready to dispatch', hint: 'Inspected, matches' },
  { status: 'DISPATCHED', title: 'Dispatched', hint: 'Handed to the carrier' },
];

function compareRows(a: StockRow, b: StockRow): number {
  const nameA = a.product?.name ?? `~${a.productId}`;
  const nameB = b.product?.name ?? `~${b.productId}`;
  return (
    nameA.localeCompare(nameB) ||
    a.location.code.localeCompare(b.location.code) ||
    (a.batch?.lotNumber ?? '').localeCompare(b.batch?.lotNumber ?? '')
  );
}

function stockRow(row: StockRow, now: number): HTMLTableRowElement {
  const recent = row.changedAt !== undefined && now - row.changedAt < HIGHLIGHT_MS;
  return h(
    'tr',
    { class: recent ? 'wh-changed' : undefined, data: { slot: row.key, productId: row.productId, sku: row.product?.skuCode } },
    h('td', { class: 'wh-product', data: { field: 'product' } }, row.product ? row.product.name : h('span', { class: 'wh-product-id', title: 'Product of the warehouse owner' }, row.productId)),
    h('td', { class: 'wh-code', data: { field: 'sku' } }, row.product?.skuCode ?? '—'),
    // Bin and lot share a column: the table fits a third of a 16:9 wall without scrolling sideways.
    h(
      'td',
      { class: 'wh-code', data: { field: 'location' } },
      row.location.code,
      row.batch ? h('small', { data: { field: 'batch' } }, `lot ${row.batch.lotNumber}`, row.batch.expiresOn ? ` · exp. ${row.batch.expiresOn}` : '') : null,
    ),
    h('td', { class: 'wh-num', data: { field: 'onHand' } }, row.onHand),
    h('td', { class: 'wh-num', data: { field: 'reserved' } }, row.reserved),
    h('td', { class: `wh-num wh-available${row.available <= 0 ? ' wh-none' : ''}`, data: { field: 'available' } }, row.available),
  );
}

/** Products shown on a card; the rest are summed up as "+ n more". */
const CARD_PRODUCTS_SHOWN = 4;

/** One product of a shipment with its units (the lines of one product, from several bins or lots, summed). */
interface CardProduct {
  productId: string;
  label: string;
  quantity: number;
}

function cardProducts(shipment: Shipment): CardProduct[] {
  const byProduct = new Map<string, CardProduct>();
  for (const line of shipment.lines) {
    const known = byProduct.get(line.productId);
    if (known) known.quantity += line.quantity;
    else byProduct.set(line.productId, { productId: line.productId, label: line.name ?? line.skuCode, quantity: line.quantity });
  }
  // By name, so a card reads the same on every screen whatever order the pick list came in.
  return [...byProduct.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** What a card is called: the order number, or (no number, or an order the caller may not read) the shipment. */
function cardTitle(shipment: Shipment): string {
  return shipment.order?.externalNumber ?? `Shipment ${shortId(shipment.id)}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function shipmentCard(shipment: Shipment, open: (id: string) => void): HTMLLIElement {
  const products = cardProducts(shipment);
  const units = products.reduce((sum, product) => sum + product.quantity, 0);
  const shown = products.length > CARD_PRODUCTS_SHOWN ? products.slice(0, CARD_PRODUCTS_SHOWN - 1) : products;
  const destination = shipment.order?.shipTo;
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: 'wh-card',
        title: `Shipment ${shipment.id}`,
        data: { shipmentId: shipment.id, status: shipment.status },
        on: { click: () => open(shipment.id) },
      },
      h(
        'span',
        { class: 'wh-card-head' },
        h('span', { class: 'wh-card-order', data: { field: 'order' } }, cardTitle(shipment)),
        destination ? h('span', { class: 'wh-card-city', data: { field: 'city' } }, `${destination.city} · ${destination.country}`) : null,
      ),
      h(
        'span',
        { class: 'wh-card-lines', data: { field: 'lines' } },
        shown.map((product) =>
          h('span', { class: 'wh-card-line', data: { productId: product.productId } }, h('span', { class: 'wh-card-qty' }, `${product.quantity} ×`), h('span', { class: 'wh-card-product' }, product.label)),
        ),
        shown.length < products.length ? h('span', { class: 'wh-card-line wh-card-more' }, `+ ${plural(products.length - shown.length, 'more product')}`) : null,
      ),
      h('span', { class: 'wh-card-meta', data: { field: 'units' } }, `${plural(units, 'unit')} · queued ${clockTime(shipment.createdAt)}`),
      shipment.status === 'TO_PICK' && shipment.lastMismatch?.length ? h('span', { class: 'wh-badge wh-badge-bad' }, 'Mismatch: inspect again') : null,
      shipment.status === 'DISPATCHED' && shipment.carrier
        ? h('span', { class: 'wh-card-tracking', data: { field: 'tracking' } }, h('span', { class: 'wh-card-carrier' }, shipment.carrier), ' ', shipment.trackingNumber ?? '')
        : null,
    ),
  );
}

/**
 * Mounts the board into `container` and keeps it current; returns the function that unmounts it.
 * `openShipment` opens the inspection view of a shipment.
 */
export function mountBoard(container: HTMLElement, store: WarehouseStore, openShipment: (id: string) => void): () => void {
  const stockBody = h('tbody', { id: 'wh-stock-rows' });
  const stockCount = h('span', { class: 'wh-count' });
  const queueLists = new Map(QUEUE_COLUMNS.map((column) => [column.status, h('ol', { class: 'wh-queue-list', data: { column: column.status } })]));
  const queueCounts = new Map(QUEUE_COLUMNS.map((column) => [column.status, h('span', { class: 'wh-count' })]));

  const stockTable = h(
    'table',
    { class: 'wh-table', id: 'wh-stock' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Product'), h('th', {}, 'SKU'), h('th', {}, 'Bin · lot'), h('th', { class: 'wh-num' }, 'On hand'), h('th', { class: 'wh-num' }, 'Reserved'), h('th', { class: 'wh-num' }, 'Available')),
    ),
    stockBody,
  );
  const queueColumns = QUEUE_COLUMNS.map((column) =>
    h(
      'div',
      { class: 'wh-queue-column', data: { status: column.status } },
      h('h3', {}, column.title, ' ', queueCounts.get(column.status)!),
      h('p', { class: 'wh-hint' }, column.hint),
      queueLists.get(column.status)!,
    ),
  );
  replaceChildren(
    container,
    h(
      'div',
      { class: 'wh-board' },
      h('section', { class: 'wh-panel wh-stock', 'aria-labelledby': 'wh-stock-title' }, h('h2', { id: 'wh-stock-title' }, 'Stock ', stockCount), h('div', { class: 'wh-scroll' }, stockTable)),
      h('section', { class: 'wh-panel wh-queue', 'aria-labelledby': 'wh-queue-title' }, h('h2', { id: 'wh-queue-title' }, 'Shipment queue'), h('div', { class: 'wh-queue-columns' }, queueColumns)),
    ),
  );

  const drawStock = () => {
    const now = Date.now();
    const rows = [...store.stock.values()].sort(compareRows);
    stockCount.textContent = `${rows.length} slot${rows.length === 1 ? '' : 's'}`;
    replaceChildren(stockBody, rows.length ? rows.map((row) => stockRow(row, now)) : h('tr', {}, h('td', { colspan: 6, class: 'wh-empty' }, store.loaded ? 'No stock in this warehouse.' : 'Loading…')));
  };
  const drawQueue = () => {
    const shipments = [...store.shipments.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const column of QUEUE_COLUMNS) {
      let inColumn = shipments.filter((s) => s.status === column.status);
      const count = queueCounts.get(column.status)!;
      count.textContent = store.countLabel(column.status);
      // Only the newest page of dispatched shipments is loaded: beyond it the count is a lower bound.
      if (count.textContent.endsWith('+')) count.title = `The newest ${inColumn.length} dispatched shipments are shown; there are older ones.`;
      else count.removeAttribute('title');
      if (column.status === 'DISPATCHED') inColumn = inColumn.slice(0, DISPATCHED_SHOWN);
      else inColumn.reverse(); // oldest first: the next one to work on at the top
      replaceChildren(queueLists.get(column.status)!, inColumn.length ? inColumn.map((s) => shipmentCard(s, openShipment)) : h('li', { class: 'wh-empty' }, 'None'));
    }
  };
  drawStock();
  drawQueue();
  const unlisten = store.listen((topic) => (topic === 'stock' ? drawStock() : drawQueue()));
  // Lets highlights fade out even when nothing else changes.
  const fade = window.setInterval(() => {
    if (stockBody.querySelector('.wh-changed')) drawStock();
  }, 1_000);
  return () => {
    unlisten();
    window.clearInterval(fade);
  };
}
