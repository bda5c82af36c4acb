/**
 * `npm run token -- --partner CODE [--roles admin,sales] [--ttl 1h] [--partner-id UUID]`
 * prints a development JWT (only the token) signed with JWT_SECRET. Demo partner ids derive
 * from their codes; another partner's id is looked up by its code in the database (DATABASE_URL,
 * or the embedded PostgreSQL of the Redthread running on DATA_DIR), or passed with --partner-id.
 */
import { parseArgs } from 'node:util';
import { EnvError } from '@redthread/kit';
import { loadGatewayEnv } from '@redthread/gateway';
import { DEFAULT_DEV_ROLES, mintDevToken, parseRoles } from './lib/tokens';
import { DEMO_PARTNERS, demoPartnerId } from './demo/world';
import postgres from 'postgres';
import { connectionProblem } from '@redthread/kit/devdb';
import { loadToolingEnv } from './env';
import { redact } from './lib/database';
import { runningInstance } from './lib/instance';

const usage =
  'Usage: npm run token -- --partner CODE [--roles admin,sales,reviewer,finance,warehouse,viewer] [--ttl 1h] [--partner-id UUID]';

/**
 * The id of the partner with `code`, from the database the platform runs on. A token for a
 * partner that does not exist would only be refused by the gateway on its first use: say so now.
 */
async function partnerIdByCode(code: string): Promise<string> {
  const { DATABASE_URL, DATA_DIR } = loadToolingEnv();
  const url = DATABASE_URL ?? runningInstance(DATA_DIR)?.adminUrl;
  const demoCodes = DEMO_PARTNERS.map((partner) => partner.code).join(', ');
  if (!url) {
    throw new Error(
      `There is no demo partner ${code}: the demo partners are ${demoCodes}. For another partner pass its id as well: --partner-id <uuid>, ` +
        'or run this while Redthread runs (npm start) or with DATABASE_URL, so its code can be looked up.',
    );
  }
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [row] = await sql<{ id: string }[]>`select id::text as id from catalog.partners where code = ${code}`;
    if (!row) throw new Error(`There is no partner ${code} in the database at ${redact(url)} (the demo partners are ${demoCodes}).`);
    return row.id;
  } catch (error) {
    throw connectionProblem(error, url) ?? error;
  } finally {
    await sql.end();
  }
}

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
  const partnerId = values['partner-id'] ?? (demo ? demoPartnerId(code) : await partnerIdByCode(code));
  const env = loadGatewayEnv();
  const roles = values.roles ? parseRoles(values.roles) : DEFAULT_DEV_ROLES;
  process.stdout.write(`${await mintDevToken({ partnerId, partnerCode: code, roles, ttl: values.ttl }, env.JWT_SECRET)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof EnvError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
