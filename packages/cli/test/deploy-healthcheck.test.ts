/**
 * The health check against a real HTTP server on 127.0.0.1: each test
 * scripts the server's answers; waits are a few milliseconds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '@fittech/shared';
import project from '../../../fittech.config';
import { backoffDelays, checkHealth, type AttemptResult } from '../src/deploy/healthcheck';
import { runCli } from './deploy-support';

/** One scripted answer: a status code, or `hang` (never answer). */
type Answer = number | 'hang';

interface ScriptedServer {
  readonly url: string;
  readonly port: number;
  /** Requests received so far (paths). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A server that answers its requests with `answers` in order (the last one repeats). */
async function scriptedServer(answers: Answer[], path = '/health'): Promise<ScriptedServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)]!;
    if (answer === 'hang') return; // the client's per-attempt timeout must end this
    res.writeHead(answer, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: answer < 300 ? 'ok' : 'unavailable' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const fast = { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 1000 };

describe('checkHealth against a real HTTP server', () => {
  it('healthy after a few failures: succeeds with the attempt count', async () => {
    const server = await scriptedServer([503, 503, 502, 200]);
    try {
      const attempts: AttemptResult[] = [];
      const result = await checkHealth({
        url: server.url,
        attempts: 6,
        ...fast,
        onAttempt: (a) => attempts.push(a),
      });
      expect(result.healthy).toBe(true);
      expect(result.attempts).toBe(4);
      expect(server.requests).toEqual(['/health', '/health', '/health', '/health']);
      expect(attempts.map((a) => a.reason)).toEqual([
        'HTTP 503 Service Unavailable',
        'HTTP 503 Service Unavailable',
        'HTTP 502 Bad Gateway',
        'HTTP 200 OK',
      ]);
      expect(result.message).toBe(`${server.url} is healthy after 4 attempts (HTTP 200 OK)`);
    } finally {
      await server.close();
    }
  });

  it('never healthy: fails after exactly the configured attempts with a clear message', async () => {
    const server = await scriptedServer([500]);
    try {
      const result = await checkHealth({ url: server.url, attempts: 3, ...fast });
      expect(result.healthy).toBe(false);
      expect(result.attempts).toBe(3);
      expect(server.requests).toHaveLength(3);
      expect(result.message).toBe(
        `${server.url} did not become healthy after 3 attempts (15ms of backoff); last result: HTTP 500 Internal Server Error`,
      );
    } finally {
      await server.close();
    }
  });

  it('connection refused counts as not healthy', async () => {
    const port = await closedPort();
    const attempts: AttemptResult[] = [];
    const result = await checkHealth({
      url: `http://127.0.0.1:${port}/health`,
      attempts: 2,
      ...fast,
      onAttempt: (a) => attempts.push(a),
    });
    expect(result.healthy).toBe(false);
    expect(attempts.map((a) => [a.healthy, a.reason])).toEqual([
      [false, 'connection refused'],
      [false, 'connection refused'],
    ]);
    expect(result.message).toContain('last result: connection refused');
  });

  it('every 5xx is not healthy, and neither is a 404 on the wrong path', async () => {
    for (const status of [500, 502, 503, 504, 404]) {
      const server = await scriptedServer([status]);
      try {
        const result = await checkHealth({ url: server.url, attempts: 1, ...fast });
        expect([status, result.healthy]).toEqual([status, false]);
      } finally {
        await server.close();
      }
    }
  });

  it('an attempt that gets no answer in time is not healthy; the next one may be', async () => {
    const server = await scriptedServer(['hang', 200]);
    try {
      const attempts: AttemptResult[] = [];
      const result = await checkHealth({
        url: server.url,
        attempts: 3,
        baseDelayMs: 5,
        maxDelayMs: 5,
        timeoutMs: 100,
        onAttempt: (a) => attempts.push(a),
      });
      expect(attempts[0]!.reason).toBe('no response within 100ms');
      expect(result.healthy).toBe(true);
      expect(result.attempts).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('waits with exponential backoff, capped, and not after the last attempt', async () => {
    const server = await scriptedServer([503]);
    try {
      const waits: number[] = [];
      await checkHealth({
        url: server.url,
        attempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 300,
        timeoutMs: 1000,
        sleep: async (ms) => {
          waits.push(ms);
        },
      });
      expect(waits).toEqual([100, 200, 300, 300]);
      expect(server.requests).toHaveLength(5);
    } finally {
      await server.close();
    }
  });

  it('computes the schedule', () => {
    expect(backoffDelays(1, 5000, 60000)).toEqual([]);
    expect(backoffDelays(10, 5000, 60000)).toEqual([
      5000, 10000, 20000, 40000, 60000, 60000, 60000, 60000, 60000,
    ]);
  });

  it('rejects a URL that is not HTTP and a count below one', async () => {
    await expect(checkHealth({ url: 'ftp://x/health', attempts: 1, ...fast })).rejects.toThrow(
      'must be http:// or https://',
    );
    await expect(checkHealth({ url: 'http://x/health', attempts: 0, ...fast })).rejects.toThrow(
      'attempts must be a whole number of at least 1',
    );
  });
});

describe('fittech-deploy healthcheck', () => {
  const config = resolveConfig({ project, env: 'dev' });

  it('prints each failed attempt and the attempt count on success', async () => {
    const server = await scriptedServer([503, 503, 200]);
    try {
      const run = await runCli([
        'healthcheck',
        '--env',
        'dev',
        '--url',
        server.url,
        '--attempts',
        '5',
        '--delay',
        '10ms',
        '--max-delay',
        '40ms',
        '--timeout',
        '1s',
      ]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.lines).toEqual([
        'attempt 1/5: HTTP 503 Service Unavailable; retrying in 10ms',
        'attempt 2/5: HTTP 503 Service Unavailable; retrying in 20ms',
        `${server.url} is healthy after 3 attempts (HTTP 200 OK)`,
      ]);
    } finally {
      await server.close();
    }
  });

  it('fails with the attempt count, the last result and where to look next', async () => {
    const port = await closedPort();
    const run = await runCli([
      'healthcheck',
      '--env',
      'dev',
      '--url',
      `http://127.0.0.1:${port}${config.api.healthPath}`,
      '--attempts',
      '3',
      '--delay',
      '5ms',
    ]);
    expect(run.status).toBe(1);
    expect(run.lines).toEqual([
      'attempt 1/3: connection refused; retrying in 5ms',
      'attempt 2/3: connection refused; retrying in 10ms',
      'attempt 3/3: connection refused',
    ]);
    expect(run.stderr).toBe(
      `fittech-deploy healthcheck: http://127.0.0.1:${port}${config.api.healthPath} did not become healthy after 3 attempts ` +
        '(15ms of backoff); last result: connection refused. Look at the pods with: fittech-deploy diagnose --env dev\n',
    );
  });

  it('builds the URL from the load balancer host, the Service port and the health path', async () => {
    const server = await scriptedServer([200], '/livez');
    try {
      const dir = mkdtempSync(join(tmpdir(), 'fittech-healthcheck-'));
      const file = join(dir, 'overrides.json');
      writeFileSync(
        file,
        JSON.stringify({ service: { port: server.port }, api: { healthPath: '/livez' } }),
      );
      const run = await runCli([
        'healthcheck',
        '--config',
        file,
        '--host',
        '127.0.0.1',
        '--attempts',
        '1',
      ]);
      rmSync(dir, { recursive: true, force: true });
      expect(run.status).toBe(0);
      expect(server.requests).toEqual(['/livez']);
      expect(run.lines).toEqual([
        `http://127.0.0.1:${server.port}/livez is healthy after 1 attempt (HTTP 200 OK)`,
      ]);
    } finally {
      await server.close();
    }
  });
});
