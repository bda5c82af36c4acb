/**
 * The HTTP edge every Redthread server shares (graphqlRequestHandler): body limits whether or not
 * a length was declared, clients that go away mid-body, and the GraphQL-over-HTTP status rules.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { pino } from 'pino';
import { createServer, graphqlRequestHandler, listen, maskUnexpectedError, type RunningHttpServer } from '@redthread/kit';

const lines: { level: number; msg: string }[] = [];
const log = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  }),
);

let apollo: ApolloServer;
let running: RunningHttpServer;

beforeAll(async () => {
  apollo = new ApolloServer({
    typeDefs: 'type Query { hello(name: String!): String! }',
    resolvers: { Query: { hello: (_: unknown, { name }: { name: string }) => `hello ${name}` } },
    formatError: (formatted, error) => maskUnexpectedError(formatted, error, log),
  });
  await apollo.start();
  const handle = graphqlRequestHandler(apollo, { maxBodyBytes: 10_000, logger: log, context: async () => ({}) });
  running = await listen(
    createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        log.error({ err: error }, 'request failed outside GraphQL execution');
        res.destroy();
      });
    }),
    0,
  );
});
afterAll(async () => {
  await running?.close();
  await apollo?.stop();
});

/** Resolves when the server has logged a line matching `pattern`, or after `ms`. */
async function loggedSoon(pattern: RegExp, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (lines.some((line) => pattern.test(line.msg))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('request bodies', () => {
  it('answers 413 to a body streamed past the limit without a content-length, instead of resetting the connection', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 10 * 1024 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new Uint8Array(16 * 1024).fill(32));
      },
    });
    const response = await fetch(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'OPERATION_LIMIT_EXCEEDED' } }] });
    // The server is still there for the next client.
    const next = await fetch(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hello(name: "a") }' }) });
    expect(await next.json()).toEqual({ data: { hello: 'hello a' } });
  });

  it('notes a client that goes away mid-body at debug level, without an error or a stack', async () => {
    lines.length = 0;
    const socket = connect(running.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"query": "{ hel');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    expect(await loggedSoon(/closed the connection before sending the whole request body/)).toBe(true);
    const noted = lines.find((line) => /closed the connection/.test(line.msg))!;
    expect(noted.level).toBe(20); // debug
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('status codes (GraphQL over HTTP)', () => {
  const post = (body: unknown, accept?: string) =>
    fetch(`${running.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
      body: JSON.stringify(body),
    });

  it('answers document and variable failures 200 under application/json, 400 under application/graphql-response+json, with codes from the closed list', async () => {
    const cases: [unknown, string][] = [
      [{ query: '{ hello(name: "a")' }, 'INVALID_OPERATION'],
      [{ query: '{ nope }' }, 'INVALID_OPERATION'],
      [{ query: 'query($n: String!) { hello(name: $n) }', variables: { n: 5 } }, 'BAD_USER_INPUT'],
    ];
    for (const [body, code] of cases) {
      const loose = await post(body);
      expect(loose.status).toBe(200);
      expect(await loose.json()).toMatchObject({ errors: [{ extensions: { code } }] });
      const strict = await post(body, 'application/graphql-response+json');
      expect(strict.status).toBe(400);
      expect(strict.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      expect(await strict.json()).toMatchObject({ errors: [{ extensions: { code } }] });
    }
  });

  it('answers a body that is not JSON 400 BAD_REQUEST', async () => {
    const response = await fetch(`${running.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });
});
