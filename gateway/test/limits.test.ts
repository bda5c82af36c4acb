import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type TestPlatform } from '../../test/platform';
import { measureCost } from '../src/limits';
import { DEFAULT_MAX_BODY_BYTES } from '../src/env';

let db: TestDatabase;
let api: TestPlatform;
let token: string;

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db, { limits: { maxDepth: 4, maxAliases: 5, maxRootFields: 4, maxCost: 500 } });
  token = await api.tokenFor('SHOP-A');
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

describe('operation limits', () => {
  it('accepts an operation at the depth limit', async () => {
    const response = await api.query(token, `{ products { edges { node { id } } } }`);
    expect(response.errors).toBeUndefined();
  });

  it('rejects a too-deep operation, counting depth through fragments, with OPERATION_LIMIT_EXCEEDED', async () => {
    const response = await api.query(token, `query { products { edges { node { ...F } } } } fragment F on Product { owner { code } }`);
    expect(response.status).toBe(400);
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'depth', max: 4, actual: 5 });
    expect(response.errors?.[0]?.message).toMatch(/depth 5 exceeds the limit of 4/);
  });

  it('rejects a too-aliased operation', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `c${i}: code`).join(' ');
    const response = await api.query(token, `{ me { ${aliases} } }`);
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'aliases', max: 5, actual: 6 });
  });

  it('rejects too many root fields', async () => {
    const response = await api.query(token, `{ a: me { code } b: me { code } c: me { code } d: me { code } e: me { code } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED' });
  });

  it('rejects an operation whose estimated cost is too high', async () => {
    const response = await api.query(token, `{ products(first: 100) { edges { node { id skuCode name unit } } } }`);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'cost' });
  });

  it('rejects an oversized body with 413 and refuses batched requests', async () => {
    const huge = await fetch(api.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ me { code } } # ${'x'.repeat(DEFAULT_MAX_BODY_BYTES)}` }),
    });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('OPERATION_LIMIT_EXCEEDED');
    const batch = await fetch(api.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify([{ query: '{ me { code } }' }, { query: '{ me { code } }' }]),
    });
    expect(batch.status).toBe(400);
  });
});

describe('measureCost', () => {
  function measure(source: string, variables: Record<string, unknown> = {}) {
    const document = parse(source);
    const fragments = new Map<string, FragmentDefinitionNode>();
    let operation: OperationDefinitionNode | undefined;
    for (const d of document.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      if (d.kind === Kind.OPERATION_DEFINITION) operation = d;
    }
    return measureCost(operation!, fragments, variables);
  }

  it('expands fragments and multiplies lists by first, from a literal or a variable', () => {
    expect(measure(`query($n: Int) { x: products(first: $n) { edges { node { ...F } } } me { code } }
      fragment F on Product { id y: name }`, { n: 10 })).toEqual({ rootFields: 2, cost: 1 + 10 * (1 + 1 + 2) + 2, dependsOnVariables: true });
    expect(measure(`{ products(first: 5) { edges { node { id } } } }`)).toEqual({ rootFields: 1, cost: 1 + 5 * 3, dependsOnVariables: false });
  });

  it('measures each fragment once, so doubling fragments cost linear time however deep', () => {
    const levels = 60;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Partner { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'code'} }`).join('\n');
    const started = performance.now();
    const result = measure(`{ me { ...F0 } } ${fragments}`);
    expect(performance.now() - started).toBeLessThan(1_000); // exponential expansion would never finish
    expect(result.cost).toBe(1 + 2 ** (levels - 1));
  });

  it('ignores introspection fields and survives a fragment that spreads itself', () => {
    expect(measure(`{ __schema { types { name fields { name } } } }`)).toMatchObject({ rootFields: 1, cost: 0 });
    expect(measure(`{ me { ...A } } fragment A on Partner { code ...A }`)).toMatchObject({ cost: 2 });
  });
});
