/**
 * The cache's write path and its cost cuts, against a real Redis:
 * concurrent misses of one key share one load; a write through this replica
 * recomputes the user's entries before bumping, so readers keep hitting and
 * the writer reads its write; a bump by anyone else during that refresh wins;
 * entries go out as stored bytes with their entity tag.
 */
import { createLogger, ResponseCache } from '@fittech/api';
import type { Redis } from 'ioredis';
import { redisUnavailable } from '../../../tools/support/servers';
import { useResponseCache } from './support/redis-cache';

const suite = redisUnavailable ? describe.skip : describe;
const logger = createLogger('silent');

/** A loader that returns `value` once `open()` is called, counting its calls. */
function gated(value: () => string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let called!: () => void;
  const firstCall = new Promise<void>((resolve) => (called = resolve));
  const load = async () => {
    load.calls += 1;
    called();
    await opened;
    return value();
  };
  load.calls = 0;
  return { load, open, firstCall };
}

suite(
  `ResponseCache write path${redisUnavailable ? ` (skipped: ${redisUnavailable})` : ''}`,
  () => {
    let redis: Redis;
    let cache: ResponseCache;

    useResponseCache(logger, (current) => ({ redis, cache } = current));

    it('concurrent misses of one key run one load; the others wait for it (coalesced)', async () => {
      const { load, open, firstCall } = gated(() => '{"n":1}');
      const reads = Array.from({ length: 20 }, () => cache.lookup(1, 'k', load));
      await firstCall;
      open();
      const results = await Promise.all(reads);
      expect(load.calls).toBe(1);
      expect(results.map((r) => r.outcome).sort()).toEqual([
        ...Array<string>(19).fill('coalesced'),
        'miss',
      ]);
      expect(new Set(results.map((r) => r.response!.body.toString()))).toEqual(
        new Set(['{"n":1}']),
      );
      expect(cache.stats).toMatchObject({ misses: 1, coalesced: 19 });
    });

    it('a hit is the stored bytes with the same entity tag; another body has another tag', async () => {
      const first = await cache.lookup(2, 'k', async () => '{"a":1}');
      const again = await cache.lookup(2, 'k', async () => 'not loaded');
      expect(again.outcome).toBe('hit');
      expect(again.response).toBe(first.response);
      expect(first.response!.etag).toMatch(/^"[\w-]{27}"$/);
      const other = await cache.lookup(3, 'k', async () => '{"a":2}');
      expect(other.response!.etag).not.toBe(first.response!.etag);
    });

    it('a write through this replica: readers keep hitting during the refresh, then hit the new entry', async () => {
      let value = 'before';
      const load = async () => JSON.stringify({ value });
      await cache.lookup(4, 'k', load);
      const refresh = gated(() => JSON.stringify({ value }));
      await cache.lookup(4, 'k', refresh.load); // the loader the refresh will use
      value = 'after'; // the write commits
      const written = cache.written(4);
      await refresh.firstCall;
      const during = await cache.lookup(4, 'k', refresh.load);
      expect([during.outcome, during.response!.body.toString()]).toEqual([
        'hit',
        '{"value":"before"}',
      ]);
      refresh.open();
      await written;
      const after = await cache.lookup(4, 'k', async () => 'not loaded');
      expect([after.outcome, after.response!.body.toString()]).toEqual([
        'hit',
        '{"value":"after"}',
      ]);
      expect(cache.stats.refreshed).toBe(1);
      await redis.ping(); // the SET that follows
      expect(await redis.getBuffer(cache.key(4, 'k'))).toEqual(after.response!.body);
    });

    it('a bump by another replica during the refresh wins: the refreshed value is not installed', async () => {
      await cache.lookup(5, 'k', async () => '"old"');
      const refresh = gated(() => '"refreshed, maybe before the other write"');
      await cache.lookup(5, 'k', refresh.load);
      const written = cache.written(5);
      await refresh.firstCall;
      cache.invalidateUser(5); // another replica's write is heard meanwhile
      refresh.open();
      await written;
      const next = await cache.lookup(5, 'k', async () => '"fresh"');
      expect([next.outcome, next.response!.body.toString()]).toEqual(['miss', '"fresh"']);
    });

    it('writes that arrive during a refresh share the next one, which starts after it', async () => {
      await cache.lookup(6, 'k', async () => '0');
      let n = 0;
      const first = gated(() => String(++n));
      await cache.lookup(6, 'k', first.load);
      const a = cache.written(6);
      await first.firstCall;
      const b = cache.written(6);
      const c = cache.written(6);
      expect(b).toBe(c);
      first.open();
      await Promise.all([a, b, c]);
      // One refresh for `a`, one shared by `b` and `c` (its loader was no longer gated).
      expect(first.load.calls).toBe(2);
      expect((await cache.lookup(6, 'k', async () => 'x')).response!.body.toString()).toBe('2');
    });

    it('a refresh past its budget bumps without waiting: the writer never reads its old data', async () => {
      const slow = new ResponseCache(redis, { ttlSeconds: 60, logger, refreshBudgetMillis: 20 });
      slow.resume();
      await slow.lookup(7, 'k', async () => '"old"');
      await slow.lookup(7, 'k', () => new Promise<string>(() => undefined)); // never settles
      await slow.written(7);
      expect((await slow.lookup(7, 'k', async () => '"new"')).outcome).toBe('miss');
    });

    it('a write for a user with nothing cached here only bumps', async () => {
      const key = cache.key(8, 'k');
      await cache.written(8);
      expect(cache.key(8, 'k')).not.toBe(key);
      expect(cache.stats.refreshed).toBe(0);
    });

    it('while Redis is out of play a write bumps, and nothing is refreshed or stored', async () => {
      await cache.lookup(9, 'k', async () => '"old"');
      cache.suspend();
      await cache.written(9);
      expect(cache.stats.refreshed).toBe(0);
    });
  },
);
