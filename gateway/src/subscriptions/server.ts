import type { Server } from 'node:http';
import { GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeJwt } from 'jose';
import { ErrorCode, ValidatedDocuments, batchFrames, bearerToken, maskUnexpectedError, openConnections, openSubscriptions, stopOnReturn, type Identity, type Logger } from '@redthread/kit';
import type { OperationGuard, OperationLimits } from '../limits';
import type { FederatedSubscriptions, UpstreamPool } from './federated';

/** Close code for refused or expired credentials (graphql-ws Forbidden). */
export const CLOSE_FORBIDDEN = 4403;

/** `text` cut to the 123 bytes a WebSocket close frame's reason may hold, on a character boundary. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(`${cut}…`) > 123) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Options for {@link serveGatewaySubscriptions}. */
export interface GatewaySubscriptionOptions {
  federated: FederatedSubscriptions;
  /** `partner`: the `partner` connection parameter, for users who belong to several partners. */
  verifyClientToken: (authorization: string | undefined, partner?: string) => Promise<Identity>;
  limits: OperationLimits;
  /** The same guard HTTP requests pass. */
  guard: OperationGuard;
  /** Largest WebSocket message accepted (bytes); the same as the HTTP body limit. */
  maxMessageBytes: number;
  /** Strip "Did you mean …" from validation errors (introspection off). */
  hideSchemaHints: boolean;
  /** Most concurrent subscriptions per connection. */
  maxSubscriptionsPerConnection: number;
  logger: Logger;
}

type ConnectionState = {
  identity?: Identity;
  /** The credentials the connection was opened with, to check them again when access changes. */
  credentials?: { authorization: string | undefined; partner: string | undefined };
  upstreams?: UpstreamPool;
  active?: Set<string>;
  expiry?: NodeJS.Timeout;
};

/**
 * graphql-ws on the gateway's `/graphql`. The client's token travels in `connection_init`
 * (`connectionParams.authorization`, "Bearer …" or the bare token); a refused token closes the
 * socket with 4403, and so does the token's expiry. Each connection may hold a bounded number of
 * subscriptions; each operation passes the same limits as over HTTP; each subscription is executed
 * as a federated subscription under the subscriber's identity.
 */
