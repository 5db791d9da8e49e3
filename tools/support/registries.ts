/**
 * Real package registries for the tests, as servers.ts starts real PostgreSQL
 * and Redis: Debian's `docker-registry` (the CNCF distribution registry, an
 * OCI registry Helm pushes charts to) and verdaccio (an npm registry, a pinned
 * dev dependency), each on a free loopback port with its storage in a
 * temporary directory that is removed with the server, also when starting
 * fails. Neither reaches any other registry: the registry has no proxy,
 * verdaccio no uplinks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './servers';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) killGroup(child);
});

/** Ends the process and its children (it was started as a group leader). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  // Debian installs it in /usr/bin; PATH may be narrowed by the caller.
  return existsSync(join('/usr/bin', name)) ? join('/usr/bin', name) : undefined;
}

const dockerRegistryBinary = onPath('docker-registry');

/** Why the OCI registry cannot be started here, or undefined when it can. */
export const ociRegistryUnavailable: string | undefined = dockerRegistryBinary
  ? undefined
  : "Debian's docker-registry is not installed (apt-get install docker-registry)";

const verdaccioBin = (() => {
  try {
    return join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  } catch {
    return undefined;
  }
})();

/** Why the npm registry cannot be started here, or undefined when it can. */
export const npmRegistryUnavailable: string | undefined = verdaccioBin
  ? undefined
  : 'verdaccio (a dev dependency) is not installed: run pnpm install';

interface Started {
  child: ChildProcess;
  output(): string;
}

function startGroup(argv: readonly string[], cwd: string): Started {
  const [command, ...args] = argv;
  const child = spawn(command!, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  const keep = (d: Buffer) => {
    // The last few kilobytes are enough to say why it did not come up.
    out = (out + d.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => out };
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    killGroup(child);
  });
}

/**
 * Polls `url` until it answers with a status below 500. The budget is counted
 * in attempts that each got an answer or a refusal, not in wall-clock time, so
 * a busy machine only makes it slower; a server that exits ends the wait.
 */
async function waitUntilServing(what: string, url: string, started: Started): Promise<void> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`${what} exited before serving ${url}:\n${started.output()}`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(5_000) })
      .then((r) => r.status < 500)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not serve ${url} after 1200 attempts:\n${started.output()}`);
}

/** A running server with its temporary directory. */
interface Server {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly port: number;
  /** Its temporary directory (configuration and storage). */
  readonly dir: string;
  /** Stops the server and removes its directory; safe to call twice. */
  remove(): Promise<void>;
}

/** Starts a server in a fresh temporary directory; on any failure, stops it and removes the directory. */
async function startInTempDir<T extends Server>(
  prefix: string,
  start: (
    dir: string,
    port: number,
  ) => Promise<{ started: Started; server: Omit<T, 'remove' | 'dir'> }>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let started: Started | undefined;
  const remove = async () => {
    if (started) await stopGroup(started.child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const result = await start(dir, port);
    started = result.started;
    return { ...result.server, dir, remove } as T;
  } catch (e) {
    await remove();
    throw e;
  }
}

export interface OciRegistry extends Server {
  /** Repositories in the registry (`GET /v2/_catalog`). */
  catalog(): Promise<string[]>;
  /** Tags of a repository (`GET /v2/<name>/tags/list`), sorted. */
  tags(repository: string): Promise<string[]>;
}

/**
 * Debian's `docker-registry` serving plain HTTP on 127.0.0.1 (clients need
 * `--plain-http`), its blobs in a temporary directory.
 */
export async function startOciRegistry(): Promise<OciRegistry> {
  if (ociRegistryUnavailable) throw new Error(ociRegistryUnavailable);
  return startInTempDir<OciRegistry>('fittech-oci-', async (dir, port) => {
    const host = `127.0.0.1:${port}`;
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'storage')}`,
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n'),
    );
    const started = startGroup([dockerRegistryBinary!, 'serve', config], dir);
    try {
      await waitUntilServing('docker-registry', `http://${host}/v2/`, started);
    } catch (e) {
      await stopGroup(started.child);
      throw e;
    }
    const getJson = async <R>(path: string): Promise<R> => {
      const response = await fetch(`http://${host}${path}`);
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as R;
    };
    return {
      started,
      server: {
        host,
        port,
        catalog: async () =>
          (await getJson<{ repositories?: string[] }>('/v2/_catalog')).repositories ?? [],
        tags: async (repository: string) =>
          ((await getJson<{ tags?: string[] | null }>(`/v2/${repository}/tags/list`)).tags ?? [])
            .slice()
            .sort(),
      },
    };
  });
}

export interface NpmRegistry extends Server {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** The user created at start, and its token (for `//host/:_authToken=`). */
  readonly user: { readonly name: string; readonly token: string };
  /**
   * An `.npmrc` that points every package (and the `@fittech` scope) at this
   * registry and authenticates as the user.
   */
  readonly npmrc: string;
}

/**
 * verdaccio on 127.0.0.1 with htpasswd authentication, no uplinks (a package
 * it does not hold is a 404, never a download), anyone may read, only an
 * authenticated user may publish; one user is created through the registry's
 * own `PUT /-/user/org.couchdb.user:<name>`.
 */
export async function startNpmRegistry(): Promise<NpmRegistry> {
  if (npmRegistryUnavailable) throw new Error(npmRegistryUnavailable);
  return startInTempDir<NpmRegistry>('fittech-npm-', async (dir, port) => {
    const host = `127.0.0.1:${port}`;
    const url = `http://${host}/`;
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        `storage: ${join(dir, 'storage')}`,
        'auth:',
        '  htpasswd:',
        `    file: ${join(dir, 'htpasswd')}`,
        '    max_users: 10',
        // The cheapest hash: these users live as long as one test.
        '    algorithm: md5',
        'uplinks: {}',
        'packages:',
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    unpublish: $authenticated',
        'web:',
        '  enable: false',
        'logs: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n'),
    );
    const started = startGroup(
      [process.execPath, verdaccioBin!, '--config', config, '--listen', host],
      dir,
    );
    try {
      await waitUntilServing('verdaccio', `${url}-/ping`, started);
      const name = 'fittech-test';
      const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password: `pw-${process.pid}-${port}` }),
      });
      const body = (await response.json()) as { token?: string; error?: string };
      if (!response.ok || !body.token) {
        throw new Error(
          `verdaccio refused to create user ${name}: ${response.status} ${JSON.stringify(body)}`,
        );
      }
      const npmrc = [
        `registry=${url}`,
        `@fittech:registry=${url}`,
        `//${host}/:_authToken=${body.token}`,
        '',
      ].join('\n');
      return { started, server: { host, port, url, user: { name, token: body.token }, npmrc } };
    } catch (e) {
      await stopGroup(started.child);
      throw e;
    }
  });
}
