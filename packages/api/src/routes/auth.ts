import express, { Router, type RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { ApiContext } from '../context';
import { HttpError, methodNotAllowed } from '../http';
import { normalizeEmail, RequestValidationError, validateBody } from '../validation';

const REGISTER_BODY = {
  email: { kind: 'email', required: true },
  password: { kind: 'str', required: true },
} as const;

const TOKEN_FORM = {
  username: { kind: 'str', required: true },
  password: { kind: 'str', required: true },
} as const;

/**
 * `POST /auth/register` (JSON `{email, password}` → 201 `{id, email}`) and
 * `POST /auth/token` (form `username`, `password` → `{access_token, token_type}`),
 * the OAuth2 password flow of the original.
 */
export function authRoutes(ctx: ApiContext): Router {
  const router = Router();

  router
    .route('/auth/register')
    .post(express.json({ limit: '16kb' }), async (req, res) => {
      const { value, issues } = validateBody(req.body, REGISTER_BODY);
      if (issues.length > 0) throw new RequestValidationError(issues);
      const email = value.email as string;
      const password = value.password as string;
      if (await ctx.repository.findUserByEmail(email)) {
        throw new HttpError(400, 'Email already registered');
      }
      const user = await ctx.repository.createUser(email, await ctx.passwords.hash(password));
      // Another request registered the same email meanwhile (the unique constraint decided).
      if (!user) throw new HttpError(400, 'Email already registered');
      res.status(201).json({ id: user.id, email: user.email });
    })
    .all(methodNotAllowed(['POST']));

  // Failed attempts are limited per client address *and* username: behind a
  // load balancer that hides client addresses, a per-address limit alone would
  // lock every user out at once.
  const { windowMillis, maxFailures } = ctx.loginRateLimit;
  const loginLimiter = rateLimit({
    windowMs: windowMillis,
    limit: maxFailures,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const username = typeof req.body?.username === 'string' ? req.body.username : '';
      return `${ipKeyGenerator(req.ip ?? '')}|${normalizeEmail(username)}`;
    },
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode).json({
        detail: 'Too many failed login attempts; wait before trying again',
      });
    },
  });

  router
    .route('/auth/token')
    .post(
      express.urlencoded({ extended: false, limit: '16kb' }),
      loginLimiter,
      async (req, res) => {
        const { value, issues } = validateBody(req.body ?? {}, TOKEN_FORM);
        if (issues.length > 0) throw new RequestValidationError(issues);
        const user = await ctx.repository.findUserByEmail(normalizeEmail(value.username as string));
        const valid = await ctx.passwords.verify(value.password as string, user?.hashed_password);
        if (!user || !valid) throw new HttpError(400, 'Incorrect email or password');
        res.json({ access_token: ctx.tokens.issue(user.email), token_type: 'bearer' });
      },
    )
    .all(methodNotAllowed(['POST']));

  return router;
}

const challenge = (error?: string) =>
  error
    ? { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${error}"` }
    : { 'WWW-Authenticate': 'Bearer' };

/**
 * Requires `Authorization: Bearer <token>`: 401 when it is missing, malformed,
 * forged or expired; 404 `User not found` when the token names a user that
 * does not exist (as the original). Sets `res.locals.user`.
 */
export function authenticate(ctx: ApiContext): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space);
    const token = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme.toLowerCase() !== 'bearer' || token === '') {
      throw new HttpError(401, 'Not authenticated', challenge());
    }
    const verified = ctx.tokens.verify(token);
    if ('problem' in verified) {
      throw new HttpError(
        401,
        'Invalid token',
        challenge(verified.problem === 'expired' ? 'The token expired' : 'The token is not valid'),
      );
    }
    const user = await ctx.repository.findUserByEmail(verified.email);
    if (!user) throw new HttpError(404, 'User not found');
    res.locals.user = { id: user.id, email: user.email };
    next();
  };
}
