import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { Role } from '@redthread/kit';
import { freshDatabase, type TestDatabase } from '../../../test/database';
import { startTestPlatform, type TestPlatform } from '../../../test/platform';
import { everyNode } from '../../../test/world';
import { demoPartnerId } from '../../../scripts/demo/world';

/**
 * Product links through the gateway: life cycle, supply prices, share rules, uniqueness, cycles
 * and races. Every scenario creates its own products, so the demo links stay untouched and the
 * tests do not depend on each other. SHOP-D and SUPPLIER-C are linked only by the relationships
 * test, so its counts are exact.
 */

type Code = 'SHOP-A' | 'TRADER-B' | 'SUPPLIER-C' | 'SHOP-D';
type Result = Record<string, unknown> & { __typename: string };
interface Price {
  price: { amountMinor: string; currency: string };
  effectiveFrom: string;
  setAt: string;
}
interface Link extends Result {
  id: string;
  status: string;
  mySide: string;
  downstreamPartner: { id: string; code: string };
  downstreamProduct: { id: string; skuCode: string };
  upstreamPartner: { id: string; code: string };
  upstreamProduct: { id: string; skuCode: string };
  proposedBy: { code: string };
  suspendedBy: { code: string } | null;
  reason: string | null;
  shareRule: { kind: string; value: number | null; safetyBuffer: number };
  currentSupplyPrice: Price | null;
  /** The first page (up to 100) of the price history. */
  supplyPrices: { edges: { node: Price }[] };
}
/** A product made for one scenario. */
interface Made {
  id: string;
  skuCode: string;
  partner: Code;
}

let db: TestDatabase;
let api: TestPlatform;
let admin: postgres.Sql;
const tokens = new Map<Code, string>();

beforeAll(async () => {
  db = await freshDatabase();
  api = await startTestPlatform(db);
  admin = postgres(db.adminUrl, { max: 2, onnotice: () => {} });
  for (const code of ['SHOP-A', 'TRADER-B', 'SUPPLIER-C', 'SHOP-D'] as const) tokens.set(code, await api.tokenFor(code));
});
afterAll(async () => {
  await admin?.end();
  await api?.close();
  await db?.drop();
});

const token = (code: Code) => tokens.get(code)!;

const PRICE = 'price { amountMinor currency } effectiveFrom setAt';
const LINK = `id status mySide
  downstreamPartner { id code } downstreamProduct { id skuCode }
  upstreamPartner { id code } upstreamProduct { id skuCode }
  proposedBy { code } suspendedBy { code } reason
  shareRule { kind value safetyBuffer }
  currentSupplyPrice { ${PRICE} } supplyPrices(first: 100) { edges { node { ${PRICE} } } }
  createdAt updatedAt`;
const RESULT = `__typename
  ... on ProductLink { ${LINK} }
  ... on CatalogError { errorCode message }
  ... on InvalidTransition { from action }
  ... on DuplicateLink { existingLinkId }
  ... on AlreadyLinkedUpstream { activeLinkId }
  ... on InvalidInput { field }`;

const PROPOSE = `mutation($input: ProposeLinkInput!) { proposeLink(input: $input) { ${RESULT} } }`;
const SET_PRICE = `mutation($input: SetSupplyPriceInput!) { setSupplyPrice(input: $input) { ${RESULT} } }`;
const SET_SHARE = `mutation($input: SetShareRuleInput!) { setShareRule(input: $input) { ${RESULT} } }`;
const READ = `query($id: ID!) { productLink(id: $id) { ${LINK} } }`;

type Action = 'acceptLink' | 'rejectLink' | 'suspendLink' | 'resumeLink' | 'endLink';
const ACTIONS: readonly Action[] = ['acceptLink', 'rejectLink', 'suspendLink', 'resumeLink', 'endLink'];
const takesReason = (action: Action) => action !== 'acceptLink' && action !== 'resumeLink';
const actionQuery = (action: Action) =>
  takesReason(action)
    ? `mutation($id: ID!, $reason: String) { ${action}(id: $id, reason: $reason) { ${RESULT} } }`
    : `mutation($id: ID!) { ${action}(id: $id) { ${RESULT} } }`;

