import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyTooLargeError, ClientGoneError, bearerToken, readBody, sendJson, signIns, unacceptableText, type Logger, type SessionGrant } from '@redthread/kit';
import { ACCESS_TOKEN_TTL_SECONDS, identityProviderVerifier, mintAccessToken, type ClientTokenConfig } from './auth';
import { isAccessRefusal, type AccessDirectory } from './access';
import type { ClientAddress } from './client-address';

/** Where the sign-in endpoints live. */
export const AUTH_BASE_PATH = '/auth';

/** Options of {@link authRoutes}. */
export interface AuthRouteOptions {
  directory: AccessDirectory;
  clientTokens: ClientTokenConfig;
  /**
   * Called when a request here changed a user's access (sign-out, password change, a replayed
   * refresh token, a redeemed invitation), before answering: this gateway forgets the user's
   * cached access at once, so the very next request sees the change. Other replicas learn it from
   * the database's notification.
   */
  onAccessChanged: (userId: string) => void;
  /** Lifetime of the access tokens minted here. Default 15 minutes. */
  accessTokenSeconds?: number;
  /** Whose failed password checks a request counts as (see clientAddress). Default: the TCP peer. */
  clientAddress?: ClientAddress;
  logger: Logger;
}

class BadRequest extends Error {}

/** What `/auth/redeem` takes; anything else (a number for a name, an unknown field) is a 400. */
const redeemBody = z
  .object({
    invitation: z.string().min(1),
    password: z.string().optional(),
    displayName: z.string().optional(),
    partner: z.object({ code: z.string(), name: z.string().nullish() }).strict().nullish(),
    product: z.object({ skuCode: z.string(), name: z.string() }).strict().nullish(),
  })
  .strict();

function parseRedeem(body: Record<string, unknown>): z.infer<typeof redeemBody> {
  const parsed = redeemBody.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new BadRequest(
    `The redemption request is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}. ` +
      'Send { invitation, password, displayName, partner?: { code, name? }, product?: { skuCode, name } }.',
  );
}

/**
 * Redthread's own sign-in, as JSON over POST (DESIGN.md §2):
 *
 * - `/auth/sign-in` `{ email, password, partner? }` → access + refresh token
 * - `/auth/refresh` `{ refreshToken }` → a new pair; the presented refresh token is spent
 * - `/auth/sign-out` `{ refreshToken }` → 204; the session ends
 * - `/auth/password` `{ email, currentPassword, newPassword }` → 204; every session ends
 * - `/auth/redeem` `{ invitation, password, displayName, partner?, product? }` → a session
 *
 * With an identity provider (JWKS) only `/auth/redeem` is served: it links the provider's
 * subject (from the `Authorization: Bearer` token) to the new account and mints nothing.
 * Refusals answer `{ error: { code, message, ... } }` with 400, 401, 403, 404, 409, 410 or 429.
 */
