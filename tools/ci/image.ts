/**
 * CI's image stage (`.ci/run` runs it after the tests): builds
 * packages/api/Dockerfile with podman, then runs the image as the rendered
 * Deployment and migration Job describe it: the manifests' command, user,
 * read-only root filesystem, dropped capabilities, no privilege escalation,
 * emptyDir mounts and ConfigMap env, in a pod network namespace with its own
 * Redis on loopback, against a PostgreSQL started for the run on the host.
 * Prints the build time, the image size, the migration, a client session,
 * and the exit code after SIGTERM. Exits non-zero on any failure.
 *
 * Where no registry serves the Dockerfile's base image, a stand-in is built
 * from Debian (debootstrap --variant=minbase) with this machine's node at the
 * official image's paths, and imported under the official tag; where the RDS
 * CA bundle's URL is unreachable, a substitute file is served instead. Both
 * are said in the output: the image is then not the one a registry build makes.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createPodNetwork, type PodNetwork } from '../support/netns';
import { pollUntil, startProcess, type RunningProcess } from '../support/processes';
import { reachableTemporaryDirectory } from '../support/image';
import { startPostgres, type PostgresServer } from '../support/servers';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const DOCKERFILE = join(REPO_ROOT, 'packages', 'api', 'Dockerfile');
const TAG = 'localhost/fittech-api:ci';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Label of a stand-in base image made here, saying what it is made of. */
const STAND_IN_LABEL = 'org.fittech.stand-in';
// podman here: runc (crun refuses this kernel's mixed cgroups), limits below the hard ones.
const PODMAN_FLAGS = [
  '--runtime',
  'runc',
  '--ulimit',
  'nofile=20000:20000',
  '--ulimit',
  'nproc=32768:32768',
];

type K8sObject = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const say = (line: string) => process.stdout.write(`::: image | ${line}\n`);
const indent = (text: string) => `${text.trimEnd().replace(/^/gm, '    ')}\n`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function run(command: string, args: string[], options: { input?: Buffer } = {}): string {
  return execFileSync(command, args, {
    cwd: REPO_ROOT,
    input: options.input,
    encoding: 'utf8',
    stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });
}

/** The value of an `ARG name=value` of the Dockerfile. */
function dockerfileArg(name: string): string {
  const match = new RegExp(`^ARG ${name}=(\\S+)`, 'm').exec(readFileSync(DOCKERFILE, 'utf8'));
  if (!match) throw new Error(`packages/api/Dockerfile has no ARG ${name}=…`);
  return match[1]!;
}