/** Runs a mutation that must not raise GraphQL errors and returns its single result. */
async function mutate(as: string, query: string, variables: Record<string, unknown>): Promise<Result> {
  const response = await api.query<Record<string, Result>>(as, query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return Object.values(response.data!)[0]!;
}

function act(by: Code, action: Action, id: string, reason?: string): Promise<Result> {
  return mutate(token(by), actionQuery(action), takesReason(action) && reason ? { id, reason } : { id });
}

async function read(by: Code, id: string): Promise<Link | null> {
  const response = await api.query<{ productLink: Link | null }>(token(by), READ, { id });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.productLink;
}

let skuCounter = 0;
/** A fresh ACTIVE product of a partner, created through the API like a user would. */
async function newProduct(partner: Code): Promise<Made> {
  skuCounter += 1;
  const skuCode = `LT-${skuCounter.toString().padStart(4, '0')}`;
  const created = await mutate(
    token(partner),
    `mutation($input: CreateProductInput!) { createProduct(input: $input) { __typename ... on Product { id skuCode } } }`,
    { input: { skuCode, name: `Link test product ${skuCounter}` } },
  );
  expect(created.__typename).toBe('Product');
  return { id: created['id'] as string, skuCode, partner };
}

/**
 * Proposes `down → up` as `by` (one of the two owners), naming the counterpart by partner code and
 * SKU code, or by id with `byId`.
 */
function propose(by: 'down' | 'up', down: Made, up: Made, options: { byId?: boolean } = {}): Promise<Result> {
  const mine = by === 'down' ? down : up;
  const theirs = by === 'down' ? up : down;
  return mutate(token(mine.partner), PROPOSE, {
    input: {
      myProductId: mine.id,
      mySide: by === 'down' ? 'DOWNSTREAM' : 'UPSTREAM',
      counterpart: options.byId ? { productId: theirs.id } : { partnerCode: theirs.partner, skuCode: theirs.skuCode },
    },
  });
}

/** Proposes as the downstream owner and accepts as the upstream one; the first failure, or the link. */
async function proposeAndAccept(down: Made, up: Made): Promise<Result> {
  const proposed = await propose('down', down, up);
  if (proposed.__typename !== 'ProductLink') return proposed;
  return act(up.partner, 'acceptLink', proposed['id'] as string);
}

/** A proposal between two fresh products, made by the downstream party. */
async function freshProposal(downPartner: Code = 'SHOP-A', upPartner: Code = 'TRADER-B') {
  const down = await newProduct(downPartner);
  const up = await newProduct(upPartner);
  const link = (await propose('down', down, up)) as Link;
  expect(link.__typename).toBe('ProductLink');
  return { down, up, link };
}

/** An ACTIVE link between two fresh products. */
async function freshActiveLink(downPartner: Code = 'SHOP-A', upPartner: Code = 'TRADER-B') {
  const { down, up, link } = await freshProposal(downPartner, upPartner);
  const accepted = (await act(upPartner, 'acceptLink', link.id)) as Link;
  expect(accepted).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  return { down, up, link: accepted };
}

async function eventsOf(entityId: string): Promise<{ topic: string; audience: string[] }[]> {
  const rows = await admin`select topic, audience::text[] as audience from events.event_log where entity_id = ${entityId} order by id`;
  return rows.map((r) => ({ topic: r['topic'] as string, audience: [...(r['audience'] as string[])].sort() }));
}

const both = (a: Code, b: Code) => [demoPartnerId(a), demoPartnerId(b)].sort();
const topicsOf = async (linkId: string) => (await eventsOf(linkId)).map((e) => e.topic);

/** Reads a link and its events, to show later that a refused change left both exactly as they were. */
async function snapshot(linkId: string, as: Code = 'SHOP-A') {
  return { as, linkId, link: await read(as, linkId), events: await eventsOf(linkId) };
}
async function expectUnchanged(before: Awaited<ReturnType<typeof snapshot>>) {
  expect(before.link).not.toBeNull();
  expect(await read(before.as, before.linkId)).toEqual(before.link);
  expect(await eventsOf(before.linkId)).toEqual(before.events);
}

/** The ids of the links naming a product, as `as` lists them. */
async function linkIdsOfProduct(as: Code, productId: string, filter: Record<string, unknown> = {}) {
  const response = await api.query<{ productLinks: { edges: { node: { id: string } }[] } }>(
    token(as),
    `query($filter: ProductLinkFilter) { productLinks(filter: $filter, first: 50) { edges { node { id } } } }`,
    { filter: { productId, ...filter } },
  );
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!.productLinks.edges.map((e) => e.node.id);
}

const randomProbe = async (as: Code, query: string, variables: Record<string, unknown>) =>
  api.query(token(as), query, variables);

describe('proposeLink', () => {
  it('lets the downstream party propose by partner code and SKU code; both parties see the proposal', async () => {
    const down = await newProduct('SHOP-A');
    const up = await newProduct('TRADER-B');
    const link = (await propose('down', down, up)) as Link;
    expect(link).toMatchObject({
      __typename: 'ProductLink',
      status: 'PROPOSED',
      mySide: 'DOWNSTREAM',
      downstreamPartner: { id: demoPartnerId('SHOP-A'), code: 'SHOP-A' },
      downstreamProduct: { id: down.id, skuCode: down.skuCode },
      upstreamPartner: { id: demoPartnerId('TRADER-B'), code: 'TRADER-B' },
      upstreamProduct: { id: up.id, skuCode: up.skuCode },
      proposedBy: { code: 'SHOP-A' },
      suspendedBy: null,
      supplyPrices: { edges: [] },
      currentSupplyPrice: null,
    });
    expect(await read('TRADER-B', link.id)).toMatchObject({ id: link.id, status: 'PROPOSED', mySide: 'UPSTREAM', proposedBy: { code: 'SHOP-A' } });
    expect(await eventsOf(link.id)).toEqual([{ topic: 'link.proposed', audience: both('SHOP-A', 'TRADER-B') }]);
  });

  it('lets the upstream party propose, naming a counterpart product it can see by id', async () => {
    const down = await newProduct('SHOP-A');
    const up = await newProduct('TRADER-B');
    const other = await newProduct('TRADER-B');
    // A proposal naming `down` makes it visible to TRADER-B.
    const first = (await propose('down', down, up)) as Link;
    expect(first.__typename).toBe('ProductLink');
    const byId = (await propose('up', down, other, { byId: true })) as Link;
    expect(byId).toMatchObject({
      __typename: 'ProductLink',
      status: 'PROPOSED',
      mySide: 'UPSTREAM',
      downstreamProduct: { id: down.id },
      upstreamProduct: { id: other.id },
      proposedBy: { code: 'TRADER-B' },
    });
    expect(await read('SHOP-A', byId.id)).toMatchObject({ mySide: 'DOWNSTREAM', proposedBy: { code: 'TRADER-B' } });
    expect(await eventsOf(byId.id)).toEqual([{ topic: 'link.proposed', audience: both('SHOP-A', 'TRADER-B') }]);
  });

  it('answers a counterpart id the caller cannot see exactly like a random id, and creates nothing', async () => {
    const mine = await newProduct('SHOP-A');
    const hidden = await newProduct('SUPPLIER-C');
    const input = (productId: string) => ({ input: { myProductId: mine.id, mySide: 'DOWNSTREAM', counterpart: { productId } } });
    const missing = await randomProbe('SHOP-A', PROPOSE, input(randomUUID()));
    expect(missing.data).toEqual({ proposeLink: { __typename: 'ProductNotFound', errorCode: 'PRODUCT_NOT_FOUND', message: expect.any(String) } });
    expect(await randomProbe('SHOP-A', PROPOSE, input(hidden.id))).toEqual(missing);
    const listed = await api.query<{ productLinks: { edges: unknown[] } }>(
      token('SHOP-A'),
      `query($id: ID!) { productLinks(filter: { productId: $id }) { edges { cursor } } }`,
      { id: mine.id },
    );
    expect(listed.data!.productLinks.edges).toEqual([]);
  });

  it('refuses a product of another partner as the caller’s own, and an unknown partner or SKU code, with ProductNotFound', async () => {
    const mine = await newProduct('SHOP-A');
    const theirs = await newProduct('TRADER-B');
    const cases: Record<string, unknown>[] = [
      { myProductId: theirs.id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'TRADER-B', skuCode: theirs.skuCode } },
      { myProductId: randomUUID(), mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'TRADER-B', skuCode: theirs.skuCode } },
      { myProductId: mine.id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'NO-SUCH-PARTNER', skuCode: theirs.skuCode } },
      { myProductId: mine.id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'TRADER-B', skuCode: 'NO-SUCH-SKU' } },
    ];
    for (const input of cases) {
      expect(await mutate(token('SHOP-A'), PROPOSE, { input }), JSON.stringify(input)).toMatchObject({
        __typename: 'ProductNotFound',
        errorCode: 'PRODUCT_NOT_FOUND',
      });
    }
    expect(await linkIdsOfProduct('SHOP-A', mine.id)).toEqual([]);
  });

  it('refuses a counterpart given neither by id nor by code with InvalidInput, and a link to the caller’s own product', async () => {
    const mine = await newProduct('SHOP-A');
    const alsoMine = await newProduct('SHOP-A');
    const empty = await mutate(token('SHOP-A'), PROPOSE, { input: { myProductId: mine.id, mySide: 'DOWNSTREAM', counterpart: {} } });
    expect(empty).toMatchObject({ __typename: 'InvalidInput', errorCode: 'INVALID_INPUT', field: expect.stringMatching(/counterpart/) });
    const self = await mutate(token('SHOP-A'), PROPOSE, {
      input: { myProductId: mine.id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'SHOP-A', skuCode: alsoMine.skuCode } },
    });
    expect(self.__typename).not.toBe('ProductLink');
    expect(self['errorCode']).toEqual(expect.any(String));
  });
});

