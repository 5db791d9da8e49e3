/**
 * `pnpm dev` as a newcomer runs it: one command, the API answering on the
 * configured (here: a free) port against real PostgreSQL and Redis, a
 * restart after a source change, and Ctrl-C leaving no server and no process
 * behind; and the same against servers the caller gives in DATABASE_URL /
 * REDIS_URL, which it uses and leaves running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync } from 'node:fs';
import { request } from 'node:http';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import {
  freePort,
  serversUnavailable,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../tools/support/servers';

const REPO = resolve(__dirname, '..');
const DEV = join(REPO, 'tools', 'dist', 'dev.js');

const suite = serversUnavailable ? describe.skip : describe;

interface Dev {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once the output matches (rejects after `timeoutMs`, showing the output). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | string>;
}

const sessions: Dev[] = [];

/** Starts `argv` in its own process group (as a terminal runs a command), without FitTech variables. */
function startDev(argv: string[], extra: NodeJS.ProcessEnv, cwd = REPO): Dev {
  const env = { ...process.env };
  for (const key of [
    'DATABASE_URL',
    'REDIS_URL',
    'SECRET_KEY',
    'PORT',
    'METRICS_PORT',
    'LOG_LEVEL',
    'TEST_DATABASE_URL',
  ])
    delete env[key];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const dev: Dev = {
    child,
    output: () => out,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (!m) return;
          cleanup();
          resolveMatch(m);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s; output:\n${out}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`exited before ${pattern}; output:\n${out}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
  sessions.push(dev);
  return dev;
}

/** Every process whose process group is `pgid` (from /proc: also those of other users). */
function processesInGroup(pgid: number): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid)
        found.push(`${pid} ${stat.slice(0, stat.lastIndexOf(')') + 1)}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Waits (bounded) until no process of the group is left; returns those still there. */
async function groupEmpties(pgid: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesInGroup(pgid);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function http(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((done, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        timeout: 10_000,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => done({ status: res.statusCode!, body: text }));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.once('error', reject);
    req.end(payload);
  });
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(2_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.connect(port, '127.0.0.1', () => finish(true));
  });
}

/** Redis's `CLIENT LIST` (one line per connected client). */
function redisClients(port: number): Promise<string> {
  return new Promise((done, reject) => {
    const socket = new Socket();
    let text = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('Redis did not answer')));
    socket.once('error', reject);
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && Buffer.byteLength(text) >= header[0].length + Number(header[1])) {
        socket.destroy();
        done(text);
      }
    });
    socket.connect(port, '127.0.0.1', () => socket.write('CLIENT LIST\r\n'));
  });
}

suite(`pnpm dev${serversUnavailable ? ` (skipped: ${serversUnavailable})` : ''}`, () => {
  afterAll(() => {
    // A failed test must not leave its session running.
    for (const dev of sessions) {
      try {
        process.kill(-dev.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  it('starts its own PostgreSQL and Redis, answers, restarts on a source change, and Ctrl-C leaves nothing behind', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    // From a package directory, as `pnpm synth` is run: the root script is found.
    const dev = startDev(
      ['pnpm', 'dev'],
      { PORT: String(port), METRICS_PORT: String(metricsPort) },
      join(REPO, 'packages', 'api'),
    );
    await dev.waitFor(/dev: FitTech API \(env dev\) at http:\/\/127\.0\.0\.1:(\d+)/, 180_000);
    const out = dev.output();
    expect(out).toContain(`http://127.0.0.1:${port}`);
    expect(out).toContain(`curl -s http://127.0.0.1:${port}/health`);
    const pgPort = Number(/PostgreSQL on 127\.0\.0\.1:(\d+) \(database fittech\)/.exec(out)?.[1]);
    const redisPort = Number(/Redis on 127\.0\.0\.1:(\d+), started/.exec(out)?.[1]);
    expect(pgPort).toBeGreaterThan(0);
    expect(redisPort).toBeGreaterThan(0);

    expect((await http(port, 'GET', '/health')).status).toBe(200);
    expect(out).toContain(`curl -s http://127.0.0.1:${metricsPort}/ready`);
    const ready = await http(metricsPort, 'GET', '/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ database: 'ok', cache: { redis: 'ok' } });
    const registered = await http(port, 'POST', '/auth/register', {
      email: 'dev@example.com',
      password: 'correct horse battery',
    });
    expect(registered.status).toBe(201);

    // The same content with a new time: a change to the watcher, nothing to git.
    const source = join(REPO, 'packages', 'api', 'src', 'index.ts');
    const now = new Date();
    utimesSync(source, now, now);
    await dev.waitFor(/dev: restarted at/, 180_000);
    // The migrated database survived the restart: the same email is taken.
    const again = await http(port, 'POST', '/auth/register', {
      email: 'dev@example.com',
      password: 'correct horse battery',
    });
    expect(again.status).toBe(400);

    // Ctrl-C: the terminal signals the whole foreground group. pnpm itself ends by
    // the signal (as for any script); the session goes on to stop what it started.
    process.kill(-dev.child.pid!, 'SIGINT');
    await dev.waitFor(/dev: stopped/, 120_000);
    expect(await dev.exited).toBe('SIGINT');
    expect(await groupEmpties(dev.child.pid!, 30_000)).toEqual([]);
    for (const p of [port, pgPort, redisPort]) expect(await listening(p)).toBe(false);
  }, 480_000);

  describe('with DATABASE_URL and REDIS_URL given', () => {
    let pg: PostgresServer;
    let redis: RedisServer;
    beforeAll(async () => {
      [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([pg?.remove(), redis?.remove()]);
    });

    it('uses them, starts no server of its own, and leaves them running when it stops', async () => {
      const port = await freePort();
      const dev = startDev([process.execPath, DEV], {
        PORT: String(port),
        METRICS_PORT: String(await freePort()),
        DATABASE_URL: pg.url,
        REDIS_URL: redis.url,
      });
      await dev.waitFor(/dev: FitTech API \(env dev\) at /, 180_000);
      expect(dev.output()).toContain('PostgreSQL: DATABASE_URL from your environment');
      expect(dev.output()).toContain('Redis: REDIS_URL from your environment');
      const processes = processesInGroup(dev.child.pid!).join('\n');
      expect(processes).not.toMatch(/postgres|redis-server/);

      expect(
        (
          await http(port, 'POST', '/auth/register', {
            email: 'given@example.com',
            password: 'correct horse battery',
          })
        ).status,
      ).toBe(201);
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        const users = await client.query('SELECT email FROM users');
        expect(users.rows).toEqual([{ email: 'given@example.com' }]);
      } finally {
        await client.end();
      }
      // Besides this query's own connection, the API's are connected to the given Redis.
      const clients = (await redisClients(redis.port)).split('\n').filter((l) => /^id=/.test(l));
      expect(clients.length).toBeGreaterThanOrEqual(2);

      process.kill(dev.child.pid!, 'SIGTERM');
      expect(await dev.exited).toBe(0);
      expect(await groupEmpties(dev.child.pid!, 30_000)).toEqual([]);
      expect(await listening(port)).toBe(false);
      expect(await listening(pg.port)).toBe(true);
      expect(await listening(redis.port)).toBe(true);
    }, 300_000);
  });

  it('refuses an invalid environment variable of the contract, naming it, and starts nothing', async () => {
    const dev = startDev([process.execPath, DEV], {
      PORT: 'eighty',
      DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1/0',
    });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain('PORT: must be a whole number (got "eighty")');
  }, 60_000);
});
