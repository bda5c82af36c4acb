import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type {} from './provided-context';
import { dropDatabase, ensureDatabase, withDatabase, withRole, APP_ROLE, AUTH_ROLE, WORKER_ROLE } from '@redthread/kit/devdb';

/** A database of one's own, cloned from a template of the test run. */
export interface TestDatabase {
  name: string;
  /** Superuser: set up scenarios and inspect rows behind row-level security. */
  adminUrl: string;
  /** redthread_app: what the services connect as. */
  appUrl: string;
  /** redthread_worker: what event consumers connect as. */
  workerUrl: string;
  /** redthread_auth: what sign-in and membership lookups connect as. */
  authUrl: string;
  drop(): Promise<void>;
}

/**
 * Clones a fresh database for one test file: `demo` (default) has the demo world, `empty` only
 * the migrations. Call it in `beforeAll` and `drop()` in `afterAll`.
 */
export async function freshDatabase(template: 'demo' | 'empty' = 'demo'): Promise<TestDatabase> {
  const adminServerUrl = inject('pgAdminUrl');
  const passwords = inject('dbPasswords');
  const name = `rt_test_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminServerUrl, name, inject(template === 'demo' ? 'demoTemplate' : 'emptyTemplate'));
  const adminUrl = withDatabase(adminServerUrl, name);
  return {
    name,
    adminUrl,
    appUrl: withRole(adminUrl, APP_ROLE, passwords.app),
    workerUrl: withRole(adminUrl, WORKER_ROLE, passwords.worker),
    authUrl: withRole(adminUrl, AUTH_ROLE, passwords.auth),
    drop: () => dropDatabase(adminServerUrl, name),
  };
}
