import { catalogSubgraph } from '@redthread/catalog';
import { authenticateApiKey } from '@redthread/catalog/services/api-keys';
import {
  changePassword,
  listenForAccessChanges,
  pruneAccessRecords,
  redeemInvitation,
  refreshSession,
  resolveAccess,
  signIn,
  signOut,
  userIdForExternalSubject,
  partnerExists,
  type RedeemInput,
} from '@redthread/catalog/access/store';
import { ordersSubgraph, startOrderWorkflows } from '@redthread/orders';
import { inventorySubgraph, startInventoryWorkflows } from '@redthread/inventory';
import { financeSubgraph, startFinanceWorkflows } from '@redthread/finance';
import { startGateway, subgraphSdlPath, SUBGRAPH_NAMES, type AccessDirectory, type GraphiQLOptions, type RunningGateway } from '@redthread/gateway';
import {
  EventHub,
  connectDatabase,
  createLogger,
  secretKey,
  startSubgraph,
  type ConnectOptions,
  type Database,
  type RunningSubgraph,
  type SubgraphDefinition,
} from '@redthread/kit';
import type { OperationLimits } from '@redthread/gateway/limits';
import type { ClientTokenConfig } from '@redthread/gateway/auth';

/** The subgraph definitions, in port order. Must match the gateway's SUBGRAPH_NAMES. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subgraph has its own loader type
export const SUBGRAPHS: readonly SubgraphDefinition<any>[] = [catalogSubgraph, ordersSubgraph, inventorySubgraph, financeSubgraph];

/** How to run the whole platform in this process. */
export interface PlatformConfig {
  /** Application-role database URL (no table ownership, no BYPASSRLS). */
  appDatabaseUrl: string;
  /** Worker-role database URL: the event-log workflows (order chain, allocation) run on it. */
  workerDatabaseUrl: string;
  /** Auth-role database URL: sign-in, sessions and membership lookups run on it. */
  authDatabaseUrl: string;
  /** Gateway port; subgraphs take the next ones unless `subgraphPorts` says otherwise. 0 = free ports. */
  port: number;
  host?: string;
  subgraphPorts?: Partial<Record<string, number>>;
  clientTokens: ClientTokenConfig;
  internalSecret: string;
  limits: OperationLimits;
  maxBodyBytes: number;
  introspection: boolean;
  /** GraphiQL extras (the development token picker). */
  graphiql?: GraphiQLOptions;
  /** Most concurrent subscriptions one WebSocket connection may hold. */
  maxSubscriptionsPerConnection?: number;
  /** Seconds a resolved membership is reused (see the gateway). */
  accessCacheSeconds?: number;
  /** Lifetime of sign-in access tokens in seconds (see the gateway). */
  accessTokenSeconds?: number;
  /** Per-statement hook, for tests that count SQL statements. */
  onQuery?: ConnectOptions['onQuery'];
}

/** The running platform. */
export interface RunningPlatform {
  gateway: RunningGateway;
  subgraphs: RunningSubgraph[];
  database: Database;
  /** The worker connection the workflows run on. */
  workerDatabase: Database;
  /** The auth connection sign-in and membership lookups run on. */
  authDatabase: Database;
  stop(): Promise<void>;
}

/** Default operation limits (the gateway's env defaults). */
export { DEFAULT_LIMITS } from '@redthread/gateway/limits';

/**
 * Starts every subgraph and then the gateway in this process. Used by `npm start` and by the
 * end-to-end tests, so both run exactly the same wiring.
 */
