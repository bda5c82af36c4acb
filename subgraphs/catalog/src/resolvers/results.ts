/**
 * Result unions: typed failures carry their `__typename`; anything else is the success type.
 */
function resultType(success: string) {
  return { __resolveType: (value: { __typename?: string }) => value.__typename ?? success };
}

export const CreateProductResult = resultType('Product');
export const UpdateProductResult = resultType('Product');
export const LinkResult = resultType('ProductLink');
export const CatalogError = { __resolveType: (value: { __typename: string }) => value.__typename };
