import { DateTimeScalar, LongScalar } from '@redthread/kit';
import { Mutation } from './Mutation';
import { Partner } from './Partner';
import { Product } from './Product';
import { ProductLink, SupplyPrice } from './ProductLink';
import { Query, Relationship } from './Query';
import { CatalogError, CreateProductResult, LinkResult, UpdateProductResult } from './results';
import { accessMutations, accessQueries, accessTypes } from './access';

/** Every catalog resolver, by type. */
export const resolvers = {
  DateTime: DateTimeScalar,
  Long: LongScalar,
  Query: { ...Query, ...accessQueries },
  Mutation: { ...Mutation, ...accessMutations },
  ...accessTypes,
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
