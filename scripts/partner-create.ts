/**
 * `npm run partner:create -- --code ACME --name "Acme Tea" --kinds SUPPLIER --email ann@acme.example
 *  [--display-name "Ann Admin"] [--password …]`
 *
 * Registers a partner with its first admin user, on an empty installation or any other (the way
 * in before any partner can invite). Without --password a random one is generated and printed
 * once; the admin should change it (POST /auth/password). An email that already has an account
 * becomes the new partner's admin only with that account's current password.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EnvError, configureLogging, connectDatabase, createLogger } from '@redthread/kit';
import { AccessError } from '@redthread/catalog/access/errors';
import { proveRedeemer, registerPartner, type NewPartner } from '@redthread/catalog/access/onboarding';
import { normaliseEmail } from '@redthread/catalog/access/passwords';
import { loadToolingEnv } from './env';
import { openPlatformDatabase } from './lib/database';

const KINDS = ['CHANNEL', 'TRADER', 'SUPPLIER', 'LOGISTICS'] as const;
const usage =
  'Usage: npm run partner:create -- --code ACME --name "Acme Tea" --kinds SUPPLIER[,TRADER] --email ann@acme.example [--display-name "Ann"] [--password …]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      code: { type: 'string' },
      name: { type: 'string' },
      kinds: { type: 'string' },
      email: { type: 'string' },
      'display-name': { type: 'string' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const missing = (['code', 'name', 'kinds', 'email'] as const).filter((option) => !values[option]);
  if (missing.length) throw new UsageError(`Missing ${missing.map((m) => `--${m}`).join(', ')}.\n${usage}`);
  const kinds = values.kinds!.split(',').map((k) => k.trim().toUpperCase());
  const unknown = kinds.filter((k) => !(KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`Unknown kind(s): ${unknown.join(', ')}. Kinds: ${KINDS.join(', ')}.`);
  const email = normaliseEmail(values.email!);
  if (!email) throw new UsageError(`--email "${values.email}" is not an email address.`);
  const generated = values.password ? undefined : randomBytes(12).toString('base64url');

  const env = loadToolingEnv();
  configureLogging('warn');
  const database = await openPlatformDatabase(env, createLogger('partner:create'));
  const auth = connectDatabase(database.authUrl, { max: 1, applicationName: 'redthread-partner-create' });
  try {
    const partner: NewPartner = { code: values.code!, name: values.name!, kinds: kinds as NewPartner['kinds'] };
    const admin = await proveRedeemer(auth.db, email, { password: values.password ?? generated!, displayName: values['display-name'] ?? email }).catch((error: unknown) => {
      if (error instanceof AccessError && error.code === 'INVALID_CREDENTIALS') {
        throw new UsageError(`${email} already has a Redthread account: pass its current password with --password to make it the admin of ${partner.code}.`);
      }
      throw error;
    });
    const registered = await auth.db.transaction((tx) => registerPartner(tx, partner, email, admin, 'partner:create'));
    process.stdout.write(
      [
        `Partner ${registered.partner.code} (${registered.partner.name}) registered: ${registered.partner.id}`,
        `First admin: ${email} (user ${registered.userId})`,
        ...(generated ? [`Password: ${generated}  (shown once; change it with POST /auth/password)`] : []),
        'Sign in with POST /auth/sign-in { "email", "password" } at the gateway.',
        '',
      ].join('\n'),
    );
  } finally {
    await auth.close();
    await database.stop();
  }
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof EnvError || error instanceof AccessError;
  process.stderr.write(`${known ? (error as Error).message : String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
