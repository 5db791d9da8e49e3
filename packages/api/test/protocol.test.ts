/**
 * Held at the protocol level (issue 27), against a real API on real
 * PostgreSQL and Redis, over raw sockets so that nothing on the client side
 * rewrites the requests: Host repeated or invalid is 400, more header fields
 * than the API reads is 431, a declared oversize body is 413 before a byte of
 * it is read (also with `Expect: 100-continue`, which is then never
 * answered 100), and a POST pipelined before a GET takes effect first.
 */
import { connect } from 'node:net';
import type { RunningApi } from '@fittech/api';
import { newUser } from './support/api';
import { pipelined } from './support/pipeline';
import { describeWithServers, useStack } from './support/stack';

/** Writes `head` (and keeps the socket open); resolves with what the server sent until it closed or went quiet. */
function exchange(port: number, head: string, quietMs = 1_500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(head);
      quiet();
    });
    socket.on('data', (d: string) => {
      reply += d;
      quiet();
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
  });
}
const status = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);

describeWithServers('the protocol level', () => {
  const stack = useStack();
  let api: RunningApi;
  beforeAll(() => {
    api = stack.api;
  });

  it('a repeated or invalid Host is 400; one valid Host is served', async () => {
    const get = (hosts: string) => `GET /health HTTP/1.1\r\n${hosts}Connection: close\r\n\r\n`;
    expect(status(await exchange(api.port, get('Host: a\r\nHost: b\r\n')))).toBe(400);
    expect(status(await exchange(api.port, get('Host: exa mple.com\r\n')))).toBe(400);
    expect(status(await exchange(api.port, get('Host: a/b\r\n')))).toBe(400);
    expect(status(await exchange(api.port, get('')))).toBe(400);
    expect(status(await exchange(api.port, get('Host: api.example.com:8000\r\n')))).toBe(200);
    expect(status(await exchange(api.port, get('Host: [::1]:8000\r\n')))).toBe(200);
  });

  it('more header fields than it reads is 431, never a request with fields dropped', async () => {
    const user = await newUser(api, 'headers');
    const filler = Array.from({ length: 1_200 }, (_, i) => `X-F${i}: 1\r\n`).join('');
    const many = `GET /dashboard HTTP/1.1\r\nHost: a\r\n${filler}Authorization: Bearer ${user.token}\r\nConnection: close\r\n\r\n`;
    expect(status(await exchange(api.port, many))).toBe(431);
    const few = `GET /users/${user.id}/food-logs HTTP/1.1\r\nHost: a\r\nX-F: 1\r\nAuthorization: Bearer ${user.token}\r\nConnection: close\r\n\r\n`;
    expect(status(await exchange(api.port, few))).toBe(200);
  });

  it('a declared oversize body is 413 at once, unread; with Expect: 100-continue there is no 100', async () => {
    const user = await newUser(api, 'oversize');
    const head = (extra: string) =>
      `POST /users/${user.id}/food-logs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${user.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 1000000000\r\n${extra}\r\n`;
    // Nothing of the body is sent: the answer can only come from the declared length.
    const plain = await exchange(api.port, head(''));
    expect(status(plain)).toBe(413);
    expect(plain).toContain('Request body too large');
    const expecting = await exchange(api.port, head('Expect: 100-continue\r\n'));
    expect(expecting).not.toContain('100 Continue');
    expect(status(expecting)).toBe(413);
    // A body within bounds with Expect: 100-continue is served as before.
    const body = JSON.stringify({ food_name: 'ok', calories: 1 });
    const small = await new Promise<string>((resolve) => {
      const socket = connect(api.port, '127.0.0.1');
      let reply = '';
      socket.setEncoding('latin1');
      socket.on('connect', () =>
        socket.write(
          `POST /users/${user.id}/food-logs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${user.token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
        ),
      );
      socket.on('data', (d: string) => {
        if (reply === '' && d.startsWith('HTTP/1.1 100')) socket.write(body);
        reply += d;
      });
      socket.on('close', () => resolve(reply));
    });
    expect(small).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(small).toContain('HTTP/1.1 201');
  });

  it('a POST pipelined before a GET takes effect first (RFC 9112 §9.3.2)', async () => {
    const user = await newUser(api, 'pipelined');
    const body = JSON.stringify({ food_name: 'first', calories: 5 });
    const auth = `Authorization: Bearer ${user.token}\r\n`;
    const reply = await exchange(
      api.port,
      `POST /users/${user.id}/food-logs HTTP/1.1\r\nHost: a\r\n${auth}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
        `GET /users/${user.id}/food-logs HTTP/1.1\r\nHost: a\r\n${auth}Connection: close\r\n\r\n`,
    );
    const answers = reply.split(/(?=HTTP\/1\.1 \d{3})/);
    expect(answers.map(status)).toEqual([201, 200]);
    expect(answers[1]).toContain('"food_name":"first"');
  });

  it('a connection pipelining past the limit is paced, and closed with 429 if it keeps pushing', async () => {
    // Written in one go: far more requests than a connection may have waiting.
    const flood = await pipelined(api.port, 'GET /health HTTP/1.1\r\nHost: a\r\n\r\n', {
      connections: 1,
      total: 500,
      depth: 500,
    });
    expect(flood.statuses['200']).toBeGreaterThan(0);
    expect(flood.statuses['429']).toBeGreaterThan(0);
    expect(flood.closedByServer).toBe(1);
    // A client that waits for its answers is never refused.
    const paced = await pipelined(api.port, 'GET /health HTTP/1.1\r\nHost: a\r\n\r\n', {
      connections: 1,
      total: 200,
      depth: 16,
    });
    expect(paced).toEqual({ statuses: { '200': 200 }, answered: 200, closedByServer: 0 });
  });
});