export function authRoutes(options: AuthRouteOptions): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const { directory, clientTokens, onAccessChanged, logger } = options;
  const clientOf = options.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress ?? '');
  const accessTokenSeconds = options.accessTokenSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
  const identityProvider = clientTokens.jwksUrl ? identityProviderVerifier({ ...clientTokens, jwksUrl: clientTokens.jwksUrl }) : undefined;

  const tokens = async (grant: SessionGrant) => {
    logger.info({ userId: grant.userId, partnerId: grant.partner.id, sessionId: grant.sessionId }, 'session tokens issued');
    return {
      accessToken: await mintAccessToken(grant, clientTokens.jwtSecret, accessTokenSeconds),
      tokenType: 'Bearer',
      expiresIn: accessTokenSeconds,
      refreshToken: grant.refreshToken,
      userId: grant.userId,
      partner: grant.partner,
      partners: grant.partners,
    };
  };

  const externalSubject = async (req: IncomingMessage): Promise<string> => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !identityProvider) throw new BadRequest('Send your identity provider token as "Authorization: Bearer <token>" to redeem the invitation.');
    try {
      return (await identityProvider(token)).sub!;
    } catch {
      throw new BadRequest('Your identity provider token is not valid or has expired. Sign in with your provider again.');
    }
  };

  const routes: Record<string, (body: Record<string, unknown>, req: IncomingMessage) => Promise<unknown>> = {
    'sign-in': async (body, req) =>
      tokens(
        await directory.signIn({ email: text(body, 'email'), password: text(body, 'password'), partner: optionalText(body, 'partner'), client: clientOf(req) }),
      ),
    refresh: async (body) => tokens(await directory.refresh(text(body, 'refreshToken'))),
    'sign-out': async (body) => {
      const userId = await directory.signOut(text(body, 'refreshToken'));
      if (userId) onAccessChanged(userId);
    },
    password: async (body, req) => {
      const userId = await directory.changePassword({
        email: text(body, 'email'),
        currentPassword: text(body, 'currentPassword'),
        newPassword: text(body, 'newPassword'),
        client: clientOf(req),
      });
      onAccessChanged(userId);
    },
    redeem: async (body, req) => {
      const input = parseRedeem(body);
      const grant = await directory.redeem({
        ...input,
        client: clientOf(req),
        ...(identityProvider ? { password: null, externalSubject: await externalSubject(req) } : { externalSubject: null }),
      });
      onAccessChanged(grant.userId);
      return identityProvider ? { userId: grant.userId, partner: grant.partner, partners: grant.partners } : tokens(grant);
    },
  };

  return async (req, res, path) => {
    const name = path.slice(AUTH_BASE_PATH.length + 1);
    const route = routes[name];
    if (!route) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No such endpoint. Use POST ${AUTH_BASE_PATH}/{${Object.keys(routes).join(',')}}.` } });
      return;
    }
    if (identityProvider && name !== 'redeem') {
      sendJson(res, 404, { error: { code: 'USE_IDENTITY_PROVIDER', message: 'This deployment signs in through its identity provider; use its tokens.' } });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `Use POST ${path} with a JSON body.` } });
      return;
    }
    const outcome = (value: string) => signIns.inc({ endpoint: name, outcome: value });
    try {
      const body = await jsonBody(req);
      const result = await route(body, req);
      outcome('ok');
      if (result === undefined) {
        res.writeHead(204).end();
      } else {
        res.setHeader('cache-control', 'no-store');
        sendJson(res, 200, result);
      }
    } catch (error) {
      if (error instanceof BadRequest || error instanceof BodyTooLargeError) outcome('BAD_REQUEST');
      else if (isAccessRefusal(error)) outcome(error.code);
      if (error instanceof BadRequest) {
        sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: error.message } });
      } else if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: { code: 'BODY_TOO_LARGE', message: error.message } }, { connection: 'close' });
      } else if (error instanceof ClientGoneError) {
        logger.debug({ route: name }, error.message);
      } else if (isAccessRefusal(error)) {
        if (error.endedSessionsOf) onAccessChanged(error.endedSessionsOf);
        const retryAfter = error.details?.['retryAfterSeconds'];
        if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
        logger.info({ route: name, code: error.code, status: error.status }, 'auth request refused');
        sendJson(res, error.status, { error: { code: error.code, message: error.message, ...error.details } });
      } else {
        throw error;
      }
    }
  };
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, 16_384);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw || '{}');
  } catch {
    // answered below
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequest('Send a JSON object as the request body (content-type: application/json).');
  }
  // The same rule as every subgraph's arguments: no NUL (which PostgreSQL refuses) or other control characters.
  const problem = unacceptableText(parsed as Record<string, unknown>);
  if (problem) throw new BadRequest(problem.message);
  return parsed as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || !value) throw new BadRequest(`Send "${field}" as a non-empty string.`);
  return value;
}

function optionalText(body: Record<string, unknown>, field: string): string | null {
  const value = body[field];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new BadRequest(`"${field}" must be a string.`);
  return value;
}
