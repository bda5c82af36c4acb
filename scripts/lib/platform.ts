import { sql } from 'drizzle-orm';
import { authenticateApiKey } from '@redthread/catalog/services/api-keys';
import { startGateway, subgraphSdlPath, SUBGRAPH_NAMES, type GraphiQLOptions, type RunningGateway } from '@redthread/gateway';
import {
  EventHub,
  Teardown,
  connectDatabase,
  createLogger,
  secretKey,
  startSubgraph,
  type ConnectOptions,
  type Database,
  type RunningSubgraph,
} from '@redthread/kit';
import type { OperationLimits } from '@redthread/gateway/limits';
import type { ClientTokenConfig } from '@redthread/gateway/auth';
import { SUBGRAPHS, accessDirectory, createWorkflows, pruneAccessPeriodically } from '../../cli/wiring';

export { SUBGRAPHS, accessDirectory };

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
  /** Proxies whose `X-Forwarded-For` names the client (see the gateway). Default none. */
  trustedProxies?: readonly string[];
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
/** Default body limit (the gateway's env default). */
export { DEFAULT_MAX_BODY_BYTES } from '@redthread/gateway';

/**
 * Starts every subgraph and then the gateway in this process. Used by `npm start` and by the
 * end-to-end tests, so both run exactly the same wiring.
 */
export async function startPlatform(config: PlatformConfig): Promise<RunningPlatform> {
  if (SUBGRAPHS.map((s) => s.name).join() !== SUBGRAPH_NAMES.join()) {
    throw new Error('scripts/lib/platform.ts SUBGRAPHS and gateway SUBGRAPH_NAMES disagree');
  }
  // Everything started is released in the reverse order, on stop and on a failed start alike.
  const parts = new Teardown();
  const database = connectDatabase(config.appDatabaseUrl, {
    max: 20,
    applicationName: 'redthread-subgraphs',
    ...(config.onQuery ? { onQuery: config.onQuery } : {}),
  });
  parts.add('subgraph pool', () => database.close());
  // Three consumers, each running up to two partitions' batches at once (EventConsumer `concurrency`).
  const workerDatabase = connectDatabase(config.workerDatabaseUrl, { max: 6, applicationName: 'redthread-workflows' });
  parts.add('worker pool', () => workerDatabase.close());
  const authDatabase = connectDatabase(config.authDatabaseUrl, { max: 4, applicationName: 'redthread-auth' });
  parts.add('auth pool', () => authDatabase.close());
  // Membership lookups get their own pool: sign-ins hold a connection for a password hash (~100 ms),
  // and a burst of them must not stall every request's role lookup.
  const accessLookups = connectDatabase(config.authDatabaseUrl, { max: 4, applicationName: 'redthread-access-lookups' });
  parts.add('access lookup pool', () => accessLookups.close());
  const pruning = pruneAccessPeriodically(authDatabase);
  parts.add('access pruning', () => clearInterval(pruning));
  const workflows = [...createWorkflows(workerDatabase).values()];
  parts.add('workflows', () => Promise.all(workflows.map((workflow) => workflow.stop())));
  // On the application role, as in a subgraph process (the hub reads the log through definer
  // functions), with its own small pool: its polling is not a request's SQL (tests count those).
  const liveDatabase = connectDatabase(config.appDatabaseUrl, { max: 2, applicationName: 'redthread-live' });
  parts.add('live pool', () => liveDatabase.close());
  const live = new EventHub({ db: liveDatabase.db, listenClient: liveDatabase.client });
  parts.add('event hub', () => live.stop());
  const internalSecret = secretKey(config.internalSecret);
  const subgraphs: RunningSubgraph[] = [];
  parts.add('subgraphs', () => Promise.all(subgraphs.map((s) => s.close())));
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
      databaseReady: () => accessLookups.db.execute(sql`select 1`).then(() => true),
      ...(config.accessCacheSeconds === undefined ? {} : { accessCacheSeconds: config.accessCacheSeconds }),
      ...(config.accessTokenSeconds === undefined ? {} : { accessTokenSeconds: config.accessTokenSeconds }),
      ...(config.trustedProxies ? { trustedProxies: config.trustedProxies } : {}),
      ...(config.graphiql ? { graphiql: config.graphiql } : {}),
    });
    parts.add('gateway', () => gateway.close());
    return { gateway, subgraphs, database, workerDatabase, authDatabase, stop: () => parts.run() };
  } catch (error) {
    await parts.run().catch(() => {});
    throw error;
  }
}
