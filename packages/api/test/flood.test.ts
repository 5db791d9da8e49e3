/**
 * A login flood from one client with changing usernames, against two API
 * replicas on one real PostgreSQL, at the production bcrypt cost (12):
 * `/health` keeps answering well inside the probes' 2 s timeout (hashing is
 * off the event loop), the per-address budget lets exactly its points
 * through and then 429s, the second replica refuses the same client, a
 * forged X-Forwarded-For changes nothing, and another peer address is its
 * own client. The measured numbers are printed for the record.
 */
import type { RunningApi } from '@fittech/api';
import { DEFAULT_RATE_LIMITS } from '@fittech/api';
import type { PostgresServer, RedisServer } from '../../../tools/support/servers';
import { newUser, startTestApi, UNREACHED_RATE_LIMITS } from './support/api';
import { histogram, loginForm, poll, pooled, quantile, send } from './support/load';
import { describeWithServers, useStack } from './support/stack';

/** The probes' timeout (manifests): `/health` must answer well inside it. */
const PROBE_TIMEOUT_MS = 2_000;

describeWithServers('login flood at bcrypt cost 12', () => {
  // Each test starts the replicas it needs, with its own limits.
  const stack = useStack({ redis: 2, apis: async () => [] });
  let pg: PostgresServer;
  let redisA: RedisServer;
  let redisB: RedisServer;
  beforeAll(() => {
    pg = stack.pg;
    [redisA, redisB] = stack.redis as RedisServer[];
  });

  const summary = (latencies: number[]) => ({
    probes: latencies.length,
    p50: Math.round(quantile(latencies, 0.5)),
    p99: Math.round(quantile(latencies, 0.99)),
    max: Math.round(Math.max(...latencies)),
  });

  it('hashing stays off the event loop: /health answers while every attempt is hashed', async () => {
    // No limit in reach: each of the 32 attempts costs a cost-12 bcrypt.
    const api = await startTestApi(pg.url, redisA.url, {
      bcryptRounds: 12,
      rateLimits: UNREACHED_RATE_LIMITS,
    });
    try {
      const health = poll(`${api.url}/health`);
      const started = Date.now();
      const replies = await pooled(32, 16, (i) =>
        send(`${api.url}/auth/token`, loginForm(`hash-${i}@example.com`, 'wrong password')),
      );
      const seconds = (Date.now() - started) / 1000;
      const { latencies, statuses } = await health.stop();
      const statusCounts = histogram(replies.map((r) => r.status));
      process.stdout.write(
        `login flood, every attempt hashed (32 attempts, 16 at a time, cost 12, ${seconds.toFixed(1)} s): ` +
          `answers ${JSON.stringify(statusCounts)}; /health ${JSON.stringify(summary(latencies))} ms\n`,
      );
      // Wrong passwords are 400; beyond the hashing queue's bounds, 503 with Retry-After.
      for (const r of replies) {
        expect([400, 503]).toContain(r.status);
        if (r.status === 503) expect(r.headers['retry-after']).toMatch(/^\d+$/);
      }
      // Hashing did run while /health was measured (how much depends on the machine's load).
      expect(statusCounts['400'] ?? 0).toBeGreaterThanOrEqual(4);
      expect(new Set(statuses)).toEqual(new Set([200]));
      // The requirement itself (the probes' timeout), not a tighter bound a loaded machine breaks.
      expect(quantile(latencies, 0.99)).toBeLessThan(PROBE_TIMEOUT_MS);
    } finally {
      await api.shutdown('test finished');
    }
  }, 120_000);

  it('the per-address budget holds across replicas and against forged X-Forwarded-For', async () => {
    const [a, b] = await Promise.all([
      startTestApi(pg.url, redisA.url, { bcryptRounds: 12, rateLimits: DEFAULT_RATE_LIMITS }),
      startTestApi(pg.url, redisB.url, { bcryptRounds: 12, rateLimits: DEFAULT_RATE_LIMITS }),
    ]);
    try {
      const budget = DEFAULT_RATE_LIMITS.loginPerAddress.points;
      // Budgets live in the shared table: this test's client has an address of its own.
      const client = '127.0.0.3';
      const health = poll(`${a.url}/health`);
      // 100 attempts, 8 at a time, each with another username and a forged X-Forwarded-For.
      const replies = await pooled(100, 8, (i) => {
        const form = loginForm(`flood-${i}@example.com`, 'wrong password');
        return send(`${a.url}/auth/token`, {
          ...form,
          headers: { ...form.headers, 'x-forwarded-for': `198.51.100.${i % 250}` },
          localAddress: client,
        });
      });
      const { latencies } = await health.stop();
      const counts = histogram(replies.map((r) => r.status));
      const through = counts['400'] ?? 0;

      // The same client (127.0.0.1) at the second replica, with and without a forged header.
      const atB = await send(`${b.url}/auth/token`, {
        ...loginForm('fresh@example.com', 'anything1'),
        localAddress: client,
      });
      const forgedAtB = await send(`${b.url}/auth/token`, {
        ...loginForm('fresh2@example.com', 'anything1'),
        headers: {
          ...loginForm('', '').headers,
          'x-forwarded-for': '203.0.113.9',
          'x-real-ip': '203.0.113.9',
          forwarded: 'for=203.0.113.9',
        },
        localAddress: client,
      });
      // Another peer address is another client: it has its own budget.
      const otherPeer = await send(`${b.url}/auth/token`, {
        ...loginForm('fresh3@example.com', 'anything1'),
        localAddress: '127.0.0.4',
      });

      process.stdout.write(
        `login flood from one client (${client}, 100 attempts, changing usernames, forged X-Forwarded-For, 8 at a time, cost 12, budget ${budget}): ` +
          `answers ${JSON.stringify(counts)}, got through (verified): ${through}; ` +
          `/health on the flooded replica ${JSON.stringify(summary(latencies))} ms; ` +
          `second replica to the same client: ${atB.status} (Retry-After ${String(atB.headers['retry-after'])}), ` +
          `with forged headers: ${forgedAtB.status}; from 127.0.0.4: ${otherPeer.status}\n`,
      );

      // Exactly the budget was verified (a 503 would give its point back, so "at most").
      expect(through).toBeLessThanOrEqual(budget);
      expect(through + (counts['503'] ?? 0)).toBeGreaterThanOrEqual(budget);
      expect(counts['429'] ?? 0).toBe(100 - through - (counts['503'] ?? 0));
      const refused = replies.find((r) => r.status === 429)!;
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(refused.headers['ratelimit']).toMatch(/^limit=30, remaining=0, reset=\d+$/);
      expect(refused.headers['ratelimit-policy']).toBe('30;w=600, 10;w=600');
      expect(JSON.parse(refused.body)).toEqual({
        detail: 'Too many failed login attempts; wait before trying again',
      });

      expect(atB.status).toBe(429);
      expect(Number(atB.headers['retry-after'])).toBeGreaterThan(0);
      expect(forgedAtB.status).toBe(429);
      expect(otherPeer.status).toBe(400);
      // The requirement itself (the probes' timeout), not a tighter bound a loaded machine breaks.
      expect(quantile(latencies, 0.99)).toBeLessThan(PROBE_TIMEOUT_MS);
    } finally {
      await Promise.all([a.shutdown('test finished'), b.shutdown('test finished')]);
    }
  }, 120_000);

  it('per account across addresses and replicas; a successful login does not count', async () => {
    const [a, b] = await Promise.all([
      startTestApi(pg.url, redisA.url, {
        rateLimits: {
          ...UNREACHED_RATE_LIMITS,
          loginPerAccount: { points: 4, durationSeconds: 600 },
        },
      }),
      startTestApi(pg.url, redisB.url, {
        rateLimits: {
          ...UNREACHED_RATE_LIMITS,
          loginPerAccount: { points: 4, durationSeconds: 600 },
        },
      }),
    ]);
    try {
      const user = await newUser(a, 'account-limit');
      // Successes first: they give their point back.
      for (let i = 0; i < 6; i += 1) {
        const ok = await send(`${b.url}/auth/token`, loginForm(user.email, user.password));
        expect(ok.status).toBe(200);
      }
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const api = i % 2 === 0 ? a : b;
        const res = await send(`${api.url}/auth/token`, {
          ...loginForm(user.email.toUpperCase(), `guess-${i}`),
          localAddress: `127.0.0.${10 + i}`,
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([400, 400, 400, 400]);
      // From yet another address and replica, even the right password waits.
      const locked = await send(`${b.url}/auth/token`, {
        ...loginForm(user.email, user.password),
        localAddress: '127.0.0.20',
      });
      expect(locked.status).toBe(429);
      expect(locked.headers['ratelimit']).toMatch(/^limit=4, remaining=0, reset=\d+$/);
    } finally {
      await Promise.all([a.shutdown('test finished'), b.shutdown('test finished')]);
    }
  }, 60_000);

  it('registrations are limited per address across replicas', async () => {
    const limits = {
      ...UNREACHED_RATE_LIMITS,
      registerPerAddress: { points: 3, durationSeconds: 3600 },
    };
    const [a, b] = await Promise.all([
      startTestApi(pg.url, redisA.url, { rateLimits: limits }),
      startTestApi(pg.url, redisB.url, { rateLimits: limits }),
    ]);
    try {
      const register = (api: RunningApi, i: number, localAddress = '127.0.0.30') =>
        send(`${api.url}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${i}` },
          body: JSON.stringify({
            email: `reg-${process.pid}-${i}@example.com`,
            password: 'long-enough',
          }),
          localAddress,
        });
      const statuses = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await register(i % 2 ? b : a, i)).status);
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      const refused = await register(b, 9);
      expect(JSON.parse(refused.body)).toEqual({
        detail: 'Too many registrations from this address; wait before trying again',
      });
      expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect((await register(a, 10, '127.0.0.31')).status).toBe(201);
    } finally {
      await Promise.all([a.shutdown('test finished'), b.shutdown('test finished')]);
    }
  }, 60_000);
});
