// Authentication of /mcp: `Authorization: Bearer <Odoo API key>` → the key owner's identity from Odoo
// (through the identity cache). The key stays in memory for this request only, to relay calls to Odoo.

import type { Middleware } from 'koa';
import type { Caller, RequestFacts } from '../caller.js';
import { AuthError } from '../errors.js';
import type { IdentityCache } from './identityCache.js';
import type { OAuthChallenge } from './oauthChallenge.js';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

/** The key of an `Authorization` header; throws AuthError when there is none or it is not a Bearer key. */
export function bearerKey(header: string | undefined): string {
  if (!header) throw new AuthError('missing', 'Authentication required: send your Odoo API key as "Authorization: Bearer <key>"');
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AuthError('malformed', 'The Authorization header must be "Bearer <Odoo API key>"');
  return match[1];
}

/** Checks the Bearer key with Odoo; a refusal carries Odoo's OAuth hint for the 401 challenge. */
export function authenticate(identities: IdentityCache, challenge?: OAuthChallenge): Middleware {
  return async (ctx, next) => {
    const facts = ctx.state.facts as RequestFacts;
    let identity;
    let key;
    try {
      key = bearerKey(ctx.get('authorization') || undefined);
      identity = await identities.resolve(key);
    } catch (err) {
      if (err instanceof AuthError && challenge) err.oauth = await challenge.current();
      throw err;
    }
    facts.userId = identity.user.id;
    facts.keyId = identity.key.id;
    const caller: Caller = { identity, credentials: { key, token: identity.token }, facts, followUps: [] };
    ctx.state.caller = caller;
    await next();
  };
}
