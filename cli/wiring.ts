/**
 * The wiring the roles share with the in-process platform (tests, benchmarks): which subgraphs
 * exist, the gateway's view of users and sessions, the workflows, and the gateway's settings
 * from its environment. One place, so a role and the in-process wiring cannot drift apart.
 */
import { catalogSubgraph } from '@redthread/catalog';
import { redeemInvitation } from '@redthread/catalog/access/onboarding';
import { changePassword, listenForAccessChanges, pruneAccessRecords, refreshSession, resolveAccess, signIn, signOut, userIdForExternalSubject, partnerExists } from '@redthread/catalog/access/sessions';
import { ORDER_WORKFLOW_CONSUMER, ordersSubgraph, startOrderWorkflows } from '@redthread/orders';
import { ALLOCATION_CONSUMER, inventorySubgraph, startInventoryWorkflows } from '@redthread/inventory';
import { BOOKKEEPING_CONSUMER, financeSubgraph, startFinanceWorkflows } from '@redthread/finance';
import { SUBGRAPH_NAMES, type AccessDirectory, type GatewayEnv, type SubgraphName } from '@redthread/gateway';
import type { GatewayOptions } from '@redthread/gateway';
import { createLogger, type Database, type EventConsumer, type SubgraphDefinition } from '@redthread/kit';

/** The subgraph definitions by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subgraph has its own loader type
export const SUBGRAPH_DEFINITIONS: Readonly<Record<SubgraphName, SubgraphDefinition<any>>> = {
  catalog: catalogSubgraph,
  orders: ordersSubgraph,
  inventory: inventorySubgraph,
  finance: financeSubgraph,
};

/** The subgraph definitions, in port order (the gateway's SUBGRAPH_NAMES). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subgraph has its own loader type
export const SUBGRAPHS: readonly SubgraphDefinition<any>[] = SUBGRAPH_NAMES.map((name) => SUBGRAPH_DEFINITIONS[name]);

/** The event-log workflows (order chain, allocation, bookkeeping) on a worker-role database, by consumer name. */
export function createWorkflows(worker: Database): Map<string, EventConsumer> {
  const options = { db: worker.db, listenClient: worker.client };
  return new Map([
    [ORDER_WORKFLOW_CONSUMER, startOrderWorkflows(options)],
    [ALLOCATION_CONSUMER, startInventoryWorkflows(options)],
    [BOOKKEEPING_CONSUMER, startFinanceWorkflows(options)],
  ]);
}

/**
 * The gateway's view of users, memberships and sessions, over the auth role: sign-in and the
 * other `/auth/*` work on `auth`, per-request membership lookups on `lookups`.
 */
export function accessDirectory(auth: Database, lookups: Database): AccessDirectory {
  const { db } = auth;
  return {
    signIn: (input) => signIn(db, input),
    refresh: (token) => refreshSession(db, token),
    signOut: (token) => signOut(db, token),
    changePassword: (input) => changePassword(db, input),
    redeem: (input) => redeemInvitation(db, input),
    resolve: (request) => resolveAccess(lookups.db, request),
    userIdForExternalSubject: (subject) => userIdForExternalSubject(lookups.db, subject),
    partnerExists: (partnerId) => partnerExists(lookups.db, partnerId),
    listen: (onChange) => listenForAccessChanges(auth.client, onChange),
  };
}

/** Prunes old sign-in attempts and long-ended sessions now and then every hour (see pruneAccessRecords). */
export function pruneAccessPeriodically(auth: Database): NodeJS.Timeout {
  const log = createLogger('access');
  const prune = () =>
    pruneAccessRecords(auth.db)
      .then((deleted) => {
        if (deleted.signInAttempts || deleted.sessions) log.info(deleted, 'pruned old sign-in attempts and ended sessions');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'pruning access records failed; it is retried in an hour'));
  void prune();
  return setInterval(prune, 60 * 60 * 1000).unref();
}

/** The gateway settings that come straight from its environment (limits, tokens, lifetimes). */
export function gatewaySettings(env: GatewayEnv): Pick<
  GatewayOptions,
  'clientTokens' | 'internalSecret' | 'limits' | 'maxBodyBytes' | 'maxSubscriptionsPerConnection' | 'introspection' | 'accessCacheSeconds' | 'accessTokenSeconds' | 'trustedProxies'
> {
  return {
    clientTokens: {
      jwtSecret: env.JWT_SECRET,
      jwksUrl: env.JWKS_URL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      acceptDevTokens: env.NODE_ENV !== 'production',
    },
    internalSecret: env.INTERNAL_JWT_SECRET,
    limits: {
      maxDepth: env.MAX_DEPTH,
      maxAliases: env.MAX_ALIASES,
      maxRootFields: env.MAX_ROOT_FIELDS,
      maxCost: env.MAX_COST,
      maxDirectives: env.MAX_DIRECTIVES,
      maxTokens: env.MAX_TOKENS,
    },
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxSubscriptionsPerConnection: env.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    introspection: env.NODE_ENV !== 'production',
    accessCacheSeconds: env.ACCESS_CACHE_SECONDS,
    accessTokenSeconds: env.ACCESS_TOKEN_SECONDS,
    trustedProxies: env.TRUSTED_PROXIES,
  };
}
