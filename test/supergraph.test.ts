import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_PATH } from '@redthread/gateway';
import { composeBuildSupergraph } from '../scripts/build';

describe('the supergraph composed at build time', () => {
  it('is current with every subgraph\'s schema.graphql (else run `npm run build` and commit gateway/supergraph.graphql)', () => {
    // Production gateways load this file instead of composing at start: a stale one would serve
    // yesterday's schema. The comparison is exact, so any SDL change without a rebuild fails here.
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8') === composeBuildSupergraph(), 'gateway/supergraph.graphql is stale: run `npm run build` and commit it').toBe(true);
  });
});
