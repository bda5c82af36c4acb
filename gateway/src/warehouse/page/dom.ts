/**
 * A tiny DOM builder: the warehouse screen is plain TypeScript and DOM (no framework), so it
 * stays small and starts fast on a wall screen's browser.
 */

/** Attributes and properties {@link h} understands. */
export interface ElementProps {
  class?: string | undefined;
  text?: string | number | undefined;
  /** `data-*` attributes, without the prefix. */
  data?: Record<string, string | number | boolean | undefined>;
  /** Event listeners by event name (`click`, `submit`, `keydown`, …). */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  /** Any other attribute; `undefined` and `false` leave it out, `true` sets it empty. */
  [attribute: string]: unknown;
}

/** A child of {@link h}: nodes, text, or nothing (null, undefined, false are skipped). */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Creates an element: `h('td', { class: 'num', data: { field: 'onHand' } }, 12)`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false || value === null) continue;
    if (name === 'class') element.className = String(value);
    else if (name === 'text') element.textContent = String(value);
    else if (name === 'data') {
      for (const [key, data] of Object.entries(value as Record<string, unknown>)) {
        if (data !== undefined) element.dataset[key] = String(data);
      }
    } else if (name === 'on') {
      for (const [event, listener] of Object.entries(value as Record<string, EventListener>)) element.addEventListener(event, listener);
    } else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A short, readable form of a UUID for screens (the first 8 hex digits). */
export function shortId(id: string): string {
  return id.slice(0, 8).toUpperCase();
}

/** A local clock time, e.g. 14:03:07. */
export function clockTime(at: Date | string): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
