import { isFailure as isTypedFailure, type WithTypename } from '@redthread/kit';
import type { ResolversInterfaceTypes, ResolversParentTypes, StatementStatus } from './generated/resolvers';

/**
 * Every typed failure of the finance SDL (the members of its `FinanceError` interface, whose
 * `errorCode` is the closed list `FinanceErrorCode`), as services return them: generated from the
 * schema, so a failure field the SDL renames is a type error here.
 */
export type FinanceFailure = WithTypename<ResolversInterfaceTypes<ResolversParentTypes>['FinanceError']>;

/** One failure of the finance SDL, by its type name. */
export type Failure<Name extends FinanceFailure['__typename']> = Extract<FinanceFailure, { __typename: Name }>;

/** Whether a service result is a typed failure. */
export const isFailure = isTypedFailure;

export const notFound = (what: string): Failure<'FinanceNotFound'> => ({
  __typename: 'FinanceNotFound',
  errorCode: 'NOT_FOUND',
  message: `No ${what} with this id among yours.`,
});
export const invalidInput = (field: string, message: string): Failure<'InvalidFinanceInput'> => ({
  __typename: 'InvalidFinanceInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});
/** The statement's `status` does not allow the step. */
export const invalidTransition = (status: StatementStatus, message: string): Failure<'InvalidStatementTransition'> => ({
  __typename: 'InvalidStatementTransition',
  errorCode: 'INVALID_TRANSITION',
  status,
  message,
});
export const notPermittedForSide = (message: string): Failure<'NotPermittedForStatementSide'> => ({
  __typename: 'NotPermittedForStatementSide',
  errorCode: 'NOT_PERMITTED_FOR_SIDE',
  message,
});
