import { eq, sql } from 'drizzle-orm';
import { invitations, memberships, partners, users } from '@redthread/schema';
import { appendEvent, setTenant, type Db, type Identity, type SessionGrant, type Tx } from '@redthread/kit';
import { isFailure } from '../errors';
import type { PartnerRow } from '../services/partners';
import { createProduct } from '../services/products';
import { proposeLink } from '../services/links';
import { hashInvitationSecret, invitationStatus, linkProposalOf, type InvitationLinkProposalRow } from '../services/members';
import { hashPassword, passwordProblem } from './passwords';
import { AccessError, badRequest } from './errors';
import { checkPassword, openSession, partnersOf } from './sessions';

/*
 * Onboarding: proving who redeems an invitation, redeeming it (the invitee's partner, user,
 * membership, product and the issuer's link proposal in one transaction), and registering a new
 * partner with its first admin. Runs on the `redthread_auth` connection, like sign-in.
 */

/** What a new partner is called and does. */
export interface NewPartner {
  code: string;
  name: string;
  kinds: PartnerRow['kinds'];
}

/** Who redeems an invitation or becomes a partner's first admin. */
export interface Redeemer {
  /** For a new user: the password to sign in with. For an existing one: their current password. */
  password?: string | null;
  displayName?: string | null;
  /** Set by the gateway from a verified identity-provider token instead of a password. */
  externalSubject?: string | null;
  /** Set by {@link proveRedeemer}: the existing account the password was checked against. */
  provenUserId?: string;
  /** The client's address, for rate limiting password checks. */
  client?: string;
}

/**
 * Checks what a redeemer (or a new partner's first admin) sent, before anything is looked up, so
 * the answer to bad input does not depend on whether the email has an account. When the email has
 * one, the password is checked like a sign-in (rate-limited, every attempt recorded) and the
 * account is remembered as proven; a new email gets its account inside the transaction.
 */
export async function proveRedeemer(db: Db, email: string, who: Redeemer): Promise<Redeemer> {
  const displayName = typeof who.displayName === 'string' ? who.displayName.trim() : '';
  if (!displayName || displayName.length > 200) throw badRequest('displayName', 'Send your name as "displayName" (1–200 characters).');
  if (who.externalSubject) return { ...who, displayName };
  const problem = typeof who.password === 'string' ? passwordProblem(who.password) : 'Choose a password ("password").';
  if (problem) throw badRequest('password', problem);
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (!existing) return { ...who, displayName };
  try {
    return { ...who, displayName, provenUserId: (await checkPassword(db, email, who.password!, who.client)).id };
  } catch (error) {
    if (error instanceof AccessError && error.code === 'INVALID_CREDENTIALS') {
      throw new AccessError('INVALID_CREDENTIALS', `${email} already has a Redthread account: send its current password.`, 401);
    }
    throw error;
  }
}

/**
 * Finds or creates the user with `email`. An existing user must prove it is them (password, or
 * the same identity-provider subject); a new one needs a display name and an acceptable
 * password (or an identity-provider subject).
 */
async function enrolUser(tx: Tx, email: string, who: Redeemer): Promise<{ id: string; created: boolean }> {
  const [existing] = await tx.select().from(users).where(eq(users.email, email)).for('update');
  if (existing) {
    const proven = who.externalSubject ? existing.externalSubject === who.externalSubject : existing.id === who.provenUserId;
    if (!proven) {
      throw new AccessError(
        'INVALID_CREDENTIALS',
        who.externalSubject
          ? `${email} already has a Redthread account that is not linked to this identity-provider sign-in.`
          : `${email} already has a Redthread account: send its current password.`,
        401,
      );
    }
    return { id: existing.id, created: false };
  }
  if (who.externalSubject) {
    const [linked] = await tx.select({ id: users.id }).from(users).where(eq(users.externalSubject, who.externalSubject));
    if (linked) throw new AccessError('SUBJECT_LINKED', 'This identity-provider sign-in is already linked to another Redthread account.', 409);
  }
  const passwordHash = who.externalSubject ? null : await hashPassword(who.password!);
  const [created] = await tx
    .insert(users)
    .values({ email, displayName: who.displayName!, passwordHash, externalSubject: who.externalSubject ?? null })
    .onConflictDoNothing()
    .returning({ id: users.id });
  if (!created) throw new AccessError('RETRY', `An account for ${email} was created at this very moment; redeem again with its password.`, 409);
  return { id: created.id, created: true };
}

