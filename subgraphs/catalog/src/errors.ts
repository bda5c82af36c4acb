/**
 * The catalog's closed list of expected-failure codes (the `CatalogErrorCode` enum of the SDL).
 * Each failure is returned as data in a mutation result union and means nothing was changed.
 */
export const CatalogErrorCode = {
  SKU_CODE_TAKEN: 'SKU_CODE_TAKEN',
  INVALID_INPUT: 'INVALID_INPUT',
  PRODUCT_NOT_FOUND: 'PRODUCT_NOT_FOUND',
  LINK_NOT_FOUND: 'LINK_NOT_FOUND',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  NOT_PERMITTED_FOR_SIDE: 'NOT_PERMITTED_FOR_SIDE',
  DUPLICATE_LINK: 'DUPLICATE_LINK',
  ALREADY_LINKED_UPSTREAM: 'ALREADY_LINKED_UPSTREAM',
  LINK_CYCLE: 'LINK_CYCLE',
  API_KEY_NOT_FOUND: 'API_KEY_NOT_FOUND',
  INVITATION_NOT_FOUND: 'INVITATION_NOT_FOUND',
  MEMBER_NOT_FOUND: 'MEMBER_NOT_FOUND',
  LAST_ADMIN: 'LAST_ADMIN',
} as const;

export type CatalogErrorCode = (typeof CatalogErrorCode)[keyof typeof CatalogErrorCode];

/** The typed failures of catalog mutations, tagged with their GraphQL type names. */
export type CatalogFailure =
  | { __typename: 'SkuCodeTaken'; errorCode: 'SKU_CODE_TAKEN'; message: string; skuCode: string }
  | { __typename: 'InvalidInput'; errorCode: 'INVALID_INPUT'; message: string; field: string }
  | { __typename: 'ProductNotFound'; errorCode: 'PRODUCT_NOT_FOUND'; message: string }
  | { __typename: 'LinkNotFound'; errorCode: 'LINK_NOT_FOUND'; message: string }
  | { __typename: 'InvalidTransition'; errorCode: 'INVALID_TRANSITION'; message: string; from: string; action: string }
  | { __typename: 'NotPermittedForSide'; errorCode: 'NOT_PERMITTED_FOR_SIDE'; message: string }
  | { __typename: 'DuplicateLink'; errorCode: 'DUPLICATE_LINK'; message: string; existingLinkId: string }
  | { __typename: 'AlreadyLinkedUpstream'; errorCode: 'ALREADY_LINKED_UPSTREAM'; message: string; activeLinkId: string | null }
  | { __typename: 'LinkCycle'; errorCode: 'LINK_CYCLE'; message: string }
  | { __typename: 'ApiKeyNotFound'; errorCode: 'API_KEY_NOT_FOUND'; message: string }
  | { __typename: 'InvitationNotFound'; errorCode: 'INVITATION_NOT_FOUND'; message: string }
  | { __typename: 'MemberNotFound'; errorCode: 'MEMBER_NOT_FOUND'; message: string }
  | { __typename: 'LastAdmin'; errorCode: 'LAST_ADMIN'; message: string };

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
export function productNotFound(message = 'No product with this id exists in your catalog.'): CatalogFailure {
  return { __typename: 'ProductNotFound', errorCode: CatalogErrorCode.PRODUCT_NOT_FOUND, message };
}

/** The link does not exist for the caller (foreign and missing look the same). */
export function linkNotFound(): CatalogFailure {
  return {
    __typename: 'LinkNotFound',
    errorCode: CatalogErrorCode.LINK_NOT_FOUND,
    message: 'No link with this id exists among your links.',
  };
}

/** The link's status does not allow `action`. */
export function invalidTransition(from: string, action: string): CatalogFailure {
  return {
    __typename: 'InvalidTransition',
    errorCode: CatalogErrorCode.INVALID_TRANSITION,
    from,
    action,
    message: `A ${from} link cannot be ${pastTense(action)}.`,
  };
}

/** The caller's side of the link may not do this. */
export function notPermittedForSide(message: string): CatalogFailure {
  return { __typename: 'NotPermittedForSide', errorCode: CatalogErrorCode.NOT_PERMITTED_FOR_SIDE, message };
}

/** A live link between the same two products exists. */
export function duplicateLink(existingLinkId: string): CatalogFailure {
  return {
    __typename: 'DuplicateLink',
    errorCode: CatalogErrorCode.DUPLICATE_LINK,
    existingLinkId,
    message: 'These two products are already linked or a proposal between them is pending; use that link.',
  };
}

/** The downstream product already routes to an active supplier. */
export function alreadyLinkedUpstream(activeLinkId: string | null): CatalogFailure {
  return {
    __typename: 'AlreadyLinkedUpstream',
    errorCode: CatalogErrorCode.ALREADY_LINKED_UPSTREAM,
    activeLinkId,
    message:
      'The downstream product already has an ACTIVE upstream link; orders must route to one supplier. Suspend or end that link first.',
  };
}

/** The link would close a loop in the supply chain. */
export function linkCycle(): CatalogFailure {
  return {
    __typename: 'LinkCycle',
    errorCode: CatalogErrorCode.LINK_CYCLE,
    message: 'This link would close a loop in the supply chain (the upstream product already depends on the downstream one).',
  };
}

function pastTense(action: string): string {
  return { accept: 'accepted', reject: 'rejected', suspend: 'suspended', resume: 'resumed', end: 'ended' }[action] ?? `${action}ed`;
}

/** Whether a mutation result is a typed failure. */
export function isFailure(value: object): value is CatalogFailure {
  return '__typename' in value && 'errorCode' in value;
}
