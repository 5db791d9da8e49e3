/**
 * Real PostgreSQL and Redis servers for the tests, started from the installed
 * binaries on free ports in a temporary directory and removed afterwards.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * system user. With TEST_DATABASE_URL set, a fresh database on that server is
 * used instead (and tests that must restart PostgreSQL are skipped).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function which(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const postgresDirs = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
})();

const binaries = {
  postgres: which('postgres', postgresDirs),
  initdb: which('initdb', postgresDirs),
  redis: which('redis-server'),
  openssl: which('openssl'),
};

const runningAsRoot = process.getuid?.() === 0;
const postgresUser = (() => {
  if (!runningAsRoot) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
})();

/** Why the servers cannot be started here, or undefined when they can. */
export const postgresUnavailable: string | undefined = process.env.TEST_DATABASE_URL
  ? undefined
  : !binaries.postgres || !binaries.initdb
    ? 'PostgreSQL server binaries (postgres, initdb) are not installed and TEST_DATABASE_URL is not set'
    : runningAsRoot && !postgresUser
      ? 'running as root without a "postgres" system user to run PostgreSQL as'
      : undefined;
export const redisUnavailable: string | undefined = binaries.redis
  ? undefined
  : 'redis-server is not installed';

/** Why PostgreSQL or Redis servers cannot be started here (undefined when both can). */
export const serversUnavailable: string | undefined = postgresUnavailable ?? redisUnavailable;
export const opensslUnavailable: string | undefined = binaries.openssl
  ? undefined
  : 'openssl is not installed';
/** Whether the tests own the PostgreSQL server (and may stop and restart it). */
export const ownsPostgres = !process.env.TEST_DATABASE_URL;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (postgresUser) chownSync(dir, postgresUser.uid, postgresUser.gid);
  return dir;
}

export interface TlsFiles {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A CA that did not sign the server certificate. */
  readonly otherCaCert: string;
}

/** A CA and a server certificate for `localhost` only (and a second, unrelated CA). */
export function makeTlsFiles(dir: string): TlsFiles {
  const ssl = (args: string[]) => execFileSync(binaries.openssl!, args, { stdio: 'ignore' });
  const f = (name: string) => join(dir, name);
  for (const ca of ['ca', 'other-ca']) {
    ssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${ca}`,
      '-keyout',
      f(`${ca}.key`),
      '-out',
      f(`${ca}.crt`),
    ]);
  }
  ssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost\n');
  ssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    f('server.crt'),
    '-extfile',
    f('server.ext'),
  ]);
  return {
    caCert: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    otherCaCert: f('other-ca.crt'),
  };
}

/** A temporary directory (readable by PostgreSQL's user when running as root). */
export function scratchDir(prefix = 'fittech-test-'): string {
  return tempDir(prefix);
}

export interface PostgresServer {
  readonly port: number;
  /** `postgresql://postgres@127.0.0.1:<port>/<database>` (plain TCP). */
  readonly url: string;
  /** Stops the server (fast shutdown: open sessions are terminated). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  remove(): Promise<void>;
}

export interface PostgresOptions {
  /** Serve TLS with these files (plain connections remain allowed). */
  readonly tls?: Pick<TlsFiles, 'serverCert' | 'serverKey'>;
  /**
   * More addresses to listen on besides 127.0.0.1 (e.g. the host end of a test
   * pod's veth pair), each trusted from its /24 like loopback is.
   */
  readonly extraListenAddresses?: readonly string[];
  /**
   * Roles that must authenticate with a password (SCRAM) over TCP, where
   * every other role is trusted: for tests of how the API obtains its password.
   */
  readonly passwordRoles?: readonly string[];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  if (process.env.TEST_DATABASE_URL) return externalPostgres(process.env.TEST_DATABASE_URL);
  const dir = tempDir('fittech-pg-');
  const data = join(dir, 'data');
  const asPostgres = postgresUser ? { uid: postgresUser.uid, gid: postgresUser.gid } : {};
  execFileSync(
    binaries.initdb!,
    ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { stdio: 'ignore', ...asPostgres },
  );
  if (options.passwordRoles?.length) {
    // pg_hba.conf: the first matching line wins, so these go before initdb's trust lines.
    const hba = join(data, 'pg_hba.conf');
    const lines = options.passwordRoles.map(
      (role) => `host all ${role} 127.0.0.1/32 scram-sha-256`,
    );
    writeFileSync(hba, `${lines.join('\n')}\n${readFileSync(hba, 'utf8')}`);
  }
  for (const address of options.extraListenAddresses ?? []) {
    const network = `${address.split('.').slice(0, 3).join('.')}.0/24`;
    appendFileSync(join(data, 'pg_hba.conf'), `host all all ${network} trust\n`);
  }
  const args = [
    '-D',
    data,
    '-k',
    dir,
    '-c',
    `listen_addresses=${['127.0.0.1', ...(options.extraListenAddresses ?? [])].join(',')}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=60',
  ];
  if (options.tls) {
    // PostgreSQL insists that its key is private to the server's user.
    for (const file of [options.tls.serverCert, options.tls.serverKey]) {
      if (postgresUser) chownSync(file, postgresUser.uid, postgresUser.gid);
    }
    chmodSync(options.tls.serverKey, 0o600);
    args.push(
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${options.tls.serverCert}`,
      '-c',
      `ssl_key_file=${options.tls.serverKey}`,
    );
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(binaries.postgres!, [...args, '-p', String(port)], {
      stdio: 'ignore',
      ...asPostgres,
    });
    children.add(child);
    const c = child;
    child.once('exit', () => children.delete(c));
    await waitFor('PostgreSQL', async () => {
      const client = new Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        database: 'postgres',
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  };
  const stop = async () => {
    if (child) await stopChild(child, 'SIGINT');
  };
  await start();
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function externalPostgres(adminUrl: string): Promise<PostgresServer> {
  const name = `fittech_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const unsupported = () => Promise.reject(new Error('cannot stop a TEST_DATABASE_URL server'));
  return {
    port: Number(url.port || 5432),
    url: url.toString(),
    stop: unsupported,
    start: unsupported,
    remove: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: the server vanishes mid-conversation, as a crashed sidecar would. */
  kill(): Promise<void>;
  /** Starts a fresh (empty) server on the same port. */
  start(): Promise<void>;
  remove(): Promise<void>;
}

function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      binaries.redis!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    children.add(child);
    const c = child;
    child.once('exit', () => children.delete(c));
    await waitFor('Redis', () => redisAnswers(port));
  };
  const kill = async () => {
    if (child) await stopChild(child, 'SIGKILL');
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}/0`, kill, start, remove: kill };
}
