/**
 * The inventory subgraph's closed list of expected-failure codes (`InventoryErrorCode` in the SDL).
 * Each is returned as data in a mutation result union and means nothing was changed.
 */
export type InventoryFailure =
  | { __typename: 'InventoryNotFound'; errorCode: 'NOT_FOUND'; message: string }
  | { __typename: 'InvalidInventoryInput'; errorCode: 'INVALID_INPUT'; message: string; field: string }
  | { __typename: 'InvalidInventoryTransition'; errorCode: 'INVALID_TRANSITION'; message: string; from: string }
  | { __typename: 'InsufficientStock'; errorCode: 'INSUFFICIENT_STOCK'; message: string; productId: string; requested: number; available: number }
  | { __typename: 'CodeTaken'; errorCode: 'CODE_TAKEN'; message: string };

/** One difference found by outbound inspection. */
export interface InspectionDifference {
  code: string;
  expected: number;
  scanned: number;
  kind: 'MISSING' | 'EXTRA' | 'UNKNOWN';
}

/** Whether a service result is a typed failure. */
export function isFailure(value: unknown): value is InventoryFailure {
  return typeof value === 'object' && value !== null && 'errorCode' in value && '__typename' in value;
}

export const notFound = (what: string): InventoryFailure => ({
  __typename: 'InventoryNotFound',
  errorCode: 'NOT_FOUND',
  message: `No ${what} with this id among the warehouses you own or operate.`,
});

export const invalidInput = (field: string, message: string): InventoryFailure => ({
  __typename: 'InvalidInventoryInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});

export const invalidTransition = (from: string, message: string): InventoryFailure => ({
  __typename: 'InvalidInventoryTransition',
  errorCode: 'INVALID_TRANSITION',
  from,
  message,
});

export const insufficientStock = (productId: string, requested: number, available: number): InventoryFailure => ({
  __typename: 'InsufficientStock',
  errorCode: 'INSUFFICIENT_STOCK',
  productId,
  requested,
  available,
  message: `Only ${available} unit(s) available where ${requested} are needed.`,
});

export const codeTaken = (code: string): InventoryFailure => ({
  __typename: 'CodeTaken',
  errorCode: 'CODE_TAKEN',
  message: `The code "${code}" is already used; choose another.`,
});
