/**
 * A ResponseCache on a real Redis, for the cache's suites: the server and a
 * client once per suite (removed after it), a fresh cache before each test,
 * listening as when the invalidation channel is heard.
 */
import { createRedisClient, ResponseCache, type createLogger } from '@fittech/api';
import type { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../../../tools/support/servers';
import { nextEvent } from './api';

type Logger = ReturnType<typeof createLogger>;

export interface RedisCache {
  readonly redis: Redis;
  readonly cache: ResponseCache;
}

/** Registers the hooks; `use` gets the client and each test's new cache. */
export function useResponseCache(logger: Logger, use: (current: RedisCache) => void): void {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    // These suites test the cache's logic, not Redis timeouts: the API's 250 ms command timeout
    // would pause the cache (a bypass) whenever a busy machine delays an answer.
    redis = createRedisClient(server.url, { commandTimeoutMillis: 30_000 });
    await nextEvent(redis, 'ready');
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.remove();
  });
  beforeEach(() => {
    const cache = new ResponseCache(redis!, { ttlSeconds: 60, logger });
    cache.resume();
    use({ redis: redis!, cache });
  });
}
