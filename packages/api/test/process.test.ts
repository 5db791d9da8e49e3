/**
 * The built server as the container runs it: start-up refuses a bad
 * environment naming each variable; `pnpm --filter @fittech/api migrate` and
 * `start` work; a scripted client session passes; SIGTERM under load drops
 * no request and exits 0.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import {
  freePort,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../../tools/support/servers';
import { migrations } from '@fittech/api';
import { call, newUser, testEnvironment, type TestUser } from './support/api';
import { describeWithServers, ONBOARDING } from './support/stack';

const root = resolve(__dirname, '../../..');
const apiDir = resolve(__dirname, '..');
const main = join(apiDir, 'dist/main.js');
const pnpm = spawnSync('pnpm', ['--version']).status === 0 ? 'pnpm' : undefined;
const curl = spawnSync('curl', ['--version']).status === 0 ? 'curl' : undefined;

/** A child process whose JSON log lines are collected. */
interface Running {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves when a log line with this `msg` appears. */
  logged(msg: string): Promise<Record<string, unknown>>;
}

const started = new Set<ChildProcess>();

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = root): Running {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const logs: Record<string, unknown>[] = [];
  const waiters: { msg: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      for (const w of waiters.filter((w) => w.msg === entry.msg)) w.resolve(entry);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    logged: (msg) => {
      const seen = logs.find((l) => l.msg === msg);
      return seen ? Promise.resolve(seen) : new Promise((r) => waiters.push({ msg, resolve: r }));
    },
  };
}

/** The child environment: this process's (PATH, HOME) without any FitTech variable, plus `extra`. */
function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of [
    'DATABASE_URL',
    'REDIS_URL',
    'SECRET_KEY',
    'PORT',
    'METRICS_PORT',
    'LOG_LEVEL',
  ])
    delete env[key];
  return { ...env, NODE_ENV: 'production', ...extra };
}

