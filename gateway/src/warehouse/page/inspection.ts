/**
 * The inspection view of one shipment: codes typed or scanned (a keyboard-wedge scanner types the
 * code and Enter) are checked against the pick list at once, with pass / mismatch feedback per
 * line; once everything matches (after a scan or an undo), `inspectShipment` confirms it on the
 * server, and only a shipment the server calls READY for exactly these scans can be dispatched.
 *
 * Two steps, one scanner: while inspecting, typing goes to the scan field; once the scans match,
 * the scan field locks and the focus (and any stray typing) moves to carrier and tracking number,
 * so scanning the tracking label never counts as an item. The status badge and the Dispatch button
 * are drawn from one {@link ViewState}, so they always agree.
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

/**
 * Where the view is: `loading` the shipment; `inspect`, scanning items; `confirming`, the scans
 * match and the server is checking them (the scanner's next code is the tracking label already);
 * `dispatch`, the inspection passed and carrier and tracking are asked for; `done`, dispatched or
 * cancelled.
 */
type Step = 'loading' | 'inspect' | 'confirming' | 'dispatch' | 'done';

/** Everything drawn from the view's state that must agree: the badge, the Dispatch button, the scan lock. */
interface ViewState {
  step: Step;
  /** The badge: `data-status` (which colours it) and its text. */
  badge: { status: string; label: string };
  /** Whether Dispatch may be pressed now; the badge reads "Ready to dispatch" exactly then. */
  dispatchable: boolean;
}

