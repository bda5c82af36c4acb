import { createHash, randomBytes } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { invitations, memberships, products, users } from '@redthread/schema';
import { appendEvent, isUuid, keysetPage, type Connection, type Identity, type PageArgs, type Role, type Tx } from '@redthread/kit';
import type { InvitationStatus, InvitePartnerInput, InviteUserInput, LinkSide, ResolversParentTypes, ResultOf } from '../generated/resolvers';
import { invalidInput, isFailure, productNotFound, type Failure } from '../errors';
import { normaliseEmail } from '../access/passwords';
import { checkRoles, knownRoles } from './roles';

/** The SDL's input and enum types, generated (`npm run codegen`). */
export type { InvitationStatus, InvitePartnerInput, InviteUserInput };

export type InvitationRow = typeof invitations.$inferSelect;

/** The link proposal of a PARTNER invitation, as `InvitationLinkProposal` resolves it. */
export interface InvitationLinkProposalRow {
  /** The issuer's product. */
  productId: string;
  /** The issuer's side of the link. */
  side: LinkSide;
}

/**
 * The link proposal an invitation carries, or null when it carries none. `invitePartner` stores
 * the product and the side together, and a check constraint keeps the side DOWNSTREAM or UPSTREAM:
 * a product without a valid side is a broken invariant.
 */
export function linkProposalOf(invitation: InvitationRow): InvitationLinkProposalRow | null {
  const { proposalProductId: productId, proposalSide: side } = invitation;
  if (!productId) return null;
  if (side !== 'DOWNSTREAM' && side !== 'UPSTREAM') throw new Error(`invariant: invitation ${invitation.id} proposes a link without a side`);
  return { productId, side };
}

/** A person with access to the caller's partner. */
export interface MemberRow {
  userId: string;
  email: string;
  displayName: string;
  roles: Role[];
  since: Date;
}

/** An invitation's secret is shown once; it is stored as this SHA-256 hash. */
export function hashInvitationSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Where an invitation stands now. */
export function invitationStatus(invitation: InvitationRow, now = new Date()): InvitationStatus {
  if (invitation.revokedAt) return 'REVOKED';
  if (invitation.redeemedAt) return 'REDEEMED';
  return invitation.expiresAt <= now ? 'EXPIRED' : 'PENDING';
}

const HOUR_MS = 60 * 60 * 1000;
const DEFAULT_INVITATION_HOURS = 7 * 24;
const MAX_INVITATION_HOURS = 30 * 24;

/** A new invitation and its secret (`CreatedInvitation`). */
type Created = ResolversParentTypes['CreatedInvitation'];

/** What both kinds of invitation input have. */
type InvitationBase = Pick<InvitePartnerInput & InviteUserInput, 'email' | 'expiresInHours'>;

function checkBase(input: InvitationBase): { email: string; expiresAt: Date } | Failure<'InvalidInput'> {
  const email = normaliseEmail(input.email);
  if (!email) return invalidInput('email', 'Give the email address of the person to invite, e.g. buyer@example.com.');
  const hours = input.expiresInHours ?? DEFAULT_INVITATION_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_INVITATION_HOURS) {
    return invalidInput('expiresInHours', `An invitation lasts 1–${MAX_INVITATION_HOURS} hours; default ${DEFAULT_INVITATION_HOURS}.`);
  }
  return { email, expiresAt: new Date(Date.now() + hours * HOUR_MS) };
}

async function issue(tx: Tx, identity: Identity, values: Omit<typeof invitations.$inferInsert, 'tokenHash' | 'createdBy' | 'issuerPartnerId'>): Promise<Created> {
  const secret = `rti_${randomBytes(32).toString('base64url')}`;
  const [invitation] = await tx
    .insert(invitations)
    .values({ ...values, issuerPartnerId: identity.partnerId, tokenHash: hashInvitationSecret(secret), createdBy: identity.subject })
    .returning();
  await appendEvent(tx, {
    topic: 'access.invitation_created',
    entityType: 'Invitation',
    entityId: invitation!.id,
    audience: [identity.partnerId],
    payload: { kind: invitation!.kind, email: invitation!.email, by: identity.subject },
  });
  return { __typename: 'CreatedInvitation', invitation: invitation!, secret };
}

/**
 * Invites a company to register as a partner, optionally with a link proposal attached: one of
 * the caller's active products and the caller's side. The secret is returned once.
 */
