import { createSecretKey, type KeyObject } from 'node:crypto';
import bcrypt from 'bcryptjs';
import jwt, { type Algorithm } from 'jsonwebtoken';

/**
 * Passwords: bcrypt, cost 12 by default (passlib's default, so hashes made by
 * the original service, `$2b$12$…`, keep verifying).
 */
export class Passwords {
  /** A hash compared against when the user does not exist, so both paths cost the same. */
  private readonly dummy: Promise<string>;

  constructor(private readonly rounds = 12) {
    this.dummy = bcrypt.hash('fittech-timing-equaliser', rounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  /** Verifies `password` against `hash`, or burns the same time when there is no hash. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined) {
      await bcrypt.compare(password, await this.dummy);
      return false;
    }
    return bcrypt.compare(password, hash);
  }
}

export interface TokenSettings {
  /** HMAC key (SECRET_KEY). */
  readonly secret: string;
  /** HS256, HS384 or HS512 (ALGORITHM). */
  readonly algorithm: 'HS256' | 'HS384' | 'HS512';
  /** Lifetime, minutes (ACCESS_TOKEN_EXPIRE_MINUTES). */
  readonly expireMinutes: number;
}

/** Why a bearer token was refused (all are 401). */
export type TokenProblem = 'invalid' | 'expired';

/** Access tokens: JWT with `sub` = the user's email and `exp`, signed with SECRET_KEY. */
export class Tokens {
  /**
   * The HMAC key, built once. Given a string, jsonwebtoken first tries to parse
   * it as a PEM public key on every call (and fails), which cost about half of
   * the API's CPU per authenticated request (see bench/README.md).
   */
  private readonly key: KeyObject;

  constructor(private readonly settings: TokenSettings) {
    this.key = createSecretKey(Buffer.from(settings.secret, 'utf8'));
  }

  issue(email: string): string {
    return jwt.sign({ sub: email }, this.key, {
      algorithm: this.settings.algorithm,
      expiresIn: this.settings.expireMinutes * 60,
    });
  }

  /** The email (`sub`) of a valid token, or why it is not valid. Only the configured algorithm is accepted. */
  verify(token: string): { email: string } | { problem: TokenProblem } {
    try {
      const payload = jwt.verify(token, this.key, {
        algorithms: [this.settings.algorithm as Algorithm],
      });
      if (typeof payload !== 'object' || typeof payload.sub !== 'string' || payload.sub === '') {
        return { problem: 'invalid' };
      }
      return { email: payload.sub };
    } catch (error) {
      return { problem: error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
    }
  }
}
