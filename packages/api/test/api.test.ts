/**
 * Every endpoint against real PostgreSQL and Redis servers: success and
 * error codes as in the original service, bodies, authorization, validation.
 */
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import type { RunningApi } from '@fittech/api';
import type { PostgresServer, RedisServer } from '../../../tools/support/servers';
import {
  call,
  newUser,
  nextEvent,
  startTestApi,
  TEST_SECRET,
  UNREACHED_RATE_LIMITS,
  type TestUser,
} from './support/api';
import { describeWithServers, useStack } from './support/stack';

const ONBOARDING = {
  name: 'Ada',
  birthdate: '1990-06-15',
  sex: 'female',
  height: 165,
  weight: 60,
  main_goal: 'maintain',
  weight_target: 58,
  deadline: '2026-01-31',
  medical_conditions: 'none',
  sleep_hours: 7.5,
  work_schedule: 'moderate',
  percFat: 24.5,
  percMuscle: 31.25,
  injuryHist: 'knee',
  expLevel: 'beginner',
  restrictedFoods: 'peanuts',
  timeAvailability: 'evenings',
  materialAccess: 'gym',
};

describeWithServers('the API over HTTP', () => {
  /** "Today" for the dashboard, fixed so ages and "today's" logs are deterministic. */
  const NOW = new Date('2025-08-21T13:00:00Z');
  const stack = useStack({
    apis: async ({ pg, redis }) => {
      const api = await startTestApi(pg.url, redis[0]!.url, {
        now: () => NOW,
        rateLimits: {
          ...UNREACHED_RATE_LIMITS,
          loginPerAccount: { points: 5, durationSeconds: 60 },
        },
      });
      // The LISTEN connection comes up on its own; the readiness test expects it.
      if (!api.cache.usable) await nextEvent(api.listener, 'listening');
      return [api];
    },
  });
  let pg: PostgresServer;
  let redis: RedisServer;
  let api: RunningApi;
  beforeAll(() => {
    ({ pg, api } = stack);
    redis = stack.redis[0]!;
  });

  describe('probes', () => {
    it('GET /health is {"status":"ok"}', async () => {
      const res = await call(api, 'GET', '/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('GET /ready on the probe listener is 200 when PostgreSQL answers and reports the cache', async () => {
      const res = await call(api.probesUrl, 'GET', '/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'ready',
        database: 'ok',
        cache: { redis: 'ok', invalidation: 'listening', mode: 'enabled' },
      });
    });
  });

  describe('POST /auth/register', () => {
    it('creates a user: 201 {id, email}', async () => {
      const email = `new-${Date.now()}@example.com`;
      const res = await call(api, 'POST', '/auth/register', {
        json: { email, password: 'long-enough' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(Number), email });
    });

    it('refuses an email already registered: 400', async () => {
      const user = await newUser(api);
      const res = await call(api, 'POST', '/auth/register', {
        json: { email: user.email, password: 'other-password' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ detail: 'Email already registered' });
    });

    it('lets exactly one of two simultaneous registrations of an email win', async () => {
      const email = `race-${Date.now()}@example.com`;
      const replies = await Promise.all(
        [1, 2, 3].map(() =>
          call(api, 'POST', '/auth/register', { json: { email, password: 'long-enough' } }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([201, 400, 400]);
    });

    it('422 names an invalid email and each missing field, without echoing the password', async () => {
      const bad = await call(api, 'POST', '/auth/register', {
        json: { email: 'not-an-email', password: 'hunter22' },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toEqual([
        expect.objectContaining({ type: 'value_error', loc: ['body', 'email'] }),
      ]);
      expect(JSON.stringify(bad.body)).not.toContain('hunter22');

      const missing = await call(api, 'POST', '/auth/register', { json: {} });
      expect(missing.status).toBe(422);
      expect(missing.body.detail.map((d: { loc: string[] }) => d.loc)).toEqual([
        ['body', 'email'],
        ['body', 'password'],
      ]);
      expect(missing.body.detail[0]).toEqual({
        type: 'missing',
        loc: ['body', 'email'],
        msg: 'Field required',
      });
    });

    it('422 for a body that is not JSON', async () => {
      const res = await fetch(`${api.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email": ',
      });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { detail: { type: string }[] };
      expect(body.detail[0]!.type).toBe('json_invalid');
    });
  });

  describe('POST /auth/token', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(api, 'token');
    });

    it('issues a bearer JWT for the form-encoded email and password', async () => {
      const res = await call(api, 'POST', '/auth/token', {
        form: { username: user.email, password: user.password },
      });
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('bearer');
      const claims = jwt.verify(res.body.access_token, TEST_SECRET, { algorithms: ['HS256'] });
      // Bound to the account id and its token version, not to the email.
      expect(claims).toMatchObject({ sub: String(user.id), ver: 0 });
      const { exp, iat } = claims as { exp: number; iat: number };
      expect(exp - iat).toBe(30 * 60); // ACCESS_TOKEN_EXPIRE_MINUTES' default
    });

    it('400 for a wrong password or an unknown email', async () => {
      for (const form of [
        { username: user.email, password: 'wrong' },
        { username: 'nobody@example.com', password: user.password },
      ]) {
        const res = await call(api, 'POST', '/auth/token', { form });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ detail: 'Incorrect email or password' });
      }
    });

    it('422 when the form lacks a field (JSON is not a form)', async () => {
      const res = await call(api, 'POST', '/auth/token', {
        json: { username: user.email, password: user.password },
      });
      expect(res.status).toBe(422);
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toEqual([
        ['body', 'username'],
        ['body', 'password'],
      ]);
    });

    it('rate-limits failed attempts per account (429), not successful ones', async () => {
      const victim = await newUser(api, 'victim');
      for (let i = 0; i < 5; i += 1) {
        const res = await call(api, 'POST', '/auth/token', {
          form: { username: victim.email, password: `guess-${i}` },
        });
        expect(res.status).toBe(400);
      }
      const blocked = await call(api, 'POST', '/auth/token', {
        form: { username: victim.email, password: victim.password },
      });
      expect(blocked.status).toBe(429);
      expect(blocked.body).toEqual({
        detail: 'Too many failed login attempts; wait before trying again',
      });
      expect(blocked.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(blocked.headers.get('ratelimit')).toMatch(/^limit=5, remaining=0, reset=\d+$/);
      expect(blocked.headers.get('ratelimit-policy')).toContain('5;w=60');
      // Another account from the same client is not locked out.
      const other = await call(api, 'POST', '/auth/token', {
        form: { username: user.email, password: user.password },
      });
      expect(other.status).toBe(200);
    });
  });

  describe('authorization', () => {
    let alice: TestUser;
    let bob: TestUser;
    beforeAll(async () => {
      [alice, bob] = await Promise.all([newUser(api, 'alice'), newUser(api, 'bob')]);
    });

    const protectedRoutes = (id: number): [string, string, unknown?][] => [
      ['GET', `/users/${id}/onboarding`],
      ['POST', `/users/${id}/onboarding`, {}],
      ['PUT', `/users/${id}/onboarding`, {}],
      ['GET', `/users/${id}/food-logs`],
      ['POST', `/users/${id}/food-logs`, { food_name: 'x' }],
      ['GET', `/users/${id}/workout-logs`],
      ['POST', `/users/${id}/workout-logs`, {}],
      ['GET', '/dashboard'],
    ];

    it('401 on every protected route without a token, with a Bearer challenge', async () => {
      for (const [method, path, json] of protectedRoutes(alice.id)) {
        const res = await call(api, method, path, { json });
        expect([method, path, res.status, res.body]).toEqual([
          method,
          path,
          401,
          { detail: 'Not authenticated' },
        ]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    });

    it('401 for a malformed header, a forged token, an expired token, a token without exp and a token of another algorithm', async () => {
      const claims = { sub: String(alice.id), ver: 0 };
      const forged = jwt.sign(claims, 'a-different-secret-of-at-least-32-chars!!', {
        expiresIn: 600,
      });
      const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, TEST_SECRET);
      const otherAlgorithm = jwt.sign(claims, TEST_SECRET, { algorithm: 'HS512', expiresIn: 600 });
      const unsigned = jwt.sign(claims, '', { algorithm: 'none' });
      // Correctly signed but never expiring (issue 27: it was accepted).
      const noExpiry = jwt.sign(claims, TEST_SECRET);
      // The earlier format named the email: such tokens are refused, their holders log in again.
      const emailToken = jwt.sign({ sub: alice.email }, TEST_SECRET, { expiresIn: 600 });
      const path = `/users/${alice.id}/food-logs`;
      for (const authorization of [
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        'Bearer',
        `Token ${alice.token}`,
      ]) {
        const res = await call(api, 'GET', path, { headers: { authorization } });
        expect([authorization, res.status]).toEqual([authorization, 401]);
      }
      for (const token of [
        forged,
        expired,
        otherAlgorithm,
        unsigned,
        noExpiry,
        emailToken,
        'not.a.jwt',
      ]) {
        const res = await call(api, 'GET', path, { token });
        expect([token, res.status, res.body]).toEqual([token, 401, { detail: 'Invalid token' }]);
      }
      const expiredReply = await call(api, 'GET', path, { token: expired });
      expect(expiredReply.headers.get('www-authenticate')).toContain('expired');
    });

    it('404 "User not found" for a valid token of a user that does not exist (as the original)', async () => {
      const ghost = jwt.sign({ sub: '2000000000', ver: 0 }, TEST_SECRET, { expiresIn: 600 });
      const res = await call(api, 'GET', '/dashboard', { token: ghost });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'User not found' });
    });

    it("403 on another user's id, for every method", async () => {
      for (const [method, path, json] of protectedRoutes(bob.id)) {
        if (path === '/dashboard') continue;
        const res = await call(api, method, path, { json, token: alice.token });
        expect([method, path, res.status, res.body]).toEqual([
          method,
          path,
          403,
          { detail: 'Not authorized' },
        ]);
      }
    });

    it('422 for a user id that is not an integer', async () => {
      const res = await call(api, 'GET', '/users/abc/food-logs', { token: alice.token });
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['path', 'user_id']);
    });
  });

  describe('/users/{user_id}/onboarding', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(api, 'onboarding');
    });
    const path = () => `/users/${user.id}/onboarding`;

    it('GET is 404 before any onboarding, PUT too', async () => {
      const get = await call(api, 'GET', path(), { token: user.token });
      expect(get.status).toBe(404);
      expect(get.body).toEqual({ detail: 'Onboarding not found' });
      const put = await call(api, 'PUT', path(), { json: ONBOARDING, token: user.token });
      expect(put.status).toBe(404);
    });

    it('POST creates it (201), the path user wins over a body user_id; a second POST is 400', async () => {
      const created = await call(api, 'POST', path(), {
        json: { ...ONBOARDING, user_id: 999_999 },
        token: user.token,
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(Number), user_id: user.id, ...ONBOARDING });

      const again = await call(api, 'POST', path(), { json: ONBOARDING, token: user.token });
      expect(again.status).toBe(400);
      expect(again.body).toEqual({ detail: 'Onboarding already exists' });
    });

    it('GET returns it (200), PUT replaces it (200) and GET then shows the new values', async () => {
      const get = await call(api, 'GET', path(), { token: user.token });
      expect(get.status).toBe(200);
      expect(get.body).toMatchObject(ONBOARDING);

      const put = await call(api, 'PUT', path(), {
        json: { weight: 58, sex: 'female', name: 'Ada L.' },
        token: user.token,
      });
      expect(put.status).toBe(200);
      // A PUT replaces the record: fields it omits become null, as in the original.
      expect(put.body).toMatchObject({ weight: 58, name: 'Ada L.', height: null, percFat: null });

      const after = await call(api, 'GET', path(), { token: user.token });
      expect(after.body).toEqual(put.body);
    });

    it('accepts the original tests\' placeholder values and lax numbers ("170", 70.0)', async () => {
      const other = await newUser(api, 'placeholder');
      const res = await call(api, 'POST', `/users/${other.id}/onboarding`, {
        token: other.token,
        json: {
          user_id: other.id,
          name: 'string',
          birthdate: '2025-08-21',
          sex: 'string',
          height: '170',
          weight: 70.0,
          main_goal: 'string',
          weight_target: 0,
          deadline: '2025-08-21',
          medical_conditions: 'string',
          sleep_hours: 0,
          work_schedule: 'string',
          percFat: 0,
          percMuscle: 0,
          injuryHist: 'string',
          expLevel: 'string',
          restrictedFoods: 'string',
          timeAvailability: 'string',
          materialAccess: 'string',
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ height: 170, weight: 70 });
    });

    it('422 names every invalid field', async () => {
      const res = await call(api, 'PUT', path(), {
        token: user.token,
        json: { height: 1.5, birthdate: '1990-02-30', sleep_hours: 'lots', name: 7 },
      });
      expect(res.status).toBe(422);
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc[1]).sort()).toEqual([
        'birthdate',
        'height',
        'name',
        'sleep_hours',
      ]);
    });
  });

  describe('food and workout logs', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await newUser(api, 'logs');
    });

    it('POST food-logs is 201 with id and user_id; GET lists them in order', async () => {
      const path = `/users/${user.id}/food-logs`;
      const first = await call(api, 'POST', path, {
        token: user.token,
        json: {
          food_name: 'oats',
          serving_size: 80,
          serving_unit: 'g',
          calories: 300,
          protein: 10,
          carbs: 54,
          fats: 6,
          timestamp: '2025-08-21T13:33:10.012345Z',
        },
      });
      expect(first.status).toBe(201);
      expect(first.body).toEqual({
        id: expect.any(Number),
        user_id: user.id,
        food_name: 'oats',
        serving_size: 80,
        serving_unit: 'g',
        calories: 300,
        protein: 10,
        carbs: 54,
        fats: 6,
        timestamp: '2025-08-21T13:33:10.012345Z',
      });
      const second = await call(api, 'POST', path, {
        token: user.token,
        json: { food_name: 'tea' },
      });
      expect(second.status).toBe(201);
      expect(second.body.calories).toBeNull();
      // No timestamp means now (UTC).
      expect(Math.abs(Date.parse(second.body.timestamp) - Date.now())).toBeLessThan(60_000);

      const list = await call(api, 'GET', path, { token: user.token });
      expect(list.status).toBe(200);
      expect(list.body.map((l: { food_name: string }) => l.food_name)).toEqual(['oats', 'tea']);
    });

    it('timestamps with an offset are stored as the same instant, shown in UTC', async () => {
      const res = await call(api, 'POST', `/users/${user.id}/food-logs`, {
        token: user.token,
        json: { food_name: 'late snack', timestamp: '2025-08-21T23:30:00+02:00' },
      });
      expect(res.body.timestamp).toBe('2025-08-21T21:30:00Z');
    });

    it('422 when food_name is missing or a number is not one', async () => {
      const res = await call(api, 'POST', `/users/${user.id}/food-logs`, {
        token: user.token,
        json: { calories: 'many', timestamp: 'yesterday' },
      });
      expect(res.status).toBe(422);
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc[1])).toEqual([
        'food_name',
        'calories',
        'timestamp',
      ]);
    });

    it('POST workout-logs is 201 with every field optional; GET lists them', async () => {
      const path = `/users/${user.id}/workout-logs`;
      const full = {
        date: '2025-08-21T13:34:43.735Z',
        workout_type: 'run',
        duration: 1800,
        total_distance: 5.2,
        avg_pace: 5.77,
        avg_heart_rate: 150,
        max_heart_rate: 178,
        calories_burned: 420,
        notes: 'easy',
      };
      const created = await call(api, 'POST', path, { token: user.token, json: full });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(Number),
        user_id: user.id,
        ...full,
        date: '2025-08-21T13:34:43.735000Z',
      });
      const empty = await call(api, 'POST', path, { token: user.token, json: {} });
      expect(empty.status).toBe(201);
      const list = await call(api, 'GET', path, { token: user.token });
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
    });
  });

  describe('GET /dashboard', () => {
    it('404 without onboarding', async () => {
      const user = await newUser(api, 'no-onboarding');
      const res = await call(api, 'GET', '/dashboard', { token: user.token });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Onboarding data not found' });
    });

    it.each([
      [{ ...ONBOARDING, sex: 'other' }, "Sex must be 'male' or 'female'"],
      [{ ...ONBOARDING, weight: null }, 'Missing required biometric data'],
      [{ ...ONBOARDING, work_schedule: null }, 'Missing work_schedule (activity level)'],
      [{ ...ONBOARDING, work_schedule: 'Couch' }, 'Invalid activity level: couch'],
      [{ ...ONBOARDING, main_goal: null }, 'Missing main_goal'],
      [{ ...ONBOARDING, main_goal: 'Bulk' }, 'Invalid goal: bulk'],
    ])(
      '400 with the reason when the onboarding cannot produce goals (%#)',
      async (onboarding, detail) => {
        const user = await newUser(api, 'bad-goals');
        await call(api, 'POST', `/users/${user.id}/onboarding`, {
          json: onboarding,
          token: user.token,
        });
        const res = await call(api, 'GET', '/dashboard', { token: user.token });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ detail });
      },
    );

    it("computes goals and sums today's (UTC) intake, listing today's logs only", async () => {
      const user = await newUser(api, 'dashboard');
      await call(api, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        // Born 1990-06-15, on 2025-08-21 she is 35.
        json: {
          ...ONBOARDING,
          sex: 'Female',
          weight: 60,
          height: 165,
          work_schedule: 'Light',
          main_goal: 'LOSE',
        },
      });
      const food = (timestamp: string, calories: number | null, protein: number) =>
        call(api, 'POST', `/users/${user.id}/food-logs`, {
          token: user.token,
          json: { food_name: 'x', calories, protein, carbs: 3, fats: 1, timestamp },
        });
      await food('2025-08-21T00:00:00Z', 200, 10); // first instant of the UTC day
      await food('2025-08-21T23:59:59.999999Z', 300, 20); // last
      await food('2025-08-21T12:00:00Z', null, 5); // calories unknown: counts as 0
      await food('2025-08-20T23:59:59Z', 999, 99); // yesterday
      await food('2025-08-22T00:00:00Z', 999, 99); // tomorrow
      await call(api, 'POST', `/users/${user.id}/workout-logs`, {
        token: user.token,
        json: { date: '2025-08-21T07:00:00Z', workout_type: 'swim' },
      });
      await call(api, 'POST', `/users/${user.id}/workout-logs`, {
        token: user.token,
        json: { date: '2025-08-20T07:00:00Z', workout_type: 'run' },
      });

      const res = await call(api, 'GET', '/dashboard', { token: user.token });
      expect(res.status).toBe(200);
      // BMR = 10·60 + 6.25·165 − 5·35 − 161 = 1295.25; TDEE = 1295.25 × 1.375 = 1780.96875 → 1780.97
      // lose: protein round(1780.97·0.4/4) = 178, carbs round(1780.97·0.3/4) = 134,
      // fats round(1780.97·0.3/9) = 59, tdee round(1780.97) = 1781.
      expect(res.body.goals).toEqual({
        bmr: 1295.25,
        tdee: 1780.97,
        macros: { protein_g: 178, carbs_g: 134, fats_g: 59, tdee: 1781, goal: 'lose' },
      });
      expect(res.body.intake_today).toEqual({ calories: 500, protein: 35, carbs: 9, fat: 3 });
      expect(res.body.food_logs.map((l: { timestamp: string }) => l.timestamp)).toEqual([
        '2025-08-21T00:00:00Z',
        '2025-08-21T23:59:59.999999Z',
        '2025-08-21T12:00:00Z',
      ]);
      expect(res.body.workouts_today).toEqual([
        expect.objectContaining({ workout_type: 'swim', user_id: user.id }),
      ]);
    });
  });

  describe('cache-aside on one instance', () => {
    it('a read misses then hits; a write through the same instance is visible at once (refreshed before it is answered)', async () => {
      const user = await newUser(api, 'cache');
      const path = `/users/${user.id}/food-logs`;
      const first = await call(api, 'GET', path, { token: user.token });
      const second = await call(api, 'GET', path, { token: user.token });
      expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual([
        'miss',
        'hit',
      ]);
      expect(second.body).toEqual(first.body);

      await call(api, 'POST', path, { token: user.token, json: { food_name: 'apple' } });
      const third = await call(api, 'GET', path, { token: user.token });
      expect(third.headers.get('x-cache')).toBe('hit');
      expect(third.body.map((l: { food_name: string }) => l.food_name)).toEqual(['apple']);
    });

    it('serves what it cached even when the database changed behind its back (until a write or the TTL)', async () => {
      const user = await newUser(api, 'stale');
      const path = `/users/${user.id}/onboarding`;
      await call(api, 'POST', path, { token: user.token, json: ONBOARDING });
      expect((await call(api, 'GET', path, { token: user.token })).body.name).toBe('Ada');
      const db = new Client({ connectionString: pg.url });
      await db.connect();
      await db.query("UPDATE onboarding SET name = 'changed in SQL' WHERE user_id = $1", [user.id]);
      await db.end();
      const cached = await call(api, 'GET', path, { token: user.token });
      expect(cached.headers.get('x-cache')).toBe('hit');
      expect(cached.body.name).toBe('Ada');
    });
  });

  describe('start-up', () => {
    it('names a port that is already taken', async () => {
      await expect(startTestApi(pg.url, redis.url, { port: api.port })).rejects.toThrow(
        `Port ${api.port} is already in use; set PORT to a free port`,
      );
    });
  });

  describe('HTTP hygiene', () => {
    it('unknown routes are 404 JSON; a known path with another method is 405', async () => {
      const missing = await call(api, 'GET', '/nope');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ detail: 'Not Found' });
      const wrongMethod = await call(api, 'DELETE', '/auth/register');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
    });

    it("sends security headers and a request id (its own, or the caller's when plain)", async () => {
      const res = await call(api, 'GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
      expect(res.headers.get('x-request-id')).toBe('abc-123');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      const generated = await call(api, 'GET', '/health', {
        headers: { 'x-request-id': 'not plain; $(id)' },
      });
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a database error is a 500 without stack or SQL', async () => {
      const user = await newUser(api, 'broken');
      const db = new Client({ connectionString: pg.url });
      await db.connect();
      await db.query('ALTER TABLE workout_logs RENAME COLUMN notes TO notes_renamed');
      try {
        const res = await call(api, 'GET', `/users/${user.id}/workout-logs`, { token: user.token });
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ detail: 'Internal Server Error' });
      } finally {
        await db.query('ALTER TABLE workout_logs RENAME COLUMN notes_renamed TO notes');
        await db.end();
      }
    });
  });
});