export async function invitePartner(tx: Tx, identity: Identity, input: InvitePartnerInput): Promise<ResultOf<'CreateInvitationResult'>> {
  const base = checkBase(input);
  if (isFailure(base)) return base;
  const companyName = input.companyName.trim();
  if (!companyName || companyName.length > 200) return invalidInput('companyName', 'The company name must be 1–200 characters.');
  const kinds = [...new Set(input.kinds)];
  if (kinds.length === 0) return invalidInput('kinds', 'Say what the partner will be: CHANNEL, TRADER, SUPPLIER or LOGISTICS.');
  const proposal = input.linkProposal;
  if (proposal) {
    if (!isUuid(proposal.myProductId)) return productNotFound();
    const [product] = await tx
      .select({ status: products.status })
      .from(products)
      .where(and(eq(products.id, proposal.myProductId), eq(products.ownerPartnerId, identity.partnerId)));
    if (!product) return productNotFound();
    if (product.status !== 'ACTIVE') return invalidInput('linkProposal.myProductId', 'Archived products cannot be linked; reactivate it first.');
  }
  return issue(tx, identity, {
    kind: 'PARTNER',
    email: base.email,
    companyName,
    partnerKinds: kinds,
    proposalProductId: proposal?.myProductId ?? null,
    proposalSide: proposal?.mySide ?? null,
    expiresAt: base.expiresAt,
  });
}

/** Invites a person into the caller's partner with `roles`. The secret is returned once. */
export async function inviteUser(tx: Tx, identity: Identity, input: InviteUserInput): Promise<ResultOf<'CreateInvitationResult'>> {
  const base = checkBase(input);
  if (isFailure(base)) return base;
  const roles = checkRoles('roles', input.roles);
  if (isFailure(roles)) return roles;
  // Row-level security shows only users who are members of the caller's partner.
  const [member] = await tx.select({ id: users.id }).from(users).where(eq(users.email, base.email));
  if (member) return invalidInput('email', `${base.email} is already a member; change their roles instead.`);
  return issue(tx, identity, { kind: 'USER', email: base.email, roles, expiresAt: base.expiresAt });
}

const invitationNotFound: Failure<'InvitationNotFound'> = {
  __typename: 'InvitationNotFound',
  errorCode: 'INVITATION_NOT_FOUND',
  message: 'No invitation with this id among those your partner issued.',
};

/** Revokes a pending invitation; revoking a revoked, redeemed or expired one changes nothing and returns it. */
export async function revokeInvitation(tx: Tx, identity: Identity, id: string): Promise<ResultOf<'InvitationResult'>> {
  if (!isUuid(id)) return invitationNotFound;
  const [invitation] = await tx.select().from(invitations).where(eq(invitations.id, id)).for('update');
  if (!invitation) return invitationNotFound;
  if (invitationStatus(invitation) !== 'PENDING') return invitation;
  const [revoked] = await tx.update(invitations).set({ revokedAt: sql`now()` }).where(eq(invitations.id, id)).returning();
  await appendEvent(tx, {
    topic: 'access.invitation_revoked',
    entityType: 'Invitation',
    entityId: id,
    audience: [identity.partnerId],
    payload: { kind: invitation.kind, email: invitation.email, by: identity.subject },
  });
  return revoked!;
}

/** The SQL form of {@link invitationStatus}, to filter by status in the query. */
function invitationStatusIs(status: InvitationStatus): SQL {
  switch (status) {
    case 'REVOKED':
      return sql`${invitations.revokedAt} is not null`;
    case 'REDEEMED':
      return sql`${invitations.revokedAt} is null and ${invitations.redeemedAt} is not null`;
    case 'EXPIRED':
      return sql`${invitations.revokedAt} is null and ${invitations.redeemedAt} is null and ${invitations.expiresAt} <= now()`;
    case 'PENDING':
      return sql`${invitations.revokedAt} is null and ${invitations.redeemedAt} is null and ${invitations.expiresAt} > now()`;
  }
}

/**
 * The invitations the caller's partner issued (row-level security), newest first (creation time,
 * ties by id), optionally by status, as a connection; one statement per page.
 */
export async function listInvitations(tx: Tx, status: InvitationStatus | null | undefined, args: PageArgs): Promise<Connection<InvitationRow>> {
  const page = keysetPage('invitations', args, [
    { column: invitations.createdAt, type: 'timestamptz', descending: true },
    { column: invitations.id, type: 'uuid', descending: true },
  ]);
  return page.rowsOf(tx, invitations, status ? invitationStatusIs(status) : undefined);
}

function memberSelection() {
  return { userId: users.id, email: users.email, displayName: users.displayName, roles: memberships.roles, since: memberships.createdAt };
}

/** The members of the caller's partner by email (ties by user id), as a connection; one statement per page. */
export async function listMembers(tx: Tx, identity: Identity, args: PageArgs): Promise<Connection<MemberRow>> {
  const page = keysetPage('members', args, [
    { column: users.email, type: 'text' },
    { column: users.id, type: 'uuid' },
  ]);
  const rows = await tx
    .select({ ...memberSelection(), pageKey: page.key })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.partnerId, identity.partnerId), page.after))
    .orderBy(...page.orderBy)
    .limit(page.limit);
  return page.connection(rows, (row) => ({ ...row, roles: knownRoles(row.roles) }));
}