describe('link life cycle', () => {
  it('PROPOSED → ACTIVE when the other party accepts', async () => {
    const { link } = await freshProposal();
    const accepted = await act('TRADER-B', 'acceptLink', link.id);
    expect(accepted).toMatchObject({ __typename: 'ProductLink', id: link.id, status: 'ACTIVE', mySide: 'UPSTREAM', proposedBy: { code: 'SHOP-A' } });
    expect(await read('SHOP-A', link.id)).toMatchObject({ status: 'ACTIVE' });
    expect(await eventsOf(link.id)).toEqual([
      { topic: 'link.proposed', audience: both('SHOP-A', 'TRADER-B') },
      { topic: 'link.accepted', audience: both('SHOP-A', 'TRADER-B') },
    ]);
  });

  it('PROPOSED → ACTIVE when the downstream party accepts an upstream proposal', async () => {
    const down = await newProduct('SHOP-A');
    const up = await newProduct('TRADER-B');
    const proposed = (await propose('up', down, up)) as Link;
    expect(await act('TRADER-B', 'acceptLink', proposed.id)).toMatchObject({ __typename: 'NotPermittedForSide', errorCode: 'NOT_PERMITTED_FOR_SIDE' });
    expect(await act('SHOP-A', 'acceptLink', proposed.id)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE', mySide: 'DOWNSTREAM' });
  });

  it('PROPOSED → REJECTED with a reason when the other party rejects; REJECTED is final', async () => {
    const { link } = await freshProposal();
    const rejected = await act('TRADER-B', 'rejectLink', link.id, 'We do not stock this');
    expect(rejected).toMatchObject({ __typename: 'ProductLink', status: 'REJECTED', reason: 'We do not stock this' });
    expect(await read('SHOP-A', link.id)).toMatchObject({ status: 'REJECTED', reason: 'We do not stock this' });
    expect(await eventsOf(link.id)).toEqual([
      { topic: 'link.proposed', audience: both('SHOP-A', 'TRADER-B') },
      { topic: 'link.rejected', audience: both('SHOP-A', 'TRADER-B') },
    ]);
    for (const [who, action] of [
      ['TRADER-B', 'acceptLink'],
      ['TRADER-B', 'rejectLink'],
      ...(['suspendLink', 'resumeLink', 'endLink'] as const).flatMap((action) => [
        ['TRADER-B', action],
        ['SHOP-A', action],
      ]),
    ] as [Code, Action][]) {
      const before = await snapshot(link.id);
      expect(await act(who, action, link.id), `${action} by ${who}`).toMatchObject({
        __typename: 'InvalidTransition',
        errorCode: 'INVALID_TRANSITION',
        from: 'REJECTED',
      });
      await expectUnchanged(before);
    }
  });

  it('a rejected link stays readable by both parties, with its partners and products', async () => {
    // SHOP-D and TRADER-B share no other link: only the rejected one connects them.
    const down = await newProduct('SHOP-D');
    const up = await newProduct('TRADER-B');
    const proposed = (await propose('down', down, up)) as Link;
    const rejected = await api.query<{ rejectLink: { __typename: string; status?: string } }>(
      token('TRADER-B'),
      `mutation($id: ID!) { rejectLink(id: $id, reason: "no") { __typename ... on ProductLink { status } } }`,
      { id: proposed.id },
    );
    expect(rejected).toEqual({ status: 200, data: { rejectLink: { __typename: 'ProductLink', status: 'REJECTED' } } });
    for (const [as, mySide] of [['SHOP-D', 'DOWNSTREAM'], ['TRADER-B', 'UPSTREAM']] as const) {
      const response = await api.query(token(as), READ, { id: proposed.id });
      expect(response.errors, `${as}: ${JSON.stringify(response.errors)}`).toBeUndefined();
      expect(response.data, as).toMatchObject({
        productLink: {
          status: 'REJECTED',
          mySide,
          downstreamPartner: { code: 'SHOP-D' },
          downstreamProduct: { id: down.id },
          upstreamPartner: { code: 'TRADER-B' },
          upstreamProduct: { id: up.id },
          proposedBy: { code: 'SHOP-D' },
        },
      });
    }
    const listed = await api.query(
      token('SHOP-D'),
      `query($id: ID!) { productLinks(filter: { productId: $id }) { edges { node { id status upstreamPartner { code } upstreamProduct { skuCode } } } } }`,
      { id: down.id },
    );
    expect(listed.errors, JSON.stringify(listed.errors)).toBeUndefined();
    expect(listed.data).toEqual({
      productLinks: { edges: [{ node: { id: proposed.id, status: 'REJECTED', upstreamPartner: { code: 'TRADER-B' }, upstreamProduct: { skuCode: up.skuCode } } }] },
    });
  });

  it('the proposer may neither accept nor reject its own proposal, and nothing changes', async () => {
    const { link } = await freshProposal();
    const before = await snapshot(link.id);
    for (const action of ['acceptLink', 'rejectLink'] as const) {
      expect(await act('SHOP-A', action, link.id, 'mine'), action).toMatchObject({
        __typename: 'NotPermittedForSide',
        errorCode: 'NOT_PERMITTED_FOR_SIDE',
        message: expect.any(String),
      });
    }
    await expectUnchanged(before);
  });

  it('PROPOSED → ENDED when the proposer withdraws', async () => {
    const { link } = await freshProposal();
    expect(await act('SHOP-A', 'endLink', link.id, 'changed my mind')).toMatchObject({ __typename: 'ProductLink', status: 'ENDED', reason: 'changed my mind' });
    expect(await eventsOf(link.id)).toEqual([
      { topic: 'link.proposed', audience: both('SHOP-A', 'TRADER-B') },
      { topic: 'link.ended', audience: both('SHOP-A', 'TRADER-B') },
    ]);
  });

  it('ACTIVE ⇄ SUSPENDED: only the party that suspended may resume', async () => {
    const { link } = await freshActiveLink();
    const suspended = await act('SHOP-A', 'suspendLink', link.id, 'quality problem');
    expect(suspended).toMatchObject({ __typename: 'ProductLink', status: 'SUSPENDED', suspendedBy: { code: 'SHOP-A' }, reason: 'quality problem' });
    expect(await read('TRADER-B', link.id)).toMatchObject({ status: 'SUSPENDED', suspendedBy: { code: 'SHOP-A' } });

    const before = await snapshot(link.id);
    expect(await act('TRADER-B', 'resumeLink', link.id)).toMatchObject({ __typename: 'NotPermittedForSide', errorCode: 'NOT_PERMITTED_FOR_SIDE' });
    await expectUnchanged(before);

    const resumed = await act('SHOP-A', 'resumeLink', link.id);
    expect(resumed).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE', suspendedBy: null });
    expect(await eventsOf(link.id)).toEqual(
      ['link.proposed', 'link.accepted', 'link.suspended', 'link.resumed'].map((topic) => ({ topic, audience: both('SHOP-A', 'TRADER-B') })),
    );
  });

  it('the upstream party may suspend too, and then only it may resume', async () => {
    const { link } = await freshActiveLink();
    expect(await act('TRADER-B', 'suspendLink', link.id)).toMatchObject({ __typename: 'ProductLink', status: 'SUSPENDED', suspendedBy: { code: 'TRADER-B' } });
    expect(await act('SHOP-A', 'resumeLink', link.id)).toMatchObject({ __typename: 'NotPermittedForSide' });
    expect(await act('TRADER-B', 'resumeLink', link.id)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  });

  it('ACTIVE → ENDED and SUSPENDED → ENDED by either party', async () => {
    const fromActive = await freshActiveLink();
    expect(await act('TRADER-B', 'endLink', fromActive.link.id, 'discontinued')).toMatchObject({
      __typename: 'ProductLink',
      status: 'ENDED',
      reason: 'discontinued',
    });
    const fromSuspended = await freshActiveLink();
    await act('TRADER-B', 'suspendLink', fromSuspended.link.id);
    expect(await act('SHOP-A', 'endLink', fromSuspended.link.id)).toMatchObject({ __typename: 'ProductLink', status: 'ENDED' });
    expect(await topicsOf(fromSuspended.link.id)).toEqual(['link.proposed', 'link.accepted', 'link.suspended', 'link.ended']);
    // An ended link stays readable by both parties, with its partners and products.
    expect(await read('SHOP-A', fromSuspended.link.id)).toMatchObject({
      status: 'ENDED',
      upstreamPartner: { code: 'TRADER-B' },
      upstreamProduct: { id: fromSuspended.up.id },
    });
    expect(await read('TRADER-B', fromSuspended.link.id)).toMatchObject({
      status: 'ENDED',
      downstreamPartner: { code: 'SHOP-A' },
      downstreamProduct: { id: fromSuspended.down.id },
    });
  });

  it('refuses every transition the state does not allow with InvalidTransition, and changes nothing', async () => {
    // [from, link, who acts, action]; accept and reject only by the party that did not propose (REJECTED: see above).
    const proposed = await freshProposal();
    const active = await freshActiveLink();
    const suspended = await freshActiveLink();
    await act('SHOP-A', 'suspendLink', suspended.link.id);
    const ended = await freshActiveLink();
    await act('SHOP-A', 'endLink', ended.link.id);

    const refusals: [string, string, Code, Action][] = [
      ['PROPOSED', proposed.link.id, 'SHOP-A', 'suspendLink'],
      ['PROPOSED', proposed.link.id, 'TRADER-B', 'suspendLink'],
      ['PROPOSED', proposed.link.id, 'SHOP-A', 'resumeLink'],
      ['ACTIVE', active.link.id, 'TRADER-B', 'acceptLink'],
      ['ACTIVE', active.link.id, 'TRADER-B', 'rejectLink'],
      ['ACTIVE', active.link.id, 'SHOP-A', 'resumeLink'],
      ['ACTIVE', active.link.id, 'TRADER-B', 'resumeLink'],
      ['SUSPENDED', suspended.link.id, 'TRADER-B', 'acceptLink'],
      ['SUSPENDED', suspended.link.id, 'TRADER-B', 'rejectLink'],
      ['SUSPENDED', suspended.link.id, 'SHOP-A', 'suspendLink'],
      ['SUSPENDED', suspended.link.id, 'TRADER-B', 'suspendLink'],
      ...ACTIONS.flatMap((action): [string, string, Code, Action][] => [
        ['ENDED', ended.link.id, 'TRADER-B', action],
        ['ENDED', ended.link.id, 'SHOP-A', action],
      ]).filter(([, , who, action]) => !(who === 'SHOP-A' && (action === 'acceptLink' || action === 'rejectLink'))),
    ];
    const ids = [...new Set(refusals.map(([, id]) => id))];
    const before = await Promise.all(ids.map((id) => snapshot(id)));
    // Refusals change nothing, so they may as well all arrive at once.
    const results = await Promise.all(refusals.map(([, id, who, action]) => act(who, action, id, 'nope')));
    refusals.forEach(([from, , who, action], i) => {
      expect(results[i], `${action} by ${who} from ${from}`).toMatchObject({
        __typename: 'InvalidTransition',
        errorCode: 'INVALID_TRANSITION',
        from,
        action: expect.stringMatching(new RegExp(action.replace('Link', ''), 'i')),
      });
    });
    for (const snap of before) await expectUnchanged(snap);
  });

  it('answers a third party acting on a link exactly like a random id, and changes nothing', async () => {
    const { link } = await freshProposal();
    const before = await snapshot(link.id);
    for (const action of ACTIONS) {
      const missing = await randomProbe('SHOP-D', actionQuery(action), { id: randomUUID() });
      expect(missing.data, action).toEqual({ [action]: { __typename: 'LinkNotFound', errorCode: 'LINK_NOT_FOUND', message: expect.any(String) } });
      expect(await randomProbe('SHOP-D', actionQuery(action), { id: link.id }), action).toEqual(missing);
    }
    const missingPrice = await randomProbe('SHOP-D', SET_PRICE, { input: { linkId: randomUUID(), amountMinor: 1, currency: 'EUR' } });
    expect(missingPrice.data).toEqual({ setSupplyPrice: { __typename: 'LinkNotFound', errorCode: 'LINK_NOT_FOUND', message: expect.any(String) } });
    expect(await randomProbe('SHOP-D', SET_PRICE, { input: { linkId: link.id, amountMinor: 1, currency: 'EUR' } })).toEqual(missingPrice);
    const missingShare = await randomProbe('SHOP-D', SET_SHARE, { input: { linkId: randomUUID(), kind: 'ALL' } });
    expect(missingShare.data).toEqual({ setShareRule: { __typename: 'LinkNotFound', errorCode: 'LINK_NOT_FOUND', message: expect.any(String) } });
    expect(await randomProbe('SHOP-D', SET_SHARE, { input: { linkId: link.id, kind: 'ALL' } })).toEqual(missingShare);
    expect(await read('SHOP-D', link.id)).toBeNull();
    await expectUnchanged(before);
  });

  it('allows a new proposal for the same pair once the old link is ended or rejected', async () => {
    const { down, up, link } = await freshActiveLink();
    await act('SHOP-A', 'endLink', link.id);
    const again = (await propose('down', down, up)) as Link;
    expect(again).toMatchObject({ __typename: 'ProductLink', status: 'PROPOSED' });
    expect(again.id).not.toBe(link.id);
    await act('TRADER-B', 'rejectLink', again.id);
    expect(await propose('up', down, up)).toMatchObject({ __typename: 'ProductLink', status: 'PROPOSED', proposedBy: { code: 'TRADER-B' } });
  });
});

describe('supply prices', () => {
  const PRICES_AT = `query($id: ID!, $t1: DateTime!, $t2: DateTime!, $t3: DateTime!, $t4: DateTime!, $t5: DateTime!, $t6: DateTime!) {
    productLink(id: $id) {
      currentSupplyPrice { ${PRICE} }
      supplyPrices(first: 100) { edges { node { ${PRICE} } } }
      a1: supplyPriceAt(time: $t1) { price { amountMinor } }
      a2: supplyPriceAt(time: $t2) { price { amountMinor } }
      a3: supplyPriceAt(time: $t3) { price { amountMinor } }
      a4: supplyPriceAt(time: $t4) { price { amountMinor } }
      a5: supplyPriceAt(time: $t5) { price { amountMinor } }
      a6: supplyPriceAt(time: $t6) { price { amountMinor } }
    } }`;
  const setPrice = (by: Code, input: Record<string, unknown>) => mutate(token(by), SET_PRICE, { input });

  it('keeps an effective-dated history: current, scheduled, and the price at any moment, to the millisecond', async () => {
    const { link } = await freshActiveLink();
    const hour = 3_600_000;
    const base = Math.ceil(Date.now() / 1000) * 1000;
    const t1 = new Date(base + hour).toISOString();
    const t2 = new Date(base + 2 * hour).toISOString();

    const now = (await setPrice('TRADER-B', { linkId: link.id, amountMinor: 100, currency: 'EUR' })) as Link;
    expect(now).toMatchObject({ __typename: 'ProductLink', currentSupplyPrice: { price: { amountMinor: '100', currency: 'EUR' } } });
    const e0 = now.currentSupplyPrice!.effectiveFrom;
    expect(Math.abs(Date.parse(e0) - Date.now())).toBeLessThan(60_000);
    // Scheduled out of order on purpose.
    expect(await setPrice('TRADER-B', { linkId: link.id, amountMinor: 300, currency: 'EUR', effectiveFrom: t2 })).toMatchObject({ __typename: 'ProductLink' });
    const scheduled = (await setPrice('TRADER-B', { linkId: link.id, amountMinor: 200, currency: 'EUR', effectiveFrom: t1 })) as Link;
    expect(scheduled.currentSupplyPrice?.price.amountMinor).toBe('100');

    const ms = (iso: string, delta: number) => new Date(Date.parse(iso) + delta).toISOString();
    const variables = {
      id: link.id,
      t1: ms(e0, -86_400_000),
      t2: ms(t1, -1),
      t3: t1,
      t4: ms(t2, -1),
      t5: t2,
      t6: ms(t2, 10 * 365 * 86_400_000),
    };
    const expected = {
      currentSupplyPrice: { price: { amountMinor: '100', currency: 'EUR' }, effectiveFrom: e0, setAt: expect.any(String) },
      supplyPrices: {
        edges: [
          { price: { amountMinor: '300', currency: 'EUR' }, effectiveFrom: t2, setAt: expect.any(String) },
          { price: { amountMinor: '200', currency: 'EUR' }, effectiveFrom: t1, setAt: expect.any(String) },
          { price: { amountMinor: '100', currency: 'EUR' }, effectiveFrom: e0, setAt: expect.any(String) },
        ].map((node) => ({ node })),
      },
      a1: null,
      a2: { price: { amountMinor: '100' } },
      a3: { price: { amountMinor: '200' } },
      a4: { price: { amountMinor: '200' } },
      a5: { price: { amountMinor: '300' } },
      a6: { price: { amountMinor: '300' } },
    };
    // The downstream party sees current and scheduled prices exactly as the upstream party does.
    for (const party of ['TRADER-B', 'SHOP-A'] as const) {
      const response = await api.query<{ productLink: unknown }>(token(party), PRICES_AT, variables);
      expect(response.errors, party).toBeUndefined();
      expect(response.data!.productLink, party).toEqual(expected);
    }
    expect(await eventsOf(link.id)).toEqual(
      ['link.proposed', 'link.accepted', 'price.set', 'price.set', 'price.set'].map((topic) => ({ topic, audience: both('SHOP-A', 'TRADER-B') })),
    );
  });

  it('puts a price in force exactly at the effectiveFrom it reports, not a millisecond before', async () => {
    const { link } = await freshActiveLink();
    const set = (await setPrice('TRADER-B', { linkId: link.id, amountMinor: 990, currency: 'USD' })) as Link;
    const from = set.currentSupplyPrice!.effectiveFrom;
    const response = await api.query<{ productLink: Record<string, unknown> }>(
      token('SHOP-A'),
      `query($id: ID!, $at: DateTime!, $before: DateTime!) { productLink(id: $id) {
        at: supplyPriceAt(time: $at) { price { amountMinor currency } effectiveFrom }
        before: supplyPriceAt(time: $before) { price { amountMinor } } } }`,
      { id: link.id, at: from, before: new Date(Date.parse(from) - 1).toISOString() },
    );
    expect(response.data!.productLink).toEqual({ at: { price: { amountMinor: '990', currency: 'USD' }, effectiveFrom: from }, before: null });
  });

  it('refuses a negative amount, a malformed currency and an effectiveFrom in the past, and changes nothing', async () => {
    const { link } = await freshActiveLink();
    await setPrice('TRADER-B', { linkId: link.id, amountMinor: 500, currency: 'EUR' });
    const before = await snapshot(link.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ amountMinor: -1, currency: 'EUR' }, 'amountMinor'],
      [{ amountMinor: 100, currency: 'EURO' }, 'currency'],
      [{ amountMinor: 100, currency: '12X' }, 'currency'],
      [{ amountMinor: 100, currency: '' }, 'currency'],
      [{ amountMinor: 100, currency: 'EUR', effectiveFrom: new Date(Date.now() - 3_600_000).toISOString() }, 'effectiveFrom'],
      [{ amountMinor: 100, currency: 'EUR', effectiveFrom: '2020-01-01T00:00:00.000Z' }, 'effectiveFrom'],
    ];
    for (const [input, field] of cases) {
      expect(await setPrice('TRADER-B', { linkId: link.id, ...input }), JSON.stringify(input)).toMatchObject({
        __typename: 'InvalidInput',
        errorCode: 'INVALID_INPUT',
        field,
      });
    }
    await expectUnchanged(before);
  });

  it('refuses an effectiveFrom even half a minute in the past: it would rewrite the price of a moment already gone', async () => {
    const { link } = await freshActiveLink();
    const set = (await setPrice('TRADER-B', { linkId: link.id, amountMinor: 500, currency: 'EUR' })) as Link;
    const before = await snapshot(link.id);
    const backdated = new Date(Date.parse(set.currentSupplyPrice!.effectiveFrom) - 30_000).toISOString();
    expect(await setPrice('TRADER-B', { linkId: link.id, amountMinor: 1, currency: 'EUR', effectiveFrom: backdated })).toMatchObject({
      __typename: 'InvalidInput',
      errorCode: 'INVALID_INPUT',
      field: 'effectiveFrom',
    });
    await expectUnchanged(before);
  });

  it('cannot be set on an ended link, nor can the share rule', async () => {
    const { link } = await freshActiveLink();
    await act('SHOP-A', 'endLink', link.id);
    const before = await snapshot(link.id);
    expect(await setPrice('TRADER-B', { linkId: link.id, amountMinor: 1, currency: 'EUR' })).toMatchObject({
      __typename: 'InvalidTransition',
      from: 'ENDED',
    });
    expect(await mutate(token('TRADER-B'), SET_SHARE, { input: { linkId: link.id, kind: 'NONE' } })).toMatchObject({
      __typename: 'InvalidTransition',
      from: 'ENDED',
    });
    await expectUnchanged(before);
  });

  it('accepts a price of zero', async () => {
    const { link } = await freshActiveLink();
    expect(await setPrice('TRADER-B', { linkId: link.id, amountMinor: 0, currency: 'EUR' })).toMatchObject({
      __typename: 'ProductLink',
      currentSupplyPrice: { price: { amountMinor: '0', currency: 'EUR' } },
    });
  });

  it('is set by the upstream party only: the downstream party gets NotPermittedForSide and nothing changes', async () => {
    const { link } = await freshActiveLink();
    await setPrice('TRADER-B', { linkId: link.id, amountMinor: 500, currency: 'EUR' });
    const before = await snapshot(link.id);
    expect(await setPrice('SHOP-A', { linkId: link.id, amountMinor: 1, currency: 'EUR' })).toMatchObject({
      __typename: 'NotPermittedForSide',
      errorCode: 'NOT_PERMITTED_FOR_SIDE',
    });
    await expectUnchanged(before);
  });

  it('is also set by the upstream party when it proposed as upstream', async () => {
    const down = await newProduct('SHOP-A');
    const up = await newProduct('TRADER-B');
    const proposed = (await propose('up', down, up)) as Link;
    await act('SHOP-A', 'acceptLink', proposed.id);
    expect(await setPrice('SHOP-A', { linkId: proposed.id, amountMinor: 1, currency: 'EUR' })).toMatchObject({ __typename: 'NotPermittedForSide' });
    expect(await setPrice('TRADER-B', { linkId: proposed.id, amountMinor: 1, currency: 'EUR' })).toMatchObject({ __typename: 'ProductLink' });
  });
});

