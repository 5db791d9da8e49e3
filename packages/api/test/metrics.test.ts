/**
 * The metrics against real servers: a client session moves the series it
 * should (requests by route template, cache outcomes, invalidations and their
 * lag, statements, pools), refusals of the rate limits and of the hashing
 * gate are counted as the clients saw them, no label carries a user id, an
 * email or a raw path, and Prometheus's own `promtool check metrics` accepts
 * the scrape.
 */
import { spawnSync } from 'node:child_process';
import type { RunningApi } from '@fittech/api';
import { call, newUser, startTestApi, UNREACHED_RATE_LIMITS } from './support/api';
import { grew, parseSamples, seriesNamed, valueOf, type Samples } from './support/metrics';
import { describeWithServers, ONBOARDING, useStack } from './support/stack';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(
  (path) => spawnSync(path, ['--version']).status === 0,
);

/** Where a scraper reads `api`'s metrics: the probe listener (METRICS_PORT), never the public port. */
const metricsUrl = (api: RunningApi) => `${api.probesUrl}/metrics`;

const requests = (method: string, route: string, status: number) =>
  `fittech_http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`;

describeWithServers('metrics', () => {
  const stack = useStack();

  const scrape = async (): Promise<{ text: string; samples: Samples; contentType: string }> => {
    const response = await fetch(metricsUrl(stack.api));
    expect(response.status).toBe(200);
    const text = await response.text();
    return {
      text,
      samples: parseSamples(text),
      contentType: response.headers.get('content-type')!,
    };
  };

  it('a client session moves the request, cache, invalidation, statement and pool series', async () => {
    const before = (await scrape()).samples;
    // A write's own notification may arrive after its answer: the scrape waits for both.
    let echoed = 0;
    const bothEchoed = new Promise<void>((resolve) => {
      const count = () => {
        echoed += 1;
        if (echoed < 2) return;
        stack.api.listener.off('echo', count);
        resolve();
      };
      stack.api.listener.on('echo', count);
    });

    const user = await newUser(stack.api, 'metrics');
    const own = `/users/${user.id}`;
    expect(
      (await call(stack.api, 'POST', `${own}/onboarding`, { json: ONBOARDING, token: user.token }))
        .status,
    ).toBe(201);
    expect((await call(stack.api, 'GET', '/dashboard', { token: user.token })).status).toBe(200);
    const hit = await call(stack.api, 'GET', '/dashboard', { token: user.token });
    expect(hit.headers.get('x-cache')).toBe('hit');
    expect(
      (
        await call(stack.api, 'POST', `${own}/food-logs`, {
          json: { food_name: 'rice', calories: 200 },
          token: user.token,
        })
      ).status,
    ).toBe(201);
    expect(
      (await call(stack.api, 'GET', `/users/${user.id + 1000}/food-logs`, { token: user.token }))
        .status,
    ).toBe(403);
    expect((await call(stack.api, 'GET', `/no/such/${user.id}`)).status).toBe(404);
    expect((await call(stack.api, 'DELETE', '/dashboard', { token: user.token })).status).toBe(405);
    await bothEchoed;

    const { text, samples: after, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    // Requests, by route template and status: exactly what the session sent.
    expect(grew(before, after, requests('POST', '/auth/register', 201))).toBe(1);
    expect(grew(before, after, requests('POST', '/auth/token', 200))).toBe(1);
    expect(grew(before, after, requests('POST', '/users/:user_id/onboarding', 201))).toBe(1);
    expect(grew(before, after, requests('GET', '/dashboard', 200))).toBe(2);
    expect(grew(before, after, requests('POST', '/users/:user_id/food-logs', 201))).toBe(1);
    expect(grew(before, after, requests('GET', '/users/:user_id/food-logs', 403))).toBe(1);
    expect(grew(before, after, requests('GET', 'unmatched', 404))).toBe(1);
    expect(grew(before, after, requests('DELETE', '/dashboard', 405))).toBe(1);
    // The histogram's +Inf bucket is its count; durations are positive.
    const dashboard = 'method="GET",route="/dashboard",status_code="200"';
    expect(
      valueOf(after, `fittech_http_request_duration_seconds_bucket{le="+Inf",${dashboard}}`),
    ).toBe(valueOf(after, `fittech_http_request_duration_seconds_count{${dashboard}}`));
    expect(
      grew(before, after, `fittech_http_request_duration_seconds_sum{${dashboard}}`),
    ).toBeGreaterThan(0);

    // No label value names the user, their email, or the path as asked.
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(`/users/${user.id}`);
    expect(text).not.toContain(`/no/such`);

    // The dashboard: a miss (loaded, stored), then a hit.
    expect(
      grew(before, after, 'fittech_cache_lookups_total{outcome="miss"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      grew(before, after, 'fittech_cache_lookups_total{outcome="hit"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'fittech_cache_enabled')).toBe(1);
    expect(valueOf(after, 'fittech_cache_redis_up')).toBe(1);
    expect(valueOf(after, 'fittech_cache_invalidation_listening')).toBe(1);

    // The two writes came back on the LISTEN connection as this replica's own, each with its lag.
    const echoes = 'fittech_cache_invalidations_received_total{kind="own_write"}';
    expect(grew(before, after, echoes)).toBe(2);
    expect(grew(before, after, 'fittech_cache_invalidation_lag_seconds_count')).toBe(2);
    expect(grew(before, after, 'fittech_cache_invalidation_lag_seconds_sum')).toBeGreaterThan(0);

    // Statements by their prepared name.
    const statement = (name: string) =>
      `fittech_db_query_duration_seconds_count{statement="fittech_${name}",outcome="ok"}`;
    expect(grew(before, after, statement('create_user'))).toBe(1);
    expect(grew(before, after, statement('create_onboarding'))).toBe(1);
    expect(grew(before, after, statement('create_food_log'))).toBe(1);

    // The pools: the request pool's bound, and connections the session opened.
    expect(valueOf(after, 'fittech_db_pool_max_connections{pool="requests"}')).toBe(
      stack.api.pool.options.max,
    );
    expect(valueOf(after, 'fittech_db_pool_max_connections{pool="readiness"}')).toBe(1);
    expect(valueOf(after, 'fittech_db_pool_connections{pool="requests"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(valueOf(after, 'fittech_db_pool_waiting_requests{pool="requests"}')).toBe(0);

    // Node's and the process's own metrics, event-loop lag among them.
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
    ]) {
      expect(seriesNamed(after, name)).not.toEqual([]);
    }
  });

  (PROMTOOL ? it : it.skip)(
    `promtool check metrics accepts the scrape${PROMTOOL ? '' : ' (skipped: promtool not installed; Debian package prometheus)'}`,
    async () => {
      // Labelled series of each kind in the scrape, whichever tests ran before.
      const user = await newUser(stack.api, 'promtool');
      await call(stack.api, 'GET', '/dashboard', { token: user.token });
      await call(stack.api, 'GET', '/no/such/path');
      const { text } = await scrape();
      const checked = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      if (process.env.METRICS_EVIDENCE) {
        // For the record: the API's own series, and prom-client's event-loop lag.
        const excerpt = text
          .split('\n')
          .filter((l) => /^(# (HELP|TYPE) )?(fittech_|nodejs_eventloop_lag_seconds)/.test(l))
          .filter((l) => !/_bucket\{le="(0\.0005|0\.0025|0\.025|0\.25|2\.5)"/.test(l));
        process.stdout.write(`scrape excerpt:\n${excerpt.join('\n')}\n`);
        process.stdout.write(
          `promtool check metrics: exit ${checked.status}\n${checked.stdout}${checked.stderr}\n`,
        );
      }
      expect({ status: checked.status, output: `${checked.stdout}${checked.stderr}` }).toEqual({
        status: 0,
        output: '',
      });
    },
  );

  it('refusals are counted as the clients saw them: 429 by limit, 503 of the hashing gate', async () => {
    // One replica with a tight per-account login limit, and a hashing gate that queues nothing.
    const api = await startTestApi(stack.pg.url, stack.redis[0]!.url, {
      rateLimits: {
        ...UNREACHED_RATE_LIMITS,
        loginPerAccount: { points: 2, durationSeconds: 600 },
      },
      hashing: { concurrency: 1, maxQueue: 0 },
      bcryptRounds: 12,
    });
    try {
      const read = async () => parseSamples(await (await fetch(metricsUrl(api))).text());
      const before = await read();
      const login = (username: string) =>
        call(api, 'POST', '/auth/token', { form: { username, password: 'wrong password' } });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await login('locked@example.com')).status);
      expect(statuses).toEqual([400, 400, 429]);

      // Concurrent attempts while one hash runs are refused at once; bursts until one is.
      let busy = 0;
      for (let burst = 0; burst < 5 && busy === 0; burst += 1) {
        const replies = await Promise.all(
          Array.from({ length: 6 }, (_, i) => login(`burst-${burst}-${i}@example.com`)),
        );
        busy += replies.filter((r) => r.status === 503).length;
      }
      expect(busy).toBeGreaterThan(0);

      const after = await read();
      expect(grew(before, after, 'fittech_rate_limit_refusals_total{limit="login-account"}')).toBe(
        1,
      );
      expect(grew(before, after, 'fittech_rate_limit_refusals_total{limit="login-address"}')).toBe(
        0,
      );
      expect(
        grew(before, after, 'fittech_password_hashing_refusals_total{reason="queue_full"}'),
      ).toBe(busy);
      expect(grew(before, after, requests('POST', '/auth/token', 503))).toBe(busy);
      expect(grew(before, after, requests('POST', '/auth/token', 429))).toBe(1);
      // Nothing waits once the bursts are answered.
      expect(valueOf(after, 'fittech_password_hashing_waiting')).toBe(0);
      expect(valueOf(after, 'fittech_password_hashing_running')).toBe(0);
    } finally {
      await api.shutdown('test finished');
    }
  });

  it('the public port does not serve /metrics (404); the probe listener does', async () => {
    expect((await call(stack.api, 'GET', '/metrics')).status).toBe(404);
    expect((await fetch(metricsUrl(stack.api))).status).toBe(200);
  });
});
