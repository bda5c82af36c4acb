/** Why an access request (sign-in, session, invitation, onboarding) was refused. */
/** Why an access request was refused; `status` is the HTTP status the gateway answers with. */
export class AccessError extends Error {
  constructor(
    readonly code: AccessErrorCode,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
    /** A user whose sessions this refusal ended (the gateway forgets their cached access at once). */
    readonly endedSessionsOf?: string,
  ) {
    super(message);
    this.name = 'AccessError';
  }
}

export type AccessErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_CREDENTIALS'
  | 'TOO_MANY_ATTEMPTS'
  | 'NO_MEMBERSHIP'
  | 'PARTNER_REQUIRED'
  | 'INVALID_REFRESH_TOKEN'
  | 'REFRESH_TOKEN_REUSED'
  | 'SESSION_ENDED'
  | 'INVITATION_INVALID'
  | 'INVITATION_EXPIRED'
  | 'INVITATION_USED'
  | 'INVITATION_REVOKED'
  | 'ALREADY_MEMBER'
  | 'PARTNER_CODE_TAKEN'
  | 'SUBJECT_LINKED'
  | 'RETRY';

/** A refusal of one input field (400). */
export const badRequest = (field: string, message: string) => new AccessError('BAD_REQUEST', message, 400, { field });
