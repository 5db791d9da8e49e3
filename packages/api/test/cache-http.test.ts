/**
 * The cache path over HTTP, with two replicas (two Redis servers, one
 * PostgreSQL): conditional requests answered 304 from the cached entry's
 * ETag; a write through one replica refreshes its entries before it is
 * answered while the other replica hears it and misses; the writer's own
 * notification does not throw the refresh away; accounts deleted behind the
 * API stop working everywhere; one access line per request.
 */
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { createLogger, type RunningApi } from '@fittech/api';
import type { PostgresServer } from '../../../tools/support/servers';
import { call, newUser, nextEvent, startTestApi, type TestUser } from './support/api';
import { describeWithServers, useStack } from './support/stack';

const NOW = new Date('2025-08-21T13:00:00Z');
const ONBOARDING = {
  birthdate: '1990-06-15',
  sex: 'female',
  height: 165,
  weight: 60,
  main_goal: 'maintain',
  work_schedule: 'moderate',
};

describeWithServers('the cache over HTTP', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const stack = useStack({
    redis: 2,
    apis: async ({ pg, redis }) => {
      const apis = await Promise.all([
        startTestApi(pg.url, redis[0]!.url, { now: () => NOW, logger: createLogger('info', sink) }),
        startTestApi(pg.url, redis[1]!.url, { now: () => NOW }),
      ]);
      await Promise.all(
        apis.map((api) => (api.cache.usable ? undefined : nextEvent(api.listener, 'listening'))),
      );
      return apis;
    },
  });
  let pg: PostgresServer;
  let a: RunningApi;
  let b: RunningApi;
  beforeAll(() => {
    pg = stack.pg;
    [a, b] = stack.apis as RunningApi[];
  });

  const onboarded = async (label: string): Promise<TestUser> => {
    const user = await newUser(a, label);
    const res = await call(a, 'POST', `/users/${user.id}/onboarding`, {
      token: user.token,
      json: ONBOARDING,
    });
    expect(res.status).toBe(201);
    return user;
  };
  const food = (user: TestUser, calories: number) =>
    call(a, 'POST', `/users/${user.id}/food-logs`, {
      token: user.token,
      json: { food_name: 'rice', calories, timestamp: NOW.toISOString() },
    });

  it('answers If-None-Match with 304 and no body while the entry is current, 200 with a new ETag after a write', async () => {
    const user = await onboarded('etag');
    const first = await call(a, 'GET', '/dashboard', { token: user.token });
    const etag = first.headers.get('etag')!;
    expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'miss']);
    expect(etag).toMatch(/^"[\w-]+"$/);

    const polled = await call(a, 'GET', '/dashboard', {
      token: user.token,
      headers: { 'if-none-match': etag },
    });
    expect([polled.status, polled.body, polled.headers.get('x-cache')]).toEqual([304, '', 'hit']);
    expect(polled.headers.get('etag')).toBe(etag);
    const other = await call(a, 'GET', '/dashboard', {
      token: user.token,
      headers: { 'if-none-match': '"something else"' },
    });
    expect([other.status, other.headers.get('etag')]).toEqual([200, etag]);
    expect(other.body).toEqual(first.body);

    expect((await food(user, 500)).status).toBe(201);
    const changed = await call(a, 'GET', '/dashboard', {
      token: user.token,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.intake_today.calories).toBe(500);
  });

  it('a write refreshes the writer’s entries before it is answered; its own NOTIFY does not undo that; the other replica misses', async () => {
    const user = await onboarded('refresh');
    for (const api of [a, b]) await call(api, 'GET', '/dashboard', { token: user.token });
    const echo = nextEvent<number>(a.listener, 'echo', (id) => id === user.id);
    const bHeard = nextEvent<number>(b.listener, 'invalidated', (id) => id === user.id);
    const refreshedBefore = a.cache.stats.refreshed;
    expect((await food(user, 350)).status).toBe(201);

    const onA = await call(a, 'GET', '/dashboard', { token: user.token });
    expect([onA.headers.get('x-cache'), onA.body.intake_today.calories]).toEqual(['hit', 350]);
    expect(a.cache.stats.refreshed).toBe(refreshedBefore + 1);
    await echo; // A's own notification came back and was recognised
    const stillOnA = await call(a, 'GET', '/dashboard', { token: user.token });
    expect([stillOnA.headers.get('x-cache'), stillOnA.body.intake_today.calories]).toEqual([
      'hit',
      350,
    ]);

    await bHeard;
    const onB = await call(b, 'GET', '/dashboard', { token: user.token });
    expect([onB.headers.get('x-cache'), onB.body.intake_today.calories]).toEqual(['miss', 350]);
  });

  it('a token seen before costs no user query: the request is answered even when the users table is unreadable', async () => {
    const user = await onboarded('known-token');
    expect((await call(a, 'GET', '/dashboard', { token: user.token })).status).toBe(200);
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    try {
      await db.query('ALTER TABLE users RENAME TO users_hidden');
      const known = await call(a, 'GET', '/dashboard', { token: user.token });
      expect([known.status, known.headers.get('x-cache')]).toEqual([200, 'hit']);
      const stranger = await newUser(b, 'unknown-token').catch((e: Error) => e);
      expect(stranger).toBeInstanceOf(Error); // proof that the table really is unreadable
    } finally {
      await db.query('ALTER TABLE users_hidden RENAME TO users');
      await db.end();
    }
  });

  it('an account deleted behind the API (SQL) is refused on every replica once they hear it', async () => {
    const user = await onboarded('deleted');
    for (const api of [a, b]) {
      expect((await call(api, 'GET', '/dashboard', { token: user.token })).status).toBe(200);
    }
    const heard = [a, b].map((api) =>
      nextEvent<number>(api.listener, 'account', (id) => id === user.id),
    );
    const db = new Client({ connectionString: pg.url });
    await db.connect();
    await db.query('DELETE FROM users WHERE id = $1', [user.id]);
    await db.end();
    await Promise.all(heard);
    for (const api of [a, b]) {
      const res = await call(api, 'GET', '/dashboard', { token: user.token });
      expect([res.status, res.body]).toEqual([404, { detail: 'User not found' }]);
    }
  });

  it('writes one access line per request: info for the API, debug (off here) for probes, never the token', async () => {
    const user = await onboarded('access-log');
    lines.length = 0;
    const res = await call(a, 'GET', '/dashboard', {
      token: user.token,
      headers: { 'x-request-id': 'trace-me-1' },
    });
    await call(a, 'GET', '/health');
    expect(res.status).toBe(200);
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        level: 'info',
        req: expect.objectContaining({ id: 'trace-me-1', method: 'GET', url: '/dashboard' }),
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(user.token);
  });

  it('writes query strings with their values redacted (issue 27: ?password= was logged verbatim)', async () => {
    lines.length = 0;
    await call(a, 'GET', '/dashboard?password=hunter2-secret&access_token=eyJsecret');
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        req: expect.objectContaining({
          url: '/dashboard?password=[redacted]&access_token=[redacted]',
        }),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/hunter2-secret|eyJsecret/);
  });
});
