import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import postgres from 'postgres';
import { allow } from 'graphql-shield';
import {
  DEV_INTERNAL_SECRET,
  appendUncataloguedEvent,
  connectDatabase,
  secretKey,
  signInternalIdentity,
  startSubgraph,
  type Database,
  type Identity,
  type RequestContext,
  type RunningSubgraph,
} from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

/**
 * "Bad input changes nothing", kept by the runtime: a mutation that answers a typed failure (a
 * union member with an `errorCode`) is rolled back, whatever its resolver wrote before refusing.
 * A subgraph of one mutation that writes an event, then answers success or a failure as asked.
 */

const identity: Identity = { subject: 'test', partnerId: '00000000-0000-4000-8000-0000000000e1', roles: ['admin'] };
const TOPIC = 'test.refusal';

let db: TestDatabase;
let app: Database;
let admin: postgres.Sql;
let subgraph: RunningSubgraph;
let token: string;

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { ping: Boolean }
  type Thing @key(fields: "id") { id: ID! }
  type Mutation { touch(marker: String!, refuse: Boolean!): TouchResult! }
  union TouchResult = Touched | TouchRefused
  type Touched { marker: String! }
  type TouchRefused { errorCode: String! message: String! }
`);

type Touch = { __typename: 'Touched'; marker: string } | { __typename: 'TouchRefused'; errorCode: string; message: string };

beforeAll(async () => {
  db = await freshDatabase();
  app = connectDatabase(db.appUrl, { max: 2 });
  admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  subgraph = await startSubgraph(
    {
      name: 'refusals',
      typeDefs,
      resolvers: {
        Query: { ping: () => true },
        Mutation: {
          touch: async (_: unknown, args: { marker: string; refuse: boolean }, context: RequestContext): Promise<Touch> => {
            await appendUncataloguedEvent(await context.tx(), { topic: TOPIC, entityType: 'Test', entityId: args.marker, audience: [identity.partnerId] });
            return args.refuse ? { __typename: 'TouchRefused', errorCode: 'INVALID_INPUT', message: 'refused after writing' } : { __typename: 'Touched', marker: args.marker };
          },
        },
        TouchResult: { __resolveType: (value: Touch) => value.__typename },
        Thing: { __resolveReference: (reference: { id: string }) => reference },
      },
      permissions: { Query: { ping: allow }, Mutation: { touch: allow }, Thing: allow, Touched: allow, TouchRefused: allow },
      createLoaders: () => ({}),
    },
    { db: app.db, internalSecret: secretKey(DEV_INTERNAL_SECRET), port: 0 },
  );
  token = await signInternalIdentity(identity, 'refusals', secretKey(DEV_INTERNAL_SECRET));
});
afterAll(async () => {
  await subgraph?.close();
  await app?.close();
  await admin?.end();
  await db?.drop();
});

async function mutate(query: string): Promise<{ data?: Record<string, { __typename: string }>; errors?: unknown[] }> {
  const response = await fetch(subgraph.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, { __typename: string }>; errors?: unknown[] };
}

async function written(marker: string): Promise<number> {
  const [row] = await admin`select count(*)::int as n from events.event_log where topic = ${TOPIC} and entity_id = ${marker}`;
  return row!['n'] as number;
}

describe('a mutation answering a typed failure', () => {
  it('is rolled back: what it wrote before refusing is gone', async () => {
    const refused = await mutate(`mutation { touch(marker: "refused-1", refuse: true) { __typename } }`);
    expect(refused).toEqual({ data: { touch: { __typename: 'TouchRefused' } } });
    expect(await written('refused-1')).toBe(0);
  });

  it('is rolled back whether or not the client asked for the failure’s fields', async () => {
    const refused = await mutate(`mutation { touch(marker: "refused-2", refuse: true) { ... on Touched { marker } } }`);
    expect(refused).toEqual({ data: { touch: {} } });
    expect(await written('refused-2')).toBe(0);
  });

  it('commits when it succeeds', async () => {
    expect(await mutate(`mutation { touch(marker: "kept-1", refuse: false) { __typename } }`)).toEqual({ data: { touch: { __typename: 'Touched' } } });
    expect(await written('kept-1')).toBe(1);
  });

  it('commits a document of several mutation fields as its fields answered it, a refusal among them', async () => {
    const both = await mutate(`mutation { a: touch(marker: "several-a", refuse: false) { __typename } b: touch(marker: "several-b", refuse: true) { __typename } }`);
    expect(both).toEqual({ data: { a: { __typename: 'Touched' }, b: { __typename: 'TouchRefused' } } });
    expect([await written('several-a'), await written('several-b')]).toEqual([1, 1]);
  });
});