/** The base image: the registry's, or a stand-in made here from Debian and this machine's node. */
function ensureBaseImage(): void {
  const image = dockerfileArg('NODE_IMAGE'); // e.g. node:20.20.2-bookworm-slim
  const official = `docker.io/library/${image}`;
  if (spawnSync('podman', ['image', 'exists', official]).status === 0) {
    const standIn = run('podman', [
      'image',
      'inspect',
      official,
      '--format',
      `{{index .Labels "${STAND_IN_LABEL}"}}`,
    ]).trim();
    say(
      standIn && standIn !== '<no value>'
        ? `STAND-IN BASE IMAGE: ${official} is the stand-in made earlier on this machine (${standIn}), not the registry's image`
        : `base image ${official} is present`,
    );
    return;
  }
  const pull = spawnSync('podman', ['pull', '--quiet', official], { timeout: 60_000 });
  if (pull.status === 0) {
    say(`base image ${official} pulled from its registry`);
    return;
  }
  const [, version, suite] = /^node:(\d+\.\d+\.\d+)-(\w+)/.exec(image) ?? [];
  if (!version || !suite) throw new Error(`cannot make a stand-in for ${image}`);
  if (process.version !== `v${version}`) {
    throw new Error(
      `no registry serves ${official}, and this machine's node is ${process.version}, not v${version}: cannot make a faithful stand-in`,
    );
  }
  const mirror =
    /^URIs:\s*(\S+)/m.exec(readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8'))?.[1] ??
    'http://deb.debian.org/debian';
  say(
    `STAND-IN BASE IMAGE: no registry serves ${official} here; building one from Debian ${suite} ` +
      `(debootstrap --variant=minbase, ${mirror}) with this machine's node ${process.version} at ` +
      `/usr/local/bin/node and npm at /usr/local/lib/node_modules/npm, imported as ${official}`,
  );
  const started = performance.now();
  const root = join(reachableTemporaryDirectory('fittech-base-'), 'rootfs');
  try {
    run('debootstrap', ['--variant=minbase', suite, root, mirror]);
    const npm = join(run('npm', ['root', '-g']).trim(), 'npm');
    mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
    cpSync(process.execPath, join(root, 'usr/local/bin/node'));
    cpSync(npm, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    rmSync(join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 2 ** 31 });
    run(
      'podman',
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${version}`,
        '--change',
        'CMD ["node"]',
        '--change',
        `LABEL ${STAND_IN_LABEL}="debootstrap --variant=minbase ${suite} + node ${process.version} and npm from the build machine"`,
        '-',
        official,
      ],
      { input: tar },
    );
  } finally {
    rmSync(dirname(root), { recursive: true, force: true });
  }
  say(`stand-in base image made in ${seconds(performance.now() - started)}`);
}

/** The RDS CA bundle URL for the build: the real one, or a local substitute when it is unreachable. */
async function caBundleSource(): Promise<{ url: string; server?: Server }> {
  const url = dockerfileArg('RDS_CA_BUNDLE_URL');
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    if (res.ok) {
      say(`RDS CA bundle: ${url} is reachable; the image carries it`);
      return { url };
    }
    throw new Error(`HTTP ${res.status}`);
  } catch (error) {
    const body = readFileSync(HOST_CA_BUNDLE);
    const server = createServer((_req, res) => res.end(body));
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const port = (server.address() as { port: number }).port;
    say(
      `SUBSTITUTED RDS CA BUNDLE: ${url} is unreachable (${(error as Error).message}); ` +
        `the image carries this machine's ${HOST_CA_BUNDLE} at that path instead`,
    );
    return { url: `http://127.0.0.1:${port}/global-bundle.pem`, server };
  }
}

/**
 * podman build, with this machine's CA bundle and npm configuration mounted
 * for the RUN steps. Asynchronous: this process may be serving the CA bundle
 * that the build's ADD fetches.
 */
async function build(caUrl: string): Promise<void> {
  const npmrcs = [
    // The user configuration (registry, auth): read by npm and pnpm as root in RUN steps.
    [run('npm', ['config', 'get', 'userconfig']).trim(), '/root/.npmrc'],
    // The global one (cafile): at the image's node prefix.
    [run('npm', ['config', 'get', 'globalconfig']).trim(), '/usr/local/etc/npmrc'],
  ].filter(([host]) => spawnSync('test', ['-f', host!]).status === 0);
  const started = performance.now();
  const args = [
    'build',
    ...PODMAN_FLAGS,
    '--pull=never',
    '--network=host',
    '-v',
    `${HOST_CA_BUNDLE}:${HOST_CA_BUNDLE}:ro`,
    ...npmrcs.flatMap(([host, inImage]) => ['-v', `${host}:${inImage}:ro`]),
    '--build-arg',
    `RDS_CA_BUNDLE_URL=${caUrl}`,
    '-f',
    DOCKERFILE,
    '-t',
    TAG,
    REPO_ROOT,
  ];
  const child = spawn('podman', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const status = await new Promise<number | null>((done) => child.on('close', done));
  if (status !== 0) {
    process.stdout.write(`${output}\n`);
    throw new Error(`podman build failed (exit ${status})`);
  }
  const lines = output.split('\n');
  const steps = lines.filter((l) => /STEP \d+\/\d+: /.test(l)).length;
  const cached = lines.filter((l) => /Using cache/.test(l)).length;
  say(`podman build: ${steps} steps, ${cached} of them from the layer cache`);
  const size = Number(run('podman', ['image', 'inspect', TAG, '--format', '{{.Size}}']).trim());
  say(
    `built ${TAG} from packages/api/Dockerfile in ${seconds(performance.now() - started)}; image size ${(size / 2 ** 20).toFixed(0)} MiB`,
  );
}

/** The rendered Deployment, migration Job and ConfigMap, from a synth of the committed config. */
function manifests(dir: string): K8sObject[] {
  run(process.execPath, [
    join(REPO_ROOT, 'packages', 'cli', 'dist', 'synth', 'synth.js'),
    '--out',
    dir,
    '--no-workflows',
  ]);
  const files = readdirSync(join(dir, 'manifests'), { recursive: true, encoding: 'utf8' });
  return files
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, 'manifests', f), 'utf8')))
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
}

