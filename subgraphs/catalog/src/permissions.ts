import { allow } from 'graphql-shield';
import { hasAnyRole, isCaller } from '@redthread/kit';

const productEditors = hasAnyRole('admin', 'sales');

/**
 * Catalog field rules. Row visibility is not decided here but by row-level security and the
 * services; these rules decide which roles may call what. Unlisted fields are denied.
 */
export const permissions = {
  Query: { me: isCaller, partner: isCaller, products: isCaller, product: isCaller },
  Mutation: { createProduct: productEditors, updateProduct: productEditors },
  Partner: allow,
  Product: allow,
  ProductConnection: allow,
  ProductEdge: allow,
  PageInfo: allow,
  SkuCodeTaken: allow,
  InvalidInput: allow,
  ProductNotFound: allow,
};
