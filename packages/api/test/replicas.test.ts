/**
 * Two API replicas, each with its own Redis, sharing one PostgreSQL: the
 * cache stays coherent across them; Redis outages never fail a request; a
 * PostgreSQL restart drops readiness and the replicas recover on their own.
 */
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  createPool,
  databaseConnection,
  MIGRATION_TIMEOUTS,
  migrations,
  runMigrations,
  type RunningApi,
} from '@fittech/api';
import {
  ownsPostgres,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../../tools/support/servers';
import {
  call,
  migrate,
  newUser,
  nextEvent,
  readinessBecomes,
  startTestApi,
  type TestUser,
} from './support/api';
import { describeWithServers } from './support/stack';

/** "Today" for the dashboard: ages are computed from it. */
const NOW = new Date('2025-08-21T13:00:00Z');

const ONBOARDING = {
  birthdate: '1990-06-15',
  sex: 'male',
  height: 180,
  weight: 80,
  main_goal: 'maintain',
  work_schedule: 'moderate',
  name: 'Before',
};

describeWithServers('two replicas, two Redis servers, one PostgreSQL', () => {
  let pg: PostgresServer;
  let redisA: RedisServer;
  let redisB: RedisServer;
  let a: RunningApi;
  let b: RunningApi;

  beforeAll(async () => {
    [pg, redisA, redisB] = await Promise.all([startPostgres(), startRedis(), startRedis()]);
    await migrate(pg.url);
    [a, b] = await Promise.all([
      startTestApi(pg.url, redisA.url, { now: () => NOW }),
      startTestApi(pg.url, redisB.url, { now: () => NOW }),
    ]);
    await Promise.all(
      [a, b].map((api) => (api.cache.usable ? undefined : nextEvent(api.listener, 'listening'))),
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.shutdown('test finished'), b?.shutdown('test finished')]);
    await Promise.all([pg?.remove(), redisA?.remove(), redisB?.remove()]);
  });

  /** Keys that a replica's own Redis holds for a user. */
  const keysFor = async (server: RedisServer, userId: number) => {
    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    const keys = await client.keys(`*:u${userId}:*`);
    client.disconnect();
    return keys;
  };
  /** Resolves once `api` has heard (through PostgreSQL) of a write for `user`. */
  const heard = (api: RunningApi, user: TestUser) =>
    nextEvent<number>(api.listener, 'invalidated', (id) => id === user.id);

  describe('coherence', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(a, 'coherent');
      const created = await call(a, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: ONBOARDING,
      });
      expect(created.status).toBe(201);
    });

    it("each replica caches in its own Redis: B misses, then hits; A's Redis stays empty", async () => {
      for (const path of [
        `/users/${user.id}/onboarding`,
        `/users/${user.id}/food-logs`,
        '/dashboard',
      ]) {
        const first = await call(b, 'GET', path, { token: user.token });
        const second = await call(b, 'GET', path, { token: user.token });
        expect([path, first.status, first.headers.get('x-cache')]).toEqual([path, 200, 'miss']);
        expect([path, second.status, second.headers.get('x-cache')]).toEqual([path, 200, 'hit']);
        expect(second.body).toEqual(first.body);
      }
      expect(await keysFor(redisB, user.id)).toHaveLength(3);
      expect(await keysFor(redisA, user.id)).toHaveLength(0);
    });

    it('B serves its cached copy when the row changes behind the API (proving the hit is real)', async () => {
      const db = new Client({ connectionString: pg.url });
      await db.connect();
      await db.query("UPDATE onboarding SET name = 'sneaky' WHERE user_id = $1", [user.id]);
      await db.end();
      const res = await call(b, 'GET', `/users/${user.id}/onboarding`, { token: user.token });
      expect([res.headers.get('x-cache'), res.body.name]).toEqual(['hit', 'Before']);
    });

    it('a PUT through A is visible through B once B hears the NOTIFY', async () => {
      const bHeard = heard(b, user);
      const put = await call(a, 'PUT', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: { ...ONBOARDING, name: 'After', weight: 90 },
      });
      expect(put.status).toBe(200);
      await bHeard;
      const onboarding = await call(b, 'GET', `/users/${user.id}/onboarding`, {
        token: user.token,
      });
      expect([
        onboarding.headers.get('x-cache'),
        onboarding.body.name,
        onboarding.body.weight,
      ]).toEqual(['miss', 'After', 90]);
      const dashboard = await call(b, 'GET', '/dashboard', { token: user.token });
      // 900 + 1125 − 5·35 + 5 = 1855 (was 1755 at 80 kg)
      expect(dashboard.body.goals.bmr).toBe(1855);
    });

    it("a food log posted through A shows in B's list and B's dashboard intake", async () => {
      const before = await call(b, 'GET', '/dashboard', { token: user.token });
      expect(before.headers.get('x-cache')).toBe('hit');
      const bHeard = heard(b, user);
      const posted = await call(a, 'POST', `/users/${user.id}/food-logs`, {
        token: user.token,
        json: {
          food_name: 'rice',
          calories: 350,
          protein: 7,
          carbs: 77,
          fats: 1,
          timestamp: NOW.toISOString(),
        },
      });
      expect(posted.status).toBe(201);
      await bHeard;
      const list = await call(b, 'GET', `/users/${user.id}/food-logs`, { token: user.token });
      expect(list.body.map((l: { id: number }) => l.id)).toEqual([posted.body.id]);
      const after = await call(b, 'GET', '/dashboard', { token: user.token });
      expect(after.body.intake_today).toEqual({
        calories: before.body.intake_today.calories + 350,
        protein: before.body.intake_today.protein + 7,
        carbs: before.body.intake_today.carbs + 77,
        fat: before.body.intake_today.fat + 1,
      });
    });

    it('and the other way round: a workout posted through B shows through A', async () => {
      const path = `/users/${user.id}/workout-logs`;
      expect((await call(a, 'GET', path, { token: user.token })).body).toEqual([]);
      expect((await call(a, 'GET', path, { token: user.token })).headers.get('x-cache')).toBe(
        'hit',
      );
      const aHeard = heard(a, user);
      await call(b, 'POST', path, {
        token: user.token,
        json: { workout_type: 'row', duration: 600 },
      });
      await aHeard;
      const list = await call(a, 'GET', path, { token: user.token });
      expect(list.body.map((w: { workout_type: string }) => w.workout_type)).toEqual(['row']);
    });

    it('a lost LISTEN connection bypasses the cache until it is back, then starts from an empty cache', async () => {
      const path = `/users/${user.id}/onboarding`;
      await call(b, 'GET', path, { token: user.token });
      expect((await call(b, 'GET', path, { token: user.token })).headers.get('x-cache')).toBe(
        'hit',
      );

      const lost = nextEvent(b.listener, 'lost');
      const back = nextEvent(b.listener, 'listening');
      const db = new Client({ connectionString: pg.url });
      await db.connect();
      const { rows } = await db.query('SELECT pg_terminate_backend($1) AS terminated', [
        b.listener.backendPid,
      ]);
      expect(rows[0].terminated).toBe(true);
      await db.end();
      await lost;
      await back;
      const after = await call(b, 'GET', path, { token: user.token });
      expect([after.status, after.headers.get('x-cache')]).toEqual([200, 'miss']);
    });
  });

  it('applying a migration tells every replica to drop its cache', async () => {
    const user = await newUser(a, 'migration');
    const path = `/users/${user.id}/food-logs`;
    for (const api of [a, b]) await call(api, 'GET', path, { token: user.token });
    expect((await call(b, 'GET', path, { token: user.token })).headers.get('x-cache')).toBe('hit');
    const flushed = [nextEvent(a.listener, 'flushed'), nextEvent(b.listener, 'flushed')];
    const pool = createPool(databaseConnection(pg.url), { max: 1, timeouts: MIGRATION_TIMEOUTS });
    try {
      const noop = { version: 1_000_000, name: 'test: no-op', sql: 'SELECT 1' };
      expect((await runMigrations(pool, undefined, [...migrations, noop])).applied).toEqual([
        noop.version,
      ]);
    } finally {
      await pool.end();
    }
    await Promise.all(flushed);
    for (const api of [a, b]) {
      expect((await call(api, 'GET', path, { token: user.token })).headers.get('x-cache')).toBe(
        'miss',
      );
    }
  });

  describe('Redis outages', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(a, 'outage');
      await call(a, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: ONBOARDING,
      });
    });

    /** Sends `total` requests, `concurrency` at a time, calling `midway` after half; counts outcomes. */
    async function load(total: number, concurrency: number, midway: () => Promise<void>) {
      const paths = [`/users/${user.id}/onboarding`, `/users/${user.id}/food-logs`, '/dashboard'];
      const counts = { sent: 0, ok: 0, failed: 0, outcomes: {} as Record<string, number> };
      let next = 0;
      let midwayDone: Promise<void> | undefined;
      const worker = async () => {
        while (next < total) {
          const i = next++;
          if (i === Math.floor(total / 2)) midwayDone = midway();
          counts.sent += 1;
          const write = i % 10 === 0;
          const res = write
            ? await call(a, 'POST', `/users/${user.id}/food-logs`, {
                token: user.token,
                json: { food_name: `f${i}`, calories: 1 },
              })
            : await call(a, 'GET', paths[i % 3]!, { token: user.token });
          if (res.status === (write ? 201 : 200)) counts.ok += 1;
          else counts.failed += 1;
          const outcome = res.headers.get('x-cache') ?? 'write';
          counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      await midwayDone;
      return counts;
    }

    it('Redis killed mid-run: no request fails, reads fall through to PostgreSQL, and the cache comes back', async () => {
      const counts = await load(400, 8, () => redisA.kill());
      process.stdout.write(`Redis killed mid-run: ${JSON.stringify(counts)}\n`);
      expect(counts).toMatchObject({ sent: 400, ok: 400, failed: 0 });
      expect(counts.outcomes.hit).toBeGreaterThan(0); // before the kill
      expect(counts.outcomes.bypass).toBeGreaterThan(0); // after it
      expect(a.cache.redisState).toBe('unavailable');
      const ready = await call(a.probesUrl, 'GET', '/ready');
      expect([ready.status, ready.body.cache.redis]).toEqual([200, 'unavailable']);

      const reconnected = nextEvent(a.redis, 'ready');
      await redisA.start();
      await reconnected;
      const path = `/users/${user.id}/food-logs`;
      const first = await call(a, 'GET', path, { token: user.token });
      const second = await call(a, 'GET', path, { token: user.token });
      expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual([
        'miss',
        'hit',
      ]);
      expect(second.body).toHaveLength(40);
    });

    it('Redis frozen (SIGSTOP) mid-run: no request fails, and no entry cached before a write is served after SIGCONT', async () => {
      const path = `/users/${user.id}/onboarding`;
      await call(a, 'GET', path, { token: user.token });
      expect((await call(a, 'GET', path, { token: user.token })).headers.get('x-cache')).toBe(
        'hit',
      );

      const pid = await redisPid(redisA);
      const counts = await load(200, 8, async () => {
        process.kill(pid, 'SIGSTOP');
      });
      // While frozen, a write: the entry Redis still holds is now stale.
      const put = await call(a, 'PUT', path, {
        token: user.token,
        json: { ...ONBOARDING, name: 'while frozen' },
      });
      expect(put.status).toBe(200);
      process.kill(pid, 'SIGCONT');
      process.stdout.write(`Redis frozen mid-run: ${JSON.stringify(counts)}\n`);
      expect(counts).toMatchObject({ sent: 200, ok: 200, failed: 0 });
      expect(counts.outcomes.bypass).toBeGreaterThan(0);

      const after = await call(a, 'GET', path, { token: user.token });
      expect(after.body.name).toBe('while frozen');
    });
  });

  async function redisPid(server: RedisServer): Promise<number> {
    const client = new Redis(server.url);
    const info = await client.info('server');
    client.disconnect();
    return Number(/process_id:(\d+)/.exec(info)![1]);
  }

  const restartable = ownsPostgres ? describe : describe.skip;
  restartable(
    `PostgreSQL restarted${ownsPostgres ? '' : ' (skipped: TEST_DATABASE_URL is a server the tests cannot restart)'}`,
    () => {
      it('readiness drops while it is down (503, cache bypassed), requests get 503, and both replicas recover without a restart', async () => {
        const user = await newUser(a, 'restart');
        expect((await call(a.probesUrl, 'GET', '/ready')).status).toBe(200);

        const lost = [nextEvent(a.listener, 'lost'), nextEvent(b.listener, 'lost')];
        await pg.stop();
        await Promise.all(lost);

        const down = await readinessBecomes(a, 503);
        expect(down.status).toBe(503);
        expect(down.body).toMatchObject({
          status: 'unready',
          database: 'unreachable',
          cache: { mode: 'bypassed', invalidation: 'reconnecting' },
        });
        expect((await call(a, 'GET', '/health')).status).toBe(200); // liveness is unaffected
        const during = await call(a, 'GET', `/users/${user.id}/food-logs`, { token: user.token });
        expect(during.status).toBe(503);
        expect(during.headers.get('retry-after')).toBe('5');

        const back = [nextEvent(a.listener, 'listening'), nextEvent(b.listener, 'listening')];
        await pg.start();
        await Promise.all(back);

        expect((await readinessBecomes(a, 200)).status).toBe(200);
        expect((await readinessBecomes(b, 200)).status).toBe(200);
        const bHeard = heard(b, user);
        const posted = await call(a, 'POST', `/users/${user.id}/food-logs`, {
          token: user.token,
          json: { food_name: 'after restart' },
        });
        expect(posted.status).toBe(201);
        await bHeard;
        const list = await call(b, 'GET', `/users/${user.id}/food-logs`, { token: user.token });
        expect(list.body.map((l: { food_name: string }) => l.food_name)).toEqual(['after restart']);
      });
    },
  );
});
