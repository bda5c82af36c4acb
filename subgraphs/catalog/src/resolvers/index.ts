import { DateTimeScalar } from '@redthread/kit';
import { Mutation } from './Mutation';
import { Partner } from './Partner';
import { Product } from './Product';
import { ProductLink, SupplyPrice } from './ProductLink';
import { Query, Relationship } from './Query';
import { CatalogError, CreateProductResult, LinkResult, UpdateProductResult } from './results';
import type { CatalogContext } from '../context';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../services/api-keys';

/** Every catalog resolver, by type. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Query: {
    ...Query,
    apiKeys: async (_: unknown, __: unknown, ctx: CatalogContext) => listApiKeys(await ctx.tx(), ctx.identity),
  },
  Mutation: {
    ...Mutation,
    createApiKey: async (_: unknown, a: { input: { name: string; roles: string[] } }, ctx: CatalogContext) =>
      createApiKey(await ctx.tx(), ctx.identity, a.input),
    revokeApiKey: async (_: unknown, a: { id: string }, ctx: CatalogContext) => revokeApiKey(await ctx.tx(), ctx.identity, a.id),
  },
  ApiKey: { prefix: (k: ApiKeyRow) => k.keyPrefix },
  CreateApiKeyResult: { __resolveType: (v: { __typename?: string }) => v.__typename ?? 'CreatedApiKey' },
  ApiKeyResult: { __resolveType: (v: { __typename?: string }) => v.__typename ?? 'ApiKey' },
  Partner,
  Product,
  ProductLink,
  SupplyPrice,
  Relationship,
  CreateProductResult,
  UpdateProductResult,
  LinkResult,
  CatalogError,
};
