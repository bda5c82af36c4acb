import { isFailure as isTypedFailure, type WithTypename } from '@redthread/kit';
import type { ResolversInterfaceTypes, ResolversParentTypes } from './generated/resolvers';

/**
 * Every typed failure of the inventory SDL (the members of its `InventoryError` interface, with
 * their `InventoryErrorCode`), as services return them: generated from the schema, so a failure
 * field the SDL renames is a type error here. Each is returned as data in a mutation result union
 * and means nothing was changed.
 */
export type InventoryFailure = WithTypename<ResolversInterfaceTypes<ResolversParentTypes>['InventoryError']>;

/** One failure of the inventory SDL, by its type name. */
export type Failure<Name extends InventoryFailure['__typename']> = Extract<InventoryFailure, { __typename: Name }>;

/**
 * One difference found by outbound inspection, as inspection records it (in the shipment's
 * `lastMismatch` and the `shipment.inspection_failed` event) and the `InspectionDifference` type
 * answers it; `kind` is one of the three the SDL documents.
 */
export interface InspectionDifference {
  code: string;
  expected: number;
  scanned: number;
  kind: 'MISSING' | 'EXTRA' | 'UNKNOWN';
}

/** Whether a service result is a typed failure. */
export const isFailure = isTypedFailure;

export const notFound = (what: string): Failure<'InventoryNotFound'> => ({
  __typename: 'InventoryNotFound',
  errorCode: 'NOT_FOUND',
  message: `No ${what} with this id among the warehouses you own or operate.`,
});

export const invalidInput = (field: string, message: string): Failure<'InvalidInventoryInput'> => ({
  __typename: 'InvalidInventoryInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});

export const invalidTransition = (from: string, message: string): Failure<'InvalidInventoryTransition'> => ({
  __typename: 'InvalidInventoryTransition',
  errorCode: 'INVALID_TRANSITION',
  from,
  message,
});

export const insufficientStock = (productId: string, requested: number, available: number): Failure<'InsufficientStock'> => ({
  __typename: 'InsufficientStock',
  errorCode: 'INSUFFICIENT_STOCK',
  productId,
  requested,
  available,
  message: `Only ${available} unit(s) available where ${requested} are needed.`,
});

export const codeTaken = (code: string): Failure<'CodeTaken'> => ({
  __typename: 'CodeTaken',
  errorCode: 'CODE_TAKEN',
  message: `The code "${code}" is already used; choose another.`,
});
