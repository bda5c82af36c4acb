import { isFailure as isTypedFailure, type WithTypename } from '@redthread/kit';
import type { CatalogErrorCode as SdlCatalogErrorCode, LinkStatus, ResolversInterfaceTypes, ResolversParentTypes } from './generated/resolvers';

/**
 * The catalog's closed list of expected-failure codes (the `CatalogErrorCode` enum of the SDL,
 * each value exactly once: a code the SDL renames or adds is a type error here). Each failure is
 * returned as data in a mutation result union and means nothing was changed.
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
} as const satisfies { readonly [Code in SdlCatalogErrorCode]: Code };

export type CatalogErrorCode = SdlCatalogErrorCode;

/**
 * Every typed failure of the catalog SDL (the members of its `CatalogError` interface), as
 * services return them: generated from the schema, so a failure field the SDL renames is a type
 * error here.
 */
export type CatalogFailure = WithTypename<ResolversInterfaceTypes<ResolversParentTypes>['CatalogError']>;

/** One failure of the catalog SDL, by its type name. */
export type Failure<Name extends CatalogFailure['__typename']> = Extract<CatalogFailure, { __typename: Name }>;

/** Whether a service result is a typed failure. */
export const isFailure = isTypedFailure;

/** An input field that failed validation. */
export function invalidInput(field: string, message: string): Failure<'InvalidInput'> {
  return { __typename: 'InvalidInput', errorCode: CatalogErrorCode.INVALID_INPUT, field, message };
}

/** The SKU code is already used in the caller's catalog. */
export function skuCodeTaken(skuCode: string): Failure<'SkuCodeTaken'> {
  return {
    __typename: 'SkuCodeTaken',
    errorCode: CatalogErrorCode.SKU_CODE_TAKEN,
    skuCode,
    message: `You already have a product with SKU code "${skuCode}". Choose another code or update that product.`,
  };
}

/** The product does not exist for the caller (foreign and missing look the same). */
export function productNotFound(message = 'No product with this id exists in your catalog.'): Failure<'ProductNotFound'> {
  return { __typename: 'ProductNotFound', errorCode: CatalogErrorCode.PRODUCT_NOT_FOUND, message };
}

/** The link does not exist for the caller (foreign and missing look the same). */
export function linkNotFound(): Failure<'LinkNotFound'> {
  return {
    __typename: 'LinkNotFound',
    errorCode: CatalogErrorCode.LINK_NOT_FOUND,
    message: 'No link with this id exists among your links.',
  };
}

/** The link's status does not allow `action`. */
export function invalidTransition(from: LinkStatus, action: string): Failure<'InvalidTransition'> {
  return {
    __typename: 'InvalidTransition',
    errorCode: CatalogErrorCode.INVALID_TRANSITION,
    from,
    action,
    message: `A ${from} link cannot be ${pastTense(action)}.`,
  };
}

/** The caller's side of the link may not do this. */
export function notPermittedForSide(message: string): Failure<'NotPermittedForSide'> {
  return { __typename: 'NotPermittedForSide', errorCode: CatalogErrorCode.NOT_PERMITTED_FOR_SIDE, message };
}

/** A live link between the same two products exists. */
export function duplicateLink(existingLinkId: string): Failure<'DuplicateLink'> {
  return {
    __typename: 'DuplicateLink',
    errorCode: CatalogErrorCode.DUPLICATE_LINK,
    existingLinkId,
    message: 'These two products are already linked or a proposal between them is pending; use that link.',
  };
}

/** The downstream product already routes to an active supplier. */
export function alreadyLinkedUpstream(activeLinkId: string | null): Failure<'AlreadyLinkedUpstream'> {
  return {
    __typename: 'AlreadyLinkedUpstream',
    errorCode: CatalogErrorCode.ALREADY_LINKED_UPSTREAM,
    activeLinkId,
    message:
      'The downstream product already has an ACTIVE upstream link; orders must route to one supplier. Suspend or end that link first.',
  };
}

/** The link would close a loop in the supply chain. */
export function linkCycle(): Failure<'LinkCycle'> {
  return {
    __typename: 'LinkCycle',
    errorCode: CatalogErrorCode.LINK_CYCLE,
    message: 'This link would close a loop in the supply chain (the upstream product already depends on the downstream one).',
  };
}

function pastTense(action: string): string {
  return { accept: 'accepted', reject: 'rejected', suspend: 'suspended', resume: 'resumed', end: 'ended' }[action] ?? `${action}ed`;
}
