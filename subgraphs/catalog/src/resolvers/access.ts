import { parkedEventsOfPartner, withInput } from '@redthread/kit';
import type { CatalogContext } from '../context';
import type { TypeResolvers } from '../generated/resolvers';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys';
import {
  accessLog,
  changeMemberRoles,
  invitationStatus,
  invitePartner,
  inviteUser,
  linkProposalOf,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from '../services/members';

/**
 * Notes the member or API key whose access a mutation changed, so that the gateway forgets its
 * cache of them and rechecks their live connections on commit.
 */
function accessChanged<Result extends object>(ctx: CatalogContext, result: Result): Result {
  if ('userId' in result && typeof result.userId === 'string') ctx.transaction.accessChangedFor.add(`user:${result.userId}`);
  if ('keyHash' in result && 'id' in result && typeof result.id === 'string') ctx.transaction.accessChangedFor.add(`apikey:${result.id}`);
  return result;
}

/** API keys, invitations, members and the access log (issue 9). Roles are in ../permissions. */
export const accessQueries: Pick<TypeResolvers<'Query'>, 'apiKeys' | 'myRoles' | 'members' | 'invitations' | 'accessLog' | 'parkedEvents'> = {
  apiKeys: async (_, a, ctx) => listApiKeys(await ctx.tx(), ctx.identity, a),
  myRoles: (_, __, ctx) => [...ctx.identity.roles],
  members: async (_, a, ctx) => listMembers(await ctx.tx(), ctx.identity, a),
  invitations: async (_, a, ctx) => listInvitations(await ctx.tx(), a.status, a),
  accessLog: async (_, a, ctx) => accessLog(await ctx.tx(), a),
  parkedEvents: async (_, a, ctx) => parkedEventsOfPartner(await ctx.tx(), a),
};

export const accessMutations: Pick<
  TypeResolvers<'Mutation'>,
  'createApiKey' | 'revokeApiKey' | 'invitePartner' | 'inviteUser' | 'revokeInvitation' | 'changeMemberRoles' | 'removeMember'
> = {
  createApiKey: withInput(createApiKey),
  revokeApiKey: async (_, a, ctx) => accessChanged(ctx, await revokeApiKey(await ctx.tx(), ctx.identity, a.id)),
  invitePartner: withInput(invitePartner),
  inviteUser: withInput(inviteUser),
  revokeInvitation: async (_, a, ctx) => revokeInvitation(await ctx.tx(), ctx.identity, a.id),
  changeMemberRoles: async (_, a, ctx) => accessChanged(ctx, await changeMemberRoles(await ctx.tx(), ctx.identity, a.userId, a.roles)),
  removeMember: async (_, a, ctx) => accessChanged(ctx, await removeMember(await ctx.tx(), ctx.identity, a.userId)),
};

export const ApiKey: TypeResolvers<'ApiKey'> = { prefix: (k) => k.keyPrefix };

export const Invitation: TypeResolvers<'Invitation'> = {
  status: (invitation) => invitationStatus(invitation),
  linkProposal: (invitation) => linkProposalOf(invitation),
  redeemedPartner: (invitation, _, ctx) => (invitation.redeemedPartnerId ? ctx.loaders.partner.load(invitation.redeemedPartnerId) : null),
};

export const InvitationLinkProposal: TypeResolvers<'InvitationLinkProposal'> = {
  product: (proposal, _, ctx) => ctx.loaders.product.load(proposal.productId),
};

export const AccessLogEntry: TypeResolvers<'AccessLogEntry'> = { details: (entry) => JSON.stringify(entry.details) };
