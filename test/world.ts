import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import postgres from 'postgres';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Role } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from './database';
import { startTestPlatform, type GraphQLResponse, type TestPlatform, type TestPlatformOptions } from './platform';

/** A Relay connection as a test reads it. */
export interface Connection<Node> {
  edges: { cursor?: string; node: Node }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A mutation result union as a test sees it: the object with `__typename`, or a typed failure. */
export type Result = { __typename: string; errorCode?: string; message?: string; field?: string; status?: string; [field: string]: unknown };

/** Narrows a mutation result to the object, failing the test with the failure otherwise. */
export function ok<T>(result: Result, typename: string): T {
  expect(result, `expected a ${typename}, got ${JSON.stringify(result)}`).toMatchObject({ __typename: typename });
  const { __typename: _typename, ...object } = result;
  return object as T;
}

/**
 * Every node of a root connection `field(args)` as `token` sees it, page after page of 100,
 * following `pageInfo.endCursor`; for tests that call the platform without a {@link TestWorld}.
 * `args` is extra argument text (e.g. `direction: UPSTREAM`), `selection` the node's fields.
 */
export async function everyNode<Node>(api: Pick<TestPlatform, 'query'>, token: string, field: string, selection: string, args = ''): Promise<Node[]> {
  const query = `query($first: Int, $after: String) { list: ${field}(${args ? `${args}, ` : ''}first: $first, after: $after) {
    edges { node { ${selection} } } pageInfo { hasNextPage endCursor } } }`;
  const nodes: Node[] = [];
  let after: string | null = null;
  for (let page = 0; ; page += 1) {
    expect(page, `${field}: more than 1,000 pages`).toBeLessThan(1_000);
    const response: GraphQLResponse<{ list: Connection<Node> }> = await api.query<{ list: Connection<Node> }>(token, query, { first: 100, after });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    const connection = response.data!.list;
    nodes.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) return nodes;
    after = connection.pageInfo.endCursor;
  }
}

const LINK_RESULT = `__typename ... on ProductLink { id status } ... on CatalogError { errorCode message }`;

/** What a test world is made of, created once per test file by {@link TestWorld.boot}. */
export interface WorldParts<Code extends string> {
  db: TestDatabase;
  api: TestPlatform;
  admin: postgres.Sql;
  tokens: Record<Code, string>;
  tag: string;
}

/**
 * The part every subgraph's test world shares: a fresh demo database and the real platform on
 * it, a superuser connection to look behind row-level security, a development token per demo
 * partner, unique codes, and GraphQL calls as a partner (by code) or with a raw token. Each
 * subgraph's `test/helpers.ts` extends it with its own documents and factories.
 */
export class TestWorld<Code extends string> {
  readonly db: TestDatabase;
  readonly api: TestPlatform;
  readonly admin: postgres.Sql;
  readonly tokens: Record<Code, string>;
  /** A per-file tag so codes never collide with the demo world's. */
  readonly tag: string;
  #sequence = 0;
  readonly #liveClients: Client[] = [];

  protected constructor(parts: WorldParts<Code>) {
    ({ db: this.db, api: this.api, admin: this.admin, tokens: this.tokens, tag: this.tag } = parts);
  }

