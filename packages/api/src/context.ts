import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ResponseCache } from './cache';
import type { ApiMetrics } from './metrics';
import type { Passwords } from './passwords';
import type { RateLimits } from './rate-limits';
import type { PrincipalCache } from './principals';
import type { Repository, User } from './repository';
import type { Tokens } from './tokens';

/** The readiness report: 200 when `ready`, 503 otherwise. */
export interface Readiness {
  readonly ready: boolean;
  readonly body: Record<string, unknown>;
}

/** What the routes need, built once by the server (or by a test). */
export interface ApiContext {
  readonly repository: Repository;
  readonly cache: ResponseCache;
  /** Who the bearer tokens seen before are (see principals.ts). */
  readonly principals: PrincipalCache;
  readonly passwords: Passwords;
  readonly tokens: Tokens;
  /** Login and registration limits, shared by every replica through PostgreSQL. */
  readonly rateLimits: RateLimits;
  readonly logger: Logger;
  /** The clock: "today" (UTC) and ages are computed from it. */
  readonly now: () => Date;
  /** Liveness on the public port too: the pipeline's external check through the load balancer. */
  readonly healthPath: string;
  /** The replica's Prometheus metrics: requests are timed into them (see metrics-http.ts). */
  readonly metrics: ApiMetrics;
}

/** The authenticated caller, set on `res.locals` by the `authenticate` middleware. */
export function caller(res: Response): User {
  const user = (res.locals as { user?: User }).user;
  if (!user) throw new Error('route is missing the authenticate middleware');
  return user;
}