describe('share rules', () => {
  const setShare = (by: Code, input: Record<string, unknown>) => mutate(token(by), SET_SHARE, { input });

  it('accepts every kind with its value and a safety buffer, each with an event for both parties', async () => {
    const { link } = await freshActiveLink();
    const cases: [Record<string, unknown>, Link['shareRule']][] = [
      [{ kind: 'NONE' }, { kind: 'NONE', value: null, safetyBuffer: 0 }],
      [{ kind: 'ALL', safetyBuffer: 3 }, { kind: 'ALL', value: null, safetyBuffer: 3 }],
      [{ kind: 'PERCENT', value: 0 }, { kind: 'PERCENT', value: 0, safetyBuffer: 0 }],
      [{ kind: 'PERCENT', value: 100, safetyBuffer: 1 }, { kind: 'PERCENT', value: 100, safetyBuffer: 1 }],
      [{ kind: 'FIXED', value: 0 }, { kind: 'FIXED', value: 0, safetyBuffer: 0 }],
      [{ kind: 'FIXED', value: 25, safetyBuffer: 5 }, { kind: 'FIXED', value: 25, safetyBuffer: 5 }],
    ];
    for (const [input, shareRule] of cases) {
      expect(await setShare('TRADER-B', { linkId: link.id, ...input }), JSON.stringify(input)).toMatchObject({ __typename: 'ProductLink', shareRule });
    }
    expect(await read('SHOP-A', link.id)).toMatchObject({ shareRule: { kind: 'FIXED', value: 25, safetyBuffer: 5 } });
    const events = await eventsOf(link.id);
    expect(events.filter((e) => e.topic === 'link.share_rule_set')).toEqual(
      cases.map(() => ({ topic: 'link.share_rule_set', audience: both('SHOP-A', 'TRADER-B') })),
    );
  });

  it('refuses out-of-range values and buffers with InvalidInput, and changes nothing', async () => {
    const { link } = await freshActiveLink();
    await setShare('TRADER-B', { linkId: link.id, kind: 'PERCENT', value: 40, safetyBuffer: 2 });
    const before = await snapshot(link.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'PERCENT', value: 101 }, 'value'],
      [{ kind: 'PERCENT', value: -1 }, 'value'],
      [{ kind: 'PERCENT' }, 'value'],
      [{ kind: 'FIXED', value: -1 }, 'value'],
      [{ kind: 'FIXED' }, 'value'],
      [{ kind: 'ALL', safetyBuffer: -1 }, 'safetyBuffer'],
      [{ kind: 'FIXED', value: 3, safetyBuffer: -5 }, 'safetyBuffer'],
    ];
    for (const [input, field] of cases) {
      expect(await setShare('TRADER-B', { linkId: link.id, ...input }), JSON.stringify(input)).toMatchObject({
        __typename: 'InvalidInput',
        errorCode: 'INVALID_INPUT',
        field,
      });
    }
    await expectUnchanged(before);
  });

  it('is set by the upstream party only', async () => {
    const { link } = await freshActiveLink();
    const before = await snapshot(link.id);
    expect(await setShare('SHOP-A', { linkId: link.id, kind: 'ALL' })).toMatchObject({ __typename: 'NotPermittedForSide', errorCode: 'NOT_PERMITTED_FOR_SIDE' });
    await expectUnchanged(before);
  });
});

