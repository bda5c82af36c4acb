import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';

const productEditors = hasAnyRole('admin', 'sales');
const linkEditors = productEditors;
const priceSetters = hasAnyRole('admin', 'sales', 'finance');
const admins = hasAnyRole('admin');

/**
 * Catalog field rules. Row visibility is not decided here but by row-level security and the
 * services; these rules decide which roles may call what. Unlisted fields are denied.
 */
export const permissions = {
  Query: {
    me: isCaller,
    partner: isCaller,
    products: isCaller,
    product: isCaller,
    productLinks: isCaller,
    productLink: isCaller,
    relationships: isCaller,
    apiKeys: admins,
    myRoles: isCaller,
    members: admins,
    invitations: admins,
    accessLog: admins,
  },
  Mutation: {
    createProduct: productEditors,
    updateProduct: productEditors,
    proposeLink: linkEditors,
    acceptLink: linkEditors,
    rejectLink: linkEditors,
    suspendLink: linkEditors,
    resumeLink: linkEditors,
    endLink: linkEditors,
    setSupplyPrice: priceSetters,
    setShareRule: linkEditors,
    createApiKey: admins,
    revokeApiKey: admins,
    invitePartner: admins,
    inviteUser: admins,
    revokeInvitation: admins,
    changeMemberRoles: admins,
    removeMember: admins,
  },
  Member: allow,
  MemberNotFound: allow,
  LastAdmin: allow,
  Invitation: allow,
  InvitationLinkProposal: allow,
  CreatedInvitation: allow,
  InvitationNotFound: allow,
  AccessLogEntry: allow,
  AccessLogEdge: allow,
  AccessLogConnection: allow,
  ApiKey: allow,
  CreatedApiKey: allow,
  ApiKeyNotFound: allow,
  Partner: allow,
  Product: allow,
  ProductConnection: allow,
  ProductEdge: allow,
  ProductLink: allow,
  ProductLinkConnection: allow,
  ProductLinkEdge: allow,
  SupplyPrice: allow,
  Money: allow,
  ShareRule: allow,
  Relationship: allow,
  PageInfo: allow,
  SkuCodeTaken: allow,
  InvalidInput: allow,
  ProductNotFound: allow,
  LinkNotFound: allow,
  InvalidTransition: allow,
  NotPermittedForSide: allow,
  DuplicateLink: allow,
  AlreadyLinkedUpstream: allow,
  LinkCycle: allow,
};
