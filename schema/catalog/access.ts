import { sql } from 'drizzle-orm';
import { boolean, check, index, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { catalogSchema, partnerKind, partners } from './partners';
import { products } from './products';

/**
 * API keys of a partner's integrations (ERP, shop connectors). Only a SHA-256 hash of the key is
 * stored; the key itself is shown once, at creation. `Authorization: ApiKey <key>` at the gateway
 * acts as the partner with the key's roles until the key is revoked.
 */
export const apiKeys = catalogSchema.table(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    name: text('name').notNull(),
    roles: text('roles').array().notNull(),
    /** The key's first characters, to recognise it in lists. */
    keyPrefix: text('key_prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_partner_idx').on(t.partnerId)],
);

/**
 * A person who signs in. One user may belong to several partners (memberships). `passwordHash` is
 * set for Redthread's own sign-in (scrypt, per-user salt); `externalSubject` is the `sub` of an
 * external identity provider's tokens (JWKS deployments). Emails are stored lower-cased.
 */
export const users = catalogSchema.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull().unique(),
    displayName: text('display_name').notNull(),
    passwordHash: text('password_hash'),
    externalSubject: text('external_subject').unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
  },
  (t) => [check('users_email_lower', sql`${t.email} = lower(${t.email}) and position('@' in ${t.email}) > 1`)],
);

/** A user's membership in a partner, with the roles the user acts with there. */
export const memberships = catalogSchema.table(
  'memberships',
  {
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    roles: text('roles').array().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.partnerId, t.userId] }),
    index('memberships_user_idx').on(t.userId),
    check('memberships_roles_not_empty', sql`cardinality(${t.roles}) > 0`),
  ],
);

/** PARTNER invites a company to register; USER invites a person into the issuer's partner. */
export const invitationKind = catalogSchema.enum('invitation_kind', ['PARTNER', 'USER']);

/**
 * A single-use, expiring invitation. Only a SHA-256 hash of its secret is stored. A PARTNER
 * invitation may carry a link proposal (one of the issuer's products and the issuer's side),
 * made on the issuer's behalf against the product the invitee registers when redeeming.
 */
export const invitations = catalogSchema.table(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    issuerPartnerId: uuid('issuer_partner_id')
      .notNull()
      .references(() => partners.id),
    kind: invitationKind('kind').notNull(),
    email: text('email').notNull(),
    /** PARTNER: the company the issuer expects, and what it will be. */
    companyName: text('company_name'),
    partnerKinds: partnerKind('partner_kinds').array(),
    /** USER: the roles of the new membership. */
    roles: text('roles').array(),
    proposalProductId: uuid('proposal_product_id').references(() => products.id),
    proposalSide: text('proposal_side'),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    redeemedAt: timestamp('redeemed_at', { withTimezone: true }),
    redeemedByUserId: uuid('redeemed_by_user_id').references(() => users.id),
    redeemedPartnerId: uuid('redeemed_partner_id').references(() => partners.id),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    index('invitations_issuer_idx').on(t.issuerPartnerId, t.createdAt),
    check('invitations_proposal_side', sql`${t.proposalSide} is null or ${t.proposalSide} in ('DOWNSTREAM', 'UPSTREAM')`),
    check('invitations_proposal_partner_only', sql`${t.proposalProductId} is null or ${t.kind} = 'PARTNER'`),
  ],
);

/**
 * A signed-in session: one family of rotating refresh tokens for one user acting for one
 * partner. Signing out, changing the password or reusing a spent refresh token revokes it.
 */
export const sessions = catalogSchema.table(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    partnerId: uuid('partner_id')
      .notNull()
      .references(() => partners.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** One refresh token of a session, by hash. Each is spent once: refreshing rotates it. */
export const refreshTokens = catalogSchema.table(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    spentAt: timestamp('spent_at', { withTimezone: true }),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/** Password sign-in attempts by email and client address, for rate limiting. */
export const signInAttempts = catalogSchema.table(
  'sign_in_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    succeeded: boolean('succeeded').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** The client's address as the gateway saw it ('' when unknown). */
    client: text('client').notNull().default(''),
  },
  (t) => [index('sign_in_attempts_email_idx').on(t.email, t.at)],
);
