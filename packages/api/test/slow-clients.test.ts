/**
 * Slow clients are bounded: a client trickling its body or its headers is
 * answered 408 and disconnected at the request/headers timeout, not held
 * for Node's default 300 s; idle keep-alive connections close. The bounds
 * are shortened here so the test is quick; the defaults are checked as set.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DEFAULT_HTTP_TIMEOUTS, type RunningApi } from '@fittech/api';
import type { PostgresServer, RedisServer } from '../../../tools/support/servers';
import { startTestApi } from './support/api';
import { describeWithServers, useStack } from './support/stack';

interface Trickle {
  /** What the server sent before it closed the connection. */
  readonly reply: string;
  /** From the first byte sent to the server closing, ms. */
  readonly heldMs: number;
  /** Bytes the client managed to send. */
  readonly sent: number;
}

/**
 * Sends `head` and then `trickle` one byte every `everyMs`, until the server
 * closes the connection (or `giveUpMs` passes: the client then closes it).
 */
function trickle(
  port: number,
  head: string,
  trickle: string,
  everyMs: number,
  giveUpMs: number,
): Promise<Trickle> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let reply = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (reply += d));
    socket.on('error', () => undefined); // a reset after the server's 408 is an ending too
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ reply, heldMs: performance.now() - started, sent });
    });
    socket.on('connect', () => {
      socket.write(head);
      sent += head.length;
      let i = 0;
      timer = setInterval(() => {
        if (socket.destroyed || i >= trickle.length) return;
        socket.write(trickle[i]!);
        i += 1;
        sent += 1;
      }, everyMs);
    });
    socket.once('error', (e) => (sent === 0 ? reject(e) : undefined));
  });
}

describeWithServers('slow clients', () => {
  const stack = useStack({
    apis: async ({ pg, redis }) => [
      await startTestApi(pg.url, redis[0]!.url, {
        httpTimeouts: {
          headersMillis: 1_000,
          requestMillis: 2_000,
          keepAliveMillis: 1_000,
          checkIntervalMillis: 200,
        },
      }),
    ],
  });
  let pg: PostgresServer;
  let redis: RedisServer;
  let api: RunningApi;
  beforeAll(() => {
    ({ pg, api } = stack);
    redis = stack.redis[0]!;
  });

  it('a client trickling its body gets 408 and is disconnected at the request timeout', async () => {
    const body = JSON.stringify({ email: 'slow@example.com', password: 'long-enough' }).padEnd(
      1_000,
      ' ',
    );
    const head =
      'POST /auth/register HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${body.length}\r\n\r\n`;
    // One byte every 50 ms would take 50 s; the client gives up after 30 s.
    const result = await trickle(api.port, head, body, 50, 30_000);
    process.stdout.write(
      `slow body: held ${Math.round(result.heldMs)} ms (request timeout 2000 ms), ${result.sent} bytes sent, reply ${JSON.stringify(result.reply.split('\r\n')[0])}\n`,
    );
    expect(result.reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.heldMs).toBeGreaterThanOrEqual(1_900);
    expect(result.heldMs).toBeLessThan(15_000);
    expect(result.sent).toBeLessThan(head.length + body.length);
  }, 40_000);

  it('a client trickling its headers gets 408 at the headers timeout', async () => {
    const head = 'GET /health HTTP/1.1\r\nHost: api\r\n';
    const result = await trickle(api.port, head, `X-Slow: ${'a'.repeat(500)}\r\n\r\n`, 50, 30_000);
    process.stdout.write(
      `slow headers: held ${Math.round(result.heldMs)} ms (headers timeout 1000 ms), reply ${JSON.stringify(result.reply.split('\r\n')[0])}\n`,
    );
    expect(result.reply).toMatch(/^HTTP\/1\.1 408 /);
    expect(result.heldMs).toBeGreaterThanOrEqual(900);
    expect(result.heldMs).toBeLessThan(15_000);
  }, 40_000);

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const result = await trickle(
      api.port,
      'GET /health HTTP/1.1\r\nHost: api\r\n\r\n',
      '',
      50,
      30_000,
    );
    expect(result.reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(result.reply).toContain('Keep-Alive: timeout=1');
    expect(result.heldMs).toBeGreaterThanOrEqual(900);
    expect(result.heldMs).toBeLessThan(15_000);
  }, 40_000);

  it('the defaults are set on a server started without overrides', async () => {
    const plain = await startTestApi(pg.url, redis.url);
    try {
      expect({
        headersTimeout: plain.server.headersTimeout,
        requestTimeout: plain.server.requestTimeout,
        keepAliveTimeout: plain.server.keepAliveTimeout,
        timeout: plain.server.timeout,
      }).toEqual({
        headersTimeout: DEFAULT_HTTP_TIMEOUTS.headersMillis,
        requestTimeout: DEFAULT_HTTP_TIMEOUTS.requestMillis,
        keepAliveTimeout: DEFAULT_HTTP_TIMEOUTS.keepAliveMillis,
        timeout: DEFAULT_HTTP_TIMEOUTS.idleSocketMillis,
      });
      expect(DEFAULT_HTTP_TIMEOUTS.requestMillis).toBeLessThan(300_000); // Node's default
    } finally {
      await plain.shutdown('test finished');
    }
  });
});
