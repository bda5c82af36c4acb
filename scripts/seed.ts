/**
 * `npm run seed`: migrates, then seeds the demo world unless partners already exist
 * (`--force` seeds what is missing anyway; seeding skips what exists).
 */
import { EnvError, configureLogging, createLogger } from '@redthread/kit';
import { loadToolingEnv } from './env';
import { openPlatformDatabase } from './lib/database';
import { hasPartners, seedDemoWorld } from './demo/world';

try {
  if (process.env['NODE_ENV'] === 'production') {
    process.stderr.write('The demo world (with demo users whose password is published) is never seeded in production. Create partners with `npm run partner:create`.\n');
    process.exit(1);
  }
  const env = loadToolingEnv();
  configureLogging('info');
  const log = createLogger('seed');
  const database = await openPlatformDatabase(env, log);
  try {
    if ((await hasPartners(database.adminUrl)) && !process.argv.includes('--force')) {
      log.info('partners exist already; nothing seeded (use --force to add what is missing)');
    } else {
      await seedDemoWorld(database.adminUrl, database.appUrl, database.workerUrl);
      log.info('demo world seeded');
    }
  } finally {
    await database.stop();
  }
} catch (error) {
  process.stderr.write(`${error instanceof EnvError ? error.message : String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
}
