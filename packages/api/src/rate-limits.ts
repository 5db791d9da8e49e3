import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

/** One limit: `points` attempts per `durationSeconds`, counted in PostgreSQL across replicas. */
export interface RateLimitRule {
  readonly points: number;
  readonly durationSeconds: number;
}

export interface RateLimitSettings {
  /** Login attempts per client address that did not succeed. */
  readonly loginPerAddress: RateLimitRule;
  /** Login attempts per account (the username as typed, case-insensitive) that did not succeed. */
  readonly loginPerAccount: RateLimitRule;
  /** Registrations per client address. */
  readonly registerPerAddress: RateLimitRule;
}

/**
 * Generous for people, hostile to guessing: many users may share one address
 * (offices, carrier-grade NAT), so the per-address budget is larger than the
 * per-account one. A burst of wrong passwords for one account locks that
 * account's logins for at most 10 minutes.
 */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  loginPerAddress: { points: 30, durationSeconds: 600 },
  loginPerAccount: { points: 10, durationSeconds: 600 },
  registerPerAddress: { points: 20, durationSeconds: 3600 },
};

/** The table of migration 2 (`key text PRIMARY KEY, points integer, expire bigint`). */
export const RATE_LIMIT_TABLE = 'rate_limits';

/** What a request may do: go on (and give its points back if it turns out fine), or 429. */
export interface Admission {
  readonly allowed: boolean;
  /** RateLimit-Policy, RateLimit (draft 7, as sent before) and, when refused, Retry-After. */
  readonly headers: Readonly<Record<string, string>>;
  /** Gives the consumed points back: a successful login does not count against anyone. */
  refund(): Promise<void>;
}

/** The limits by name (their key prefix in the table; the `limit` label of the refusals metric). */
export type RateLimitName = 'login-address' | 'login-account' | 'register-address';

interface Counted {
  readonly name: RateLimitName;
  readonly limiter: RateLimiterPostgres;
  readonly rule: RateLimitRule;
  readonly key: string;
  readonly result: RateLimiterRes;
  readonly refused: boolean;
}

/**
 * Accounts are keyed by a hash of the normalised username, so the table
 * holds no email addresses (nor arbitrary strings someone typed).
 */
export function accountKey(username: string): string {
  return createHash('sha256').update(username.trim().toLowerCase()).digest('base64url');
}

/**
 * The login and registration limits, stored in PostgreSQL through
 * `rate-limiter-flexible`, so every replica draws on the same budget. A
 * point is consumed *before* the password is hashed (atomically, by an
 * upsert), so a burst of parallel attempts gets exactly `points` through;
 * a successful login refunds its points. A store failure (PostgreSQL down
 * or hung) rejects, and the request answers 503 like any database outage.
 */
export class RateLimits {
  /** Attempts refused (429) since start, by the limit that refused them (read by the metrics). */
  readonly refusals: Record<RateLimitName, number> = {
    'login-address': 0,
    'login-account': 0,
    'register-address': 0,
  };
  private readonly loginAddress: RateLimiterPostgres;
  private readonly loginAccount: RateLimiterPostgres;
  private readonly registerAddress: RateLimiterPostgres;

  constructor(
    pool: Pool,
    private readonly settings: RateLimitSettings = DEFAULT_RATE_LIMITS,
  ) {
    const limiter = (keyPrefix: RateLimitName, rule: RateLimitRule, clearExpired: boolean) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        // One limiter per process sweeps expired rows (every 5 minutes).
        clearExpiredByTimeout: clearExpired,
        keyPrefix,
        points: rule.points,
        duration: rule.durationSeconds,
      });
    this.loginAddress = limiter('login-address', settings.loginPerAddress, true);
    this.loginAccount = limiter('login-account', settings.loginPerAccount, false);
    this.registerAddress = limiter('register-address', settings.registerPerAddress, false);
  }

  /** A login attempt from `address` for `username`. */
  login(address: string, username: string): Promise<Admission> {
    return this.admit([
      ['login-address', this.loginAddress, this.settings.loginPerAddress, address],
      ['login-account', this.loginAccount, this.settings.loginPerAccount, accountKey(username)],
    ]);
  }

  /** A registration from `address`. */
  register(address: string): Promise<Admission> {
    return this.admit([
      ['register-address', this.registerAddress, this.settings.registerPerAddress, address],
    ]);
  }

  private async admit(
    checks: readonly [RateLimitName, RateLimiterPostgres, RateLimitRule, string][],
  ): Promise<Admission> {
    const counted: Counted[] = await Promise.all(
      checks.map(async ([name, limiter, rule, key]) => {
        try {
          return { name, limiter, rule, key, result: await limiter.consume(key), refused: false };
        } catch (outcome) {
          // Over the limit is a RateLimiterRes; anything else is the store failing.
          if (outcome instanceof RateLimiterRes) {
            return { name, limiter, rule, key, result: outcome, refused: true };
          }
          throw outcome;
        }
      }),
    );
    const refused = counted.filter((c) => c.refused);
    for (const c of refused) this.refusals[c.name] += 1;
    return {
      allowed: refused.length === 0,
      headers: headers(counted, refused),
      refund: async () => {
        await Promise.all(counted.map((c) => c.limiter.reward(c.key, 1)));
      },
    };
  }
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The IETF draft-7 headers express-rate-limit sent before (`RateLimit-Policy:
 * 10;w=60`, `RateLimit: limit=10, remaining=9, reset=60`): the policy lists
 * every limit that applies; `RateLimit` reports the one closest to refusing.
 */
function headers(counted: readonly Counted[], refused: readonly Counted[]): Record<string, string> {
  const remaining = (c: Counted) => Math.max(0, c.rule.points - c.result.consumedPoints);
  const tightest = [...counted].sort((a, b) => remaining(a) - remaining(b))[0]!;
  const out: Record<string, string> = {
    'RateLimit-Policy': counted
      .map((c) => `${c.rule.points};w=${c.rule.durationSeconds}`)
      .join(', '),
    RateLimit: `limit=${tightest.rule.points}, remaining=${remaining(tightest)}, reset=${seconds(tightest.result.msBeforeNext)}`,
  };
  if (refused.length > 0) {
    out['Retry-After'] = String(Math.max(1, ...refused.map((c) => seconds(c.result.msBeforeNext))));
  }
  return out;
}
