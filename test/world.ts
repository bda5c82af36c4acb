import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import postgres from 'postgres';
import type { Role } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from './database';
import { startTestPlatform, type GraphQLResponse, type TestPlatform, type TestPlatformOptions } from './platform';

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

  protected constructor(parts: WorldParts<Code>) {
    ({ db: this.db, api: this.api, admin: this.admin, tokens: this.tokens, tag: this.tag } = parts);
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

  /** Stops everything. Call in `afterAll`. */
  async close(): Promise<void> {
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
}
