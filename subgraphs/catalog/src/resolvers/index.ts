import { Mutation } from './Mutation';
import { Partner } from './Partner';
import { Product } from './Product';
import { Query } from './Query';
import { CatalogError, CreateProductResult, UpdateProductResult } from './results';

/** Every catalog resolver, by type. */
export const resolvers = { Query, Mutation, Partner, Product, CreateProductResult, UpdateProductResult, CatalogError };
