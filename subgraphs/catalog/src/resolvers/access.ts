import type { PageArgs } from '@redthread/kit';
import type { CatalogContext } from '../context';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../services/api-keys';
import {
  accessLog,
  changeMemberRoles,
  invitationStatus,
  invitePartner,
  inviteUser,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
  type AccessLogEntry,
  type InvitationRow,
  type InvitationStatus,
  type InvitePartnerInput,
  type InviteUserInput,
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

const resultType = (success: string) => ({ __resolveType: (value: { __typename?: string }) => value.__typename ?? success });

/** API keys, invitations, members and the access log (issue 9). Roles are in ../permissions. */
export const accessQueries = {
  apiKeys: async (_: unknown, a: PageArgs, ctx: CatalogContext) => listApiKeys(await ctx.tx(), ctx.identity, a),
  myRoles: (_: unknown, __: unknown, ctx: CatalogContext) => ctx.identity.roles,
  members: async (_: unknown, a: PageArgs, ctx: CatalogContext) => listMembers(await ctx.tx(), ctx.identity, a),
  invitations: async (_: unknown, a: PageArgs & { status?: InvitationStatus | null }, ctx: CatalogContext) =>
    listInvitations(await ctx.tx(), a.status, a),
  accessLog: async (_: unknown, a: PageArgs, ctx: CatalogContext) => accessLog(await ctx.tx(), a),
};

export const accessMutations = {
  createApiKey: async (_: unknown, a: { input: { name: string; roles: string[] } }, ctx: CatalogContext) =>
    createApiKey(await ctx.tx(), ctx.identity, a.input),
  revokeApiKey: async (_: unknown, a: { id: string }, ctx: CatalogContext) => accessChanged(ctx, await revokeApiKey(await ctx.tx(), ctx.identity, a.id)),
  invitePartner: async (_: unknown, a: { input: InvitePartnerInput }, ctx: CatalogContext) => invitePartner(await ctx.tx(), ctx.identity, a.input),
  inviteUser: async (_: unknown, a: { input: InviteUserInput }, ctx: CatalogContext) => inviteUser(await ctx.tx(), ctx.identity, a.input),
  revokeInvitation: async (_: unknown, a: { id: string }, ctx: CatalogContext) => revokeInvitation(await ctx.tx(), ctx.identity, a.id),
  changeMemberRoles: async (_: unknown, a: { userId: string; roles: string[] }, ctx: CatalogContext) =>
    accessChanged(ctx, await changeMemberRoles(await ctx.tx(), ctx.identity, a.userId, a.roles)),
  removeMember: async (_: unknown, a: { userId: string }, ctx: CatalogContext) =>
    accessChanged(ctx, await removeMember(await ctx.tx(), ctx.identity, a.userId)),
};

export const accessTypes = {
  ApiKey: { prefix: (k: ApiKeyRow) => k.keyPrefix },
  Invitation: {
    status: (invitation: InvitationRow) => invitationStatus(invitation),
    linkProposal: (invitation: InvitationRow) =>
      invitation.proposalProductId ? { productId: invitation.proposalProductId, side: invitation.proposalSide } : null,
    redeemedPartner: (invitation: InvitationRow, _: unknown, ctx: CatalogContext) =>
      invitation.redeemedPartnerId ? ctx.loaders.partner.load(invitation.redeemedPartnerId) : null,
  },
  InvitationLinkProposal: {
    product: (proposal: { productId: string }, _: unknown, ctx: CatalogContext) => ctx.loaders.product.load(proposal.productId),
  },
  AccessLogEntry: { details: (entry: AccessLogEntry) => JSON.stringify(entry.details) },
  CreateApiKeyResult: resultType('CreatedApiKey'),
  ApiKeyResult: resultType('ApiKey'),
  CreateInvitationResult: resultType('CreatedInvitation'),
  InvitationResult: resultType('Invitation'),
  MemberResult: resultType('Member'),
};
