/**
 * The local check of an outbound inspection: scanned codes (SKU codes or barcodes, as a
 * keyboard-wedge scanner types them) against a shipment's pick list, the same way the inventory
 * service counts them — per product, a barcode counting like its SKU code, surrounding blanks
 * ignored. It gives immediate feedback per scan; `inspectShipment` stays the authority.
 */
import type { InspectionDifference, ShipmentLine } from './api';

/** One product of the pick list with what has been scanned of it. */
export interface PickItem {
  productId: string;
  skuCode: string;
  barcode: string | null;
  /** The product's name, when the caller may read it. */
  name: string | null;
  /** Where to take it from: location codes and lots of its lines. */
  places: string[];
  expected: number;
  scanned: number;
  /** `pending`: fewer scanned than expected; `pass`: exactly; `over`: more. */
  state: 'pending' | 'pass' | 'over';
}

/** A scanned code that is no product of the shipment. */
export interface UnknownCode {
  code: string;
  scanned: number;
}

/** The verdict on all scans so far. */
export interface ScanCheck {
  items: PickItem[];
  unknown: UnknownCode[];
  /** Every product scanned exactly as expected and nothing else: ready to submit. */
  matches: boolean;
}

/** The feedback on one scan. */
export interface ScanVerdict {
  code: string;
  /** `pass`: the product is now complete; `partial`: more to come; `over`: too many; `unknown`: not in this shipment. */
  kind: 'pass' | 'partial' | 'over' | 'unknown';
  item?: PickItem;
}

/** A code as the service compares it. */
export function normaliseCode(code: string): string {
  return code.trim();
}

/** The pick list by product, in the shipment's line order. */
function pickItems(lines: readonly ShipmentLine[]): PickItem[] {
  const byProduct = new Map<string, PickItem>();
  for (const line of lines) {
    let item = byProduct.get(line.productId);
    if (!item) {
      item = { productId: line.productId, skuCode: line.skuCode, barcode: line.barcode, name: line.name, places: [], expected: 0, scanned: 0, state: 'pending' };
      byProduct.set(line.productId, item);
    }
    item.expected += line.quantity;
    item.places.push(line.batch ? `${line.location.code} · lot ${line.batch.lotNumber}` : line.location.code);
  }
  return [...byProduct.values()];
}

/** Checks `scans` (one entry per scan, in order) against the pick list. */
export function checkScans(lines: readonly ShipmentLine[], scans: readonly string[]): ScanCheck {
  const items = pickItems(lines);
  const unknown = new Map<string, UnknownCode>();
  for (const raw of scans) {
    const code = normaliseCode(raw);
    const item = items.find((i) => i.skuCode === code || (i.barcode !== null && i.barcode === code));
    if (item) item.scanned += 1;
    else {
      const entry = unknown.get(code) ?? { code, scanned: 0 };
      entry.scanned += 1;
      unknown.set(code, entry);
    }
  }
  for (const item of items) item.state = item.scanned === item.expected ? 'pass' : item.scanned > item.expected ? 'over' : 'pending';
  const unknownCodes = [...unknown.values()];
  return { items, unknown: unknownCodes, matches: unknownCodes.length === 0 && items.every((i) => i.state === 'pass') };
}

/** The feedback for the last of `scans`. */
export function lastScanVerdict(check: ScanCheck, lastCode: string): ScanVerdict {
  const code = normaliseCode(lastCode);
  const item = check.items.find((i) => i.skuCode === code || (i.barcode !== null && i.barcode === code));
  if (!item) return { code, kind: 'unknown' };
  return { code, kind: item.state === 'pass' ? 'pass' : item.state === 'over' ? 'over' : 'partial', item };
}

/** The scans as `inspectShipment` takes them: one entry per distinct code with its count. */
export function scansForInspection(scans: readonly string[]): { code: string; quantity: number }[] {
  const counts = new Map<string, number>();
  for (const raw of scans) {
    const code = normaliseCode(raw);
    if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts].map(([code, quantity]) => ({ code, quantity }));
}

/** The server's differences that concern a product (by SKU code or barcode). */
export function differencesOf(item: PickItem, differences: readonly InspectionDifference[]): InspectionDifference[] {
  return differences.filter((d) => d.code === item.skuCode || (item.barcode !== null && d.code === item.barcode));
}