describe('uniqueness', () => {
  it('refuses a second live link for the same product pair from either side with DuplicateLink', async () => {
    const { down, up, link } = await freshProposal();
    const expectDuplicate = async (state: string) => {
      for (const by of ['down', 'up'] as const) {
        expect(await propose(by, down, up), `${state} ${by}`).toMatchObject({
          __typename: 'DuplicateLink',
          errorCode: 'DUPLICATE_LINK',
          existingLinkId: link.id,
        });
      }
    };
    await expectDuplicate('PROPOSED');
    await act('TRADER-B', 'acceptLink', link.id);
    await expectDuplicate('ACTIVE');
    await act('TRADER-B', 'suspendLink', link.id);
    await expectDuplicate('SUSPENDED');
    const listed = await api.query<{ productLinks: { edges: { node: { id: string } }[] } }>(
      token('SHOP-A'),
      `query($id: ID!) { productLinks(filter: { productId: $id }) { edges { node { id } } } }`,
      { id: down.id },
    );
    expect(listed.data!.productLinks.edges.map((e) => e.node.id)).toEqual([link.id]);
  });

  it('refuses to accept a second upstream link for a product that has an ACTIVE one with AlreadyLinkedUpstream', async () => {
    const down = await newProduct('SHOP-A');
    const fromB = await newProduct('TRADER-B');
    const fromC = await newProduct('SUPPLIER-C');
    const first = (await propose('down', down, fromB)) as Link;
    const second = (await propose('down', down, fromC)) as Link;
    expect(second.__typename).toBe('ProductLink');
    await act('TRADER-B', 'acceptLink', first.id);
    const before = await snapshot(second.id);
    // SUPPLIER-C is no party of the active link: it learns that one exists, not which.
    expect(await act('SUPPLIER-C', 'acceptLink', second.id)).toEqual({
      __typename: 'AlreadyLinkedUpstream',
      errorCode: 'ALREADY_LINKED_UPSTREAM',
      message: expect.any(String),
      activeLinkId: null,
    });
    await expectUnchanged(before);
    // The downstream party accepting an upstream proposal is told which link is in the way.
    const fromC2 = await newProduct('SUPPLIER-C');
    const offered = (await propose('up', down, fromC2)) as Link;
    expect(await act('SHOP-A', 'acceptLink', offered.id)).toMatchObject({
      __typename: 'AlreadyLinkedUpstream',
      errorCode: 'ALREADY_LINKED_UPSTREAM',
      activeLinkId: first.id,
    });
    // Once the first link is ended, the other supplier may take over.
    await act('SHOP-A', 'endLink', first.id);
    expect(await act('SUPPLIER-C', 'acceptLink', second.id)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  });

  it('refuses to resume a suspended link while the product has another ACTIVE upstream link', async () => {
    const down = await newProduct('SHOP-A');
    const fromB = await newProduct('TRADER-B');
    const fromC = await newProduct('SUPPLIER-C');
    const first = (await proposeAndAccept(down, fromB)) as Link;
    expect(first.status).toBe('ACTIVE');
    await act('SHOP-A', 'suspendLink', first.id);
    const second = (await proposeAndAccept(down, fromC)) as Link;
    expect(second).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
    expect(await act('SHOP-A', 'resumeLink', first.id)).toMatchObject({
      __typename: 'AlreadyLinkedUpstream',
      errorCode: 'ALREADY_LINKED_UPSTREAM',
      activeLinkId: second.id,
    });
    expect(await read('SHOP-A', first.id)).toMatchObject({ status: 'SUSPENDED' });
  });

  it('lets many downstream products share one upstream product', async () => {
    const up = await newProduct('TRADER-B');
    const one = await proposeAndAccept(await newProduct('SHOP-A'), up);
    const two = await proposeAndAccept(await newProduct('SHOP-A'), up);
    const three = await proposeAndAccept(await newProduct('SUPPLIER-C'), up);
    for (const result of [one, two, three]) expect(result).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  });
});

describe('cycles', () => {
  const activeDownstreamLinks = async (as: Code, productId: string) => {
    const response = await api.query<{ productLinks: { edges: { node: { id: string } }[] } }>(
      token(as),
      `query($id: ID!) { productLinks(filter: { productId: $id, side: DOWNSTREAM, status: [ACTIVE] }) { edges { node { id } } } }`,
      { id: productId },
    );
    return response.data!.productLinks.edges.map((e) => e.node.id);
  };

  it('refuses A → B → A on the same products with LinkCycle', async () => {
    const a = await newProduct('SHOP-A');
    const b = await newProduct('TRADER-B');
    expect(await proposeAndAccept(a, b)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
    expect(await proposeAndAccept(b, a)).toMatchObject({ __typename: 'LinkCycle', errorCode: 'LINK_CYCLE', message: expect.any(String) });
    expect(await activeDownstreamLinks('TRADER-B', b.id)).toEqual([]);
  });

  it('refuses a cycle over three hops with LinkCycle', async () => {
    const a = await newProduct('SHOP-A');
    const b = await newProduct('TRADER-B');
    const c = await newProduct('SUPPLIER-C');
    expect(await proposeAndAccept(a, b)).toMatchObject({ status: 'ACTIVE' });
    expect(await proposeAndAccept(b, c)).toMatchObject({ status: 'ACTIVE' });
    expect(await proposeAndAccept(c, a)).toMatchObject({ __typename: 'LinkCycle', errorCode: 'LINK_CYCLE' });
    expect(await activeDownstreamLinks('SUPPLIER-C', c.id)).toEqual([]);
  });

  it('refuses a cycle that closes through a suspended link', async () => {
    const a = await newProduct('SHOP-A');
    const b = await newProduct('TRADER-B');
    const ab = (await proposeAndAccept(a, b)) as Link;
    await act('SHOP-A', 'suspendLink', ab.id);
    expect(await proposeAndAccept(b, a)).toMatchObject({ __typename: 'LinkCycle' });
  });

  it('allows loops between partners on different products, and chains that do not close', async () => {
    const a1 = await newProduct('SHOP-A');
    const a2 = await newProduct('SHOP-A');
    const b1 = await newProduct('TRADER-B');
    const b2 = await newProduct('TRADER-B');
    const c1 = await newProduct('SUPPLIER-C');
    // SHOP-A buys a1 from TRADER-B's b1, TRADER-B buys b2 from SHOP-A's a2: a partner loop, no product loop.
    expect(await proposeAndAccept(a1, b1)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
    expect(await proposeAndAccept(b2, a2)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
    // c1 → a1 → b1 extends the chain downstream; b1 → … nothing closes.
    expect(await proposeAndAccept(c1, a1)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  });

  it('an ended link no longer counts towards a cycle', async () => {
    const a = await newProduct('SHOP-A');
    const b = await newProduct('TRADER-B');
    const ab = (await proposeAndAccept(a, b)) as Link;
    await act('TRADER-B', 'endLink', ab.id);
    expect(await proposeAndAccept(b, a)).toMatchObject({ __typename: 'ProductLink', status: 'ACTIVE' });
  });
});

describe('races', () => {
  const ROUNDS = 2;

  it('concurrent accepts of one proposal: exactly one succeeds, one link.accepted event', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { link } = await freshProposal();
      const results = await Promise.all(Array.from({ length: 4 }, () => act('TRADER-B', 'acceptLink', link.id)));
      const winners = results.filter((r) => r.__typename === 'ProductLink');
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => r.__typename !== 'ProductLink')) {
        expect(loser).toMatchObject({ __typename: 'InvalidTransition', errorCode: 'INVALID_TRANSITION', from: 'ACTIVE' });
      }
      expect(await topicsOf(link.id)).toEqual(['link.proposed', 'link.accepted']);
    }
  });

  it('racing proposals for the same pair from the same side end in exactly one link', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const down = await newProduct('SHOP-A');
      const up = await newProduct('TRADER-B');
      const results = await Promise.all([propose('down', down, up), propose('down', down, up), propose('down', down, up)]);
      const winners = results.filter((r) => r.__typename === 'ProductLink') as Link[];
      expect(winners).toHaveLength(1);
      for (const loser of results.filter((r) => r.__typename !== 'ProductLink')) {
        expect(loser).toMatchObject({ __typename: 'DuplicateLink', existingLinkId: winners[0]!.id });
      }
      await expectOneLinkFor(down.id, winners[0]!.id);
    }
  });

  it('racing proposals for the same pair from both sides end in exactly one link', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const down = await newProduct('SHOP-A');
      const up = await newProduct('TRADER-B');
      const results = await Promise.all([propose('down', down, up), propose('up', down, up)]);
      const winners = results.filter((r) => r.__typename === 'ProductLink') as Link[];
      expect(winners).toHaveLength(1);
      expect(results.find((r) => r.__typename !== 'ProductLink')).toMatchObject({ __typename: 'DuplicateLink', existingLinkId: winners[0]!.id });
      await expectOneLinkFor(down.id, winners[0]!.id);
    }
  });

  it('racing accepts of two proposals for one downstream product: exactly one becomes ACTIVE', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const down = await newProduct('SHOP-A');
      const fromB = (await propose('down', down, await newProduct('TRADER-B'))) as Link;
      const fromC = (await propose('down', down, await newProduct('SUPPLIER-C'))) as Link;
      const results = await Promise.all([act('TRADER-B', 'acceptLink', fromB.id), act('SUPPLIER-C', 'acceptLink', fromC.id)]);
      const winners = results.filter((r) => r.__typename === 'ProductLink') as Link[];
      expect(winners).toHaveLength(1);
      // The losing supplier is no party of the winning link, so it is not named.
      expect(results.find((r) => r.__typename !== 'ProductLink')).toMatchObject({
        __typename: 'AlreadyLinkedUpstream',
        errorCode: 'ALREADY_LINKED_UPSTREAM',
        activeLinkId: null,
      });
      const active = await api.query<{ productLinks: { edges: { node: { id: string } }[] } }>(
        token('SHOP-A'),
        `query($id: ID!) { productLinks(filter: { productId: $id, status: [ACTIVE] }) { edges { node { id } } } }`,
        { id: down.id },
      );
      expect(active.data!.productLinks.edges.map((e) => e.node.id)).toEqual([winners[0]!.id]);
    }
  });

  it('racing accepts that would together close a cycle: at most one becomes ACTIVE', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const a = await newProduct('SHOP-A');
      const b = await newProduct('TRADER-B');
      const c = await newProduct('SUPPLIER-C');
      expect(await proposeAndAccept(a, b)).toMatchObject({ status: 'ACTIVE' });
      const bc = await propose('down', b, c);
      const ca = await propose('down', c, a);
      if (bc.__typename !== 'ProductLink' || ca.__typename !== 'ProductLink') {
        // Cycles are refused already at proposal time: nothing left to race.
        expect([bc.__typename, ca.__typename]).toContain('LinkCycle');
        continue;
      }
      const results = await Promise.all([act('SUPPLIER-C', 'acceptLink', bc['id'] as string), act('SHOP-A', 'acceptLink', ca['id'] as string)]);
      expect(results.filter((r) => r.__typename === 'ProductLink')).toHaveLength(1);
      expect(results.find((r) => r.__typename !== 'ProductLink')).toMatchObject({ __typename: 'LinkCycle' });
    }
  });

  it('racing resume of a suspended link and accept of another for the same downstream product: exactly one becomes ACTIVE', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const down = await newProduct('SHOP-A');
      const first = (await proposeAndAccept(down, await newProduct('TRADER-B'))) as Link;
      await act('SHOP-A', 'suspendLink', first.id);
      const second = (await propose('down', down, await newProduct('SUPPLIER-C'))) as Link;
      const results = await Promise.all([act('SHOP-A', 'resumeLink', first.id), act('SUPPLIER-C', 'acceptLink', second.id)]);
      expect(results.filter((r) => r.__typename === 'ProductLink')).toHaveLength(1);
      expect(results.find((r) => r.__typename !== 'ProductLink')).toMatchObject({ __typename: 'AlreadyLinkedUpstream' });
      expect(await linkIdsOfProduct('SHOP-A', down.id, { status: ['ACTIVE'] })).toHaveLength(1);
    }
  });

  async function expectOneLinkFor(productId: string, linkId: string) {
    const listed = await api.query<{ productLinks: { edges: { node: { id: string } }[] } }>(
      token('TRADER-B'),
      `query($id: ID!) { productLinks(filter: { productId: $id }) { edges { node { id } } } }`,
      { id: productId },
    );
    expect(listed.data!.productLinks.edges.map((e) => e.node.id)).toEqual([linkId]);
  }
});

