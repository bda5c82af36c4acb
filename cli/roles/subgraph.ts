import { Kind } from 'graphql';
import { EventHub, Teardown, connectDatabase, createLogger, parseEnv, secretKey, startSubgraph, type SubgraphDefinition } from '@redthread/kit';
import type { SubgraphName } from '@redthread/gateway';
import { DEFAULT_PORTS, subgraphRoleEnvSchema, type SubgraphRoleEnv } from '../env';
import { runService } from '../lifecycle';
import { SUBGRAPH_DEFINITIONS } from '../wiring';

/**
 * `redthread subgraph <name>`: one subgraph on PORT (default its own port), as `redthread_app`,
 * answering gateway-signed requests only, with its live event hub for subscriptions.
 */
export function runSubgraph(name: SubgraphName): Promise<void> {
  return runService(`subgraph-${name}`, () => parseEnv(subgraphRoleEnvSchema), async (parsed) => {
    const env = parsed as SubgraphRoleEnv;
    const definition = SUBGRAPH_DEFINITIONS[name];
    const database = connectDatabase(env.DATABASE_URL, { max: env.DB_POOL_MAX, applicationName: `redthread-${name}` });
    const parts = new Teardown();
    parts.add('pool', () => database.close());
    // Only a subgraph with subscription fields reads the log live; the hub reads it through
    // definer functions, so it runs on the application role.
    const live = hasSubscriptions(definition)
      ? new EventHub({ db: database.db, listenClient: database.client, logger: createLogger(`${name}.live`) })
      : undefined;
    if (live) parts.add('event hub', () => live.stop());
    try {
      await live?.start();
      const subgraph = await startSubgraph(definition, {
        db: database.db,
        internalSecret: secretKey(env.INTERNAL_JWT_SECRET),
        port: env.PORT ?? DEFAULT_PORTS[name],
        host: env.HOST,
        ...(live ? { live } : {}),
        maxBodyBytes: env.MAX_BODY_BYTES,
        logger: createLogger(name),
      });
      return {
        url: subgraph.url,
        drain: async (graceMs) => {
          await subgraph.drain(graceMs);
          await parts.run();
        },
      };
    } catch (error) {
      await parts.run().catch(() => {});
      throw error;
    }
  });
}

/** Whether a subgraph's SDL defines (or extends) the Subscription type. */
function hasSubscriptions(definition: SubgraphDefinition<unknown>): boolean {
  return definition.typeDefs.definitions.some(
    (node) => (node.kind === Kind.OBJECT_TYPE_DEFINITION || node.kind === Kind.OBJECT_TYPE_EXTENSION) && node.name.value === 'Subscription',
  );
}
