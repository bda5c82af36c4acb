/**
 * The entry of the processes `npm start` supervises: the same roles as `redthread <role>`
 * (cli/redthread.ts), run from the TypeScript sources, with the development extras the
 * production CLI leaves out (the GraphiQL demo-token picker).
 */
import type { SubgraphName } from '@redthread/gateway';
import { loadGatewayEnv } from '@redthread/gateway';
import { runGateway } from '../cli/roles/gateway';
import { runSubgraph } from '../cli/roles/subgraph';
import { runWorkers } from '../cli/roles/workers';
import { DEFAULT_DEV_ROLES, mintDevToken } from './lib/tokens';
import { DEMO_PARTNERS, demoPartnerId } from './demo/world';

const [role, name] = process.argv.slice(2);
switch (role) {
  case 'gateway': {
    const { JWT_SECRET, JWKS_URL } = loadGatewayEnv();
    await runGateway(
      JWKS_URL
        ? {}
        : {
            devTokens: () =>
              Promise.all(
                DEMO_PARTNERS.map(async (partner) => ({
                  partnerCode: partner.code,
                  partnerName: partner.name,
                  roles: DEFAULT_DEV_ROLES,
                  token: await mintDevToken({ partnerId: demoPartnerId(partner.code), partnerCode: partner.code }, JWT_SECRET),
                })),
              ),
          },
    );
    break;
  }
  case 'subgraph':
    await runSubgraph(name as SubgraphName);
    break;
  case 'workers':
    await runWorkers();
    break;
  default:
    process.stderr.write(`scripts/supervised.ts: unknown role "${role}"\n`);
    process.exit(2);
}