describeWithServers('the built server process', () => {
  let pg: PostgresServer;
  let redis: RedisServer;

  beforeAll(async () => {
    // The tests run what the image runs: dist/, built from the current sources.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-b', 'packages/api/tsconfig.json'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  }, 120_000);

  afterAll(async () => {
    // A failed test may leave its server running: never leave it behind.
    for (const child of started) child.kill('SIGKILL');
    await Promise.all([pg?.remove(), redis?.remove()]);
  });

  /** Whether a process (not a child of ours, e.g. the server under pnpm) still runs. */
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('refuses to start on a bad environment, naming every variable and never echoing secrets', async () => {
    const proc = run(
      process.execPath,
      [main],
      childEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@db/x' }),
    );
    expect(await proc.exited).toBe(1);
    const message = proc.stderr();
    expect(message).toContain('PORT: must be a whole number (got "eighty")');
    expect(message).toContain('DATABASE_URL: must be a postgresql:// URL (got "<redacted>")');
    expect(message).toContain('SECRET_KEY: is required but not set');
    expect(message).not.toContain('hunter2');
  });

  it('refuses a DATABASE_URL it cannot use safely, saying what to change', async () => {
    const env = testEnvironment(`${pg.url}?sslmode=prefer`, redis.url);
    const proc = run(
      process.execPath,
      [main],
      childEnv({ ...env, PORT: String(await freePort()), METRICS_PORT: String(await freePort()) }),
    );
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toContain('DATABASE_URL has sslmode=prefer');
  });

  const withPnpm = pnpm ? it : it.skip;
  withPnpm(
    `\`pnpm --filter @fittech/api migrate\` applies the migrations, then has nothing to do${pnpm ? '' : ' (skipped: pnpm is not on PATH)'}`,
    async () => {
      const env = childEnv({ DATABASE_URL: pg.url });
      const first = run(pnpm!, ['--filter', '@fittech/api', 'migrate'], env);
      expect(await first.exited).toBe(0);
      expect(first.logs.find((l) => l.msg === 'migrations applied')).toMatchObject({
        applied: migrations.map((m) => m.version),
      });
      const second = run(process.execPath, [join(apiDir, 'dist/migrate.js')], env);
      expect(await second.exited).toBe(0);
      expect(second.logs.map((l) => l.msg)).toContain('database already up to date');
    },
  );

  const withTools = pnpm && curl ? it : it.skip;
  withTools(
    `a scripted client session against \`pnpm --filter @fittech/api start\`${pnpm && curl ? '' : ' (skipped: pnpm or curl is not on PATH)'}`,
    async () => {
      const port = await freePort();
      const server = run(
        pnpm!,
        ['--filter', '@fittech/api', 'start'],
        childEnv({
          ...testEnvironment(pg.url, redis.url),
          LOG_LEVEL: 'info',
          PORT: String(port),
          METRICS_PORT: String(await freePort()),
        }),
      );
      // pnpm runs the script in a shell: the server is a grandchild, known by the pid it logs.
      const pid = (await server.logged('listening')).pid as number;
      try {
        const session = spawnSync(
          'bash',
          [join(apiDir, 'scripts/client-session.sh'), `http://127.0.0.1:${port}`],
          {
            encoding: 'utf8',
          },
        );
        process.stdout.write(
          `client session against pnpm start:\n${session.stdout}${session.stderr}`,
        );
        expect(session.status).toBe(0);
        expect(session.stdout).toContain('client session OK');
        // The logs carry no token and no password.
        const logText = JSON.stringify(server.logs);
        expect(logText).not.toMatch(/eyJ[\w-]+\.eyJ/);
        expect(logText).not.toContain('correct horse');
      } finally {
        process.kill(pid, 'SIGTERM');
      }
      expect(await server.logged('shutdown complete')).toMatchObject({ drained: true });
      expect(await server.exited).toBe(0);
      expect(alive(pid)).toBe(false);
    },
    // pnpm, a server process, and two bcrypt hashes at cost 12 on a shared 2-core machine.
    60_000,
  );

  it('SIGTERM under load: readiness turns 503, every request sent gets its answer, exit 0', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const server = run(
      process.execPath,
      [main],
      childEnv({
        ...testEnvironment(pg.url, redis.url),
        LOG_LEVEL: 'info',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    // Readiness is served on the probe listener only, as the kubelet asks it.
    const probes = `http://127.0.0.1:${metricsPort}`;
    await server.logged('listening');
    const user: TestUser = await newUser(base, 'sigterm');
    await call(base, 'POST', `/users/${user.id}/onboarding`, {
      token: user.token,
      json: ONBOARDING,
    });

    const counts = {
      sent: 0,
      answered: 0,
      failed: 0,
      answeredAfterSigterm: 0,
      errors: [] as string[],
    };
    let sigtermSent = false;
    const workers = 16;
    const agent = new Agent({ keepAlive: true, maxSockets: workers });
    const requests: [string, string, string?][] = [
      ['GET', '/dashboard'],
      ['GET', `/users/${user.id}/food-logs`],
      ['POST', `/users/${user.id}/food-logs`, JSON.stringify({ food_name: 'load', calories: 1 })],
      ['GET', `/users/${user.id}/onboarding`],
    ];
    const send = (i: number) =>
      new Promise<{ status: number; close: boolean }>((done, fail) => {
        const [method, path, body] = requests[i % requests.length]!;
        const req = request(`${base}${path}`, {
          agent,
          method,
          headers: {
            authorization: `Bearer ${user.token}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () =>
            done({ status: res.statusCode!, close: res.headers.connection === 'close' }),
          );
        });
        req.on('error', fail);
        req.end(body);
      });
    let started = 0;
    let reachedLoad: () => void;
    const loaded = new Promise<void>((r) => (reachedLoad = r));
    const worker = async () => {
      for (;;) {
        const i = started++;
        counts.sent += 1;
        try {
          const res = await send(i);
          counts.answered += 1;
          if (sigtermSent) counts.answeredAfterSigterm += 1;
          if (res.status >= 500) counts.failed += 1;
          if (counts.answered === 400) reachedLoad();
          // The server said goodbye on this connection: a client (or the load
          // balancer) takes its next request elsewhere.
          if (res.close) return;
        } catch (error) {
          counts.failed += 1;
          counts.errors.push((error as NodeJS.ErrnoException).code ?? String(error));
          return;
        }
      }
    };
    // A connection opened before SIGTERM, used to ask /ready during the drain.
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const probe = (path: string) =>
      new Promise<{ status: number; body: string }>((done, fail) => {
        request(`${probes}${path}`, { agent: probeAgent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => done({ status: res.statusCode!, body }));
        })
          .on('error', fail)
          .end();
      });
    expect((await probe('/ready')).status).toBe(200);
    // The server closes a keep-alive connection idle for 5 s; on a loaded machine the load phase
    // can take longer, so the probe connection is kept in use until SIGTERM.
    const warm = setInterval(() => void probe('/health').catch(() => undefined), 1000);

    const running = Promise.all(Array.from({ length: workers }, worker));
    await Promise.race([loaded, running]);
    clearInterval(warm);
    sigtermSent = true;
    server.child.kill('SIGTERM');
    await server.logged('shutting down: readiness fails, draining');
    const ready = await probe('/ready');
    await running;
    const exitCode = await server.exited;
    agent.destroy();
    probeAgent.destroy();

    process.stdout.write(`SIGTERM under load: ${JSON.stringify(counts)}\n`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'shutting_down' });
    expect(counts.failed).toBe(0);
    expect(counts.errors).toEqual([]);
    expect(counts.answered).toBe(counts.sent);
    expect(counts.answeredAfterSigterm).toBeGreaterThanOrEqual(workers);
    expect(exitCode).toBe(0);
    expect(server.logs.find((l) => l.msg === 'shutdown complete')).toMatchObject({ drained: true });
  }, 90_000);
});
