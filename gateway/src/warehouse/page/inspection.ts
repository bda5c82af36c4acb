/**
 * The inspection view of one shipment: codes typed or scanned (a keyboard-wedge scanner types the
 * code and Enter) are checked against the pick list at once, with pass / mismatch feedback per
 * line; once everything matches, `inspectShipment` confirms it on the server, and only a shipment
 * the server calls READY for exactly these scans can be dispatched.
 */
import { DOCUMENTS, request, SignedOutError, type InspectionDifference, type Shipment, type InspectionResult, type ShipmentResult } from './api';
import { h, replaceChildren, shortId } from './dom';
import { checkScans, differencesOf, lastScanVerdict, scansForInspection, type ScanVerdict } from './inspection-check';
import type { WarehouseStore } from './store';

/** What the inspection view needs from the screen. */
export interface InspectionContext {
  /** The current access token (renewed by the screen). */
  token: () => string;
  store: WarehouseStore;
  back(): void;
  signOut(reason: string): void;
}

/** Carriers offered in the dispatch form (any other may be typed). */
const CARRIERS = ['DHL', 'DPD', 'GLS', 'UPS', 'Hermes', 'FedEx'];

type ServerVerdict =
  | { kind: 'ready'; scansVersion: number }
  | { kind: 'mismatch'; scansVersion: number; message: string; differences: InspectionDifference[] }
  | { kind: 'error'; scansVersion: number; message: string };

const STATUS_LABEL: Record<Shipment['status'], string> = {
  TO_PICK: 'To pick & inspect',
  READY: 'Ready to dispatch',
  DISPATCHED: 'Dispatched',
  CANCELLED: 'Cancelled',
};