/** One member of the caller's partner by user id, if any. */
async function memberByUserId(tx: Tx, identity: Identity, userId: string): Promise<MemberRow | undefined> {
  const [row] = await tx
    .select(memberSelection())
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.partnerId, identity.partnerId), eq(memberships.userId, userId)));
  return row ? { ...row, roles: knownRoles(row.roles) } : undefined;
}

const memberNotFound: Failure<'MemberNotFound'> = { __typename: 'MemberNotFound', errorCode: 'MEMBER_NOT_FOUND', message: 'No member with this user id in your partner.' };
const lastAdmin: Failure<'LastAdmin'> = {
  __typename: 'LastAdmin',
  errorCode: 'LAST_ADMIN',
  message: 'This is the last admin of your partner. Make another member an admin first.',
};

/**
 * Locks the partner's admin memberships and reports whether `userId` is the only admin left.
 * Two admins demoting or removing each other at once are serialised here, so one always stays.
 */
async function isLastAdmin(tx: Tx, identity: Identity, userId: string): Promise<boolean> {
  const admins = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.partnerId, identity.partnerId), sql`'admin' = any(${memberships.roles})`))
    .for('update');
  return admins.length === 1 && admins[0]!.userId === userId;
}

async function memberOf(tx: Tx, identity: Identity, userId: string): Promise<MemberRow | undefined> {
  if (!isUuid(userId)) return undefined;
  return memberByUserId(tx, identity, userId);
}

/** Replaces a member's roles. Taking `admin` from the last admin is refused. Takes effect on the member's next request. */
export async function changeMemberRoles(tx: Tx, identity: Identity, userId: string, input: readonly string[]): Promise<ResultOf<'MemberResult'>> {
  const roles = checkRoles('roles', input);
  if (isFailure(roles)) return roles;
  const member = await memberOf(tx, identity, userId);
  if (!member) return memberNotFound;
  if (!roles.includes('admin') && (await isLastAdmin(tx, identity, userId))) return lastAdmin;
  await tx
    .update(memberships)
    .set({ roles, updatedAt: sql`now()` })
    .where(and(eq(memberships.partnerId, identity.partnerId), eq(memberships.userId, userId)));
  await appendEvent(tx, {
    topic: 'access.member_roles_changed',
    entityType: 'Member',
    entityId: userId,
    audience: [identity.partnerId],
    payload: { email: member.email, roles, previous: member.roles, by: identity.subject },
  });
  return { ...member, roles };
}

/** Removes a member from the caller's partner; the last admin cannot be removed. Their next request is refused. */
export async function removeMember(tx: Tx, identity: Identity, userId: string): Promise<ResultOf<'MemberResult'>> {
  const member = await memberOf(tx, identity, userId);
  if (!member) return memberNotFound;
  if (await isLastAdmin(tx, identity, userId)) return lastAdmin;
  await tx.delete(memberships).where(and(eq(memberships.partnerId, identity.partnerId), eq(memberships.userId, userId)));
  await appendEvent(tx, {
    topic: 'access.member_removed',
    entityType: 'Member',
    entityId: userId,
    audience: [identity.partnerId],
    payload: { email: member.email, roles: member.roles, by: identity.subject },
  });
  return member;
}

/** One entry of the access log. */
export interface AccessLogEntry {
  /** The event's id in the log (a bigint), as its decimal digits: exact, as the SDL's `ID!` answers it. */
  id: string;
  topic: string;
  entityType: string;
  entityId: string;
  actor: string | null;
  details: Record<string, unknown>;
  at: Date;
}

/**
 * The caller's access log: invitations, membership and API key changes (`access.*` events whose
 * audience includes the caller's partner), newest first, paged by event id.
 */
export async function accessLog(tx: Tx, args: PageArgs): Promise<Connection<AccessLogEntry>> {
  const page = keysetPage('access-log', args, [{ column: sql`e.id`, type: 'bigint', descending: true }]);
  const rows = await tx.execute<{ id: string; topic: string; entity_type: string; entity_id: string; payload: Record<string, unknown>; created_at: string | Date; pageKey: string }>(sql`
    select e.id, e.topic, e.entity_type, e.entity_id, e.payload, e.created_at, ${page.key} as "pageKey"
    from events.event_log e
    where e.topic like 'access.%' and app.current_partner_id() = any (e.audience)
      ${page.after ? sql`and ${page.after}` : sql``}
    order by ${sql.join(page.orderBy, sql`, `)}
    limit ${page.limit}`);
  return page.connection([...rows], (row): AccessLogEntry => ({
    id: String(row.id),
    topic: row.topic,
    entityType: row.entity_type,
    entityId: row.entity_id,
    actor: typeof row.payload['by'] === 'string' ? row.payload['by'] : null,
    details: row.payload,
    at: new Date(row.created_at),
  }));
}
