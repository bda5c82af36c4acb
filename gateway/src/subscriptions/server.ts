import type { Server } from 'node:http';
import { GraphQLError, Kind, parse, validate, type DocumentNode, type ExecutionArgs, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { decodeJwt } from 'jose';
import { ErrorCode, bearerToken, type Identity, type Logger } from '@redthread/kit';
import { limitViolation, measureOperation, type OperationLimits } from '../limits';
import type { FederatedSubscriptions, UpstreamPool } from './federated';

/** Close code for refused or expired credentials (graphql-ws Forbidden). */
export const CLOSE_FORBIDDEN = 4403;

/** Options for {@link serveGatewaySubscriptions}. */
export interface GatewaySubscriptionOptions {
  federated: FederatedSubscriptions;
  /** `partner`: the `partner` connection parameter, for users who belong to several partners. */
  verifyClientToken: (authorization: string | undefined, partner?: string) => Promise<Identity>;
  limits: OperationLimits;
  /** Most concurrent subscriptions per connection. */
  maxSubscriptionsPerConnection: number;
  logger: Logger;
}

type ConnectionState = {
  identity?: Identity;
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
export function serveGatewaySubscriptions(http: Server, options: GatewaySubscriptionOptions): () => Promise<void> {
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const log = options.logger.child({ component: 'gateway.subscriptions' });
  const server = useServer<Record<string, unknown>, ConnectionState>(
    {
      schema: options.federated.apiSchema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.['authorization'];
        // "Bearer <jwt>", "ApiKey <key>", or a bare JWT.
        const authorization = typeof raw === 'string' ? (/^\S+\s+\S/.test(raw.trim()) ? raw : `Bearer ${raw}`) : undefined;
        try {
          const partner = ctx.connectionParams?.['partner'];
          const identity = await options.verifyClientToken(authorization, typeof partner === 'string' ? partner : undefined);
          ctx.extra.identity = identity;
          ctx.extra.upstreams = options.federated.upstreams(identity);
          ctx.extra.active = new Set();
          const jwt = bearerToken(authorization);
          const exp = jwt ? decodeJwt(jwt).exp : undefined;
          if (exp) {
            const socket = ctx.extra.socket;
            ctx.extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, 'Token expired: reconnect with a fresh token'), Math.max(0, exp * 1000 - Date.now()));
          }
          return true;
        } catch {
          return false;
        }
      },
      onClose: async (ctx) => {
        clearTimeout(ctx.extra.expiry);
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
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The operation could not be parsed.')];
        }
        const errors = validate(options.federated.apiSchema, document);
        if (errors.length) return errors;
        const operation = document.definitions.find(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!payload.operationName || d.name?.value === payload.operationName),
        );
        if (!operation || operation.operation !== 'subscription') {
          return [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP.', { extensions: { code: ErrorCode.BAD_USER_INPUT } })];
        }
        const fragments = Object.fromEntries(
          document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
        );
        const violation = limitViolation(measureOperation(operation, fragments, payload.variables ?? {}), options.limits);
        if (violation) return [violation];
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
        const stream = options.federated.run({
          document: args.document,
          operationName: args.operationName ?? undefined,
          variables: (args.variableValues ?? {}) as Record<string, unknown>,
          identity: connection.identity!,
          upstreams: connection.upstreams!,
        });
        return (async function* tracked() {
          try {
            yield* stream;
          } catch (error) {
            log.info({ err: error, partnerId: connection.identity?.partnerId }, 'subscription ended with an error');
            yield { errors: [error instanceof GraphQLError ? error : new GraphQLError('Subscription failed', { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] };
          } finally {
            connection.active?.delete(id);
          }
        })();
      },
      onComplete: (ctx, id) => {
        ctx.extra.active?.delete(id);
      },
    },
    wss,
  );
  return async () => {
    await server.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
