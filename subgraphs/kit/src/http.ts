import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import Negotiator from 'negotiator';
import { ErrorCode } from './errors';
import type { Logger } from './logger';
import { countRefusal } from './metrics';
import { SpanKind, inSpan, incomingContext } from './tracing';

/** Raised when a request body exceeds the configured limit (answered with 413). */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes.`);
  }
}

/** Raised when the client goes away before its request body arrived: nobody is left to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection before sending the whole request body.');
  }
}

/** How long a client that sent too much may go on sending (discarded) before its connection is cut. */
const OVERSIZED_BODY_GRACE_MS = 1_000;

/**
 * Reads a request body up to `maxBytes`. Beyond it (declared by `content-length` or found while
 * streaming) it rejects with {@link BodyTooLargeError} at once, buffering nothing more: the rest is
 * discarded so that the 413 still reaches the client, and the connection is cut if the client keeps
 * sending for more than a second after the answer. A client that disconnects mid-body rejects with
 * {@link ClientGoneError}.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      req.removeAllListeners('data');
      req.resume();
      req.socket.setTimeout(0);
      const cut = setTimeout(() => req.destroy(), OVERSIZED_BODY_GRACE_MS);
      cut.unref();
      req.once('end', () => clearTimeout(cut));
      reject(new BodyTooLargeError(maxBytes));
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('aborted', () => reject(new ClientGoneError()));
    req.on('error', (error: NodeJS.ErrnoException) => reject(req.destroyed || error.code === 'ECONNRESET' ? new ClientGoneError() : error));
  });
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A GraphQL-shaped error response for failures before execution (body too large, bad JSON). */
export function sendGraphQLError(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

/**
 * Document and variable failures: 200 under `Accept: application/json` (GraphQL over HTTP). A
 * variable-coercion failure is graphql-js's `Variable "$x" …`; other BAD_USER_INPUT refusals of a
 * whole request (a partner to choose, say) keep their 400.
 */
function isDocumentFailure(error: { message?: unknown; extensions?: { code?: unknown } }): boolean {
  const code = error.extensions?.code;
  return code === ErrorCode.INVALID_OPERATION || (code === ErrorCode.BAD_USER_INPUT && typeof error.message === 'string' && error.message.startsWith('Variable "$'));
}

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';

/** The media type of a refusal, negotiated as Apollo does for its own answers (application/json unless the client prefers the GraphQL one). */
function refusalMediaType(accept: string | undefined): string {
  if (!accept) return APPLICATION_JSON;
  const preferred = new Negotiator({ headers: { accept } }).mediaType(['application/json', 'application/graphql-response+json']);
  return preferred === 'application/graphql-response+json' ? GRAPHQL_RESPONSE_JSON : APPLICATION_JSON;
}

/**
 * The status one of Apollo's finished answers goes out with. The GraphQL-over-HTTP spec wants 200
 * for a well-formed request whose document does not parse or validate, or whose variables do not
 * coerce, when the client takes `application/json` (it reads the errors), and 4xx under
 * `application/graphql-response+json`; Apollo answers 400 for both. Only a 400 is read.
 */
function statusOfAnswer(status: number, contentType: string | undefined, body: string): number {
  if (status !== 400 || !contentType?.startsWith('application/json')) return status;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
    if (parsed.data !== undefined || !Array.isArray(parsed.errors) || parsed.errors.length === 0) return status;
    return parsed.errors.every(isDocumentFailure) ? 200 : status;
  } catch {
    return status;
  }
}

/** The GraphQL parameters of a request, as far as they are well-formed (otherwise Apollo refuses the request itself). */
export interface GraphQLRequestParams {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

function requestParams(method: string, search: URLSearchParams, body: unknown): GraphQLRequestParams | undefined {
  let raw: { query?: unknown; operationName?: unknown; variables?: unknown } | undefined;
  if (method === 'GET') {
    let variables: unknown;
    try {
      variables = search.has('variables') ? JSON.parse(search.get('variables')!) : undefined;
    } catch {
      return undefined;
    }
    raw = { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined, variables };
  } else if (method === 'POST' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    raw = body;
  }
  if (!raw || typeof raw.query !== 'string' || !raw.query) return undefined;
  const { operationName, variables } = raw;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return { query: raw.query, operationName: operationName ?? undefined, variables: (variables ?? undefined) as Record<string, unknown> | undefined };
}

/** Options for {@link graphqlRequestHandler}. */
export interface GraphQLHandlerOptions<Context extends BaseContext> {
  /** Builds the per-request context; throw a GraphQLError with `extensions.http.status` to refuse. */
  context: (req: IncomingMessage) => Promise<Context>;
  /** Largest accepted body. */
  maxBodyBytes: number;
  /** Where clients that went away mid-request are noted (at debug level). */
  logger?: Logger;
  /** The `service` label of this server's spans and of the requests refused here in the metrics. Default `graphql`. */
  service?: string;
  /**
   * Looks at a well-formed request before Apollo parses or validates it (the gateway's operation
   * limits); an error refuses it with the error's `extensions.http.status`.
   */
  precheck?: (params: GraphQLRequestParams) => GraphQLError | undefined;
  /** Formats a precheck's refusal as Apollo's `formatError` would. */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/**
 * Adapts an Apollo Server to Node's http module: reads and size-limits the body, parses JSON,
 * runs `executeHTTPGraphQLRequest` and streams the answer. Keeps the transport free of any web
 * framework, so the gateway and every subgraph speak the same small surface.
 */
export function graphqlRequestHandler<Context extends BaseContext>(
  server: ApolloServer<Context>,
  options: GraphQLHandlerOptions<Context>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const service = options.service ?? 'graphql';
  // One server span per request, continuing the caller's trace (the gateway's, for a subgraph).
  return (req, res) =>
    inSpan(
      `${service} request`,
      { kind: SpanKind.SERVER, parent: incomingContext(req.headers), attributes: { 'redthread.service': service, 'http.request.method': req.method ?? 'GET' } },
      async (span) => {
        await handle(req, res);
        span.setAttribute('http.response.status_code', res.statusCode);
      },
    );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        countRefusal(service, ErrorCode.OPERATION_LIMIT_EXCEEDED);
        sendGraphQLError(res, 413, ErrorCode.OPERATION_LIMIT_EXCEEDED, `${error.message} Send a smaller operation.`, { connection: 'close' });
        return;
      }
      if (error instanceof ClientGoneError) {
        options.logger?.debug({ method: req.method, url: req.url }, error.message);
        return;
      }
      throw error;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = raw;
    if (raw && (headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        countRefusal(service, ErrorCode.BAD_REQUEST);
        sendGraphQLError(res, 400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON. Send {"query": "…", "variables": {…}} as application/json.');
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const params = options.precheck ? requestParams(method, url.searchParams, body) : undefined;
    const refusal = params && options.precheck?.(params);
    if (refusal) {
      // A precheck refuses what is not a document or variable failure (limits, operation selection,
      // a subscription over HTTP): its own status, whatever the media type.
      const formatted = options.formatError ? options.formatError(refusal.toJSON(), refusal) : refusal.toJSON();
      const mediaType = refusalMediaType(headers.get('accept'));
      const status = (refusal.extensions['http'] as { status?: number } | undefined)?.status ?? 400;
      const text = JSON.stringify({ errors: [formatted] });
      countRefusal(service, String(formatted.extensions?.['code'] ?? ErrorCode.BAD_REQUEST));
      res.writeHead(status, { 'content-type': mediaType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: () => options.context(req),
    });
    // Every answer is for one identity: no cache may keep it. (Apollo's cache-control plugin, which
    // would say so too, is off: it wraps every field resolver to collect hints nobody reads.)
    res.setHeader('cache-control', 'no-store');
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.statusCode = statusOfAnswer(res.statusCode, response.headers.get('content-type'), response.body.string);
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/** A started HTTP server and how to reach and stop it. */
export interface RunningHttpServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Stops at once: every connection is cut, requests in flight included (tests, failed starts). */
  close(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM): accepts no new connection, lets the requests in flight finish
   * (idle keep-alive connections are closed as they become idle), and cuts what is left after
   * `graceMs`. Resolves with how many requests were cut.
   */
  drain(graceMs: number): Promise<number>;
}

/** Listens on `host:port` (port 0 picks a free one) and resolves once listening. */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<RunningHttpServer> {
  server.keepAliveTimeout = 65_000;
  let inFlight = 0;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}`,
    close: async () => {
      if (server.listening) server.close();
      server.closeAllConnections();
      await closed;
    },
    drain: async (graceMs) => {
      if (server.listening) server.close();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const cut = inFlight;
      server.closeAllConnections();
      await closed;
      return cut;
    },
  };
}

export { createServer };
