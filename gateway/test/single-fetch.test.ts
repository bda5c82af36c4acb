import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { singleFetchQueries } from '@redthread/kit';
import { composeSupergraph, subgraphSdlPath, SUBGRAPH_NAMES } from '../src/index';
import { SingleFetchRoutes } from '../src/single-fetch';
import { freshDatabase, type TestDatabase } from '../../test/database';
import { startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../test/platform';

/**
 * Queries one subgraph answers exactly as asked go to it without Apollo's plan execution
 * (gateway/src/single-fetch.ts). Which ones qualify is checked on the real supergraph and planner;
 * that they answer exactly what the ordinary path answers — data, errors, refusals, each partner
 * its own — through the running platform, against the same query written with a fragment (which
 * never qualifies).
 */

describe('which queries are forwarded to one subgraph', () => {
  const supergraph = Supergraph.build(composeSupergraph(SUBGRAPH_NAMES.map((name) => ({ name, url: `http://${name}.invalid/graphql`, sdlPath: subgraphSdlPath(name) }))));
  const planner = new QueryPlanner(supergraph);
  const api = supergraph.apiSchema();
  const routes = new SingleFetchRoutes((document, operationName) => planner.buildQueryPlan(operationFromDocument(api, document, { operationName })), {});
  const routeOf = (query: string, operationName?: string) => routes.routeOf(parse(query), operationName);

  it('forwards a query one subgraph answers with the same selections', () => {
    expect(routeOf('{ me { code name } }')?.serviceName).toBe('catalog');
    const products = routeOf(`query Page($first: Int!, $after: String) { products(first: $first, after: $after) {
      edges { node { id skuCode name owner { code name } } } pageInfo { hasNextPage endCursor } } }`);
    expect(products?.serviceName).toBe('catalog');
    expect([...(products?.variableUsages ?? [])].sort()).toEqual(['after', 'first']);
    expect(routeOf('{ first: me { code } second: me { name } }')?.serviceName).toBe('catalog');
  });

  it('leaves to the ordinary path what needs more than one fetch or any shaping', () => {
    // Entities from another subgraph.
    expect(routeOf('{ orders(first: 5) { edges { node { id lines { product { name } } } } } }')).toBeNull();
    // Fragments, directives and root __typename are the gateway's to resolve.
    expect(routeOf('{ ...Me } fragment Me on Query { me { code } }')).toBeNull();
    expect(routeOf('{ me { ... on Partner { code } } }')).toBeNull();
    expect(routeOf('query($yes: Boolean!) { me { code @include(if: $yes) } }')).toBeNull();
    expect(routeOf('{ __typename me { code } }')).toBeNull();
    // Only queries: a mutation's answer with errors could not be run again.
    expect(routeOf('mutation { createProduct(input: { skuCode: "X-1", name: "x" }) { __typename } }')).toBeNull();
    // Not an operation the supergraph has: the ordinary path says why.
    expect(routeOf('{ noSuchField }')).toBeNull();
  });
});

describe('forwarded queries through the gateway', () => {
  let db: TestDatabase;
  let api: TestPlatform;
  let shopA: string;

  beforeAll(async () => {
    db = await freshDatabase();
    api = await startTestPlatform(db);
    shopA = await api.tokenFor('SHOP-A');
  });
  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  const counted = async () => {
    const { values } = await singleFetchQueries.get();
    const of = (outcome: string) => values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    return { answered: of('answered'), rerun: of('rerun') };
  };
  /** The same query through the ordinary path: its root selections behind a fragment. */
  const viaFragment = (selections: string, variables = '') => `query${variables} { ...Root } fragment Root on Query { ${selections} }`;

  it('answers each partner its own data, as the ordinary path does, with one forwarded query each', async () => {
    const before = await counted();
    const selections = 'me { code name kinds }';
    for (const code of ['SHOP-A', 'TRADER-B', 'SUPPLIER-C']) {
      const token = await api.tokenFor(code);
      const forwarded = await api.query(token, `{ ${selections} }`);
      expect(forwarded).toEqual(await api.query(token, viaFragment(selections)));
      expect(forwarded.data).toMatchObject({ me: { code } });
    }
    expect(await counted()).toEqual({ answered: before.answered + 3, rerun: before.rerun });
  });

  it('pages a product list with variables exactly as the ordinary path does', async () => {
    const selections = 'products(first: $first, after: $after) { edges { node { id skuCode name status owner { code name } } } pageInfo { hasNextPage endCursor } }';
    const declared = '($first: Int!, $after: String)';
    let after: string | null = null;
    let pages = 0;
    do {
      const forwarded: GraphQLResponse<{ products: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } }> = await api.query(shopA, `query${declared} { ${selections} }`, { first: 2, after });
      expect(forwarded).toEqual(await api.query(shopA, viaFragment(selections, declared), { first: 2, after }));
      expect(forwarded.errors).toBeUndefined();
      after = forwarded.data!.products.pageInfo.hasNextPage ? forwarded.data!.products.pageInfo.endCursor : null;
      pages += 1;
    } while (after && pages < 20);
    expect(pages).toBeGreaterThan(1);
  });

  it('runs a query the subgraph answers with errors again the ordinary way, so its errors read the same', async () => {
    const before = await counted();
    const selections = 'products(first: 2, after: "not a cursor") { edges { node { id } } }';
    const forwarded = await api.query(shopA, `{ ${selections} }`);
    expect(forwarded.errors?.length).toBeGreaterThan(0);
    expect(forwarded).toEqual(await api.query(shopA, viaFragment(selections)));
    expect((await counted()).rerun).toBe(before.rerun + 1);
  });

  it('refuses bad variables as the ordinary path does (status, code, message)', async () => {
    const selections = 'products(first: $first) { edges { node { id } } }';
    for (const first of ['two', null, 1.5]) {
      const forwarded = await api.query(shopA, `query($first: Int!) { ${selections} }`, { first });
      expect(forwarded.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(forwarded).toEqual(await api.query(shopA, viaFragment(selections, '($first: Int!)'), { first }));
    }
  });

  it('refuses a caller without a valid token before anything is forwarded', async () => {
    const before = await counted();
    const answer = await api.query('not-a-token', '{ me { code } }');
    expect(answer.status).toBe(401);
    expect(answer.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(await counted()).toEqual(before);
  });
});