describe('relationships', () => {
  const relationshipWith = async (as: Code, direction: 'UPSTREAM' | 'DOWNSTREAM', other: Code) =>
    (
      await everyNode<{ partner: { code: string } }>(api, token(as), 'relationships', 'partner { id code name kinds } direction activeLinks suspendedLinks', `direction: ${direction}`)
    ).filter((r) => r.partner.code === other);
  const entry = (code: Code, name: string, direction: string, activeLinks: number, suspendedLinks: number) => [
    { partner: { id: demoPartnerId(code), code, name, kinds: null }, direction, activeLinks, suspendedLinks },
  ];

  it('counts a partner while at least one link is ACTIVE or SUSPENDED, per direction and side', async () => {
    // SHOP-D buys from SUPPLIER-C; no other test links these two.
    const rel = {
      dUp: () => relationshipWith('SHOP-D', 'UPSTREAM', 'SUPPLIER-C'),
      dDown: () => relationshipWith('SHOP-D', 'DOWNSTREAM', 'SUPPLIER-C'),
      cDown: () => relationshipWith('SUPPLIER-C', 'DOWNSTREAM', 'SHOP-D'),
      cUp: () => relationshipWith('SUPPLIER-C', 'UPSTREAM', 'SHOP-D'),
    };
    const d1 = await newProduct('SHOP-D');
    const d2 = await newProduct('SHOP-D');
    const c1 = await newProduct('SUPPLIER-C');
    const c2 = await newProduct('SUPPLIER-C');

    const first = (await propose('down', d1, c1)) as Link;
    expect(await rel.dUp()).toEqual([]);
    expect(await rel.cDown()).toEqual([]);

    await act('SUPPLIER-C', 'acceptLink', first.id);
    expect(await rel.dUp()).toEqual(entry('SUPPLIER-C', 'Supplier C Manufacturing', 'UPSTREAM', 1, 0));
    expect(await rel.cDown()).toEqual(entry('SHOP-D', 'Shop D Boutique', 'DOWNSTREAM', 1, 0));
    expect(await rel.dDown()).toEqual([]);
    expect(await rel.cUp()).toEqual([]);

    const second = (await proposeAndAccept(d2, c2)) as Link;
    await act('SHOP-D', 'suspendLink', second.id);
    expect(await rel.dUp()).toEqual(entry('SUPPLIER-C', 'Supplier C Manufacturing', 'UPSTREAM', 1, 1));
    expect(await rel.cDown()).toEqual(entry('SHOP-D', 'Shop D Boutique', 'DOWNSTREAM', 1, 1));

    await act('SHOP-D', 'endLink', first.id);
    expect(await rel.dUp()).toEqual(entry('SUPPLIER-C', 'Supplier C Manufacturing', 'UPSTREAM', 0, 1));

    await act('SUPPLIER-C', 'endLink', second.id);
    expect(await rel.dUp()).toEqual([]);
    expect(await rel.cDown()).toEqual([]);
  });
});

