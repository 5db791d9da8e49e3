import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { cachedResponse, type CachedResponse } from './cached-response';

/**
 * What a read did: served a stored entry (`hit`), loaded and stored it
 * (`miss`), waited for a load that a concurrent request of the same key had
 * already started (`coalesced`), or loaded with the cache out of play (`bypass`).
 */
export type CacheOutcome = 'hit' | 'miss' | 'coalesced' | 'bypass';

export interface CacheStats {
  hits: number;
  misses: number;
  coalesced: number;
  bypasses: number;
  /** Redis commands that failed or timed out (each one fell through to PostgreSQL). */
  errors: number;
  /** Entries recomputed right after a write on this replica, before it was answered. */
  refreshed: number;
}

/** Loads a user's entry from PostgreSQL; `undefined` for results that must not be cached. */
export type Loader = () => Promise<string | undefined>;

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
  /** Bytes of response bodies kept in this process, in front of Redis (default 16 MiB). */
  readonly memoryBytes?: number;
  /**
   * How long a write's answer may wait for the refresh of the user's entries
   * before the entries are simply made unreachable instead, ms (default 500).
   */
  readonly refreshBudgetMillis?: number;
}

/** An entry being loaded, shared by every concurrent read of its key. */
interface Flight {
  readonly promise: Promise<{ response: CachedResponse | undefined; outcome: CacheOutcome }>;
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
 * Entries live in Redis and, as the bytes that go out, in a bounded LRU in
 * this process, so a hit costs no round trip. Concurrent misses of one key
 * share one load (single-flight). A write through this replica recomputes the
 * user's cached entries from the committed state and only then bumps the
 * generation, so readers keep hitting while it runs (see {@link written}).
 *
 * While the replica cannot hear other replicas' writes (the LISTEN connection
 * is down), or Redis fails, the cache is bypassed; when it hears again, the
 * epoch rotates.
 */