/** Mounts the inspection view of shipment `shipmentId` into `container`; returns the function that unmounts it. */
export function mountInspection(container: HTMLElement, shipmentId: string, context: InspectionContext): () => void {
  let shipment: Shipment | undefined;
  let scans: string[] = [];
  let scansVersion = 0;
  /** Whether this view has scanned (or cleared) since it opened: then only its own passed inspection opens Dispatch. */
  let inspectingHere = false;
  let lastVerdict: ScanVerdict | undefined;
  let server: ServerVerdict | undefined;
  let busy: 'inspect' | 'dispatch' | undefined;
  let unmounted = false;
  let drawnStep: Step = 'loading';

  const backButton = h('button', { type: 'button', class: 'wh-button', id: 'wh-back', on: { click: () => context.back() } }, '← Board');
  const title = h('h2', { id: 'wh-inspection-title' }, `Shipment ${shortId(shipmentId)}`);
  const destination = h('span', { id: 'wh-destination', class: 'wh-destination' });
  const status = h('span', { class: 'wh-badge', id: 'wh-shipment-status', role: 'status', 'aria-live': 'polite' });
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
  const undoButton = h('button', { type: 'button', id: 'wh-undo', class: 'wh-button', on: { click: () => changeScans(scans.slice(0, -1)) } }, 'Undo last scan');
  const clearButton = h('button', { type: 'button', id: 'wh-clear', class: 'wh-button', on: { click: () => changeScans([]) } }, 'Clear scans');
  const inspectButton = h('button', { type: 'button', id: 'wh-inspect', class: 'wh-button', on: { click: () => void inspect() } }, 'Check with server');
  const carrierInput = h('input', { id: 'wh-carrier', class: 'wh-input', list: 'wh-carriers', autocomplete: 'off', value: 'DHL', 'aria-label': 'Carrier' });
  const trackingInput = h('input', { id: 'wh-tracking', class: 'wh-input wh-tracking-input', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Tracking number', placeholder: 'Scan or type the tracking number' });
  const dispatchButton = h('button', { type: 'submit', id: 'wh-dispatch', class: 'wh-button wh-primary', disabled: true }, 'Dispatch');
  const dispatchHint = h('p', { class: 'wh-hint', id: 'wh-dispatch-hint' });

  replaceChildren(
    container,
    h(
      'div',
      { class: 'wh-inspection', data: { shipmentId } },
      h('div', { class: 'wh-inspection-head' }, backButton, title, destination, status),
      h(
        'div',
        { class: 'wh-inspection-body' },
        h(
          'section',
          { class: 'wh-panel wh-scan-panel' },
          h(
            'form',
            { class: 'wh-scan-form', on: { submit: (event) => (event.preventDefault(), scan(scanInput.value)) } },
            h('label', { for: 'wh-scan' }, '1 · Scan the items'),
            scanInput,
          ),
          feedback,
          h('div', { class: 'wh-actions' }, undoButton, clearButton, inspectButton),
          result,
          h(
            'form',
            { class: 'wh-dispatch-form', id: 'wh-dispatch-form', on: { submit: (event) => (event.preventDefault(), void dispatch()) } },
            h('h3', {}, '2 · Dispatch'),
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
            'div',
            { class: 'wh-scroll' },
            h(
              'table',
              { class: 'wh-table', id: 'wh-pick' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Product'), h('th', {}, 'SKU / barcode'), h('th', {}, 'From'), h('th', { class: 'wh-num' }, 'Expected'), h('th', { class: 'wh-num' }, 'Scanned'), h('th', {}, 'Check'))),
              pickBody,
            ),
          ),
          unknownList,
        ),
      ),
    ),
  );
  trackingInput.addEventListener('input', () => draw());
  carrierInput.addEventListener('input', () => draw());
  // A scanner ends the tracking label with Enter: that completes the field, it does not dispatch.
  // The focus moves on (carrier → tracking → Dispatch), and Enter on Dispatch dispatches.
  carrierInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    trackingInput.focus();
  });
  trackingInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    if (!dispatchButton.disabled) dispatchButton.focus();
    else if (!carrierInput.value.trim()) carrierInput.focus();
  });

  /** Whether this view's current scans are the ones the server passed. */
  function passedHere(): boolean {
    return server?.kind === 'ready' && server.scansVersion === scansVersion;
  }

  function viewState(): ViewState {
    if (!shipment) return { step: 'loading', badge: { status: '', label: 'Loading…' }, dispatchable: false };
    if (shipment.status === 'DISPATCHED') return { step: 'done', badge: { status: 'DISPATCHED', label: 'Dispatched' }, dispatchable: false };
    if (shipment.status === 'CANCELLED') return { step: 'done', badge: { status: 'CANCELLED', label: 'Cancelled' }, dispatchable: false };
    // A READY shipment opened without scanning may go; once scanned here, these scans must be the ones the server passed.
    const passed = shipment.status === 'READY' && (!inspectingHere || passedHere());
    if (passed) {
      if (busy === 'dispatch') return { step: 'dispatch', badge: { status: 'BUSY', label: 'Dispatching…' }, dispatchable: false };
      const formComplete = Boolean(carrierInput.value.trim() && trackingInput.value.trim());
      return formComplete
        ? { step: 'dispatch', badge: { status: 'READY', label: 'Ready to dispatch' }, dispatchable: true }
        : { step: 'dispatch', badge: { status: 'READY', label: 'Passed · needs tracking number' }, dispatchable: false };
    }
    if (busy === 'inspect') {
      const confirming = checkScans(shipment.lines, scans).matches;
      return { step: confirming ? 'confirming' : 'inspect', badge: { status: 'BUSY', label: 'Checking…' }, dispatchable: false };
    }
    if (server?.kind === 'mismatch' && server.scansVersion === scansVersion) return { step: 'inspect', badge: { status: 'MISMATCH', label: 'Inspection failed' }, dispatchable: false };
    if (scans.length) return { step: 'inspect', badge: { status: 'INSPECTING', label: 'Inspecting' }, dispatchable: false };
    return { step: 'inspect', badge: { status: 'TO_PICK', label: 'To pick & inspect' }, dispatchable: false };
  }

  /** Where carrier and tracking are asked for: the first of them still empty (the tracking number, as a rule). */
  function dispatchField(): HTMLInputElement {
    return carrierInput.value.trim() ? trackingInput : carrierInput;
  }

  /**
   * Moves the focus when the step changes: to the scan field while inspecting, to carrier and
   * tracking once the scans match, back to the board once done.
   */
  function followStep(step: Step): void {
    const previous = drawnStep;
    drawnStep = step;
    if (step === previous) return;
    const active = document.activeElement;
    if (step === 'inspect') scanInput.focus();
    else if ((step === 'confirming' || step === 'dispatch') && active !== carrierInput && active !== trackingInput) dispatchField().focus();
    else if (step === 'done') backButton.focus();
  }

  function draw(): void {
    if (unmounted) return;
    const state = viewState();
    const check = checkScans(shipment?.lines ?? [], scans);
    const differences = server?.kind === 'mismatch' && server.scansVersion === scansVersion ? server.differences : [];
    const done = state.step === 'done';
    const order = shipment?.order;
    if (shipment) title.textContent = order?.externalNumber ? `Order ${order.externalNumber}` : `Shipment ${shortId(shipment.id)}`;
    destination.textContent = order?.shipTo ? `${order.shipTo.city} · ${order.shipTo.country}` : '';
    status.textContent = state.badge.label;
    status.dataset['status'] = state.badge.status;
    status.dataset['step'] = state.step;

    // Scanning is locked once the scans match: the next code is the tracking label.
    const scanLocked = state.step !== 'inspect';
    scanInput.disabled = scanLocked;
    scanInput.placeholder = state.step === 'dispatch' || state.step === 'confirming' ? 'Items done' : 'Scan or type a code, then Enter';
    undoButton.disabled = !scans.length || done || busy !== undefined;
    clearButton.disabled = done || busy !== undefined || (!scans.length && state.step !== 'dispatch');
    clearButton.textContent = scans.length ? 'Clear scans' : 'Inspect again';
    // Asking again is pointless once the server answered for these scans, unless that answer was a failure to reach it.
    inspectButton.disabled = state.step !== 'inspect' || busy !== undefined || !scans.length || (server !== undefined && server.scansVersion === scansVersion && server.kind !== 'error');

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
      feedback.textContent = !shipment || done ? '' : state.step === 'dispatch' ? 'Inspected: scan the tracking label.' : 'Scan each unit of the pick list.';
    }

    replaceChildren(
      pickBody,
      check.items.map((item) => {
        const serverDifference = differencesOf(item, differences)[0];
        const rowState = serverDifference ? 'mismatch' : item.state;
        return h(
          'tr',
          { class: `wh-pick-${rowState}`, data: { sku: item.skuCode, state: rowState } },
          h('td', { class: 'wh-product' }, item.name ?? context.store.productName(item.productId) ?? h('span', { class: 'wh-product-id' }, item.productId)),
          h('td', { class: 'wh-code' }, item.skuCode, item.barcode ? h('small', {}, item.barcode) : null),
          h('td', {}, item.places.join(', ')),
          h('td', { class: 'wh-num' }, item.expected),
          h('td', { class: 'wh-num', data: { field: 'scanned' } }, item.scanned),
          h(
            'td',
            { class: 'wh-check', data: { field: 'check' } },
            rowState === 'pass'
              ? '✓ Pass'
              : rowState === 'over'
                ? `✗ ${item.scanned - item.expected} too many`
                : rowState === 'mismatch'
                  ? `✗ ${serverDifference!.kind}`
                  : `${item.expected - item.scanned} to scan`,
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
    } else if (busy === 'inspect') {
      result.dataset['result'] = 'BUSY';
      result.textContent = 'Checking…';
    } else if (state.step === 'dispatch') {
      result.dataset['result'] = 'READY';
      result.textContent = '✓ Inspected earlier: ready to dispatch.';
    } else {
      delete result.dataset['result'];
      result.textContent = '';
    }

    dispatchButton.disabled = !state.dispatchable;
    carrierInput.disabled = trackingInput.disabled = done;
    dispatchHint.textContent = done
      ? ''
      : state.dispatchable
        ? 'Ready: press Enter or click Dispatch.'
        : state.step === 'dispatch'
          ? busy === 'dispatch'
            ? 'Dispatching…'
            : 'Scan or type the tracking number, then Enter.'
          : 'Dispatch opens once the inspection passes.';
    followStep(state.step);
  }

  function changeScans(next: string[]): void {
    scans = next;
    scansVersion += 1;
    inspectingHere = true;
    lastVerdict = next.length ? lastScanVerdict(checkScans(shipment?.lines ?? [], next), next[next.length - 1]!) : undefined;
    // Everything matches here (after a scan, or after undoing a wrong one): let the server confirm it at once.
    if (shipment && checkScans(shipment.lines, next).matches) void inspect();
    else draw();
    if (drawnStep === 'inspect') scanInput.focus();
  }

  function scan(raw: string): void {
    const code = raw.trim();
    scanInput.value = '';
    if (!code || !shipment || drawnStep !== 'inspect') return;
    changeScans([...scans, code]);
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
    busy = 'inspect';
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
      busy = undefined;
      // The scans changed while the server was checking: check the new ones too if they match.
      if (shipment && version !== scansVersion && checkScans(shipment.lines, scans).matches) void inspect();
      else draw();
    }
  }

  async function dispatch(): Promise<void> {
    if (!shipment || !viewState().dispatchable) return;
    busy = 'dispatch';
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
      busy = undefined;
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

  // A keyboard-wedge scanner types wherever the focus is: stray typing goes to the field of the
  // current step — the scan field while inspecting, the tracking number (replacing what it held,
  // as a new scan does) once the items are done.
  const onKeyDown = (event: KeyboardEvent) => {
    const active = document.activeElement;
    if ((active instanceof HTMLInputElement && !active.disabled) || active instanceof HTMLTextAreaElement || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key.length !== 1) return;
    if (drawnStep === 'inspect') scanInput.focus();
    else if ((drawnStep === 'confirming' || drawnStep === 'dispatch') && !trackingInput.disabled) {
      trackingInput.focus();
      trackingInput.select();
    }
  };
  document.addEventListener('keydown', onKeyDown);

  draw();
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
    })
    .catch(failed);

  return () => {
    unmounted = true;
    unlisten();
    document.removeEventListener('keydown', onKeyDown);
  };
}
