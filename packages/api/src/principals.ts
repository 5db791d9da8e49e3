import { LRUCache } from 'lru-cache';
import type { User } from './repository';

export interface PrincipalCacheOptions {
  /** Upper bound of an entry's life, s (the cache's TTL backstop). */
  readonly ttlSeconds: number;
  /** Tokens remembered (default 10 000). */
  readonly maxEntries?: number;
  /** Accounts whose last change is tracked before everything is forgotten instead (default 100 000). */
  readonly maxTrackedAccounts?: number;
}

interface Entry {
  readonly user: User;
  /** The token's `exp`, s since the epoch. */
  readonly expiresAt: number;
  /** The change counter when the lookup that produced it began. */
  readonly stamp: number;
}

/**
 * Who a bearer token is, remembered so that a request with a token seen
 * before costs neither the signature check nor the user query.
 *
 * An entry is what a full check (signature, expiry, user lookup) concluded;
 * it is used only while the token has not expired, no change of that account
 * was heard since the lookup began, and the replica hears changes at all.
 * PostgreSQL announces every UPDATE or DELETE of a `users` row, however it is
 * made (a trigger on `fittech_accounts`), so a deleted account stops working
 * on every replica as soon as it is heard, as the data cache's entries do.
 * While the channel is down nothing is remembered or used.
 */
export class PrincipalCache {
  private readonly entries: LRUCache<string, Entry>;
  /** Counter of the changes heard; the last change per account, and of everything. */
  private counter = 0;
  private readonly changedAt = new Map<number, number>();
  private flushedAt = 0;
  private coherent = false;
  private readonly maxTrackedAccounts: number;

  constructor(options: PrincipalCacheOptions) {
    this.entries = new LRUCache({
      max: options.maxEntries ?? 10_000,
      ttl: options.ttlSeconds * 1000,
    });
    this.maxTrackedAccounts = options.maxTrackedAccounts ?? 100_000;
  }

  /** The user of a token that passed a full check before and is still valid, if any. */
  get(token: string): User | undefined {
    if (!this.coherent) return undefined;
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (
      Math.floor(Date.now() / 1000) >= entry.expiresAt ||
      entry.stamp < this.flushedAt ||
      (this.changedAt.get(entry.user.id) ?? 0) > entry.stamp
    ) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.user;
  }

  /** Taken before a full check; passed to {@link remember} so that a change heard meanwhile wins. */
  stamp(): number {
    return this.counter;
  }

  /** Remembers the outcome of a full check that began at `stamp`. */
  remember(token: string, user: User, expiresAt: number, stamp: number): void {
    if (!this.coherent) return;
    this.entries.set(token, { user, expiresAt, stamp });
  }

  /** An account changed (or was deleted); `undefined`: any may have. */
  accountChanged(userId: number | undefined): void {
    this.counter += 1;
    if (userId === undefined || this.changedAt.size >= this.maxTrackedAccounts) {
      this.flush();
      return;
    }
    this.changedAt.set(userId, this.counter);
  }

  /** Forgets everything (changes may have been missed, or everything changed). */
  flush(): void {
    this.counter += 1;
    this.flushedAt = this.counter;
    this.changedAt.clear();
    this.entries.clear();
  }

  /** The channel is down: changes cannot be heard. */
  suspend(): void {
    this.coherent = false;
  }

  /** The channel is (back) up: start from nothing. */
  resume(): void {
    this.flush();
    this.coherent = true;
  }
}