/** `podman run` flags for a container as its pod spec describes it. */
function containerFlags(
  objects: K8sObject[],
  pod: K8sObject,
  container: K8sObject,
  secrets: Record<string, string>,
  network: PodNetwork,
): string[] {
  const sc = { ...pod.spec.securityContext, ...container.securityContext };
  const flags = [...PODMAN_FLAGS, '--network', `ns:/run/netns/${network.name}`];
  if (sc.runAsUser !== undefined)
    flags.push('--user', `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (sc.readOnlyRootFilesystem) flags.push('--read-only');
  for (const cap of sc.capabilities?.drop ?? []) flags.push('--cap-drop', cap);
  if (sc.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  if (container.workingDir) flags.push('--workdir', container.workingDir);
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.spec.volumes.find((v: K8sObject) => v.name === mount.name);
    if (!volume?.emptyDir) throw new Error(`volume ${mount.name}: only emptyDir is emulated`);
    flags.push('--tmpfs', `${mount.mountPath}:rw,nosuid,nodev,mode=1777`);
  }
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.value !== undefined) value = String(e.value);
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      value = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref.name)?.data?.[
        ref.key
      ];
    } else if (e.valueFrom?.secretKeyRef) value = secrets[e.name];
    if (value === undefined) throw new Error(`${container.name}: env ${e.name} cannot be resolved`);
    flags.push('-e', `${e.name}=${value}`);
  }
  return flags;
}

/** The flags as they can be printed: env values (secrets among them) replaced by their names. */
function describeFlags(flags: string[]): string {
  const shown: string[] = [];
  const env: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '-e') env.push(flags[++i]!.split('=')[0]!);
    else shown.push(flags[i]!);
  }
  return `${shown.join(' ')} -e {${env.join(',')}}`;
}

async function main(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  try {
    ensureBaseImage();
    const ca = await caBundleSource();
    if (ca.server) cleanups.push(() => ca.server!.close());
    await build(ca.url);

    const layout = run('podman', [
      'run',
      '--rm',
      ...PODMAN_FLAGS,
      '--user',
      '10001:10001',
      TAG,
      'find',
      '/app',
      '(',
      '-xtype',
      'l',
      '-o',
      '!',
      '-readable',
      ')',
      '-print',
    ]).trim();
    if (layout !== '')
      throw new Error(`the image has dangling links or files uid 10001 cannot read:\n${layout}`);
    say('layout: nothing under /app is a dangling link or unreadable by uid 10001');

    const work = reachableTemporaryDirectory('fittech-ci-image-');
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const objects = manifests(join(work, 'out'));
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const job = objects.find((o) => o.kind === 'Job')!;
    const pod = deployment.spec.template;
    const api = pod.spec.containers[0];

    const network = createPodNetwork();
    cleanups.push(() => network.remove());
    const postgres: PostgresServer = await startPostgres({
      extraListenAddresses: [network.hostAddress],
    });
    cleanups.push(() => postgres.remove());
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
    const redisPort = new URL(configMap.REDIS_URL ?? 'redis://127.0.0.1:6379').port || '6379';
    const redis: RunningProcess = startProcess(
      'redis',
      network.exec([
        'redis-server',
        '--bind',
        '127.0.0.1',
        '--port',
        redisPort,
        '--save',
        '',
        '--appendonly',
        'no',
      ]),
    );
    cleanups.push(() => redis.kill());
    const secrets = {
      DATABASE_URL: `postgresql://postgres@${network.hostAddress}:${postgres.port}/postgres?sslmode=disable`,
      SECRET_KEY: randomBytes(32).toString('hex'),
    };
    say(
      `pod network ${network.name} (pod ${network.podAddress}); PostgreSQL on ${network.hostAddress}:${postgres.port}; Redis on the pod's 127.0.0.1:${redisPort}`,
    );

    const jobContainer = job.spec.template.spec.containers[0];
    const jobArgv = [...(jobContainer.command ?? []), ...(jobContainer.args ?? [])];
    const jobFlags = containerFlags(objects, job.spec.template, jobContainer, secrets, network);
    say(`migration Job: podman run ${describeFlags(jobFlags)} ${TAG} ${jobArgv.join(' ')}`);
    const migrate = spawnSync('podman', ['run', '--rm', ...jobFlags, TAG, ...jobArgv], {
      encoding: 'utf8',
    });
    process.stdout.write(indent(migrate.stdout));
    if (migrate.status !== 0)
      throw new Error(`the migration exited ${migrate.status}: ${migrate.stderr}`);
    say('migration Job exited 0');

    const name = `fittech-api-ci-${process.pid}`;
    const flags = containerFlags(objects, pod, api, secrets, network);
    run('podman', [
      'run',
      '-d',
      '--name',
      name,
      ...flags,
      TAG,
      ...(api.command ?? []),
      ...(api.args ?? []),
    ]);
    cleanups.push(() => spawnSync('podman', ['rm', '-f', name]));
    // Ports by name, as the Service (`http`) and the kubelet's probes (`metrics`) find them.
    const containerPort = (name: string): number => {
      const found = api.ports.find((p: { name?: string }) => p.name === name);
      if (!found) throw new Error(`the api container declares no port named "${name}"`);
      return found.containerPort;
    };
    const base = `http://${network.podAddress}:${containerPort('http')}`;
    const probes = `http://${network.podAddress}:${containerPort(api.readinessProbe.httpGet.port)}`;
    const ready = await pollUntil(
      async () => (await fetch(`${probes}${api.readinessProbe.httpGet.path}`)).ok,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    if (!ready) throw new Error(`the API never became ready:\n${run('podman', ['logs', name])}`);
    say(
      `api container: podman run ${describeFlags(flags)} ${TAG} ${(api.command ?? []).join(' ')}`,
    );
    say(`api container ready at ${probes}${api.readinessProbe.httpGet.path}; serving at ${base}`);

    const session = spawnSync(
      'bash',
      [join(REPO_ROOT, 'packages/api/scripts/client-session.sh'), base],
      {
        encoding: 'utf8',
      },
    );
    process.stdout.write(indent(`${session.stdout}${session.stderr}`));
    if (session.status !== 0) throw new Error(`the client session failed (exit ${session.status})`);

    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    const stopped = performance.now();
    run('podman', ['kill', '--signal', 'TERM', name]);
    const exit = spawnSync('timeout', [String(grace), 'podman', 'wait', name], {
      encoding: 'utf8',
    });
    const code = exit.stdout.trim();
    const logs = spawnSync('podman', ['logs', name], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    process.stdout.write(indent(logs.slice(-3).join('\n')));
    say(
      `SIGTERM: the container exited ${code || `(not within ${grace} s)`} after ${seconds(performance.now() - stopped)}`,
    );
    if (code !== '0') throw new Error(`expected exit code 0 after SIGTERM, got ${code || 'none'}`);
    say('OK');
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: keep cleaning up
      }
    }
  }
}

main().catch((error: Error) => {
  say(`FAILED: ${error.message}`);
  process.exitCode = 1;
});
