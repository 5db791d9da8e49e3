import { Router, type Request, type RequestHandler, type Response } from 'express';
import { formBody, jsonBody } from '../body';
import { clientAddressKey } from '../client-address';
import { caller, type ApiContext } from '../context';
import { HttpError, methodNotAllowed } from '../http';
import type { Admission } from '../rate-limits';
import { parseBody, registerBody, tokenForm } from '../validation';

/** The client as the rate limits see it: the TCP peer address (see client-address.ts). */
const clientOf = (req: Request) => clientAddressKey(req.socket.remoteAddress);

/** 429 with the limit's headers when the admission says no. */
function enforce(res: Response, admission: Admission, detail: string): void {
  res.set(admission.headers);
  if (!admission.allowed) throw new HttpError(429, detail, admission.headers);
}

/**
 * `POST /auth/register` (JSON `{email, password}` → 201 `{id, email}`),
 * `POST /auth/token` (form `username`, `password` → `{access_token, token_type}`),
 * the OAuth2 password flow of the original, and `POST /auth/logout` (204),
 * which revokes every token of the caller's account.
 */
export function authRoutes(ctx: ApiContext): Router {
  const router = Router();

  router
    .route('/auth/register')
    .post(jsonBody('16kb'), async (req, res) => {
      const { email, password } = parseBody(registerBody, req.body);
      enforce(
        res,
        await ctx.rateLimits.register(clientOf(req)),
        'Too many registrations from this address; wait before trying again',
      );
      if (await ctx.repository.findUserByEmail(email)) {
        throw new HttpError(400, 'Email already registered');
      }
      const user = await ctx.repository.createUser(email, await ctx.passwords.hash(password));
      // Another request registered the same email meanwhile (the unique index decided).
      if (!user) throw new HttpError(400, 'Email already registered');
      res.status(201).json({ id: user.id, email: user.email });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/auth/token')
    .post(formBody('16kb'), async (req, res) => {
      const { username, password } = parseBody(tokenForm, req.body);
      // Counted before the password is hashed: a burst gets exactly the budget through.
      const admission = await ctx.rateLimits.login(clientOf(req), username);
      enforce(res, admission, 'Too many failed login attempts; wait before trying again');
      let user;
      let valid = false;
      try {
        user = await ctx.repository.findUserByEmail(username);
        valid = await ctx.passwords.verify(password, user?.hashed_password);
      } catch (error) {
        // Not the client's failure (busy, database down): it does not count.
        await admission.refund().catch(() => undefined);
        throw error;
      }
      if (!user || !valid) throw new HttpError(400, 'Incorrect email or password');
      await admission.refund();
      // RFC 6749 §5.1: the token response must not be stored by any cache.
      res.set('Pragma', 'no-cache');
      res.json({
        access_token: ctx.tokens.issue({ userId: user.id, version: user.token_version }),
        token_type: 'bearer',
      });
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/auth/logout')
    .post(authenticate(ctx), async (_req, res) => {
      await ctx.repository.bumpTokenVersion(caller(res).id);
      // Other replicas hear it (a trigger on users); this one forgets at once, before answering.
      ctx.principals.accountChanged(caller(res).id);
      res.status(204).end();
    })
    .all(methodNotAllowed(['POST']));

  return router;
}

const challenge = (error?: string) =>
  error
    ? { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${error}"` }
    : { 'WWW-Authenticate': 'Bearer' };

/**
 * Requires `Authorization: Bearer <token>`: 401 when it is missing, malformed,
 * forged, expired or revoked (its account's token version moved on); 404
 * `User not found` when the account it names no longer exists (as the
 * original). Sets `res.locals.user`.
 */
export function authenticate(ctx: ApiContext): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space);
    const token = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme.toLowerCase() !== 'bearer' || token === '') {
      throw new HttpError(401, 'Not authenticated', challenge());
    }
    // A token that passed the full check before, with no change of its account heard since:
    // the common case, answered without a turn of the event loop.
    const known = ctx.principals.get(token);
    if (known !== undefined) {
      res.locals.user = known;
      next();
      return undefined;
    }
    return verifyToken(ctx, token).then((user) => {
      res.locals.user = user;
      next();
    });
  };
}

/** The full check of a token: signature, expiry, its account, and the account's token version. */
async function verifyToken(ctx: ApiContext, token: string): Promise<{ id: number; email: string }> {
  const stamp = ctx.principals.stamp();
  const verified = ctx.tokens.verify(token);
  if ('problem' in verified) {
    throw new HttpError(
      401,
      'Invalid token',
      challenge(verified.problem === 'expired' ? 'The token expired' : 'The token is not valid'),
    );
  }
  const user = await ctx.repository.findUserById(verified.userId);
  if (!user) throw new HttpError(404, 'User not found');
  if (user.token_version !== verified.version) {
    throw new HttpError(401, 'Invalid token', challenge('The token was revoked'));
  }
  const principal = { id: user.id, email: user.email };
  ctx.principals.remember(token, principal, verified.expiresAt, stamp);
  return principal;
}
