/**
 * Input that reaches PostgreSQL is valid first: the probe's requests of
 * issue 14 §3 over HTTP, against real PostgreSQL and Redis. Each is 422 with
 * the field's path (never 500), nothing is stored, and what the API returns
 * is ISO 8601 even for values written behind its back.
 */
import type { Client } from 'pg';
import type { RunningApi } from '@fittech/api';
import { call, newUser, type TestUser } from './support/api';
import { describeWithServers, useStack } from './support/stack';

const PROFILE = {
  birthdate: '1990-06-15',
  sex: 'female',
  height: 165,
  weight: 60,
  main_goal: 'maintain',
  work_schedule: 'moderate',
  name: 'Ada',
};

describeWithServers('input validation over HTTP', () => {
  const stack = useStack();
  let api: RunningApi;
  let db: Client;
  let user: TestUser;

  beforeAll(async () => {
    ({ api, db } = stack);
    user = await newUser(api, 'input');
  });

  const rows = async (table: string) =>
    (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [user.id]))
      .rows[0].n as number;
  /** Sends a raw body (bytes exactly as given) with a content type. */
  const raw = async (
    method: string,
    path: string,
    contentType: string,
    body: Buffer | string,
    token = true,
  ) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        'content-type': contentType,
        ...(token ? { authorization: `Bearer ${user.token}` } : {}),
      },
      body,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };
  const locs = (body: { detail: { loc: (string | number)[] }[] }) =>
    body.detail.map((d) => d.loc.join('.'));

  it('a NUL byte in any string field is 422, also on the login form (which needs no token)', async () => {
    const food = await call(api, 'POST', `/users/${user.id}/food-logs`, {
      token: user.token,
      json: { food_name: 'oat\u0000s', serving_unit: '\u0000' },
    });
    expect([food.status, locs(food.body)]).toEqual([422, ['body.food_name', 'body.serving_unit']]);
    expect(food.body.detail[0].type).toBe('string_nul');

    const onboarding = await call(api, 'POST', `/users/${user.id}/onboarding`, {
      token: user.token,
      json: { ...PROFILE, injuryHist: 'knee\u0000' },
    });
    expect([onboarding.status, locs(onboarding.body)]).toEqual([422, ['body.injuryHist']]);

    const register = await call(api, 'POST', '/auth/register', {
      json: { email: 'nul\u0000@example.com', password: 'pass\u0000word' },
    });
    expect([register.status, locs(register.body)]).toEqual([422, ['body.email', 'body.password']]);

    for (const form of [
      'username=a%00b%40example.com&password=whatever1',
      `username=${encodeURIComponent(user.email)}&password=x%00y`,
    ]) {
      const res = await raw(
        'POST',
        '/auth/token',
        'application/x-www-form-urlencoded',
        form,
        false,
      );
      expect([form, res.status, res.body.detail[0].type]).toEqual([form, 422, 'string_nul']);
    }
    expect(await rows('food_logs')).toBe(0);
  });

  it('a lone UTF-16 surrogate is refused, not silently replaced (JSON escapes, form escapes, raw bytes)', async () => {
    const json = await raw(
      'POST',
      `/users/${user.id}/food-logs`,
      'application/json',
      '{"food_name":"bad \\ud800 name"}',
    );
    expect([json.status, json.body.detail[0]]).toEqual([
      422,
      expect.objectContaining({ type: 'string_unicode', loc: ['body', 'food_name'] }),
    ]);
    // UTF-8 of a surrogate (ED A0 80) is not UTF-8: the body is refused as a whole.
    const bytes = Buffer.concat([
      Buffer.from('{"food_name":"bad '),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}'),
    ]);
    const invalidUtf8 = await raw('POST', `/users/${user.id}/food-logs`, 'application/json', bytes);
    expect([invalidUtf8.status, invalidUtf8.body.detail[0].type]).toEqual([422, 'json_invalid']);
    const form = await raw(
      'POST',
      '/auth/token',
      'application/x-www-form-urlencoded',
      'username=a%ED%A0%80b&password=whatever1',
      false,
    );
    expect([form.status, form.body.detail[0].loc]).toEqual([422, ['body']]);
    expect(await rows('food_logs')).toBe(0);
  });

  it('timestamps of ±8.64e15 ms, year 1 and year 9999 are 422 (they gave 500 or non-ISO answers)', async () => {
    const cases: [string, string, unknown][] = [
      ['food-logs', 'timestamp', 8.64e15],
      ['food-logs', 'timestamp', -8.64e15],
      ['food-logs', 'timestamp', '0001-01-01T00:00:00+01:00'],
      ['workout-logs', 'date', '9999-12-31T23:00:00-02:00'],
      ['workout-logs', 'date', '+275760-09-13T00:00:00Z'],
    ];
    for (const [kind, field, value] of cases) {
      const res = await call(api, 'POST', `/users/${user.id}/${kind}`, {
        token: user.token,
        json: { food_name: 'x', [field]: value },
      });
      expect([kind, value, res.status, locs(res.body)]).toEqual([
        kind,
        value,
        422,
        [`body.${field}`],
      ]);
    }
    const birthday = await call(api, 'POST', `/users/${user.id}/onboarding`, {
      token: user.token,
      json: { ...PROFILE, birthdate: '2999-01-01', deadline: '1899-12-31' },
    });
    expect([birthday.status, locs(birthday.body)]).toEqual([
      422,
      ['body.birthdate', 'body.deadline'],
    ]);
    expect(await rows('food_logs')).toBe(0);
    expect(await rows('workout_logs')).toBe(0);
  });

  it('offsets PostgreSQL refuses (+16:00, -18:30) are applied, not a 500 (issue 27)', async () => {
    const other = await newUser(api, 'offsets');
    const food = await call(api, 'POST', `/users/${other.id}/food-logs`, {
      token: other.token,
      json: { food_name: 'late', timestamp: '2025-08-21T16:00:00+16:00' },
    });
    expect(food.status).toBe(201);
    expect(new Date(food.body.timestamp).toISOString()).toBe('2025-08-21T00:00:00.000Z');
    const workout = await call(api, 'POST', `/users/${other.id}/workout-logs`, {
      token: other.token,
      json: { workout_type: 'run', duration: 30, date: '2025-08-21T00:00:00-18:30' },
    });
    expect(workout.status).toBe(201);
    expect(new Date(workout.body.date).toISOString()).toBe('2025-08-21T18:30:00.000Z');
  });

  it('values written behind the API\u2019s back still come back as ISO 8601', async () => {
    const other = await newUser(api, 'iso');
    await db.query(
      `INSERT INTO workout_logs (user_id, date, workout_type) VALUES
         ($1, '0001-01-01T00:00:00+01:00', 'bc'), ($1, '9999-12-31T23:00:00-02:00', 'far')`,
      [other.id],
    );
    const res = await call(api, 'GET', `/users/${other.id}/workout-logs`, { token: other.token });
    expect(res.status).toBe(200);
    expect(res.body.map((w: { date: string }) => w.date)).toEqual([
      '0000-12-31T23:00:00Z',
      '+010000-01-01T01:00:00Z',
    ]);
    for (const { date } of res.body) expect(Number.isNaN(Date.parse(date))).toBe(false);
  });

  it('an empty JSON body is 422 "missing" and changes nothing: workout log, onboarding POST and PUT', async () => {
    const owner = await newUser(api, 'empty');
    await call(api, 'POST', `/users/${owner.id}/onboarding`, { token: owner.token, json: PROFILE });
    for (const [method, kind] of [
      ['POST', 'workout-logs'],
      ['POST', 'food-logs'],
      ['POST', 'onboarding'],
      ['PUT', 'onboarding'],
    ] as const) {
      const res = await fetch(`${api.url}/users/${owner.id}/${kind}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      });
      expect([method, kind, res.status, await res.json()]).toEqual([
        method,
        kind,
        422,
        { detail: [{ type: 'missing', loc: ['body'], msg: 'Field required' }] },
      ]);
    }
    const after = await call(api, 'GET', `/users/${owner.id}/onboarding`, { token: owner.token });
    expect(after.body).toMatchObject(PROFILE);
    const { rows: logs } = await db.query(
      'SELECT count(*)::int AS n FROM workout_logs WHERE user_id = $1',
      [owner.id],
    );
    expect(logs[0].n).toBe(0);
  });

  it('negative and absurd numbers are 422 with each field\u2019s path', async () => {
    const food = await call(api, 'POST', `/users/${user.id}/food-logs`, {
      token: user.token,
      json: { food_name: 'x', calories: -500 },
    });
    expect([food.status, locs(food.body)]).toEqual([422, ['body.calories']]);
    expect(food.body.detail[0]).toEqual({
      type: 'greater_than_equal',
      loc: ['body', 'calories'],
      msg: 'Input should be greater than or equal to 0',
    });
    const workout = await call(api, 'POST', `/users/${user.id}/workout-logs`, {
      token: user.token,
      json: { duration: -30, avg_heart_rate: 100_000 },
    });
    expect([workout.status, locs(workout.body)]).toEqual([
      422,
      ['body.duration', 'body.avg_heart_rate'],
    ]);
    const profile = await call(api, 'POST', `/users/${user.id}/onboarding`, {
      token: user.token,
      json: { ...PROFILE, sleep_hours: 25, percFat: 150, birthdate: '2999-01-01' },
    });
    expect([profile.status, locs(profile.body)]).toEqual([
      422,
      ['body.birthdate', 'body.sleep_hours', 'body.percFat'],
    ]);
    expect(await rows('food_logs')).toBe(0);
    expect(await rows('workout_logs')).toBe(0);
  });

  it('zeros and placeholder strings stay valid, as in the original\u2019s tests', async () => {
    const zero = await newUser(api, 'zero');
    const res = await call(api, 'POST', `/users/${zero.id}/workout-logs`, {
      token: zero.token,
      json: {
        date: '2025-08-21T13:34:43.735Z',
        workout_type: 'string',
        duration: 0,
        total_distance: 0,
        avg_pace: 0,
        avg_heart_rate: 0,
        max_heart_rate: 0,
        calories_burned: 0,
        notes: 'string',
      },
    });
    expect(res.status).toBe(201);
    const food = await call(api, 'POST', `/users/${zero.id}/food-logs`, {
      token: zero.token,
      json: {
        food_name: 'string',
        serving_size: 0,
        serving_unit: 'string',
        calories: 0,
        protein: 0,
        carbs: 0,
        fats: 0,
      },
    });
    expect(food.status).toBe(201);
  });

  it('bodies are bounded (413) and a charset other than UTF-8 is refused (415)', async () => {
    const big = await raw(
      'POST',
      `/users/${user.id}/food-logs`,
      'application/json',
      JSON.stringify({ food_name: 'x'.repeat(70_000) }),
    );
    expect(big.status).toBe(413);
    const latin1 = await raw(
      'POST',
      `/users/${user.id}/food-logs`,
      'application/json; charset=latin1',
      '{"food_name":"caf\u00e9"}',
    );
    expect(latin1.status).toBe(415);
  });
});