  /**
   * Holds the background workflows back until the returned `resume` is called: an open
   * transaction that has a transaction id keeps every later event above the readers' snapshot
   * xmin (DESIGN.md §4), so no consumer sees them yet. Requests are not affected. For races
   * between a user and the workflow; always resume in `finally`.
   */
  async pauseWorkflows(): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const transaction = this.admin.begin(async (sql) => {
      await sql`select pg_current_xact_id()`;
      holding();
      await released;
    });
    await Promise.race([held, transaction]);
    return async () => {
      release();
      await transaction;
    };
  }

  /** Clones a fresh demo database, starts the platform and mints a token per partner in `codes`. */
  protected static async boot<Code extends string>(codes: readonly Code[], options: TestPlatformOptions = {}): Promise<WorldParts<Code>> {
    const db = await freshDatabase();
    const api = await startTestPlatform(db, options);
    const admin = postgres(db.adminUrl, { max: 3, onnotice: () => {} });
    const tokens = {} as Record<Code, string>;
    for (const code of codes) tokens[code] = await api.tokenFor(code);
    return { db, api, admin, tokens, tag: randomUUID().slice(0, 6).toUpperCase() };
  }

  /**
   * A graphql-ws client of the gateway as a partner (by code) or with a raw token, as a partner app
   * or warehouse screen connects (no retries: a refusal is the test's to see). Disposed by {@link close}.
   */
  liveClient(as: Code | string): Client {
    const client = createClient({
      url: this.api.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${this.#token(as)}` },
    });
    this.#liveClients.push(client);
    return client;
  }

  /** Stops everything. Call in `afterAll`. */
  async close(): Promise<void> {
    await Promise.all(this.#liveClients.splice(0).map((client) => client.dispose()));
    await this.admin.end();
    await this.api.close();
    await this.db.drop();
  }

  /** The next number of this world's sequence (1, 2, …). */
  protected next(): number {
    this.#sequence += 1;
    return this.#sequence;
  }

  /** A unique code within this world (letters, digits and dashes). */
  unique(prefix: string): string {
    return `${prefix}-${this.tag}-${this.next()}`;
  }

  tokenFor(code: Code, roles: Role[]): Promise<string> {
    return this.api.tokenFor(code, roles);
  }

  #token(as: Code | string): string {
    return Object.hasOwn(this.tokens, as) ? this.tokens[as as Code] : as;
  }

  /** Sends an operation as a partner (by code) or with a raw token. */
  raw<Data = Record<string, unknown>>(as: Code | string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>> {
    return this.api.query<Data>(this.#token(as), query, variables);
  }

  /** Sends an operation and expects it to succeed without GraphQL errors. */
  async gql<Data = Record<string, unknown>>(as: Code | string, query: string, variables?: Record<string, unknown>): Promise<Data> {
    const response = await this.raw<Data>(as, query, variables);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data!;
  }

  /**
   * Every node of a connection, page after page (`first` per page, default 100, the maximum),
   * following `pageInfo.endCursor` until `hasNextPage` is false. `query` declares `$first: Int`
   * and `$after: String`, passes them to the connection field named `field` (its response key)
   * and selects `edges { node { … } } pageInfo { hasNextPage endCursor }` there.
   */
  async allNodes<Node>(as: Code | string, query: string, field: string, variables: Record<string, unknown> = {}, first = 100): Promise<Node[]> {
    const nodes: Node[] = [];
    let after: string | null = null;
    for (let page = 0; ; page += 1) {
      expect(page, `${field}: more than 1,000 pages`).toBeLessThan(1_000);
      const data: Record<string, Connection<Node>> = await this.gql<Record<string, Connection<Node>>>(as, query, { ...variables, first, after });
      const connection = data[field]!;
      nodes.push(...connection.edges.map((edge) => edge.node));
      if (!connection.pageInfo.hasNextPage) return nodes;
      after = connection.pageInfo.endCursor;
    }
  }
}

/**
 * Links a downstream product to an upstream one: proposed by the downstream party, accepted and
 * priced (EUR, in force now) by the upstream party, so orders and purchase orders can use it.
 * Returns the link id.
 */
export async function linkProducts<Code extends string>(
  world: TestWorld<Code>,
  downstream: Code,
  downstreamProductId: string,
  upstream: Code,
  upstreamSku: string,
  priceMinor: number,
): Promise<string> {
  const proposed = await world.gql<{ proposeLink: Result }>(
    downstream,
    `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { ${LINK_RESULT} } }`,
    { input: { myProductId: downstreamProductId, mySide: 'DOWNSTREAM', counterpart: { partnerCode: upstream, skuCode: upstreamSku } } },
  );
  const linkId = ok<{ id: string }>(proposed.proposeLink, 'ProductLink').id;
  const accepted = await world.gql<{ acceptLink: Result }>(upstream, `mutation($id: ID!) { acceptLink(id: $id) { ${LINK_RESULT} } }`, { id: linkId });
  expect(ok<{ status: string }>(accepted.acceptLink, 'ProductLink').status).toBe('ACTIVE');
  await setSupplyPrice(world, upstream, linkId, priceMinor);
  return linkId;
}

/** Sets the supply price of a link (EUR, in force from now), as its upstream party. */
export async function setSupplyPrice<Code extends string>(world: TestWorld<Code>, upstream: Code, linkId: string, priceMinor: number): Promise<void> {
  const priced = await world.gql<{ setSupplyPrice: Result }>(
    upstream,
    `mutation($input: SetSupplyPriceInput!) { setSupplyPrice(input: $input) { ${LINK_RESULT} } }`,
    { input: { linkId, amountMinor: priceMinor, currency: 'EUR' } },
  );
  ok(priced.setSupplyPrice, 'ProductLink');
}