/** Mounts the inspection view of shipment `shipmentId` into `container`; returns the function that unmounts it. */
export function mountInspection(container: HTMLElement, shipmentId: string, context: InspectionContext): () => void {
  let shipment: Shipment | undefined;
  let scans: string[] = [];
  let scansVersion = 0;
  let lastVerdict: ScanVerdict | undefined;
  let server: ServerVerdict | undefined;
  let busy = false;
  let unmounted = false;

  const title = h('h2', { id: 'wh-inspection-title' }, `Shipment #${shortId(shipmentId)}`);
  const status = h('span', { class: 'wh-badge', id: 'wh-shipment-status' });
  const scanInput = h('input', {
    id: 'wh-scan',
    class: 'wh-scan-input',
    type: 'text',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    'aria-label': 'Scanned code',
    placeholder: 'Scan or type a code, then Enter',
  });
  const feedback = h('div', { id: 'wh-scan-feedback', class: 'wh-feedback', role: 'status', 'aria-live': 'assertive' });
  const pickBody = h('tbody', { id: 'wh-pick-rows' });
  const unknownList = h('ul', { id: 'wh-unknown', class: 'wh-unknown' });
  const result = h('div', { id: 'wh-inspection-result', class: 'wh-result', role: 'status', 'aria-live': 'polite' });
  const undoButton = h('button', { type: 'button', class: 'wh-button', on: { click: () => changeScans(scans.slice(0, -1)) } }, 'Undo last scan');
  const clearButton = h('button', { type: 'button', class: 'wh-button', on: { click: () => changeScans([]) } }, 'Clear scans');
  const inspectButton = h('button', { type: 'button', id: 'wh-inspect', class: 'wh-button', on: { click: () => void inspect() } }, 'Check with server');
  const carrierInput = h('input', { id: 'wh-carrier', class: 'wh-input', list: 'wh-carriers', autocomplete: 'off', value: 'DHL', 'aria-label': 'Carrier' });
  const trackingInput = h('input', { id: 'wh-tracking', class: 'wh-input', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Tracking number', placeholder: 'Scan or type the tracking number' });
  const dispatchButton = h('button', { type: 'submit', id: 'wh-dispatch', class: 'wh-button wh-primary', disabled: true }, 'Dispatch');
  const dispatchHint = h('p', { class: 'wh-hint', id: 'wh-dispatch-hint' });

  replaceChildren(
    container,
    h(
      'div',
      { class: 'wh-inspection', data: { shipmentId } },
      h('div', { class: 'wh-inspection-head' }, h('button', { type: 'button', class: 'wh-button', id: 'wh-back', on: { click: () => context.back() } }, '← Board'), title, status),
      h(
        'div',
        { class: 'wh-inspection-body' },
        h(
          'section',
          { class: 'wh-panel wh-scan-panel' },
          h(
            'form',
            { class: 'wh-scan-form', on: { submit: (event) => (event.preventDefault(), scan(scanInput.value)) } },
            h('label', { for: 'wh-scan' }, 'Scan'),
            scanInput,
          ),
          feedback,
          h('div', { class: 'wh-actions' }, undoButton, clearButton, inspectButton),
          result,
          h(
            'form',
            { class: 'wh-dispatch-form', id: 'wh-dispatch-form', on: { submit: (event) => (event.preventDefault(), void dispatch()) } },
            h('h3', {}, 'Dispatch'),
            h('label', {}, 'Carrier', carrierInput),
            h('datalist', { id: 'wh-carriers' }, CARRIERS.map((c) => h('option', { value: c }))),
            h('label', {}, 'Tracking number', trackingInput),
            dispatchButton,
            dispatchHint,
          ),
        ),
        h(
          'section',
          { class: 'wh-panel wh-pick-panel' },
          h('h3', {}, 'Pick list'),
          h(
            'table',
            { class: 'wh-table', id: 'wh-pick' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Product'), h('th', {}, 'SKU / barcode'), h('th', {}, 'From'), h('th', { class: 'wh-num' }, 'Expected'), h('th', { class: 'wh-num' }, 'Scanned'), h('th', {}, 'Check'))),
            pickBody,
          ),
          unknownList,
        ),
      ),
    ),
  );
  trackingInput.addEventListener('input', () => draw());
  carrierInput.addEventListener('input', () => draw());

  function canDispatch(): boolean {
    if (!shipment || shipment.status !== 'READY' || busy) return false;
    // A READY shipment opened without scanning may go; once scanned here, these scans must be the ones the server passed.
    return scans.length === 0 || (server?.kind === 'ready' && server.scansVersion === scansVersion);
  }

  function draw(): void {
    if (unmounted) return;
    const check = checkScans(shipment?.lines ?? [], scans);
    const differences = server?.kind === 'mismatch' && server.scansVersion === scansVersion ? server.differences : [];
    status.textContent = shipment ? STATUS_LABEL[shipment.status] : 'Loading…';
    status.dataset['status'] = shipment?.status ?? '';
    const done = shipment?.status === 'DISPATCHED' || shipment?.status === 'CANCELLED';
    scanInput.disabled = !shipment || done;
    undoButton.disabled = !scans.length || done;
    clearButton.disabled = !scans.length || done;
    inspectButton.disabled = !shipment || done || busy || (server !== undefined && server.scansVersion === scansVersion);

    if (lastVerdict) {
      const { code, kind, item } = lastVerdict;
      feedback.dataset['verdict'] = kind;
      feedback.textContent =
        kind === 'unknown'
          ? `✗ ${code} is not in this shipment`
          : kind === 'over'
            ? `✗ ${code}: too many — ${item!.scanned} scanned, ${item!.expected} expected`
            : kind === 'pass'
              ? `✓ ${item!.skuCode} complete — ${item!.scanned} of ${item!.expected}`
              : `✓ ${item!.skuCode} — ${item!.scanned} of ${item!.expected}`;
    } else {
      delete feedback.dataset['verdict'];
      feedback.textContent = shipment ? 'Scan each unit of the pick list.' : '';
    }

    replaceChildren(
      pickBody,
      check.items.map((item) => {
        const serverDifference = differencesOf(item, differences)[0];
        const state = serverDifference ? 'mismatch' : item.state;
        return h(
          'tr',
          { class: `wh-pick-${state}`, data: { sku: item.skuCode, state } },
          h('td', { class: 'wh-product' }, context.store.productName(item.productId) ?? h('span', { class: 'wh-product-id' }, item.productId)),
          h('td', { class: 'wh-code' }, item.skuCode, item.barcode ? h('small', {}, item.barcode) : null),
          h('td', {}, item.places.join(', ')),
          h('td', { class: 'wh-num' }, item.expected),
          h('td', { class: 'wh-num', data: { field: 'scanned' } }, item.scanned),
          h(
            'td',
            { class: 'wh-check', data: { field: 'check' } },
            state === 'pass' ? '✓ Pass' : state === 'over' ? `✗ ${item.scanned - item.expected} too many` : state === 'mismatch' ? `✗ ${serverDifference!.kind}` : `${item.expected - item.scanned} to scan`,
          ),
        );
      }),
    );
    replaceChildren(
      unknownList,
      check.unknown.map((u) => h('li', { data: { code: u.code } }, `✗ ${u.code} — not in this shipment${u.scanned > 1 ? ` (×${u.scanned})` : ''}`)),
    );

    if (shipment?.status === 'DISPATCHED') {
      result.dataset['result'] = 'DISPATCHED';
      result.textContent = `Dispatched with ${shipment.carrier ?? '?'} · ${shipment.trackingNumber ?? '?'}`;
    } else if (shipment?.status === 'CANCELLED') {
      result.dataset['result'] = 'CANCELLED';
      result.textContent = 'This shipment was cancelled.';
    } else if (server && server.scansVersion === scansVersion) {
      result.dataset['result'] = server.kind === 'ready' ? 'READY' : server.kind === 'mismatch' ? 'MISMATCH' : 'ERROR';
      result.textContent =
        server.kind === 'ready'
          ? '✓ Inspection passed: the shipment is ready to dispatch.'
          : server.kind === 'mismatch'
            ? `✗ Inspection failed: ${server.differences.map((d) => `${d.code} ${d.kind.toLowerCase()} (${d.scanned} of ${d.expected})`).join(', ')}`
            : `✗ ${server.message}`;
    } else if (busy) {
      result.dataset['result'] = 'BUSY';
      result.textContent = 'Checking…';
    } else {
      delete result.dataset['result'];
      result.textContent = check.matches ? '' : shipment?.status === 'READY' && !scans.length ? 'Inspected earlier: ready to dispatch.' : '';
    }

    const dispatchable = canDispatch();
    dispatchButton.disabled = !dispatchable || !carrierInput.value.trim() || !trackingInput.value.trim();
    carrierInput.disabled = trackingInput.disabled = done;
    dispatchHint.textContent = done
      ? ''
      : dispatchable
        ? trackingInput.value.trim()
          ? 'Ready.'
          : 'Enter the tracking number.'
        : 'Dispatch opens once the inspection passes.';
  }

  function changeScans(next: string[]): void {
    scans = next;
    scansVersion += 1;
    lastVerdict = next.length ? lastScanVerdict(checkScans(shipment?.lines ?? [], next), next[next.length - 1]!) : undefined;
    draw();
    scanInput.focus();
  }

  function scan(raw: string): void {
    const code = raw.trim();
    scanInput.value = '';
    scanInput.focus();
    if (!code || !shipment) return;
    changeScans([...scans, code]);
    // Everything matches here: let the server confirm it at once.
    if (checkScans(shipment.lines, scans).matches) void inspect();
  }

  function failed(error: unknown): void {
    if (error instanceof SignedOutError) context.signOut(error.message);
    else {
      server = { kind: 'error', scansVersion, message: error instanceof Error ? error.message : String(error) };
      draw();
    }
  }

  async function inspect(): Promise<void> {
    if (!shipment || busy) return;
    const version = scansVersion;
    busy = true;
    draw();
    try {
      const data = await request<{ result: InspectionResult }>(context.token(), DOCUMENTS.inspect, { input: { shipmentId: shipment.id, scans: scansForInspection(scans) } });
      const outcome = data.result;
      if ('passed' in outcome) {
        shipment = outcome.shipment;
        context.store.putShipment(shipment);
        if (!outcome.passed) {
          const message = `The scans do not match the shipment (${outcome.differences.length} difference(s)); it stays blocked. Re-scan and check again.`;
          server = { kind: 'mismatch', scansVersion: version, message, differences: outcome.differences };
        } else {
          server = shipment.status === 'READY' ? { kind: 'ready', scansVersion: version } : { kind: 'error', scansVersion: version, message: `The shipment is ${shipment.status}.` };
        }
      } else {
        server = { kind: 'error', scansVersion: version, message: (outcome as { message: string }).message };
      }
    } catch (error) {
      failed(error);
    } finally {
      busy = false;
      draw();
    }
  }

  async function dispatch(): Promise<void> {
    if (!shipment || !canDispatch()) return;
    busy = true;
    draw();
    try {
      const data = await request<{ result: ShipmentResult }>(context.token(), DOCUMENTS.dispatch, {
        input: { shipmentId: shipment.id, carrier: carrierInput.value.trim(), trackingNumber: trackingInput.value.trim() },
      });
      const outcome = data.result;
      if (outcome.__typename === 'Shipment') {
        shipment = outcome as Shipment;
        context.store.putShipment(shipment);
      } else {
        server = { kind: 'error', scansVersion, message: (outcome as { message: string }).message };
      }
    } catch (error) {
      failed(error);
    } finally {
      busy = false;
      draw();
    }
  }

  // Live: another screen may inspect, dispatch or cancel this shipment meanwhile.
  const unlisten = context.store.listen((topic) => {
    if (topic !== 'queue' || !shipment) return;
    const live = context.store.shipments.get(shipment.id);
    if (live && live.status !== shipment.status) {
      shipment = live;
      draw();
    }
  });

  // A keyboard-wedge scanner types wherever the focus is: send stray typing to the scan field.
  const onKeyDown = (event: KeyboardEvent) => {
    const active = document.activeElement;
    if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length === 1 && !scanInput.disabled) scanInput.focus();
  };
  document.addEventListener('keydown', onKeyDown);

  draw();
  scanInput.focus();
  request<{ shipment: Shipment | null }>(context.token(), DOCUMENTS.shipment, { id: shipmentId })
    .then((data) => {
      if (unmounted) return;
      if (!data.shipment) {
        result.dataset['result'] = 'ERROR';
        result.textContent = 'No such shipment in this warehouse.';
        return;
      }
      shipment = data.shipment;
      draw();
      scanInput.focus();
    })
    .catch(failed);

  return () => {
    unmounted = true;
    unlisten();
    document.removeEventListener('keydown', onKeyDown);
  };
}
