/**
 * `npm run token -- --partner CODE [--roles admin,sales] [--ttl 1h] [--partner-id UUID]`
 * prints a development JWT (only the token) signed with JWT_SECRET. Demo partner ids derive
 * from their codes; pass --partner-id for a partner created otherwise.
 */
import { parseArgs } from 'node:util';
import { EnvError } from '@redthread/kit';
import { loadGatewayEnv } from '@redthread/gateway';
import { DEFAULT_DEV_ROLES, mintDevToken, parseRoles } from './lib/tokens';
import { DEMO_PARTNERS, demoPartnerId } from './demo/world';

const usage =
  'Usage: npm run token -- --partner CODE [--roles admin,sales,reviewer,finance,warehouse,viewer] [--ttl 1h] [--partner-id UUID]';

try {
  const { values } = parseArgs({
    options: {
      partner: { type: 'string' },
      roles: { type: 'string' },
      ttl: { type: 'string', default: '12h' },
      'partner-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (!values.partner) throw new Error(`--partner is required.\n${usage}`);
  const code = values.partner.toUpperCase();
  if (!/^\d+[smhdw]$/.test(values.ttl)) throw new Error(`--ttl must look like 30m, 1h, 7d; got "${values.ttl}".`);
  const demo = DEMO_PARTNERS.some((partner) => partner.code === code);
  if (!values['partner-id'] && !demo) {
    // A token for a partner that does not exist is refused by the gateway on its first use.
    throw new Error(
      `There is no demo partner ${code}: the demo partners are ${DEMO_PARTNERS.map((partner) => partner.code).join(', ')}. ` +
        'For another partner pass its id as well: --partner-id <uuid>.',
    );
  }
  const partnerId = values['partner-id'] ?? demoPartnerId(code);
  const env = loadGatewayEnv();
  const roles = values.roles ? parseRoles(values.roles) : DEFAULT_DEV_ROLES;
  process.stdout.write(`${await mintDevToken({ partnerId, partnerCode: code, roles, ttl: values.ttl }, env.JWT_SECRET)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof EnvError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
