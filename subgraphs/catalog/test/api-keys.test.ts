import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { postGraphQL, startTestPlatform, type TestPlatform } from '../../../test/platform';
import { everyNode } from '../../../test/world';

let db: TestDatabase;
let api: TestPlatform;
let admin: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  admin = await api.tokenFor('SHOP-A', ['admin']);
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  __typename ... on CreatedApiKey { secret apiKey { id name roles prefix lastUsedAt revokedAt } } ... on InvalidInput { field } } }`;

type Created = { secret: string; apiKey: { id: string; name: string; roles: string[]; prefix: string; lastUsedAt: string | null } };

async function createKey(roles: string[], name = 'ERP connector'): Promise<Created> {
  const response = await api.query<{ createApiKey: Created & { __typename: string } }>(admin, CREATE, { input: { name, roles } });
  expect(response.data?.createApiKey.__typename).toBe('CreatedApiKey');
  return response.data!.createApiKey;
}

const withKey = (secret: string, query: string, variables?: Record<string, unknown>) => postGraphQL(api.gatewayUrl, `ApiKey ${secret}`, query, variables);

describe('API keys for integrations', () => {
  it('acts as the partner with the key’s roles, shows the secret once and stores only its hash', async () => {
    const key = await createKey(['sales']);
    expect(key.secret.startsWith(`${key.apiKey.prefix}_`)).toBe(true);
    expect(await withKey(key.secret, '{ me { code } }')).toMatchObject({ status: 200, data: { me: { code: 'SHOP-A' } } });
    const created = await withKey(key.secret, `mutation { createProduct(input: { skuCode: "API-1", name: "From the ERP" }) { __typename } }`);
    expect(created.data).toEqual({ createProduct: { __typename: 'Product' } });

    const listed = await everyNode<Record<string, unknown>>(api, admin, 'apiKeys', 'id name roles prefix lastUsedAt');
    const row = listed.find((k) => k['id'] === key.apiKey.id)!;
    expect(row).toMatchObject({ name: 'ERP connector', roles: ['sales'], prefix: key.apiKey.prefix });
    expect(row['lastUsedAt']).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    const sql = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
    const stored = await sql`select key_hash from catalog.api_keys where id = ${key.apiKey.id}`;
    await sql.end();
    expect(stored[0]!['key_hash']).not.toContain(key.secret.slice(12));
    expect(stored[0]!['key_hash']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a key with sales only cannot approve an order', async () => {
    const key = await createKey(['sales'], 'shop connector');
    const approve = await withKey(key.secret, `mutation { financeReviewOrder(id: "00000000-0000-4000-8000-000000000000", decision: APPROVE) { __typename } }`);
    expect(approve.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const review = await withKey(key.secret, `mutation { reviewOrder(id: "00000000-0000-4000-8000-000000000000", decision: APPROVE) { __typename } }`);
    expect(review.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('refuses a revoked key on the next request, and an unknown one alike', async () => {
    const key = await createKey(['viewer'], 'old connector');
    expect((await withKey(key.secret, '{ me { code } }')).status).toBe(200);
    const revoked = await api.query<{ revokeApiKey: { __typename: string; revokedAt: string | null } }>(
      admin,
      `mutation($id: ID!) { revokeApiKey(id: $id) { __typename ... on ApiKey { revokedAt } } }`,
      { id: key.apiKey.id },
    );
    expect(revoked.data!.revokeApiKey.__typename).toBe('ApiKey');
    expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
    const refused = await withKey(key.secret, '{ me { code } }');
    const unknown = await withKey('rt_00000000_not-a-key', '{ me { code } }');
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(unknown).toEqual(refused);
  });

  it('is managed by admins only, per partner: another partner’s key answers like a missing one', async () => {
    const key = await createKey(['sales'], 'private');
    const sales = await api.tokenFor('SHOP-A', ['sales']);
    expect((await api.query(sales, CREATE, { input: { name: 'x', roles: ['sales'] } })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const shopD = await api.tokenFor('SHOP-D', ['admin']);
    const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { __typename } }`;
    const foreign = await api.query(shopD, REVOKE, { id: key.apiKey.id });
    const missing = await api.query(shopD, REVOKE, { id: '00000000-0000-4000-8000-000000000000' });
    expect(foreign).toEqual(missing);
    expect(foreign.data).toEqual({ revokeApiKey: { __typename: 'ApiKeyNotFound' } });
    expect(await everyNode(api, shopD, 'apiKeys', 'id')).toEqual([]);
    expect((await withKey(key.secret, '{ me { code } }')).status).toBe(200);
    const invalid = await api.query<{ createApiKey: { __typename: string; field: string } }>(admin, CREATE, { input: { name: 'x', roles: ['superuser'] } });
    expect(invalid.data!.createApiKey).toEqual({ __typename: 'InvalidInput', field: 'roles' });
  });
});
