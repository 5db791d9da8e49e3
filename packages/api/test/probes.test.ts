/**
 * Probes on a port of their own: the public port answers liveness only (the
 * pipeline's check through the load balancer), the probe listener answers
 * liveness and readiness, and readiness is a coalesced, cached check, so no
 * number of requests turns into more than one PostgreSQL query per TTL. A
 * pipelined flood of `/ready` or `/health` on the public port leaves the
 * kubelet's probes answered (issue 27: before, a `/ready` flood left 0–2
 * readiness answers of 10, each flood request a `SELECT 1`).
 */
import type { RunningApi } from '@fittech/api';
import { call } from './support/api';
import { histogram, poll, quantile } from './support/load';
import { pipelined } from './support/pipeline';
import { describeWithServers, useStack } from './support/stack';

/** How long a readiness answer is reused (readiness.ts's default). */
const READINESS_TTL_MS = 1_000;

describeWithServers('probes on a port of their own', () => {
  const stack = useStack();
  let api: RunningApi;
  beforeAll(() => {
    api = stack.api;
  });

  it('the public port answers liveness only; readiness lives on the probe listener', async () => {
    expect(api.metricsPort).not.toBe(api.port);
    const publicHealth = await call(api, 'GET', '/health');
    expect([publicHealth.status, publicHealth.body]).toEqual([200, { status: 'ok' }]);
    const publicReady = await call(api, 'GET', '/ready');
    expect([publicReady.status, publicReady.body]).toEqual([404, { detail: 'Not Found' }]);

    const health = await call(api.probesUrl, 'GET', '/health');
    expect([health.status, health.body]).toEqual([200, { status: 'ok' }]);
    const ready = await call(api.probesUrl, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'ok' });
    expect(ready.headers.get('cache-control')).toBe('no-store');

    const posted = await call(api.probesUrl, 'POST', '/ready', { json: {} });
    expect([posted.status, posted.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await call(api.probesUrl, 'GET', '/auth/me')).status).toBe(404);
    expect((await call(api.probesUrl, 'GET', '/nothing')).status).toBe(404);
  });

  it("serves the API's metrics at /metrics, and a handler mounted later replaces it", async () => {
    const api2 = stack.api;
    const before = await call(api2.probesUrl, 'GET', '/metrics');
    expect(before.status).toBe(200);
    expect(before.body).toContain('# TYPE fittech_http_request_duration_seconds histogram');
    api2.probes.serveMetrics((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('probe_listener_test 1\n');
    });
    const after = await call(api2.probesUrl, 'GET', '/metrics');
    expect([after.status, after.body]).toEqual([200, 'probe_listener_test 1\n']);
    // The public port never serves it.
    expect((await call(api2, 'GET', '/metrics')).status).toBe(404);
  });

  it('coalesces readiness: 300 concurrent asks run at most one check per TTL', async () => {
    const before = api.readiness.checks;
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => call(api.probesUrl, 'GET', '/ready')),
    );
    const elapsed = performance.now() - started;
    const checks = api.readiness.checks - before;
    process.stdout.write(
      `readiness coalesced: 300 concurrent asks in ${Math.round(elapsed)} ms → ${checks} PostgreSQL check(s)\n`,
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    // One check per TTL that the run spanned (plus the one in flight when it began).
    expect(checks).toBeLessThanOrEqual(Math.ceil(elapsed / READINESS_TTL_MS) + 1);
  });

  it.each(['/ready', '/health'])(
    'a pipelined %s flood on the public port: every probe is answered, and PostgreSQL sees no more checks than the TTL allows',
    async (path) => {
      const checksBefore = api.readiness.checks;
      const started = performance.now();
      // The kubelet asks every 5 s; here every 100 ms, to see the whole flood. The flood comes
      // from a process of its own; the API and these probes share this one.
      const readiness = poll(`${api.probesUrl}/ready`, 100);
      const liveness = poll(`${api.probesUrl}/health`, 100);
      const request = `GET ${path} HTTP/1.1\r\nHost: api\r\n\r\n`;
      const flood = await pipelined(api.port, request, {
        connections: 4,
        total: 3_000,
        depth: 32,
      });
      const [ready, live] = [await readiness.stop(), await liveness.stop()];
      const elapsed = performance.now() - started;
      const checks = api.readiness.checks - checksBefore;
      const floodStatuses = flood.statuses;
      const summary = (p: { latencies: number[]; statuses: number[] }) =>
        `${JSON.stringify(histogram(p.statuses))}, p99 ${Math.round(quantile(p.latencies, 0.99))} ms, max ${Math.round(Math.max(...p.latencies))} ms`;
      process.stdout.write(
        `${path} flood on the public port (4 connections × 3000 pipelined, 32 deep, ${(elapsed / 1000).toFixed(1)} s): ` +
          `flood answers ${JSON.stringify(floodStatuses)}; readiness probes ${summary(ready)}; ` +
          `liveness probes ${summary(live)}; PostgreSQL checks ${checks}\n`,
      );
      expect(floodStatuses[path === '/ready' ? '404' : '200']).toBeGreaterThan(0);
      // Latencies are the machine's (printed above; the bench measures them against the probes'
      // 2 s timeout on its own processes): the test holds what the change guarantees.
      // Liveness is always 200; readiness is always answered (a 503 only when its own 800 ms
      // SELECT 1 overran on a loaded machine, never because of the flood's requests).
      expect(new Set(live.statuses)).toEqual(new Set([200]));
      expect(ready.statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(ready.statuses).toContain(200);
      expect(checks).toBeLessThanOrEqual(Math.ceil(elapsed / READINESS_TTL_MS) + 1);
    },
    120_000,
  );
});
