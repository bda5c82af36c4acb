import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { authenticateApiKey } from '@redthread/catalog/services/api-keys';
import { SUBGRAPH_NAMES, SUPERGRAPH_PATH, startGateway, type DevToken } from '@redthread/gateway';
import { Teardown, connectDatabase, parseEnv } from '@redthread/kit';
import { gatewayRoleEnvSchema, type GatewayRoleEnv } from '../env';
import { runService } from '../lifecycle';
import { accessDirectory, gatewaySettings, pruneAccessPeriodically } from '../wiring';

/**
 * `redthread gateway`: the federated API on PORT, with the supergraph composed at build time,
 * sign-in and memberships over `redthread_auth`, and each subgraph at its *_URL.
 */
export function runGateway(options: { devTokens?: () => Promise<readonly DevToken[]> } = {}): Promise<void> {
  return runService('gateway', () => parseEnv(gatewayRoleEnvSchema), async (parsed) => {
    const env = parsed as GatewayRoleEnv;
    const supergraphPath = env.SUPERGRAPH_PATH ?? SUPERGRAPH_PATH;
    let supergraphSdl: string;
    try {
      supergraphSdl = readFileSync(supergraphPath, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read the supergraph at ${supergraphPath}: run \`npm run build\` (it composes it), or set SUPERGRAPH_PATH.`, { cause: error });
    }
    const urls = { catalog: env.CATALOG_URL, orders: env.ORDERS_URL, inventory: env.INVENTORY_URL, finance: env.FINANCE_URL };
    const auth = connectDatabase(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: 'redthread-gateway' });
    // Membership lookups get their own pool: sign-ins hold a connection for a password hash
    // (~100 ms), and a burst of them must not stall every request's role lookup.
    const lookups = connectDatabase(env.DATABASE_URL, { max: 4, applicationName: 'redthread-gateway-lookups' });
    const pruning = pruneAccessPeriodically(auth);
    const parts = new Teardown();
    parts.add('pools', () => Promise.all([auth.close(), lookups.close()]));
    parts.add('access pruning', () => clearInterval(pruning));
    try {
      const gateway = await startGateway({
        port: env.PORT,
        host: env.HOST,
        subgraphs: SUBGRAPH_NAMES.map((name) => ({ name, url: urls[name] })),
        supergraphSdl,
        ...gatewaySettings(env),
        maxSubscriptionsPerConnection: env.MAX_SUBSCRIPTIONS_PER_CONNECTION,
        authenticateApiKey: (secret) => auth.db.transaction((tx) => authenticateApiKey(tx, secret)),
        access: accessDirectory(auth, lookups),
        databaseReady: () => lookups.db.execute(sql`select 1`).then(() => true),
        ...(options.devTokens && env.NODE_ENV !== 'production' ? { graphiql: { devTokens: options.devTokens } } : {}),
      });
      return {
        url: gateway.url,
        drain: async (graceMs) => {
          await gateway.drain(graceMs);
          await parts.run();
        },
      };
    } catch (error) {
      await parts.run().catch(() => {});
      throw error;
    }
  });
}
