/**
 * How the gateway talks to subgraphs: undici's dispatcher API over keep-alive connections,
 * behind the `Fetcher` interface Apollo's data sources take.
 *
 * The WHATWG `fetch` Node ships builds a Request, web streams and an abort signal per call, and
 * then a web-stream body to read: a third of the gateway's CPU on `{ me { code name } }` went
 * there (bench/federation, profile of the measured seconds). A subgraph answer is one JSON
 * document, read whole; nothing here needs streams.
 */
import { STATUS_CODES } from 'node:http';
import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, request } from 'undici';

/** Connections stay open between requests (a subgraph keeps idle ones for 65 s; see kit `listen`). */
const KEEP_ALIVE_MS = 30_000;

/**
 * A fetcher for subgraph calls: one keep-alive pool per subgraph origin, bodies read whole.
 * Transport failures surface as undici's errors (`UND_ERR_*`, or the socket's `ECONNREFUSED` and the
 * like), which the gateway turns into SERVICE_UNAVAILABLE.
 */
export function subgraphFetcher(options: { connectionsPerOrigin?: number } = {}): Fetcher & { close(): Promise<void> } {
  const dispatcher = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, connections: options.connectionsPerOrigin ?? 128 });
  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    const response = await request(url, {
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      headers: init.headers,
      body: init.body,
      dispatcher,
    });
    const text = await response.body.text();
    return new SubgraphResponse(url, response.statusCode, response.headers, text);
  };
  return Object.assign(fetcher, { close: () => dispatcher.close() });
}

/** A subgraph's answer, already read: what Apollo's data source asks of a fetch Response. */
class SubgraphResponse implements FetcherResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly redirected = false;
  readonly headers: FetcherHeaders;
  #bodyUsed = false;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: Record<string, string | string[] | undefined>,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new ResponseHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.#bodyUsed;
  }

  async text(): Promise<string> {
    this.#bodyUsed = true;
    return this.body;
  }

  async json(): Promise<unknown> {
    this.#bodyUsed = true;
    return JSON.parse(this.body);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    this.#bodyUsed = true;
    const bytes = Buffer.from(this.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  clone(): FetcherResponse {
    return new SubgraphResponse(this.url, this.status, Object.fromEntries(this.headers), this.body);
  }
}

/** Response headers by lower-case name (undici hands them over as a plain object). */
class ResponseHeaders implements FetcherHeaders {
  readonly #values = new Map<string, string>();

  constructor(headers: Record<string, string | string[] | undefined>) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) this.#values.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), value);
  }
  append(name: string, value: string): void {
    const known = this.get(name);
    this.set(name, known === null ? value : `${known}, ${value}`);
  }
  delete(name: string): void {
    this.#values.delete(name.toLowerCase());
  }
  entries(): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
  keys(): IterableIterator<string> {
    return this.#values.keys();
  }
  values(): IterableIterator<string> {
    return this.#values.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#values.entries();
  }
}
