/**
 * ResponseCache against a real Redis: cache-aside, per-user invalidation that
 * a slow reader cannot undo, suspension while invalidations cannot be heard,
 * and fall-through to the loader whenever Redis fails.
 */
import { createLogger, createRedisClient, ResponseCache } from '@fittech/api';
import type { Redis } from 'ioredis';
import { freePort, redisUnavailable } from '../../../tools/support/servers';
import { useResponseCache } from './support/redis-cache';

const suite = redisUnavailable ? describe.skip : describe;
const logger = createLogger('silent');

suite(`ResponseCache${redisUnavailable ? ` (skipped: ${redisUnavailable})` : ''}`, () => {
  let redis: Redis;
  let cache: ResponseCache;

  useResponseCache(logger, (current) => ({ redis, cache } = current));

  /** A loader that counts its calls and returns `value`. */
  const loader = (value: string) => {
    const load = async () => {
      load.calls += 1;
      return value;
    };
    load.calls = 0;
    return load;
  };
  /** Waits for the fire-and-forget SET that follows a miss. */
  const settled = () => redis.ping();

  it('misses, stores with the TTL backstop, then hits without loading', async () => {
    const load = loader('{"a":1}');
    expect(await cache.read(1, 'k', load)).toEqual({ body: '{"a":1}', outcome: 'miss' });
    await settled();
    expect(await cache.read(1, 'k', load)).toEqual({ body: '{"a":1}', outcome: 'hit' });
    expect(load.calls).toBe(1);
    const ttl = await redis.ttl(cache.key(1, 'k'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('does not store a result the loader marks as not cacheable', async () => {
    const load = async () => undefined;
    await cache.read(2, 'missing', load);
    await settled();
    expect(await redis.exists(cache.key(2, 'missing'))).toBe(0);
  });

  it("invalidating a user hides every entry of that user, and only that user's", async () => {
    await cache.read(3, 'a', loader('a3'));
    await cache.read(3, 'b', loader('b3'));
    await cache.read(4, 'a', loader('a4'));
    await settled();
    cache.invalidateUser(3);
    expect((await cache.read(3, 'a', loader('new a3'))).outcome).toBe('miss');
    expect((await cache.read(3, 'b', loader('new b3'))).body).toBe('new b3');
    expect((await cache.read(4, 'a', loader('x'))).outcome).toBe('hit');
  });

  it('a reader that loaded before a write cannot store its stale value where later readers look', async () => {
    let release!: () => void;
    let loading!: () => void;
    const loaderCalled = new Promise<void>((r) => (loading = r));
    const slow = async () => {
      loading();
      await new Promise<void>((r) => (release = r));
      return 'stale (loaded before the write)';
    };
    const reading = cache.read(5, 'k', slow);
    await loaderCalled;
    cache.invalidateUser(5); // the write commits while the slow read is in flight
    release();
    await reading;
    await settled();
    expect(await cache.read(5, 'k', loader('fresh'))).toEqual({ body: 'fresh', outcome: 'miss' });
  });

  it('while suspended (invalidations cannot be heard) it neither reads nor writes Redis', async () => {
    await cache.read(6, 'k', loader('cached'));
    await settled();
    cache.suspend();
    expect(await cache.read(6, 'k', loader('from db'))).toEqual({
      body: 'from db',
      outcome: 'bypass',
    });
    const before = await redis.dbsize();
    await cache.read(7, 'k', loader('from db'));
    await settled();
    expect(await redis.dbsize()).toBe(before);
  });

  it('resuming starts from an empty cache (notifications may have been missed)', async () => {
    await cache.read(8, 'k', loader('old'));
    await settled();
    cache.suspend();
    cache.resume();
    expect(await cache.read(8, 'k', loader('new'))).toEqual({ body: 'new', outcome: 'miss' });
  });

  it('rotates everything instead of tracking more users than allowed', async () => {
    const small = new ResponseCache(redis, { ttlSeconds: 60, logger, maxTrackedUsers: 2 });
    small.resume();
    await small.read(9, 'k', loader('nine'));
    await settled();
    small.invalidateUser(10);
    small.invalidateUser(11);
    small.invalidateUser(12); // a third user: the whole cache rotates
    expect((await small.read(9, 'k', loader('nine again'))).outcome).toBe('miss');
  });

  it('falls through to the loader when Redis is unreachable, without waiting for it', async () => {
    const port = await freePort(); // nothing listens there
    const unreachable = createRedisClient(`redis://127.0.0.1:${port}/0`);
    unreachable.on('error', () => undefined);
    const offline = new ResponseCache(unreachable, { ttlSeconds: 60, logger });
    offline.resume();
    try {
      expect(offline.redisState).toBe('unavailable');
      expect(await offline.read(1, 'k', loader('from db'))).toEqual({
        body: 'from db',
        outcome: 'bypass',
      });
    } finally {
      unreachable.disconnect();
    }
  });
});
