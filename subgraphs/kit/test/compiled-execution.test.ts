import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, GraphQLScalarType, Kind, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CompiledExecution } from '../src/compiled-execution';

/**
 * The compiled executor must answer exactly as graphql-js does: a document's first run is
 * interpreted and its second compiled, so every case below runs both ways and compares.
 */

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  scalar Money
  interface Node { id: ID! }
  type Partner implements Node @key(fields: "id") { id: ID! code: String! name: String }
  type Product implements Node @key(fields: "id") {
    id: ID!
    name: String!
    price: Money
    owner: Partner!
    "Fails for product p2, the row the failure tests read."
    audit: String
    "Null (against its type) for product p2."
    strict: String!
  }
  union SearchHit = Product | Partner
  scalar Sku
  input ScanInput { code: Sku! quantity: Int! = 1 note: String = "none" }
  type Scanned { code: String! quantity: Int! note: String }
  type Query {
    scan(scans: [ScanInput!]!): [Scanned!]!
    lookup(codes: [Sku!]!): [String!]!
    products(first: Int = 2): [Product!]!
    search(text: String!): [SearchHit!]!
    node(id: ID!): Node
  }
`);

const partners = new Map([['a', { id: 'a', code: 'SHOP-A', name: 'Shop A' }]]);
const products = [
  { id: 'p1', name: 'Gift Box', priceMinor: 1250, ownerId: 'a' },
  { id: 'p2', name: 'Tea', priceMinor: 399, ownerId: 'a' },
  { id: 'p3', name: 'Cup', priceMinor: 800, ownerId: 'a' },
];
const money = new GraphQLScalarType({
  name: 'Money',
  serialize: (minor) => `EUR ${(Number(minor) / 100).toFixed(2)}`,
  parseValue: (value) => value,
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? ast.value : null),
});

const sku = new GraphQLScalarType({
  name: 'Sku',
  serialize: String,
  parseValue: (value) => {
    if (typeof value !== 'string' || !/^[A-Z]+-\d+$/.test(value)) throw new GraphQLError(`An SKU code looks like "TEA-1", not ${JSON.stringify(value)}.`);
    return value;
  },
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? ast.value : null),
});

const schema = buildSubgraphSchema({
  typeDefs,
  resolvers: {
    Money: money,
    Sku: sku,
    Query: {
      scan: (_: unknown, { scans }: { scans: object[] }) => scans,
      lookup: (_: unknown, { codes }: { codes: string[] }) => codes,
      products: async (_: unknown, { first }: { first: number }) => products.slice(0, first),
      search: (_: unknown, { text }: { text: string }) => [...products.filter((p) => p.name.includes(text)), ...[...partners.values()].filter((p) => p.name.includes(text))],
      node: (_: unknown, { id }: { id: string }) => products.find((p) => p.id === id) ?? partners.get(id) ?? null,
    },
    Node: { __resolveType: (value: object) => ('ownerId' in value ? 'Product' : 'Partner') },
    SearchHit: { __resolveType: (value: object) => ('ownerId' in value ? 'Product' : 'Partner') },
    Product: {
      price: (p: (typeof products)[number]) => p.priceMinor,
      owner: async (p: (typeof products)[number]) => partners.get(p.ownerId),
      audit: (p: (typeof products)[number]) => {
        if (p.id === 'p2') throw new GraphQLError('The audit trail of p2 is sealed.', { extensions: { code: 'FORBIDDEN' } });
        return `audited ${p.id}`;
      },
      strict: (p: (typeof products)[number]) => (p.id === 'p2' ? null : 'ok'),
      __resolveReference: (reference: { id: string }) => products.find((p) => p.id === reference.id),
    },
  } as never,
});

/** The same document twice (interpreted, then compiled), as JSON (what a client receives). */
async function bothWays(query: string, variables?: Record<string, unknown>): Promise<[unknown, unknown, CompiledExecution]> {
  const execution = new CompiledExecution(schema);
  const document = parse(query);
  const run = async () => JSON.parse(JSON.stringify(await execution.execute(document, null, variables, {}, query))) as ExecutionResult;
  const interpreted = await run();
  expect(execution.compiledCount).toBe(0);
  const compiled = await run();
  expect(execution.compiledCount).toBe(1);
  return [interpreted, compiled, execution];
}

describe('CompiledExecution', () => {
  it('answers nested async lists, aliases, fragments, directives and custom scalars as graphql-js does', async () => {
    const [interpreted, compiled] = await bothWays(
      `query($withOwner: Boolean!) { all: products(first: 3) { __typename id name price ...Owned @include(if: $withOwner) } one: node(id: "p1") { id ... on Product { price } } }
       fragment Owned on Product { owner { code name } }`,
      { withOwner: true },
    );
    expect(compiled).toEqual(interpreted);
    expect(compiled).toMatchObject({ data: { all: [{ __typename: 'Product', id: 'p1', price: 'EUR 12.50', owner: { code: 'SHOP-A' } }, {}, {}], one: { price: 'EUR 12.50' } } });
  });

  it('resolves unions, interfaces and federation entities the same way', async () => {
    const [interpreted, compiled] = await bothWays(
      `{ search(text: "o") { __typename ... on Product { id name } ... on Partner { code } } node(id: "a") { __typename id }
         _entities(representations: [{ __typename: "Product", id: "p3" }]) { ... on Product { name owner { id } } } }`,
    );
    expect(compiled).toEqual(interpreted);
    expect((compiled as ExecutionResult).data!['search']).toEqual([{ __typename: 'Product', id: 'p1', name: 'Gift Box' }, { __typename: 'Partner', code: 'SHOP-A' }]);
  });

  it('reports a resolver error with the same message, path and extensions, and nulls only that field', async () => {
    const [interpreted, compiled] = await bothWays(`{ products(first: 3) { id audit } }`);
    expect(compiled).toEqual(interpreted);
    expect(compiled).toMatchObject({
      data: { products: [{ audit: 'audited p1' }, { id: 'p2', audit: null }, { audit: 'audited p3' }] },
      errors: [{ message: 'The audit trail of p2 is sealed.', path: ['products', 1, 'audit'], extensions: { code: 'FORBIDDEN' } }],
    });
  });

  it('propagates a null in a non-null field up to the nearest nullable parent, as graphql-js does', async () => {
    const [interpreted, compiled] = await bothWays(`{ products(first: 3) { id strict } node(id: "p1") { id } }`);
    expect(compiled).toEqual(interpreted);
    expect(compiled).toMatchObject({ data: null, errors: [{ path: ['products', 1, 'strict'] }] });
  });

  it('refuses bad variables with graphql-js’s messages (which Apollo Server classifies as BAD_USER_INPUT)', async () => {
    const query = `query($first: Int) { products(first: $first) { id } }`;
    const [interpreted, compiled] = await bothWays(query, { first: 'three' });
    expect(compiled).toEqual(interpreted);
    expect((compiled as ExecutionResult).errors![0]!.message).toMatch(/^Variable "\$first" got invalid value "three"/);
    const [defaulted, defaultedCompiled] = await bothWays(`query($first: Int = 1) { products(first: $first) { id } }`);
    expect(defaultedCompiled).toEqual(defaulted);
  });

  it('words a scalar’s refusal of a variable as graphql-js does (the scalar’s own message)', async () => {
    const [interpreted, compiled] = await bothWays(`query($codes: [Sku!]!) { lookup(codes: $codes) }`, { codes: ['TEA-1', 'tea'] });
    expect(compiled).toEqual(interpreted);
    expect((compiled as ExecutionResult).errors![0]!.message).toContain('An SKU code looks like "TEA-1", not "tea".');
  });

  it('leaves to graphql-js an operation whose variables may leave out a non-null field with a default', async () => {
    const execution = new CompiledExecution(schema);
    const text = `query($scans: [ScanInput!]!) { scan(scans: $scans) { code quantity note } }`;
    const variables = { scans: [{ code: 'TEA-1' }, { code: 'CUP-2', quantity: 3, note: null }] };
    const answers = [];
    for (let run = 0; run < 3; run += 1) answers.push(await execution.execute(parse(text), null, variables, {}, text));
    expect(execution.compiledCount).toBe(0);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0]).toEqual({ data: { scan: [{ code: 'TEA-1', quantity: 1, note: 'none' }, { code: 'CUP-2', quantity: 3, note: null }] } });
  });

  it('leaves to graphql-js a document aliasing a field __proto__ (a key of the answer, never its prototype)', async () => {
    const execution = new CompiledExecution(schema);
    const text = `{ node(id: "p1") { ... on Product { __proto__: owner { code } constructor: name } } }`;
    const answers = [];
    for (let run = 0; run < 2; run += 1) answers.push(JSON.parse(JSON.stringify(await execution.execute(parse(text), null, undefined, {}, text))));
    expect(execution.compiledCount).toBe(0);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]).toEqual({ data: { node: { ['__proto__']: { code: 'SHOP-A' }, constructor: 'Gift Box' } } });
  });

  it('compiles a document on its second run only, and forgets the least recently used past its bound', async () => {
    const execution = new CompiledExecution(schema, { maxDocuments: 3 });
    const texts = ['{ products { id } }', '{ products { name } }', '{ products { price } }', '{ products { id name } }'];
    const run = (text: string) => execution.execute(parse(text), null, undefined, {}, text);
    for (const text of texts) await run(text);
    expect(execution.size).toBe(3);
    expect(execution.compiledCount).toBe(0);
    await run(texts[3]!);
    expect(execution.compiledCount).toBe(1);
    // The first text was forgotten when the fourth came: it counts from its first run again.
    await run(texts[0]!);
    expect(execution.compiledCount).toBe(1);
    await run(texts[0]!);
    expect(execution.compiledCount).toBe(2);
    expect(execution.size).toBe(3);
  });

  it('keeps one compiled function per operation of a document that names several', async () => {
    const execution = new CompiledExecution(schema);
    const text = 'query Ids { products { id } } query Names { products { name } }';
    const document = parse(text);
    const answers = [];
    for (const name of ['Ids', 'Names', 'Ids', 'Names']) answers.push(await execution.execute(document, name, undefined, {}, text));
    expect(execution.compiledCount).toBe(2);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[3]).toEqual(answers[1]);
    expect(answers[1]).toEqual({ data: { products: [{ name: 'Gift Box' }, { name: 'Tea' }] } });
  });
});
