import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  dropDatabase,
  ensureDatabase,
  externalPostgres,
  migrateDatabase,
  startEmbeddedPostgres,
  withDatabase,
  withRole,
  APP_ROLE,
  WORKER_ROLE,
  type AdminPostgres,
} from '@redthread/kit/devdb';
import { DEV_DB_PASSWORDS } from '@redthread/kit';
import { seedDemoWorld } from '../scripts/demo/world';
import type {} from './provided-context';

/**
 * Starts the test PostgreSQL once per run (embedded in a temporary folder, or DATABASE_URL) and
 * prepares two templates: migrated, and migrated + demo world. Test files clone them, which
 * takes milliseconds, so files never share data and can run in parallel.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  const external = process.env['DATABASE_URL'];
  let server: AdminPostgres;
  let dataDir: string | undefined;
  if (external) {
    server = externalPostgres(withDatabase(external, 'postgres'));
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), 'redthread-test-pg-'));
    // As root, the embedded server runs as the `postgres` user, which must reach the folder.
    await chmod(dataDir, 0o755);
    server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'cluster'), ephemeral: true });
  }
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const emptyTemplate = `rt_tpl_empty_${suffix}`;
  const demoTemplate = `rt_tpl_demo_${suffix}`;
  await ensureDatabase(server.adminUrl, emptyTemplate);
  await migrateDatabase(withDatabase(server.adminUrl, emptyTemplate), DEV_DB_PASSWORDS);
  await ensureDatabase(server.adminUrl, demoTemplate, emptyTemplate);
  const demoUrl = withDatabase(server.adminUrl, demoTemplate);
  await seedDemoWorld(demoUrl, withRole(demoUrl, APP_ROLE, DEV_DB_PASSWORDS.app), withRole(demoUrl, WORKER_ROLE, DEV_DB_PASSWORDS.worker));

  project.provide('pgAdminUrl', server.adminUrl);
  project.provide('emptyTemplate', emptyTemplate);
  project.provide('demoTemplate', demoTemplate);
  project.provide('dbPasswords', DEV_DB_PASSWORDS);
  process.stdout.write(`test database ready in ${Date.now() - started} ms (${external ? 'DATABASE_URL' : 'embedded'})\n`);

  return async () => {
    if (external) {
      await dropDatabase(server.adminUrl, demoTemplate);
      await dropDatabase(server.adminUrl, emptyTemplate);
    }
    await server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
