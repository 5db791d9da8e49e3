/**
 * A hung PostgreSQL (SIGSTOP on a server the test started: connections stay
 * open, nothing answers) must not hang the API: every request that needs the
 * database is answered 503 with Retry-After within a few seconds, `/health`
 * keeps answering, `/ready` says unready, and after SIGCONT the API serves
 * again by itself. The measured numbers are printed for the record.
 */
import { performance } from 'node:perf_hooks';
import type { RunningApi } from '@fittech/api';
import { DEFAULT_DATABASE_TIMEOUTS } from '@fittech/api';
import type { PostgresServer } from '../../../tools/support/servers';
import { ownsPostgres } from '../../../tools/support/servers';
import { call, newUser, type TestUser } from './support/api';
import { freezePostgres, type Frozen } from './support/freeze';
import { histogram, poll, quantile } from './support/load';
import { describeWithServers, ONBOARDING, useStack } from './support/stack';

const cannotFreeze =
  (ownsPostgres
    ? undefined
    : 'TEST_DATABASE_URL is set; freezing needs a server the test started') ??
  (process.platform === 'linux' ? undefined : 'finding the server processes needs /proc (Linux)');

describeWithServers(
  'a frozen PostgreSQL',
  () => {
    let frozen: Frozen | undefined;
    // Never leave a stopped server behind: it would not stop.
    const stack = useStack({ beforeTeardown: () => frozen?.thaw() });
    let pg: PostgresServer;
    let api: RunningApi;
    let user: TestUser;

    beforeAll(async () => {
      ({ pg, api } = stack);
      user = await newUser(api, 'frozen');
      await call(api, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: ONBOARDING,
      });
    });

    /** One request, timed; a request still unanswered after 30 s counts as status 0. */
    const timed = async (
      method: string,
      path: string,
      options: Parameters<typeof call>[3] = {},
    ) => {
      const started = performance.now();
      try {
        const res = await Promise.race([
          // Readiness lives on the probe listener, the rest on the public port.
          call(path === '/ready' ? api.probesUrl : api, method, path, options),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('no answer in 30 s')), 30_000).unref(),
          ),
        ]);
        return {
          path,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: res.body,
          ms: performance.now() - started,
        };
      } catch {
        return {
          path,
          status: 0,
          retryAfter: null,
          body: undefined,
          ms: performance.now() - started,
        };
      }
    };

    it('503 with Retry-After within a few seconds while frozen, /health unaffected, recovery after SIGCONT', async () => {
      const requests: [string, string, Parameters<typeof call>[3]][] = [];
      // More requests than the pool has connections (DB_POOL_MAX 10): some wait for a checkout.
      for (let i = 0; i < 4; i += 1) {
        requests.push(
          ['GET', `/users/${user.id}/onboarding`, { token: user.token }],
          ['GET', '/dashboard', { token: user.token }],
          [
            'POST',
            `/users/${user.id}/food-logs`,
            { token: user.token, json: { food_name: `frozen-${i}` } },
          ],
          ['POST', '/auth/token', { form: { username: user.email, password: user.password } }],
          [
            'POST',
            '/auth/register',
            { json: { email: `frozen-${i}-${process.pid}@example.com`, password: 'long-enough' } },
          ],
        );
      }

      frozen = await freezePostgres(pg.url);
      const health = poll(`${api.url}/health`);
      const answers = await Promise.all([
        ...requests.map(([method, path, options]) => timed(method, path, options)),
        timed('GET', '/ready'),
      ]);
      // A second wave: the first wave's connections were destroyed, so these must open new
      // ones to the frozen server (the connect timeout bounds them).
      const secondWave = await Promise.all(
        requests.slice(0, 5).map(([method, path, options]) => timed(method, path, options)),
      );
      const { latencies: healthMs, statuses: healthStatuses } = await health.stop();

      // Still frozen: the answers above came from the API's own timeouts.
      const thawedAt = performance.now();
      frozen.thaw();
      let recoveredMs = -1;
      for (;;) {
        const res = await timed('GET', `/users/${user.id}/onboarding`, { token: user.token });
        if (res.status === 200) {
          recoveredMs = performance.now() - thawedAt;
          break;
        }
        if (performance.now() - thawedAt > 30_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const readyAfter = await timed('GET', '/ready');
      const write = await timed('POST', `/users/${user.id}/food-logs`, {
        token: user.token,
        json: { food_name: 'after' },
      });

      const api503 = [...answers.slice(0, -1), ...secondWave];
      const ready = answers.at(-1)!;
      const slowest = Math.max(...api503.map((a) => a.ms));
      process.stdout.write(
        `PostgreSQL frozen (SIGSTOP), ${answers.length - 1} requests at once, then ${secondWave.length} (pool of 10; timeouts ${JSON.stringify(DEFAULT_DATABASE_TIMEOUTS)}): ` +
          `statuses ${JSON.stringify(histogram(api503.map((a) => a.status)))}, ` +
          `fastest ${Math.round(Math.min(...api503.map((a) => a.ms)))} ms, slowest ${Math.round(slowest)} ms ` +
          `(second wave, new connections: slowest ${Math.round(Math.max(...secondWave.map((a) => a.ms)))} ms); ` +
          `/ready ${ready.status} in ${Math.round(ready.ms)} ms; /health ${JSON.stringify(histogram(healthStatuses))} p99 ${Math.round(quantile(healthMs, 0.99))} ms; ` +
          `after SIGCONT: first 200 after ${Math.round(recoveredMs)} ms, /ready ${readyAfter.status}, a write ${write.status}\n`,
      );

      for (const a of api503) {
        expect([a.path, a.status, a.retryAfter, a.body]).toEqual([
          a.path,
          503,
          '5',
          { detail: 'Service temporarily unavailable' },
        ]);
      }
      // Within a few seconds (the bound is generous for a loaded machine; expected ≈ 2–6 s).
      expect(slowest).toBeLessThan(12_000);
      expect(ready.status).toBe(503);
      expect(new Set(healthStatuses)).toEqual(new Set([200]));
      expect(quantile(healthMs, 0.99)).toBeLessThan(1_000);

      expect(recoveredMs).toBeGreaterThanOrEqual(0);
      expect(readyAfter.status).toBe(200);
      expect(write.status).toBe(201);
    }, 90_000);
  },
  cannotFreeze,
);
