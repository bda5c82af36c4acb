/** The finance subgraph's closed list of expected failures (`FinanceErrorCode` in the SDL). */
export type FinanceFailure =
  | { __typename: 'FinanceNotFound'; errorCode: 'NOT_FOUND'; message: string }
  | { __typename: 'InvalidFinanceInput'; errorCode: 'INVALID_INPUT'; message: string; field: string }
  | { __typename: 'InvalidStatementTransition'; errorCode: 'INVALID_TRANSITION'; message: string; status: string }
  | { __typename: 'NotPermittedForStatementSide'; errorCode: 'NOT_PERMITTED_FOR_SIDE'; message: string };

export function isFailure(value: unknown): value is FinanceFailure {
  return typeof value === 'object' && value !== null && 'errorCode' in value && '__typename' in value;
}

export const notFound = (what: string): FinanceFailure => ({
  __typename: 'FinanceNotFound',
  errorCode: 'NOT_FOUND',
  message: `No ${what} with this id among yours.`,
});
export const invalidInput = (field: string, message: string): FinanceFailure => ({
  __typename: 'InvalidFinanceInput',
  errorCode: 'INVALID_INPUT',
  field,
  message,
});
export const invalidTransition = (status: string, message: string): FinanceFailure => ({
  __typename: 'InvalidStatementTransition',
  errorCode: 'INVALID_TRANSITION',
  status,
  message,
});
export const notPermittedForSide = (message: string): FinanceFailure => ({
  __typename: 'NotPermittedForStatementSide',
  errorCode: 'NOT_PERMITTED_FOR_SIDE',
  message,
});