/**
 * Registers a partner with its first admin (`npm run partner:create`, and redeeming a partner
 * invitation). Appends `partner.registered` and `access.member_added` for the new partner.
 */
export async function registerPartner(tx: Tx, partner: NewPartner, email: string, admin: Redeemer, by: string) {
  const code = partner.code?.trim().toUpperCase() ?? '';
  if (!/^[A-Z0-9][A-Z0-9-]{1,31}$/.test(code)) {
    throw badRequest('partner.code', 'A partner code is 2–32 letters, digits or dashes, e.g. ACME-TEA; it is your public handle.');
  }
  const name = partner.name?.trim() ?? '';
  if (!name || name.length > 200) throw badRequest('partner.name', 'The partner name must be 1–200 characters.');
  if (partner.kinds.length === 0) throw badRequest('partner.kinds', 'Say what the partner is: CHANNEL, TRADER, SUPPLIER or LOGISTICS.');
  const user = await enrolUser(tx, email, admin);
  const [created] = await tx
    .insert(partners)
    .values({ code, name, kinds: [...new Set(partner.kinds)] })
    .onConflictDoNothing({ target: partners.code })
    .returning();
  if (!created) throw new AccessError('PARTNER_CODE_TAKEN', `The partner code ${code} is taken. Choose another.`, 409, { field: 'partner.code' });
  await tx.insert(memberships).values({ partnerId: created.id, userId: user.id, roles: ['admin'], createdBy: by });
  const identity: Identity = { subject: `user:${user.id}`, partnerId: created.id, roles: ['admin'] };
  await setTenant(tx, identity);
  await appendEvent(tx, { topic: 'partner.registered', entityType: 'Partner', entityId: created.id, audience: [created.id], payload: { code, name, by } });
  await appendEvent(tx, {
    topic: 'access.member_added',
    entityType: 'Member',
    entityId: user.id,
    audience: [created.id],
    payload: { email, roles: ['admin'], by },
  });
  return { partner: created, userId: user.id, identity };
}

/** Input of {@link redeemInvitation}. */
export interface RedeemInput extends Redeemer {
  /** The invitation's secret. */
  invitation: string;
  /** Partner invitations: the new partner's code and name (the name defaults to the invitation's). */
  partner?: { code: string; name?: string | null } | null;
  /** Partner invitations with a link proposal: the invitee's product the proposal is made against. */
  product?: { skuCode: string; name: string } | null;
}

/**
 * Redeems an invitation in one transaction. A partner invitation registers the partner with the
 * redeemer as first admin and, when a link proposal is attached, creates the redeemer's product
 * and the issuer's proposal against it; a user invitation adds a membership to the issuer.
 * Returns a session for the partner joined. Expired, used and revoked invitations are refused
 * and change nothing.
 */
