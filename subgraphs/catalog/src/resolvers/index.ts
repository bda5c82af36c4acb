import { DateTimeScalar, LongScalar, namedByTypename, resultUnion } from '@redthread/kit';
import type { SubgraphResolvers } from '../generated/resolvers';
import { Mutation } from './Mutation';
import { Partner } from './Partner';
import { Product } from './Product';
import { ProductLink, SupplyPrice } from './ProductLink';
import { Query, Relationship } from './Query';
import { AccessLogEntry, ApiKey, Invitation, InvitationLinkProposal, accessMutations, accessQueries } from './access';

/**
 * Every catalog resolver, by type. Result unions: typed failures carry their `__typename`;
 * anything else is the union's success type.
 */
export const resolvers: SubgraphResolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query: { ...Query, ...accessQueries },
  Mutation: { ...Mutation, ...accessMutations },
  Partner,
  Product,
  ProductLink,
  SupplyPrice,
  Relationship,
  ApiKey,
  Invitation,
  InvitationLinkProposal,
  AccessLogEntry,
  CreateProductResult: resultUnion('Product'),
  UpdateProductResult: resultUnion('Product'),
  LinkResult: resultUnion('ProductLink'),
  CreateApiKeyResult: resultUnion('CreatedApiKey'),
  ApiKeyResult: resultUnion('ApiKey'),
  CreateInvitationResult: resultUnion('CreatedInvitation'),
  InvitationResult: resultUnion('Invitation'),
  MemberResult: resultUnion('Member'),
  CatalogError: namedByTypename,
};
