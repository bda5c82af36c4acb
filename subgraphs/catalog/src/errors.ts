/**
 * The catalog's closed list of expected-failure codes (the `CatalogErrorCode` enum of the SDL).
 * Each failure is returned as data in a mutation result union and means nothing was changed.
 */
export const CatalogErrorCode = {
  SKU_CODE_TAKEN: 'SKU_CODE_TAKEN',
  INVALID_INPUT: 'INVALID_INPUT',
  PRODUCT_NOT_FOUND: 'PRODUCT_NOT_FOUND',
} as const;

export type CatalogErrorCode = (typeof CatalogErrorCode)[keyof typeof CatalogErrorCode];

/** The typed failures of catalog mutations, tagged with their GraphQL type names. */
export type CatalogFailure =
  | { __typename: 'SkuCodeTaken'; errorCode: 'SKU_CODE_TAKEN'; message: string; skuCode: string }
  | { __typename: 'InvalidInput'; errorCode: 'INVALID_INPUT'; message: string; field: string }
  | { __typename: 'ProductNotFound'; errorCode: 'PRODUCT_NOT_FOUND'; message: string };

/** An input field that failed validation. */
export function invalidInput(field: string, message: string): CatalogFailure {
  return { __typename: 'InvalidInput', errorCode: CatalogErrorCode.INVALID_INPUT, field, message };
}

/** The SKU code is already used in the caller's catalog. */
export function skuCodeTaken(skuCode: string): CatalogFailure {
  return {
    __typename: 'SkuCodeTaken',
    errorCode: CatalogErrorCode.SKU_CODE_TAKEN,
    skuCode,
    message: `You already have a product with SKU code "${skuCode}". Choose another code or update that product.`,
  };
}

/** The product does not exist for the caller (foreign and missing look the same). */
export function productNotFound(): CatalogFailure {
  return {
    __typename: 'ProductNotFound',
    errorCode: CatalogErrorCode.PRODUCT_NOT_FOUND,
    message: 'No product with this id exists in your catalog.',
  };
}

/** Whether a mutation result is a typed failure. */
export function isFailure(value: object): value is CatalogFailure {
  return '__typename' in value && 'errorCode' in value;
}