export async function redeemInvitation(db: Db, input: RedeemInput): Promise<SessionGrant> {
  if (typeof input.invitation !== 'string' || !input.invitation) throw badRequest('invitation', 'Send the invitation secret as "invitation".');
  const tokenHash = hashInvitationSecret(input.invitation);
  // Checked before the password (which counts as a sign-in attempt), and again under the lock.
  const [addressee] = await db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
  const redeemer = await proveRedeemer(db, redeemable(addressee).email, input);
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(invitations).where(eq(invitations.tokenHash, tokenHash)).for('update');
    const invitation = redeemable(locked);
    const by = `invitation:${invitation.id}`;
    let joined: { partnerId: string; userId: string };
    if (invitation.kind === 'PARTNER') {
      const registered = await registerPartner(
        tx,
        { code: input.partner?.code ?? '', name: input.partner?.name?.trim() || invitation.companyName || '', kinds: invitation.partnerKinds ?? [] },
        invitation.email,
        redeemer,
        by,
      );
      joined = { partnerId: registered.partner.id, userId: registered.userId };
      const proposal = linkProposalOf(invitation);
      if (proposal) await attachProposal(tx, invitation, proposal, registered.identity, registered.partner.code, input.product);
    } else {
      const user = await enrolUser(tx, invitation.email, redeemer);
      const [added] = await tx
        .insert(memberships)
        .values({ partnerId: invitation.issuerPartnerId, userId: user.id, roles: invitation.roles ?? ['viewer'], createdBy: by })
        .onConflictDoNothing()
        .returning();
      if (!added) throw new AccessError('ALREADY_MEMBER', `${invitation.email} is already a member of the inviting partner. Sign in instead.`, 409);
      joined = { partnerId: invitation.issuerPartnerId, userId: user.id };
    }
    await tx
      .update(invitations)
      .set({ redeemedAt: sql`now()`, redeemedByUserId: joined.userId, redeemedPartnerId: joined.partnerId })
      .where(eq(invitations.id, invitation.id));
    await setTenant(tx, { subject: by, partnerId: invitation.issuerPartnerId, roles: ['admin'] });
    await appendEvent(tx, {
      topic: 'access.invitation_redeemed',
      entityType: 'Invitation',
      entityId: invitation.id,
      audience: [invitation.issuerPartnerId],
      payload: { kind: invitation.kind, email: invitation.email, partnerId: joined.partnerId, by: `user:${joined.userId}` },
    });
    if (invitation.kind === 'USER') {
      await appendEvent(tx, {
        topic: 'access.member_added',
        entityType: 'Member',
        entityId: joined.userId,
        audience: [invitation.issuerPartnerId],
        payload: { email: invitation.email, roles: invitation.roles ?? [], by },
      });
    }
    const choices = await partnersOf(tx, joined.userId);
    return openSession(tx, joined.userId, choices, choices.find((c) => c.id === joined.partnerId)!);
  });
}

/** The invitation if it can be redeemed now; otherwise the refusal that says why. */
function redeemable(invitation: typeof invitations.$inferSelect | undefined): typeof invitations.$inferSelect {
  if (!invitation) throw new AccessError('INVITATION_INVALID', 'This invitation is not valid. Check the link, or ask the partner who invited you for a new one.', 404);
  const status = invitationStatus(invitation);
  if (status === 'EXPIRED') throw new AccessError('INVITATION_EXPIRED', 'This invitation has expired. Ask the partner who invited you for a new one.', 410);
  if (status === 'REDEEMED') throw new AccessError('INVITATION_USED', 'This invitation has already been used. Sign in instead, or ask for a new one.', 410);
  if (status === 'REVOKED') throw new AccessError('INVITATION_REVOKED', 'This invitation was withdrawn by the partner who sent it.', 410);
  return invitation;
}

/** Creates the invitee's product and the issuer's link proposal against it (issuer's side as invited). */
async function attachProposal(
  tx: Tx,
  invitation: typeof invitations.$inferSelect,
  proposal: InvitationLinkProposalRow,
  invitee: Identity,
  inviteeCode: string,
  product: RedeemInput['product'],
) {
  if (!product?.skuCode || !product.name) {
    throw badRequest('product', 'This invitation proposes a product link: send the product you will link as "product": { "skuCode", "name" }.');
  }
  await setTenant(tx, invitee);
  const created = await createProduct(tx, invitee, { skuCode: product.skuCode, name: product.name });
  if (isFailure(created)) throw badRequest('product', created.message);
  const issuer: Identity = { subject: `invitation:${invitation.id}`, partnerId: invitation.issuerPartnerId, roles: ['admin'] };
  await setTenant(tx, issuer);
  const link = await proposeLink(tx, issuer, {
    myProductId: proposal.productId,
    mySide: proposal.side,
    counterpart: { partnerCode: inviteeCode, skuCode: created.skuCode },
  });
  if (isFailure(link)) {
    throw new AccessError('INVITATION_INVALID', `The link proposal attached to this invitation cannot be made: ${link.message} Ask the inviting partner for a new invitation.`, 409);
  }
}