export class ResponseCache {
  private epoch = newEpoch();
  private readonly generations = new Map<number, number>();
  private coherent = false;
  private lastWarning = 0;
  private pausedUntil = 0;
  private readonly pauseAfterErrorMillis: number;
  readonly stats: CacheStats = {
    hits: 0,
    misses: 0,
    coalesced: 0,
    bypasses: 0,
    errors: 0,
    refreshed: 0,
  };
  private readonly prefix: string;
  private readonly maxTrackedUsers: number;
  private readonly refreshBudgetMillis: number;
  private readonly memory: LRUCache<string, CachedResponse>;
  private readonly flights = new Map<string, Flight>();
  /** How to recompute each kind of a user's entries, for the refresh after a write. */
  private readonly loaders: LRUCache<number, Map<string, Loader>>;
  /** Per user: the refresh running now, and the one queued behind it. */
  private readonly refreshes = new Map<number, { running: Promise<void>; next?: Promise<void> }>();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly options: ResponseCacheOptions,
  ) {
    this.prefix = options.prefix ?? 'fittech';
    this.maxTrackedUsers = options.maxTrackedUsers ?? 100_000;
    this.pauseAfterErrorMillis = options.pauseAfterErrorMillis ?? 1_000;
    this.refreshBudgetMillis = options.refreshBudgetMillis ?? 500;
    this.memory = new LRUCache({
      maxSize: options.memoryBytes ?? 16 * 2 ** 20,
      sizeCalculation: (r) => r.body.length + r.etag.length + 64,
      ttl: options.ttlSeconds * 1000,
    });
    this.loaders = new LRUCache({ max: Math.min(this.maxTrackedUsers, 10_000) });
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

  /** Whether reads may use the cache: Redis is connected and the replica hears invalidations. */
  get usable(): boolean {
    return this.coherent && this.redis !== undefined && this.redis.status === 'ready';
  }

  /** Usable, and not pausing after a recent failure. */
  private get available(): boolean {
    return this.usable && (this.pausedUntil === 0 || Date.now() >= this.pausedUntil);
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
    this.memory.clear();
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
    load: Loader,
  ): Promise<{ body: string | undefined; outcome: CacheOutcome }> {
    const { response, outcome } = await this.lookup(userId, kind, load);
    return { body: response?.body.toString(), outcome };
  }

  /**
   * The entry this replica holds in memory for (user, kind), counted as a
   * hit, or `undefined` (then {@link lookup} loads it). Lets a route answer a
   * hit without waiting a turn of the event loop. `load` is remembered as in
   * {@link lookup}, so a write through this replica can refresh the entry.
   */
  hit(userId: number, kind: string, load: Loader): CachedResponse | undefined {
    if (!this.available) return undefined;
    this.rememberLoader(userId, kind, load);
    const stored = this.memory.get(this.key(userId, kind));
    if (stored !== undefined) this.stats.hits += 1;
    return stored;
  }

  /** As {@link read}, with the entry as it goes out (bytes and entity tag). */
  lookup(
    userId: number,
    kind: string,
    load: Loader,
  ): Promise<{ response: CachedResponse | undefined; outcome: CacheOutcome }> {
    if (!this.available) {
      this.stats.bypasses += 1;
      return loadUncached(load, 'bypass');
    }
    const stored = this.hit(userId, kind, load);
    if (stored !== undefined) return Promise.resolve({ response: stored, outcome: 'hit' });
    const key = this.key(userId, kind);
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      this.stats.coalesced += 1;
      return flight.promise.then(({ response, outcome }) => ({
        response,
        outcome: outcome === 'miss' ? 'coalesced' : outcome,
      }));
    }
    const promise = this.fill(userId, kind, key, load);
    this.flights.set(key, { promise });
    const land = () => this.flights.delete(key);
    promise.then(land, land);
    return promise;
  }

  /** Redis, then PostgreSQL; stores what it loaded in both. */
  private async fill(
    userId: number,
    kind: string,
    key: string,
    load: Loader,
  ): Promise<{ response: CachedResponse | undefined; outcome: CacheOutcome }> {
    const redis = this.redis!;
    try {
      // One round trip: the entry and its remaining TTL (which the copy in memory keeps).
      const [[getError, body], [, ttl]] = (await redis
        .pipeline()
        .getBuffer(key)
        .pttl(key)
        .exec()) as [[Error | null, Buffer | null], [Error | null, number]];
      if (getError) throw getError;
      if (body !== null) {
        this.stats.hits += 1;
        const response = cachedResponse(body);
        if (ttl > 0) this.memory.set(key, response, { ttl });
        return { response, outcome: 'hit' };
      }
    } catch (error) {
      this.stats.errors += 1;
      this.redisFailed(error as Error);
      this.stats.bypasses += 1;
      return loadUncached(load, 'bypass');
    }
    this.stats.misses += 1;
    const json = await load();
    if (json === undefined) return { response: undefined, outcome: 'miss' };
    const response = cachedResponse(json);
    this.store(key, response, key === this.key(userId, kind));
    return { response, outcome: 'miss' };
  }

  /** Stores in memory at once and in Redis; resolves once Redis answered (or failed). */
  private store(key: string, response: CachedResponse, current: boolean): Promise<void> {
    if (!this.available) return Promise.resolve();
    // An entry stored under a generation that a write has already replaced is never read.
    if (current) this.memory.set(key, response);
    return this.redis!.set(key, response.body, 'EX', this.options.ttlSeconds).then(
      () => undefined,
      (error: Error) => {
        this.stats.errors += 1;
        this.redisFailed(error);
      },
    );
  }

  private rememberLoader(userId: number, kind: string, load: Loader): void {
    let kinds = this.loaders.get(userId);
    if (kinds === undefined) this.loaders.set(userId, (kinds = new Map()));
    kinds.set(kind, load);
  }

  /**
   * A write for this user committed through this replica; resolves when the
   * write may be answered. The user's entries that this replica holds are
   * recomputed from the committed state first, and then, in one step, the
   * generation is bumped and the new entries stored under it: readers keep
   * hitting the previous entries meanwhile (the write is not answered yet, so
   * no one can expect to see it), and the writer reads its own write at once.
   *
   * A refresh is installed only if no other bump happened while it ran (a
   * write on another replica, a flush); that bump already hides the entries
   * the write changed. Writes arriving during a refresh share the next one,
   * which starts after it. Past `refreshBudgetMillis` the generation is bumped
   * without waiting. Writes on other replicas never take this path: they bump
   * as soon as they are heard.
   */
  written(userId: number): Promise<void> {
    const state = this.refreshes.get(userId);
    if (state === undefined) return this.startRefresh(userId);
    state.next ??= state.running.then(noop, noop).then(() => this.startRefresh(userId));
    return state.next;
  }

  private startRefresh(userId: number): Promise<void> {
    const running = this.refresh(userId);
    this.refreshes.set(userId, { running });
    const done = () => {
      const state = this.refreshes.get(userId);
      if (state?.running === running && state.next === undefined) this.refreshes.delete(userId);
    };
    running.then(done, done);
    return running;
  }

  private async refresh(userId: number): Promise<void> {
    const epoch = this.epoch;
    const generation = this.generations.get(userId) ?? 0;
    const hot = this.available ? this.hotKinds(userId) : [];
    let loaded: PromiseSettledResult<string | undefined>[] | undefined;
    if (hot.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), this.refreshBudgetMillis);
      });
      // Alongside the loads (no extra round trip): the entries being replaced get a short TTL
      // in Redis, and a Redis that stopped answering is noticed before the write is answered.
      const retire = this.retire(hot.map(([kind]) => this.key(userId, kind)));
      const loads = Promise.allSettled(hot.map(([, load]) => load()));
      loaded = await Promise.race([Promise.all([loads, retire]).then(([l]) => l), budget]);
      clearTimeout(timer);
    }
    // A flush or another bump since the refresh began already hides what the write changed.
    if (this.epoch !== epoch || (this.generations.get(userId) ?? 0) !== generation) return;
    this.invalidateUser(userId);
    loaded?.forEach((result, i) => {
      if (result.status !== 'fulfilled' || result.value === undefined) return;
      this.stats.refreshed += 1;
      void this.store(this.key(userId, hot[i]![0]), cachedResponse(result.value), true);
    });
  }

  /** Shortens the Redis TTL of entries that are about to be replaced; never throws. */
  private async retire(keys: string[]): Promise<void> {
    const pipeline = this.redis!.pipeline();
    for (const key of keys) pipeline.pexpire(key, 2 * this.refreshBudgetMillis);
    try {
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
    } catch (error) {
      this.stats.errors += 1;
      this.redisFailed(error as Error);
    }
  }

  /** The kinds of this user's entries held in memory now, with their loaders. */
  private hotKinds(userId: number): [string, Loader][] {
    const kinds = this.loaders.get(userId);
    if (kinds === undefined) return [];
    return [...kinds].filter(([kind]) => this.memory.has(this.key(userId, kind)));
  }
}

async function loadUncached(
  load: Loader,
  outcome: CacheOutcome,
): Promise<{ response: CachedResponse | undefined; outcome: CacheOutcome }> {
  const json = await load();
  return { response: json === undefined ? undefined : cachedResponse(json), outcome };
}

const noop = () => undefined;

function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}