export async function startPlatform(config: PlatformConfig): Promise<RunningPlatform> {
  if (SUBGRAPHS.map((s) => s.name).join() !== SUBGRAPH_NAMES.join()) {
    throw new Error('scripts/lib/platform.ts SUBGRAPHS and gateway SUBGRAPH_NAMES disagree');
  }
  const database = connectDatabase(config.appDatabaseUrl, {
    max: 20,
    applicationName: 'redthread-subgraphs',
    ...(config.onQuery ? { onQuery: config.onQuery } : {}),
  });
  const workerDatabase = connectDatabase(config.workerDatabaseUrl, { max: 4, applicationName: 'redthread-workflows' });
  const authDatabase = connectDatabase(config.authDatabaseUrl, { max: 4, applicationName: 'redthread-auth' });
  // Membership lookups get their own pool: sign-ins hold a connection for a password hash (~100 ms),
  // and a burst of them must not stall every request's role lookup.
  const accessLookups = connectDatabase(config.authDatabaseUrl, { max: 4, applicationName: 'redthread-access-lookups' });
  const pruning = pruneAccessPeriodically(authDatabase);
  const workflows = [
    startOrderWorkflows({ db: workerDatabase.db, listenClient: workerDatabase.client }),
    startInventoryWorkflows({ db: workerDatabase.db, listenClient: workerDatabase.client }),
    startFinanceWorkflows({ db: workerDatabase.db, listenClient: workerDatabase.client }),
  ];
  const live = new EventHub({ db: workerDatabase.db, listenClient: workerDatabase.client });
  const internalSecret = secretKey(config.internalSecret);
  const subgraphs: RunningSubgraph[] = [];
  try {
    await Promise.all(workflows.map((workflow) => workflow.start()));
    await live.start();
    for (const [index, definition] of SUBGRAPHS.entries()) {
      const port = config.subgraphPorts?.[definition.name] ?? (config.port === 0 ? 0 : config.port + index + 1);
      subgraphs.push(
        await startSubgraph(definition, {
          db: database.db,
          internalSecret,
          port,
          live,
          ...(config.host ? { host: config.host } : {}),
          logger: createLogger(definition.name),
        }),
      );
    }
    const gateway = await startGateway({
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      subgraphs: subgraphs.map((s) => ({ name: s.name, url: s.graphqlUrl, sdlPath: subgraphSdlPath(s.name) })),
      clientTokens: config.clientTokens,
      internalSecret: config.internalSecret,
      limits: config.limits,
      maxBodyBytes: config.maxBodyBytes,
      introspection: config.introspection,
      ...(config.maxSubscriptionsPerConnection ? { maxSubscriptionsPerConnection: config.maxSubscriptionsPerConnection } : {}),
      authenticateApiKey: (secret) => database.db.transaction((tx) => authenticateApiKey(tx, secret)),
      access: accessDirectory(authDatabase, accessLookups),
      ...(config.accessCacheSeconds === undefined ? {} : { accessCacheSeconds: config.accessCacheSeconds }),
      ...(config.accessTokenSeconds === undefined ? {} : { accessTokenSeconds: config.accessTokenSeconds }),
      ...(config.graphiql ? { graphiql: config.graphiql } : {}),
    });
    return {
      gateway,
      subgraphs,
      database,
      workerDatabase,
      authDatabase,
      stop: async () => {
        clearInterval(pruning);
        // Every part is stopped even when one fails (PostgreSQL may be stopping at the same time,
        // as on Ctrl-C, which reaches it too); the failures are reported together at the end.
        await stopAll([
          () => gateway.close(),
          () => Promise.all(subgraphs.map((s) => s.close())),
          () => live.stop(),
          () => Promise.all(workflows.map((workflow) => workflow.stop())),
          () => database.close(),
          () => workerDatabase.close(),
          () => authDatabase.close(),
          () => accessLookups.close(),
        ]);
      },
    };
  } catch (error) {
    clearInterval(pruning);
    await Promise.all(subgraphs.map((s) => s.close()));
    await live.stop();
    await Promise.all(workflows.map((workflow) => workflow.stop()));
    await database.close();
    await workerDatabase.close();
    await authDatabase.close();
    await accessLookups.close();
    throw error;
  }
}

/** Runs every step in order, each whatever the others did; throws an AggregateError of the failures. */
async function stopAll(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} part(s) of the platform stopped with an error`);
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
    redeem: (input) => redeemInvitation(db, input as unknown as RedeemInput),
    resolve: (request) => resolveAccess(lookups.db, request),
    userIdForExternalSubject: (subject) => userIdForExternalSubject(lookups.db, subject),
    partnerExists: (partnerId) => partnerExists(lookups.db, partnerId),
    listen: (onChange) => listenForAccessChanges(auth.client, onChange),
  };
}

/** Prunes old sign-in attempts and long-ended sessions now and then every hour (see pruneAccessRecords). */
function pruneAccessPeriodically(auth: Database): NodeJS.Timeout {
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
