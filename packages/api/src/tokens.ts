import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';

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

/** Whom a valid token speaks for: an account id and the account's token version when it was issued. */
export interface TokenSubject {
  readonly userId: number;
  readonly version: number;
}

const ID = /^[1-9]\d{0,9}$/;

/**
 * Access tokens: JWT with `sub` = the account's id, `ver` = the account's
 * token version, and `exp`, signed with SECRET_KEY. Binding the id (never
 * reused: an identity column) rather than the email means a token cannot act
 * on a later account that registers the same email; the version lets logout
 * revoke every token of an account at once.
 */
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

  issue(subject: TokenSubject): string {
    return jwt.sign({ sub: String(subject.userId), ver: subject.version }, this.key, {
      algorithm: this.settings.algorithm,
      expiresIn: this.settings.expireMinutes * 60,
    });
  }

  /**
   * Whom a valid token names and when it expires (`exp`, s), or why it is not
   * valid. Only the configured algorithm is accepted.
   */
  verify(token: string): (TokenSubject & { expiresAt: number }) | { problem: TokenProblem } {
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, this.key, {
        algorithms: [this.settings.algorithm as Algorithm],
      });
    } catch (error) {
      return { problem: error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
    }
    // Tokens of the earlier format (`sub` = an email) are refused: their holders log in again.
    if (typeof payload !== 'object' || typeof payload.sub !== 'string' || !ID.test(payload.sub)) {
      return { problem: 'invalid' };
    }
    const version: unknown = (payload as { ver?: unknown }).ver;
    if (typeof version !== 'number' || !Number.isSafeInteger(version))
      return { problem: 'invalid' };
    // A token without `exp` would never expire: every token this API issues has one.
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp))
      return { problem: 'invalid' };
    return { userId: Number(payload.sub), version, expiresAt: payload.exp };
  }
}
