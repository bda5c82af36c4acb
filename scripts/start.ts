/**
 * `npm start`: the whole platform on one machine. Starts the embedded PostgreSQL (or uses
 * DATABASE_URL), migrates, seeds the demo world into an empty database, starts the subgraphs and
 * the gateway, and prints the URLs (GraphQL, GraphiQL, warehouse screen) and a demo token per demo partner. In
 * development the GraphiQL page offers the same demo tokens in a picker. Ctrl-C stops everything.
 */
import { EnvError, configureLogging, createLogger, startTracing } from '@redthread/kit';
import { loadGatewayEnv, type DevToken } from '@redthread/gateway';
import { SetupProblem } from '@redthread/kit/devdb';
import { loadToolingEnv } from './env';
import { openPlatformDatabase, redact } from './lib/database';
import { startPlatform } from './lib/platform';
import { commandStartedAt } from './lib/command-start';
import { DEFAULT_DEV_ROLES, mintDevToken } from './lib/tokens';
import { DEMO_PARTNERS, DEMO_PASSWORD, DEMO_USERS, demoPartnerId, hasPartners, seedDemoWorld } from './demo/world';

async function main(): Promise<void> {
  const started = commandStartedAt();
  const gatewayEnv = loadGatewayEnv();
  const env = loadToolingEnv();
  configureLogging(gatewayEnv.LOG_LEVEL, { pretty: Boolean(process.stdout.isTTY) && gatewayEnv.NODE_ENV !== 'production' });
  const log = createLogger('start');
  const tracing = await startTracing({ serviceName: 'redthread', endpoint: gatewayEnv.OTEL_EXPORTER_OTLP_ENDPOINT });

  const database = await openPlatformDatabase(env, log);
  let stopping = false;
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await platform?.stop().catch((error: unknown) => {
      // On Ctrl-C the terminal signals PostgreSQL too, so connections may close under the stop:
      // say so in one line; the details are for debugging.
      const reasons = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [String(error)];
      log.warn({ reasons: [...new Set(reasons)] }, 'some parts stopped with an error (PostgreSQL was stopping at the same time)');
      log.debug({ err: error }, 'stop errors');
    });
    await database.stop().catch((error: unknown) => log.error({ err: error }, 'stopping PostgreSQL failed'));
    await tracing?.shutdown().catch((error: unknown) => log.warn({ err: error }, 'flushing traces failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (env.SEED_DEMO && !(await hasPartners(database.adminUrl))) {
    if (gatewayEnv.NODE_ENV === 'production') {
      // The demo users sign in with a published password: never in production.
      log.warn('empty database: the demo world is not seeded in production; create the first partner with `npm run partner:create`');
    } else {
      log.info('empty database: seeding the demo world');
      await seedDemoWorld(database.adminUrl, database.appUrl, database.workerUrl);
    }
  }

  const mintDemoTokens = (): Promise<DevToken[]> =>
    Promise.all(
      DEMO_PARTNERS.map(async (partner) => ({
        partnerCode: partner.code,
        partnerName: partner.name,
        roles: DEFAULT_DEV_ROLES,
        token: await mintDevToken({ partnerId: demoPartnerId(partner.code), partnerCode: partner.code }, gatewayEnv.JWT_SECRET),
      })),
    );

  platform = await startPlatform({
    appDatabaseUrl: database.appUrl,
    workerDatabaseUrl: database.workerUrl,
    authDatabaseUrl: database.authUrl,
    port: gatewayEnv.PORT,
    host: gatewayEnv.HOST,
    subgraphPorts: {
      ...(env.CATALOG_PORT === undefined ? {} : { catalog: env.CATALOG_PORT }),
      ...(env.ORDERS_PORT === undefined ? {} : { orders: env.ORDERS_PORT }),
      ...(env.INVENTORY_PORT === undefined ? {} : { inventory: env.INVENTORY_PORT }),
      ...(env.FINANCE_PORT === undefined ? {} : { finance: env.FINANCE_PORT }),
    },
    clientTokens: {
      jwtSecret: gatewayEnv.JWT_SECRET,
      jwksUrl: gatewayEnv.JWKS_URL,
      issuer: gatewayEnv.JWT_ISSUER,
      audience: gatewayEnv.JWT_AUDIENCE,
      acceptDevTokens: gatewayEnv.NODE_ENV !== 'production',
    },
    accessCacheSeconds: gatewayEnv.ACCESS_CACHE_SECONDS,
    accessTokenSeconds: gatewayEnv.ACCESS_TOKEN_SECONDS,
    internalSecret: gatewayEnv.INTERNAL_JWT_SECRET,
    limits: {
      maxDepth: gatewayEnv.MAX_DEPTH,
      maxAliases: gatewayEnv.MAX_ALIASES,
      maxRootFields: gatewayEnv.MAX_ROOT_FIELDS,
      maxCost: gatewayEnv.MAX_COST,
      maxDirectives: gatewayEnv.MAX_DIRECTIVES,
      maxTokens: gatewayEnv.MAX_TOKENS,
    },
    maxBodyBytes: gatewayEnv.MAX_BODY_BYTES,
    maxSubscriptionsPerConnection: gatewayEnv.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    introspection: gatewayEnv.NODE_ENV !== 'production',
    ...(gatewayEnv.NODE_ENV !== 'production' ? { graphiql: { devTokens: mintDemoTokens } } : {}),
  });

  const lines = [
    '',
    'Redthread is running.',
    '',
    `  GraphQL   ${platform.gateway.graphqlUrl}`,
    `  GraphiQL  ${platform.gateway.graphiqlUrl}`,
    `  Warehouse ${platform.gateway.url}/warehouse (live stock, shipment queue, inspection)`,
    `  Health    ${platform.gateway.url}/readyz`,
    ...platform.subgraphs.map((s) => `  ${s.name.padEnd(9)} ${s.graphqlUrl} (gateway-signed requests only)`),
    `  Database  ${redact(database.adminUrl)}${database.embedded ? ' (embedded)' : ''}`,
    '',
  ];
  if (!gatewayEnv.JWKS_URL) {
    lines.push('Demo tokens (12 h, roles admin,sales,reviewer,finance,warehouse):', '');
    for (const { partnerCode, token } of await mintDemoTokens()) lines.push(`  ${partnerCode.padEnd(11)} ${token}`);
    lines.push(
      '',
      `Demo users (password ${DEMO_PASSWORD}; sign in with POST ${platform.gateway.url}/auth/sign-in):`,
      '',
      ...DEMO_USERS.map(
        (user) => `  ${user.email.padEnd(26)} ${user.memberships.map((m) => `${m.partner} (${m.roles.join(',')})`).join(', ')}`,
      ),
      '',
      'Try it:',
      `  curl -s ${platform.gateway.graphqlUrl} -H 'content-type: application/json' \\`,
      `    -H "authorization: Bearer <SHOP-A token>" -d '{"query":"{ me { code name } }"}'`,
      ...(gatewayEnv.NODE_ENV !== 'production'
        ? [`  or open ${platform.gateway.graphiqlUrl} and pick a demo partner's token under the key button.`]
        : []),
      '',
    );
  }
  lines.push(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s since the command started. Ctrl-C stops everything.`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  if (error instanceof EnvError) {
    process.stderr.write(`${error.message}\nFix the variables above (see the README's configuration table) and start again.\n`);
  } else if (error instanceof SetupProblem) {
    process.stderr.write(`Redthread could not start. ${error.message}\n`);
  } else {
    process.stderr.write(`Redthread could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
