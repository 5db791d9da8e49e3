import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What a read did: served from Redis, loaded and stored, or loaded with the cache out of play. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

export interface CacheStats {
  hits: number;
  misses: number;
  bypasses: number;
  /** Redis commands that failed or timed out (each one fell through to PostgreSQL). */
  errors: number;
}

export interface ResponseCacheOptions {
  /** TTL backstop of every entry, seconds (CACHE_TTL_SECONDS). */
  readonly ttlSeconds: number;
  readonly logger: Pick<Logger, 'warn' | 'info'>;
  /** Prefix of every key (default `fittech`). */
  readonly prefix?: string;
  /** Users whose generation is tracked before the whole cache is rotated instead (default 100 000). */
  readonly maxTrackedUsers?: number;
  /**
   * After a failed or timed-out command, how long every request skips Redis
   * before one tries again, ms (default 1000). A Redis that hangs without
   * closing its connection then costs one command timeout per pause, not one
   * per request.
   */
  readonly pauseAfterErrorMillis?: number;
}

export interface RedisClientOptions {
  /** Bound of one cache command, ms: past it the request reads PostgreSQL instead (default 250). */
  readonly commandTimeoutMillis?: number;
  /** Bound of a connection attempt, ms (default 1000). */
  readonly connectTimeoutMillis?: number;
}

/**
 * An ioredis client for a cache that must never fail or stall a request: no
 * offline queue (a command while disconnected fails at once), no retries of
 * in-flight commands, short command and connect timeouts, and reconnection
 * forever with a capped back-off so the cache comes back by itself.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMillis ?? 250,
    connectTimeout: options.connectTimeoutMillis ?? 1_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
    connectionName: 'fittech-api',
  });
}

/**
 * Cache-aside for per-user JSON responses, kept coherent across replicas.
 *
 * Each key carries an epoch (random, per process and per flush) and the
 * user's generation (bumped, in memory, by every write that concerns the
 * user, whichever replica made it). A write therefore makes the user's old
 * entries unreachable at once and without any Redis command, so invalidation
 * cannot fail during a Redis outage; and a slow reader that stores a value
 * loaded before the write stores it under the old generation, where no one
 * looks. The TTL clears what is left.
 *
 * While the replica cannot hear other replicas' writes (the LISTEN connection
 * is down) the cache is bypassed; when it hears again, the epoch rotates.
 */
export class ResponseCache {
  private epoch = newEpoch();
  private readonly generations = new Map<number, number>();
  private coherent = false;
  private lastWarning = 0;
  private pausedUntil = 0;
  private readonly pauseAfterErrorMillis: number;
  readonly stats: CacheStats = { hits: 0, misses: 0, bypasses: 0, errors: 0 };
  private readonly prefix: string;
  private readonly maxTrackedUsers: number;

  constructor(
    private readonly redis: Redis | undefined,
    private readonly options: ResponseCacheOptions,
  ) {
    this.prefix = options.prefix ?? 'fittech';
    this.maxTrackedUsers = options.maxTrackedUsers ?? 100_000;
    this.pauseAfterErrorMillis = options.pauseAfterErrorMillis ?? 1_000;
    // ioredis emits 'error' on every failed reconnect; one line per outage is enough.
    redis?.on('error', (error: Error) => this.redisFailed(error));
    redis?.on('ready', () => {
      if (this.lastWarning > 0) this.options.logger.info('cache (Redis) is connected again');
      this.lastWarning = 0;
      this.pausedUntil = 0;
    });
  }

  private redisFailed(error: Error): void {
    const now = Date.now();
    this.pausedUntil = now + this.pauseAfterErrorMillis;
    if (now - this.lastWarning < 30_000) return;
    this.lastWarning = now;
    this.options.logger.warn(
      { err: error.message },
      'cache (Redis) failed; requests read PostgreSQL until it answers again',
    );
  }

  /** `ok` when Redis answers commands, `unavailable` otherwise, `disabled` without Redis. */
  get redisState(): 'ok' | 'unavailable' | 'disabled' {
    if (!this.redis) return 'disabled';
    return this.redis.status === 'ready' ? 'ok' : 'unavailable';
  }

  /** Whether reads may use Redis: it is connected and the replica hears invalidations. */
  get usable(): boolean {
    return this.coherent && this.redis !== undefined && this.redis.status === 'ready';
  }

  /** Usable, and not pausing after a recent failure. */
  private get available(): boolean {
    return this.usable && Date.now() >= this.pausedUntil;
  }

  /** Called when the invalidation channel is lost: stop reading and writing the cache. */
  suspend(): void {
    this.coherent = false;
  }

  /** Called when the invalidation channel is (re-)established: forget everything, then serve again. */
  resume(): void {
    this.flush();
    this.coherent = true;
  }

  /** Makes every entry unreachable (new epoch). Entries expire by TTL. */
  flush(): void {
    this.epoch = newEpoch();
    this.generations.clear();
  }

  /** Makes every entry of this user unreachable. Local, synchronous, cannot fail. */
  invalidateUser(userId: number): void {
    if (!this.generations.has(userId) && this.generations.size >= this.maxTrackedUsers) {
      this.flush();
    }
    this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
  }

  /** The Redis key of a user's entry, e.g. `fittech:3fa2…:u42:g3:dashboard:2025-08-21`. */
  key(userId: number, kind: string): string {
    return `${this.prefix}:${this.epoch}:u${userId}:g${this.generations.get(userId) ?? 0}:${kind}`;
  }

  /**
   * Returns the cached JSON for (user, kind), or loads it, returns it and
   * stores it. `load` returns `undefined` for results that must not be cached
   * (errors). A Redis failure is counted and logged, never thrown.
   */
  async read(
    userId: number,
    kind: string,
    load: () => Promise<string | undefined>,
  ): Promise<{ body: string | undefined; outcome: CacheOutcome }> {
    if (!this.available) {
      this.stats.bypasses += 1;
      return { body: await load(), outcome: 'bypass' };
    }
    const key = this.key(userId, kind);
    const redis = this.redis!;
    try {
      const cached = await redis.get(key);
      if (cached !== null) {
        this.stats.hits += 1;
        return { body: cached, outcome: 'hit' };
      }
    } catch (error) {
      this.stats.errors += 1;
      this.redisFailed(error as Error);
      this.stats.bypasses += 1;
      return { body: await load(), outcome: 'bypass' };
    }
    this.stats.misses += 1;
    const body = await load();
    if (body !== undefined && this.available) {
      redis.set(key, body, 'EX', this.options.ttlSeconds).catch((error: Error) => {
        this.stats.errors += 1;
        this.redisFailed(error);
      });
    }
    return { body, outcome: 'miss' };
  }
}

function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}