export function serveGatewaySubscriptions(http: Server, options: GatewaySubscriptionOptions): GatewaySubscriptions {
  /** A refused subscribe message, formatted like an HTTP refusal (code from the closed list, no schema hints when hidden). */
  const refusal = (error: GraphQLError, code?: ErrorCode): GraphQLError => {
    const formatted = maskUnexpectedError(
      { message: error.message, extensions: { ...error.extensions, ...(code ? { code } : {}) } },
      error,
      options.logger,
      { hideSchemaHints: options.hideSchemaHints },
    );
    return new GraphQLError(formatted.message, { extensions: formatted.extensions ?? {} });
  };
  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: options.maxMessageBytes });
  batchFrames(wss);
  const log = options.logger.child({ component: 'gateway.subscriptions' });
  // Every subscriber of a screen sends the same document: parsed and validated once (after the
  // guard, which has its own cache, has let it through).
  const documents = new ValidatedDocuments((source) => {
    const document = parse(source, { maxTokens: options.limits.maxTokens });
    return { document, errors: validate(options.federated.apiSchema, document) };
  });
  /** Open connections by the subject they act for. */
  const bySubject = new Map<string, Set<ConnectionState & { socket: WebSocket }>>();
  const server = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: options.federated.apiSchema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.['authorization'];
        // "Bearer <jwt>", "ApiKey <key>", or a bare JWT.
        const authorization = typeof raw === 'string' ? (/^\S+\s+\S/.test(raw.trim()) ? raw : `Bearer ${raw}`) : undefined;
        try {
          const rawPartner = ctx.connectionParams?.['partner'];
          const partner = typeof rawPartner === 'string' ? rawPartner : undefined;
          const identity = await options.verifyClientToken(authorization, partner);
          ctx.extra.identity = identity;
          ctx.extra.credentials = { authorization, partner };
          let open = bySubject.get(identity.subject);
          if (!open) bySubject.set(identity.subject, (open = new Set()));
          open.add(ctx.extra);
          ctx.extra.upstreams = options.federated.upstreams(identity);
          ctx.extra.active = new Set();
          const jwt = bearerToken(authorization);
          const exp = jwt ? decodeJwt(jwt).exp : undefined;
          if (exp) {
            const socket = ctx.extra.socket;
            ctx.extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, 'Token expired: reconnect with a fresh token'), Math.max(0, exp * 1000 - Date.now()));
          }
          return true;
        } catch (error) {
          // Close with the verifier's own words (graphql-ws would only say "Forbidden"), so a
          // client can show what to do; a WebSocket close reason holds at most 123 bytes.
          const reason = error instanceof GraphQLError ? error.message : 'Your credentials were refused. Sign in again.';
          ctx.extra.socket.close(CLOSE_FORBIDDEN, closeReason(reason));
          return false;
        }
      },
      onClose: async (ctx) => {
        clearTimeout(ctx.extra.expiry);
        const subject = ctx.extra.identity?.subject;
        if (subject) {
          bySubject.get(subject)?.delete(ctx.extra);
          if (bySubject.get(subject)?.size === 0) bySubject.delete(subject);
        }
        await ctx.extra.upstreams?.dispose();
      },
      onSubscribe: (ctx, id, payload) => {
        const active = ctx.extra.active!;
        if (active.size >= options.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`At most ${options.maxSubscriptionsPerConnection} subscriptions per connection; complete one or open another connection.`, {
              extensions: { code: ErrorCode.OPERATION_LIMIT_EXCEEDED, limit: 'subscriptionsPerConnection', max: options.maxSubscriptionsPerConnection },
            }),
          ];
        }
        const schema = options.federated.apiSchema;
        const verdict = options.guard.inspect(schema, payload.query, payload.operationName, payload.variables ?? undefined);
        if ('error' in verdict) return [refusal(verdict.error)];
        let checked: { document: DocumentNode; errors: readonly GraphQLError[] };
        try {
          checked = documents.get(payload.query);
        } catch (error) {
          return [refusal(error instanceof GraphQLError ? error : new GraphQLError('The operation could not be parsed.'), ErrorCode.INVALID_OPERATION)];
        }
        if (checked.errors.length) return checked.errors.map((error) => refusal(error, ErrorCode.INVALID_OPERATION));
        const { document } = checked;
        if (verdict.kind !== 'subscription') {
          return [refusal(new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP POST to /graphql.'), ErrorCode.BAD_REQUEST)];
        }
        active.add(id);
        return {
          schema: options.federated.apiSchema,
          document,
          variableValues: payload.variables ?? {},
          operationName: payload.operationName ?? undefined,
          contextValue: { id, connection: ctx.extra },
        } satisfies ExecutionArgs;
      },
      subscribe: (args) => {
        const { id, connection } = args.contextValue as { id: string; connection: ConnectionState };
        // graphql-ws's return() on the stream would wait for the next event; this ends it at once.
        const stopper = new AbortController();
        const stream = options.federated.run({
          document: args.document,
          operationName: args.operationName ?? undefined,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          identity: connection.identity!,
          upstreams: connection.upstreams!,
          signal: stopper.signal,
        });
        return stopOnReturn((async function* tracked() {
          try {
            yield* stream;
          } catch (error) {
            // A subgraph going away (1001: it is shutting down, as on Ctrl-C) is expected; the
            // client resumes with "after". Neither is worth a stack trace.
            const goingAway = error instanceof GraphQLError && error.extensions['closeCode'] === 1001;
            (goingAway ? log.debug : log.info).call(log, { reason: error instanceof Error ? error.message : String(error), partnerId: connection.identity?.partnerId }, 'subscription ended with an error');
            yield { errors: [error instanceof GraphQLError ? error : new GraphQLError('Subscription failed', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
          } finally {
            connection.active?.delete(id);
          }
        })(), stopper);
      },
      onComplete: (ctx, id) => {
        ctx.extra.active?.delete(id);
      },
    },
    wss,
  );
  const unregister = [
    openConnections.add({ read: () => [{ labels: { service: 'gateway' }, value: wss.clients.size }] }),
    openSubscriptions.add({
      read: () => {
        let active = 0;
        for (const connections of bySubject.values()) for (const connection of connections) active += connection.active?.size ?? 0;
        return [{ labels: { service: 'gateway' }, value: active }];
      },
    }),
  ];
  return {
    close: async () => {
      for (const remove of unregister) remove();
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
    revalidate: async (subject) => {
      for (const connection of bySubject.get(subject) ?? []) {
        const { authorization, partner } = connection.credentials!;
        let reason: string | undefined;
        try {
          const now = await options.verifyClientToken(authorization, partner);
          const before = connection.identity!;
          if (now.partnerId !== before.partnerId || [...now.roles].sort().join() !== [...before.roles].sort().join()) {
            reason = 'Your roles changed: reconnect to subscribe with them';
          }
        } catch (error) {
          reason = error instanceof GraphQLError ? error.message : 'Your access has ended';
        }
        if (reason) {
          log.info({ subject, reason }, 'closing a subscription connection whose access changed');
          connection.socket.close(CLOSE_FORBIDDEN, reason.slice(0, 120));
        }
      }
    },
  };
}

/** The running graphql-ws endpoint. */
export interface GatewaySubscriptions {
  close(): Promise<void>;
  /**
   * Checks the credentials of `subject`'s open connections again (after a role change, removal or
   * sign-out) and closes those that are refused now, or would act with other roles, with 4403.
   */
  revalidate(subject: string): Promise<void>;
}