describe('roles', () => {
  it('refuses every link mutation to a viewer with FORBIDDEN, and the link stays as it was', async () => {
    const { down, up, link } = await freshActiveLink();
    const before = await snapshot(link.id);
    const viewers = { 'SHOP-A': await api.tokenFor('SHOP-A', ['viewer']), 'TRADER-B': await api.tokenFor('TRADER-B', ['viewer']) };
    const attempts: [string, string, Record<string, unknown>][] = [
      ...ACTIONS.map((action): [string, string, Record<string, unknown>] => [viewers['TRADER-B'], actionQuery(action), { id: link.id }]),
      ...ACTIONS.map((action): [string, string, Record<string, unknown>] => [viewers['SHOP-A'], actionQuery(action), { id: link.id }]),
      [viewers['TRADER-B'], SET_PRICE, { input: { linkId: link.id, amountMinor: 1, currency: 'EUR' } }],
      [viewers['TRADER-B'], SET_SHARE, { input: { linkId: link.id, kind: 'ALL' } }],
      [viewers['SHOP-A'], PROPOSE, { input: { myProductId: down.id, mySide: 'DOWNSTREAM', counterpart: { productId: up.id } } }],
    ];
    for (const [as, query, variables] of attempts) {
      const response = await api.query(as, query, variables);
      expect(response.errors?.[0]?.extensions?.['code'], query).toBe('FORBIDDEN');
      expect(response.data ?? null).toBeNull();
    }
    await expectUnchanged(before);
    // Reading is fine for a viewer.
    const viewed = await api.query<{ productLink: { id: string } }>(viewers['SHOP-A'], READ, { id: link.id });
    expect(viewed.data?.productLink.id).toBe(link.id);
  });

  it('lets finance set supply prices but not propose links or set share rules', async () => {
    const { down, up, link } = await freshActiveLink();
    const finance = async (code: Code) => api.tokenFor(code, ['finance'] satisfies Role[]);
    const price = await api.query<{ setSupplyPrice: Result }>(await finance('TRADER-B'), SET_PRICE, {
      input: { linkId: link.id, amountMinor: 42, currency: 'EUR' },
    });
    expect(price.data?.setSupplyPrice).toMatchObject({ __typename: 'ProductLink', currentSupplyPrice: { price: { amountMinor: '42' } } });
    const share = await api.query(await finance('TRADER-B'), SET_SHARE, { input: { linkId: link.id, kind: 'ALL' } });
    expect(share.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const proposal = await api.query(await finance('SHOP-A'), PROPOSE, {
      input: { myProductId: down.id, mySide: 'DOWNSTREAM', counterpart: { productId: up.id } },
    });
    expect(proposal.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('lets sales run the whole life cycle', async () => {
    const sales = { 'SHOP-A': await api.tokenFor('SHOP-A', ['sales']), 'TRADER-B': await api.tokenFor('TRADER-B', ['sales']) };
    const down = await newProduct('SHOP-A');
    const up = await newProduct('TRADER-B');
    const proposed = await api.query<{ proposeLink: Link }>(sales['SHOP-A'], PROPOSE, {
      input: { myProductId: down.id, mySide: 'DOWNSTREAM', counterpart: { partnerCode: 'TRADER-B', skuCode: up.skuCode } },
    });
    const id = proposed.data!.proposeLink.id;
    const accepted = await api.query<{ acceptLink: Link }>(sales['TRADER-B'], actionQuery('acceptLink'), { id });
    expect(accepted.data?.acceptLink).toMatchObject({ status: 'ACTIVE' });
    const ended = await api.query<{ endLink: Link }>(sales['SHOP-A'], actionQuery('endLink'), { id });
    expect(ended.data?.endLink).toMatchObject({ status: 'ENDED' });
  });
});

describe('lists', () => {
  it('productLinks filters by status, side and product, newest first; Product.links filters by status', async () => {
    const down = await newProduct('TRADER-B');
    const upC = await newProduct('SUPPLIER-C');
    const upC2 = await newProduct('SUPPLIER-C');
    const shop = await newProduct('SHOP-A');
    const ended = (await proposeAndAccept(down, upC)) as Link;
    await act('TRADER-B', 'endLink', ended.id);
    const active = (await proposeAndAccept(down, upC2)) as Link;
    const downstreamOfIt = (await propose('down', shop, down)) as Link;

    const LIST = `query($filter: ProductLinkFilter) { productLinks(filter: $filter, first: 50) { edges { node { id status mySide } } } }`;
    const list = async (filter: Record<string, unknown>) => {
      const response = await api.query<{ productLinks: { edges: { node: { id: string; status: string; mySide: string } }[] } }>(token('TRADER-B'), LIST, { filter });
      expect(response.errors).toBeUndefined();
      return response.data!.productLinks.edges.map((e) => e.node);
    };
    expect(await list({ productId: down.id })).toEqual([
      { id: downstreamOfIt.id, status: 'PROPOSED', mySide: 'UPSTREAM' },
      { id: active.id, status: 'ACTIVE', mySide: 'DOWNSTREAM' },
      { id: ended.id, status: 'ENDED', mySide: 'DOWNSTREAM' },
    ]);
    expect((await list({ productId: down.id, side: 'DOWNSTREAM' })).map((l) => l.id)).toEqual([active.id, ended.id]);
    expect((await list({ productId: down.id, side: 'UPSTREAM' })).map((l) => l.id)).toEqual([downstreamOfIt.id]);
    expect((await list({ productId: down.id, status: ['ACTIVE', 'PROPOSED'] })).map((l) => l.id)).toEqual([downstreamOfIt.id, active.id]);
    expect(await list({ productId: down.id, status: ['SUSPENDED'] })).toEqual([]);

    type Ids = { edges: { node: { id: string } }[] };
    const links = await api.query<{ product: { links: Ids; ended: Ids } }>(
      token('TRADER-B'),
      `query($id: ID!) { product(id: $id) { links(first: 100) { edges { node { id } } } ended: links(status: [ENDED]) { edges { node { id } } } } }`,
      { id: down.id },
    );
    expect(new Set(links.data!.product.links.edges.map((e) => e.node.id))).toEqual(new Set([downstreamOfIt.id, active.id, ended.id]));
    expect(links.data!.product.ended.edges).toEqual([{ node: { id: ended.id } }]);
  });

  it('pages through productLinks with opaque cursors, each link once', async () => {
    const up = await newProduct('SUPPLIER-C');
    const made: string[] = [];
    for (let i = 0; i < 5; i += 1) made.push(((await propose('up', await newProduct('TRADER-B'), up)) as Link).id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const response: { data?: { productLinks: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } =
        await api.query(token('SUPPLIER-C'), `query($after: String, $id: ID!) { productLinks(first: 2, after: $after, filter: { productId: $id }) {
          edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after, id: up.id });
      const connection = response.data!.productLinks;
      seen.push(...connection.edges.map((e) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual([...made].reverse());
    for (const args of ['first: 0', 'first: 101', 'after: "bm9wZQ"']) {
      const response = await api.query(token('SUPPLIER-C'), `{ productLinks(${args}) { edges { cursor } } }`);
      expect(response.errors?.[0]?.extensions?.['code'], args).toBe('BAD_USER_INPUT');
    }
  });

  it("pages through a partner's links on both sides at once, newest first, each once, as the sides interleave in time", async () => {
    // TRADER-B is downstream of SUPPLIER-C and upstream of SHOP-A: links on its two sides, alternating.
    const made: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const link = i % 2 === 0
        ? await propose('down', await newProduct('TRADER-B'), await newProduct('SUPPLIER-C'))
        : await propose('down', await newProduct('SHOP-A'), await newProduct('TRADER-B'));
      made.push((link as Link).id);
    }
    const traderB = demoPartnerId('TRADER-B');
    const expected = (await admin`select id from catalog.product_links where ${traderB} in (downstream_partner_id, upstream_partner_id) order by created_at desc, id desc`).map((row) => row['id'] as string);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page += 1) {
      const response: { data?: { productLinks: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null } =
        await api.query(token('TRADER-B'), `query($after: String) { productLinks(first: 3, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      const connection = response.data!.productLinks;
      seen.push(...connection.edges.map((e) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    expect(seen.slice(0, 6)).toEqual([...made].reverse());
  });
});
