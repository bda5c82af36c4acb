/**
 * How the GraphiQL page talks to the gateway: queries, mutations and introspection over HTTP POST
 * to `/graphql`, subscriptions over graphql-ws on the same path with the request headers as
 * connection parameters.
 *
 * Subscriptions do not go through @graphiql/toolkit's WebSocket fetcher: that one retries a
 * refused token (close code 4403) five times with backoff, about 38 s of silence, and then shows
 * the close event as an error with a stack trace. Here a 4403 is final, and any failure of the
 * connection is shown as a GraphQL result that carries the gateway's close reason.
 */
import { getOperationAST, type DocumentNode } from 'graphql';
import { createClient, type ExecutionResult, type FormattedExecutionResult } from 'graphql-ws';
import { createGraphiQLFetcher, type Fetcher, type FetcherParams, type SyncExecutionResult } from '@graphiql/toolkit';

/**
 * The close code of a refused or expired token: graphql-ws's Forbidden, which the gateway sends
 * when `connection_init` carries no valid token and when the token expires or the access behind
 * it ends (`CLOSE_FORBIDDEN` in gateway/src/subscriptions/server.ts).
 */
const CLOSE_FORBIDDEN = 4403;

/** Options for {@link gatewayFetcher}. */
export interface GatewayFetcherOptions {
  /**
   * The request headers to use when GraphiQL passes none: its first schema fetch can start
   * before the header editor exists, and would otherwise go out without the token restored from
   * the last visit.
   */
  fallbackHeaders: () => Record<string, unknown> | undefined;
  /** How to get a token, one plain sentence; part of the message of a subscription refused with 4403. */
  tokenHelp: string;
}

/**
 * A GraphiQL fetcher for the gateway serving this page. Header names are lower-cased on the way:
 * HTTP does not care, and the gateway reads the token from `connectionParams.authorization`.
 */
export function gatewayFetcher(options: GatewayFetcherOptions): Fetcher {
  const graphqlUrl = new URL('/graphql', window.location.href);
  const subscriptionUrl = new URL(graphqlUrl);
  subscriptionUrl.protocol = graphqlUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const fetchOverHttp = createGraphiQLFetcher({ url: graphqlUrl.href, enableIncrementalDelivery: false });

  return (params, fetcherOptions) => {
    const headers = lowerCaseNames(fetcherOptions?.headers ?? options.fallbackHeaders() ?? {});
    if (fetcherOptions?.documentAST && isSubscription(fetcherOptions.documentAST, params.operationName)) {
      return subscribeOverWebSocket(subscriptionUrl.href, params, headers, options.tokenHelp);
    }
    return fetchOverHttp(params, { ...fetcherOptions, headers });
  };
}

/** The same headers with lower-case names (the last one wins when two differ only in case). */
function lowerCaseNames(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Whether the operation GraphiQL runs (by name, or the only one) is a subscription. */
function isSubscription(document: DocumentNode, operationName: string | null | undefined): boolean {
  return getOperationAST(document, operationName ?? undefined)?.operation === 'subscription';
}

/**
 * One subscription on its own graphql-ws connection, closed when the subscription ends. The
 * client retries a dropped connection as graphql-ws does by default, but never a 4403: another
 * attempt with the same token is refused the same way. When the connection fails, the last result
 * is a GraphQL error naming the close code and reason instead of a thrown close event.
 */
function subscribeOverWebSocket(url: string, params: FetcherParams, connectionParams: Record<string, unknown>, tokenHelp: string): SyncExecutionResult {
  const client = createClient({
    url,
    connectionParams,
    shouldRetry: (errorOrCloseEvent) => {
      const closed = closeEventIn(errorOrCloseEvent);
      return closed !== undefined && closed.code !== CLOSE_FORBIDDEN;
    },
  });
  const results = client.iterate<Record<string, unknown>, Record<string, unknown>>({
    query: params.query,
    operationName: params.operationName ?? null,
    variables: params.variables ?? null,
  });
  let finished = false;
  let stopped: () => void = () => {};
  const stop = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    stopped = () => resolve({ done: true, value: undefined });
  });
  const finish = async (): Promise<IteratorReturnResult<undefined>> => {
    if (!finished) {
      finished = true;
      stopped();
      await results.return?.();
      await client.dispose();
    }
    return { done: true, value: undefined };
  };

  const iterator: AsyncIterableIterator<FormattedExecutionResult> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      if (finished) return { done: true, value: undefined };
      try {
        // GraphiQL's stop button calls return() while a next() waits for an event that may never
        // come: `stop` settles that wait at once.
        const step = await Promise.race([results.next(), stop]);
        if (step.done) return finish();
        return step;
      } catch (error) {
        await finish();
        return { done: false, value: failureResult(error, tokenHelp) };
      }
    },
    return: finish,
  };
  // The toolkit's types want GraphQLError instances; over the wire there are only formatted errors
  // (plain objects), which is all GraphiQL prints.
  return iterator as AsyncIterableIterator<ExecutionResult>;
}

/**
 * The code and reason of a WebSocket close event, as graphql-ws reports one (the browser's
 * `CloseEvent`, or its own for a terminated socket); undefined for anything else.
 */
function closeEventIn(value: unknown): { code: number; reason: string } | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value) || !('reason' in value)) return undefined;
  const { code, reason } = value;
  return typeof code === 'number' ? { code, reason: typeof reason === 'string' ? reason : '' } : undefined;
}

/** The result GraphiQL shows when a subscription's connection fails: the gateway's words, no stack trace. */
function failureResult(error: unknown, tokenHelp: string): FormattedExecutionResult {
  const closed = closeEventIn(error);
  if (closed?.code === CLOSE_FORBIDDEN) {
    const reason = closed.reason || 'Forbidden';
    return {
      errors: [
        {
          message: `${reason} (WebSocket close code ${CLOSE_FORBIDDEN}). The gateway refused the token in the Headers tab, or it has expired. ${tokenHelp} Then run the subscription again.`,
          extensions: { closeCode: closed.code, closeReason: reason },
        },
      ],
    };
  }
  if (closed) {
    return {
      errors: [
        {
          message: `The subscription's connection closed (WebSocket close code ${closed.code}${closed.reason ? `: ${closed.reason}` : ''}).`,
          extensions: { closeCode: closed.code, closeReason: closed.reason },
        },
      ],
    };
  }
  // A graphql-ws `error` message: the gateway refused the operation itself (limits, validation).
  if (Array.isArray(error)) return { errors: error as FormattedExecutionResult['errors'] };
  return { errors: [{ message: error instanceof Error ? error.message : String(error) }] };
}
