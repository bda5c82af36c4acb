/**
 * What the warehouse screen knows about one warehouse: its stock slots and its shipment queue,
 * loaded once and then kept current by the live feed. Views listen for changes and redraw.
 */
import type { Shipment, ShipmentQueueChange, StockChange, StockLevel } from './api';

/** A stock slot as the screen shows it. */
export interface StockRow extends StockLevel {
  /** Identifies the slot: location, product, batch. */
  key: string;
  /** When a live change last touched it (ms since epoch), for the highlight. */
  changedAt?: number;
}

/** What changed: the stock table or the shipment queue. */
export type StoreTopic = 'stock' | 'queue';

/** The key of a stock slot. */
export function slotKey(level: StockLevel): string {
  return `${level.location.id}|${level.productId}|${level.batch?.id ?? ''}`;
}

/** The stock and queue of one warehouse. */
export class WarehouseStore {
  readonly stock = new Map<string, StockRow>();
  readonly shipments = new Map<string, Shipment>();
  /** Whether a snapshot of the stock has arrived. */
  loaded = false;
  /** When the last live change arrived. */
  lastChangeAt: Date | undefined;
  /**
   * Whether the warehouse has dispatched shipments beyond those loaded: the screen loads only the
   * newest page of them (a list that only grows), so their count is then a lower bound ("100+").
   */
  moreDispatched = false;
  readonly #listeners = new Set<(topic: StoreTopic) => void>();

  /** Calls `listener` after every change; returns the function that stops it. */
  listen(listener: (topic: StoreTopic) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(topic: StoreTopic): void {
    for (const listener of this.#listeners) listener(topic);
  }

  /** Replaces the stock with a fresh snapshot; slots whose numbers moved are highlighted. */
  replaceStock(levels: readonly StockLevel[], highlightChanges: boolean): void {
    const now = Date.now();
    this.loaded = true;
    const previous = new Map(this.stock);
    this.stock.clear();
    for (const level of levels) {
      const key = slotKey(level);
      const before = previous.get(key);
      const moved = before && (before.onHand !== level.onHand || before.reserved !== level.reserved);
      const changedAt = highlightChanges && (moved || !before) ? now : before?.changedAt;
      this.stock.set(key, { ...level, key, ...(changedAt ? { changedAt } : {}) });
    }
    this.#emit('stock');
  }

  /** Applies one live stock change. Returns false when the change carries no slot (reload instead). */
  applyStockChange(change: StockChange): boolean {
    this.lastChangeAt = new Date();
    if (!change.level) return false;
    const key = slotKey(change.level);
    this.stock.set(key, { ...change.level, key, changedAt: Date.now() });
    this.#emit('stock');
    return true;
  }

  /**
   * Replaces the queue with a fresh snapshot; `moreDispatched` says whether older dispatched
   * shipments exist than the snapshot holds.
   */
  replaceShipments(shipments: readonly Shipment[], moreDispatched = false): void {
    this.moreDispatched = moreDispatched;
    this.shipments.clear();
    for (const shipment of shipments) this.shipments.set(shipment.id, shipment);
    this.#emit('queue');
  }

  /**
   * The count a queue column shows for `status`: exact, except for DISPATCHED when older dispatched
   * shipments exist than were loaded, where it is the lower bound it knows, e.g. "100+".
   */
  countLabel(status: Shipment['status']): string {
    let count = 0;
    for (const shipment of this.shipments.values()) if (shipment.status === status) count += 1;
    return status === 'DISPATCHED' && this.moreDispatched ? `${count}+` : String(count);
  }

  /** Applies one live queue change (cancelled shipments leave the queue). */
  applyQueueChange(change: ShipmentQueueChange): void {
    this.lastChangeAt = new Date();
    if (change.status === 'CANCELLED') this.shipments.delete(change.shipmentId);
    else if (change.shipment) this.shipments.set(change.shipmentId, change.shipment);
    else {
      const known = this.shipments.get(change.shipmentId);
      if (known) this.shipments.set(change.shipmentId, { ...known, status: change.status });
    }
    this.#emit('queue');
  }

  /** Updates one shipment the screen itself changed (inspection, dispatch). */
  putShipment(shipment: Shipment): void {
    this.shipments.set(shipment.id, shipment);
    this.#emit('queue');
  }

  /** A product's name, as far as the stock table knows it. */
  productName(productId: string): string | undefined {
    for (const row of this.stock.values()) if (row.productId === productId && row.product) return row.product.name;
    return undefined;
  }
}
