import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { MAX_PREPARED_PARAMETERS, RequestTransaction, connectDatabase, inTenantTransaction, type Database, type Identity } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';

/**
 * Queries with parameters run as named prepared statements (one round trip once a connection has
 * described them), not as unnamed ones (Parse and Describe, then Bind and Execute: two round trips
 * each time), in request transactions and in their savepoints; long parameter lists stay unnamed.
 * Seen from the server: `pg_prepared_statements` of the connection that ran them.
 */

const identity: Identity = { subject: 'test', partnerId: '00000000-0000-4000-8000-0000000000b1', roles: ['admin'] };

let db: TestDatabase;
let app: Database;

beforeAll(async () => {
  db = await freshDatabase('empty');
  // One connection: the statements this test makes and the view of them share it.
  app = connectDatabase(db.appUrl, { max: 1 });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** The named statements the (only) connection keeps whose text holds `marker`. */
async function preparedWith(marker: string): Promise<string[]> {
  const rows = await app.db.execute<{ statement: string }>(sql`select statement from pg_prepared_statements where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`);
  return [...rows].map((row) => row.statement);
}

describe('statements', () => {
  it('keeps a query with parameters as a named statement, in a transaction and in its savepoint, and answers it the same every time', async () => {
    for (let run = 0; run < 3; run += 1) {
      const [row] = await inTenantTransaction(app.db, identity, async (tx) => {
        const [inner] = await tx.transaction((savepoint) => savepoint.execute<{ n: number }>(sql`select ${run}::int + 1 as n, 'in-savepoint' as marker`));
        expect(inner!.n).toBe(run + 1);
        return tx.execute<{ n: number; partner: string }>(sql`select ${run}::int as n, current_setting('app.partner_id') as partner, 'in-transaction' as marker`);
      });
      expect(row).toEqual({ n: run, partner: identity.partnerId, marker: 'in-transaction' });
    }
    expect(await preparedWith("'in-transaction'")).toHaveLength(1);
    expect(await preparedWith("'in-savepoint'")).toHaveLength(1);
  });

  it('does so for the request transaction of a GraphQL request', async () => {
    const transaction = new RequestTransaction(app.db, identity);
    const tx = await transaction.get();
    const [row] = await tx.execute<{ n: number }>(sql`select ${7}::int as n, 'in-request' as marker`);
    await transaction.end(true);
    expect(row!.n).toBe(7);
    expect(await preparedWith("'in-request'")).toHaveLength(1);
  });

  it(`leaves a query with more than ${MAX_PREPARED_PARAMETERS} parameters unnamed (a batch's long list would make a statement per length)`, async () => {
    const values = Array.from({ length: MAX_PREPARED_PARAMETERS + 1 }, (_, i) => i);
    const [row] = await inTenantTransaction(app.db, identity, (tx) =>
      tx.execute<{ n: number }>(sql`select cardinality(array[${sql.join(values.map((v) => sql`${v}::int`), sql`, `)}]) as n, 'long-list' as marker`),
    );
    expect(row!.n).toBe(values.length);
    expect(await preparedWith("'long-list'")).toHaveLength(0);
  });
});

/**
 * A TCP relay to PostgreSQL counting the client's flights: bursts of bytes sent after the last
 * answer (or first), each a round trip the client waited for.
 */
async function flightCountingRelay(target: string): Promise<{ url: string; flights: () => number; close(): Promise<void> }> {
  const upstreamUrl = new URL(target);
  let flights = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    let answered = true;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => [client, upstream].forEach((s) => s.destroy()));
    }
    client.on('data', (chunk) => {
      if (answered) flights += 1;
      answered = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    flights: () => flights,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('round trips of a request transaction', () => {
  it('sends BEGIN with the tenant and the first query: a request that reads once is two round trips, BEGIN to answer and COMMIT', async () => {
    const relay = await flightCountingRelay(db.appUrl);
    const relayed = connectDatabase(relay.url, { max: 1 });
    try {
      const request = async () => {
        const transaction = new RequestTransaction(relayed.db, identity);
        const tx = await transaction.get();
        const [row] = await tx.execute<{ partner: string }>(sql`select current_setting('app.partner_id') as partner, ${'round-trips'}::text as marker`);
        await transaction.end(true);
        return row!.partner;
      };
      // The connection's start and the statements' first description are round trips of their own.
      await request();
      await request();
      const before = relay.flights();
      expect(await request()).toBe(identity.partnerId);
      expect(relay.flights() - before).toBe(2);
    } finally {
      await relayed.close();
      await relay.close();
    }
  });

  it('refuses to report saved a transaction PostgreSQL aborted (a failed statement whose error was swallowed)', async () => {
    const transaction = new RequestTransaction(app.db, identity);
    const tx = await transaction.get();
    await tx.execute(sql`select 1 / 0`).catch(() => 'swallowed');
    await expect(transaction.end(true)).rejects.toThrow();
    // The connection is handed back, usable.
    const [row] = await inTenantTransaction(app.db, identity, (next) => next.execute<{ n: number }>(sql`select 1 as n`));
    expect(row!.n).toBe(1);
  });

  it('keeps savepoints: a failed one is rolled back to, the transaction goes on and commits', async () => {
    const transaction = new RequestTransaction(app.db, identity);
    const tx = await transaction.get();
    const failed = await tx.transaction((savepoint) => savepoint.execute(sql`select 1 / 0`)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    const [inner] = await tx.transaction((savepoint) => savepoint.execute<{ n: number }>(sql`select 2 as n`));
    expect(inner!.n).toBe(2);
    await transaction.end(true);
  });
});

describe('read-only request transactions (GraphQL queries)', () => {
  const readOnlyRequest = async (database: Database, who: Identity = identity) => {
    const transaction = new RequestTransaction(database.db, who);
    transaction.markReadOnly();
    const tx = await transaction.get();
    const [row] = await tx.execute<{ partner: string; readOnly: string; backend: number }>(
      sql`select current_setting('app.partner_id') as partner, current_setting('transaction_read_only') as "readOnly", pg_backend_pid() as backend, ${'read-only'}::text as marker`,
    );
    await transaction.end(true);
    return row!;
  };

  it('sends its COMMIT with the next request transaction: a stream of queries reading once each is one round trip per query', async () => {
    const relay = await flightCountingRelay(db.appUrl);
    // A wait no test outlasts: every COMMIT here is carried by the next request.
    const relayed = connectDatabase(relay.url, { max: 1, readOnlyCommitWaitMs: 60_000 });
    try {
      await readOnlyRequest(relayed);
      await readOnlyRequest(relayed);
      const before = relay.flights();
      for (let i = 0; i < 5; i += 1) expect((await readOnlyRequest(relayed)).readOnly).toBe('on');
      expect(relay.flights() - before).toBe(5);
    } finally {
      await relayed.close();
      await relay.close();
    }
  });

  it('refuses writes', async () => {
    const transaction = new RequestTransaction(app.db, identity);
    transaction.markReadOnly();
    const tx = await transaction.get();
    const error = await tx.execute(sql`create temporary table written (n int)`).catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: { code: '25006' } });
    await transaction.end(false);
  });

  it('hands a carried connection to the next tenant with only that tenant set', async () => {
    const other: Identity = { ...identity, partnerId: '00000000-0000-4000-8000-0000000000c2' };
    const carried = connectDatabase(db.appUrl, { max: 1, readOnlyCommitWaitMs: 60_000 });
    try {
      const first = await readOnlyRequest(carried, identity);
      const second = await readOnlyRequest(carried, other);
      expect(second.backend).toBe(first.backend);
      expect([first.partner, second.partner]).toEqual([identity.partnerId, other.partnerId]);
      // A write transaction after it: its own BEGIN after the carried COMMIT, its tenant alone.
      const [row] = await inTenantTransaction(carried.db, identity, (tx) =>
        tx.execute<{ partner: string; readOnly: string }>(sql`select current_setting('app.partner_id') as partner, current_setting('transaction_read_only') as "readOnly"`),
      );
      expect(row).toEqual({ partner: identity.partnerId, readOnly: 'off' });
    } finally {
      await carried.close();
    }
  });

  it('commits on its own when no request comes within the wait: the connection is left idle, not idle in transaction', async () => {
    const waiting = connectDatabase(db.appUrl, { max: 1, readOnlyCommitWaitMs: 20, applicationName: 'read-only-wait' });
    try {
      const { backend } = await readOnlyRequest(waiting);
      const stateOf = async () => {
        const [row] = await app.db.execute<{ state: string }>(sql`select state from pg_stat_activity where pid = ${backend}`);
        return row?.state;
      };
      expect(await stateOf()).toBe('idle in transaction');
      await expect.poll(stateOf, { timeout: 5_000, interval: 20 }).toBe('idle');
    } finally {
      await waiting.close();
    }
  });

  it('gives its connection straight to a request transaction waiting for one', async () => {
    // One connection and a wait no test outlasts: the second request only runs if the first's
    // connection is handed back when it ends, not after the wait.
    const busy = connectDatabase(db.appUrl, { max: 1, readOnlyCommitWaitMs: 600_000 });
    try {
      const first = new RequestTransaction(busy.db, identity);
      first.markReadOnly();
      await (await first.get()).execute(sql`select 1`);
      const second = readOnlyRequest(busy);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the second waits for the connection
      await first.end(true);
      expect((await second).partner).toBe(identity.partnerId);
    } finally {
      await busy.close();
    }
  });

  it('commits what it carries when the pool closes, without waiting', async () => {
    const closing = connectDatabase(db.appUrl, { max: 2, readOnlyCommitWaitMs: 600_000 });
    await Promise.all([readOnlyRequest(closing), readOnlyRequest(closing)]);
    const started = Date.now();
    await closing.close();
    // client.end waits up to 5 s for connections still reserved; carried ones are not.
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe('a carried connection PostgreSQL has closed', () => {
  it('does not fail the next request', async () => {
    const carried = connectDatabase(db.appUrl, { max: 1, readOnlyCommitWaitMs: 60_000 });
    try {
      const read = async () => {
        const transaction = new RequestTransaction(carried.db, identity);
        transaction.markReadOnly();
        const [row] = await (await transaction.get()).execute<{ backend: number }>(sql`select pg_backend_pid() as backend`);
        await transaction.end(true);
        return row!.backend;
      };
      const backend = await read();
      await app.db.execute(sql`select pg_terminate_backend(${backend})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await read()).not.toBe(backend);
    } finally {
      await carried.close();
    }
  });
});

describe('a request connection PostgreSQL closes mid-request', () => {
  it('fails that request and not the next', async () => {
    const pool = connectDatabase(db.appUrl, { max: 1 });
    try {
      const transaction = new RequestTransaction(pool.db, identity);
      const [row] = await (await transaction.get()).execute<{ backend: number }>(sql`select pg_backend_pid() as backend`);
      await app.db.execute(sql`select pg_terminate_backend(${row!.backend})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(transaction.end(true)).rejects.toThrow();
      const [next] = await inTenantTransaction(pool.db, identity, (tx) => tx.execute<{ n: number }>(sql`select 1 as n`));
      expect(next!.n).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
