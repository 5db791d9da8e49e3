/**
 * End-to-end: run the pod exactly as the rendered manifests describe it.
 *
 * The Deployment, ConfigMap, Service and migration Job come from the
 * `manifests/` that `pnpm synth` writes; the Secret comes from rendering the
 * chart with a test values file. Nothing here reads the config or a constant
 * for what the pod does: the commands, args, env, ports, probes, preStop hook
 * and grace period are the manifest's. Inside a network namespace (the pod's
 * network), the native Redis sidecar starts first, then the API; the host
 * plays the load balancer and a real PostgreSQL outside the pod plays RDS.
 *
 * How the kubelet is emulated: the API image's filesystem is staged as
 * packages/api/Dockerfile lays it out (`pnpm deploy --prod`, readable by
 * anyone, in a directory any user can reach: the checkout itself may not be)
 * and plays the container's `workingDir`; `emptyDir` mounts are temporary
 * directories substituted for their mount paths in args;
 * `runAsUser`/`runAsGroup` are applied with setpriv, and PATH is the image's.
 */
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { renderHelmChart } from '@fittech/manifests';
import { parseYamlObjects, one, type K8sObject } from './artifacts';
import { createPodNetwork, netnsUnavailableReason, type PodNetwork } from '../tools/support/netns';
import { reachableTemporaryDirectory, stageApiImage } from '../tools/support/image';
import {
  startProcess,
  runToCompletion,
  pollUntil,
  sleep,
  within,
  type RunningProcess,
} from '../tools/support/processes';
import {
  postgresUnavailable,
  redisUnavailable,
  startPostgres,
  type PostgresServer,
} from '../tools/support/servers';

const REPO_ROOT = resolve(__dirname, '..');
const SYNTH = join(REPO_ROOT, 'packages', 'cli', 'dist', 'synth', 'synth.js');
/** The runtime stage's WORKDIR, as packages/api/Dockerfile declares it (its last WORKDIR). */
const IMAGE_WORKDIR = [
  ...readFileSync(join(REPO_ROOT, 'packages', 'api', 'Dockerfile'), 'utf8').matchAll(
    /^WORKDIR\s+(\S+)/gm,
  ),
].pop()?.[1];

const skipReason =
  netnsUnavailableReason() ??
  (postgresUnavailable ? `PostgreSQL: ${postgresUnavailable}` : undefined) ??
  (redisUnavailable ? `Redis: ${redisUnavailable}` : undefined) ??
  (spawnSync('setpriv', ['--version']).status === 0
    ? undefined
    : 'setpriv (util-linux) is not installed');
const describePod = skipReason ? describe.skip : describe;

/** Step-by-step output, printed as the test goes (and kept for failure messages). */
const log: string[] = [];
function step(message: string): void {
  log.push(message);
  process.stdout.write(`  e2e | ${message}\n`);
}

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function http(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: Agent;
    timeoutMs?: number;
  } = {},
): Promise<HttpReply> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent,
        timeout: options.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout calling ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

function tcpReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port, timeout: 1500 });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolvePromise(false);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = join(dir, f);
    if (statSync(p).isFile()) files[f] = readFileSync(p, 'utf8');
  }
  return files;
}

/** Where a container field sits, for messages: `Deployment fittech-api: initContainers[redis].args`. */
const at = (owner: K8sObject, container: K8sObject, field: string) =>
  `${owner.kind} ${owner.metadata.name}: ${container.__list ?? 'containers'}[${container.name}].${field}`;

describePod(
  `end-to-end pod from the rendered manifests${skipReason ? ` — skipped: ${skipReason}` : ''}`,
  () => {
    let work: string;
    /** The staged image filesystem: plays the API containers' `workingDir`. */
    let image: string;
    let objects: K8sObject[];
    let secrets: K8sObject[];
    let network: PodNetwork;
    let postgres: PostgresServer | undefined;
    let deployment: K8sObject;
    let apiContainer: K8sObject;
    let redisContainer: K8sObject;
    let redis: RunningProcess | undefined;
    let api: RunningProcess | undefined;
    let podUrl: string;
    /** The api container's probe port (the one its readiness probe names), as the kubelet reaches it. */
    let probeUrl: string;
    let authHeaders: Record<string, string>;
    const processes: RunningProcess[] = [];

    /** The steps run in order; once one fails, the later ones report that instead of failing confusingly. */
    let failedStep: string | undefined;
    const podStep = (name: string, fn: () => Promise<void>, timeoutMs: number) =>
      it(
        name,
        async () => {
          if (failedStep) throw new Error(`not run: the earlier step "${failedStep}" failed`);
          try {
            await fn();
          } catch (e) {
            failedStep = name;
            throw e;
          }
        },
        timeoutMs,
      );

    /** Resolves a container's env as the kubelet does: values, ConfigMap keys, Secret keys. */
    function resolveEnv(owner: K8sObject, container: K8sObject): Record<string, string> {
      const env: Record<string, string> = {};
      for (const e of container.env ?? []) {
        const where = at(owner, container, `env[${e.name}]`);
        if (e.value !== undefined) env[e.name] = String(e.value);
        else if (e.valueFrom?.configMapKeyRef) {
          const ref = e.valueFrom.configMapKeyRef;
          const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref.name);
          if (!cm) throw new Error(`${where}: ConfigMap "${ref.name}" is not in the manifests`);
          if (cm.data?.[ref.key] === undefined)
            throw new Error(`${where}: ConfigMap ${ref.name} has no key "${ref.key}"`);
          env[e.name] = cm.data[ref.key];
        } else if (e.valueFrom?.secretKeyRef) {
          const ref = e.valueFrom.secretKeyRef;
          const secret = secrets.find((o) => o.metadata.name === ref.name);
          if (!secret)
            throw new Error(
              `${where}: Secret "${ref.name}" is not rendered by the chart with the test values`,
            );
          const value =
            secret.stringData?.[ref.key] ??
            (secret.data?.[ref.key] !== undefined
              ? Buffer.from(secret.data[ref.key], 'base64').toString('utf8')
              : undefined);
          if (value === undefined)
            throw new Error(`${where}: Secret ${ref.name} has no key "${ref.key}"`);
          env[e.name] = value;
        } else {
          throw new Error(`${where}: unsupported env source ${JSON.stringify(e.valueFrom)}`);
        }
      }
      for (const from of container.envFrom ?? []) {
        throw new Error(
          `${at(owner, container, 'envFrom')}: not emulated (${JSON.stringify(from)})`,
        );
      }
      // The image's PATH: the manifest gives none, the image does.
      return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...env };
    }

    /** The container's argv with emptyDir mount paths replaced by temporary directories. */
    function containerArgv(owner: K8sObject, pod: K8sObject, container: K8sObject): string[] {
      const argv = [...(container.command ?? []), ...(container.args ?? [])].map(String);
      if (argv.length === 0)
        throw new Error(
          `${at(owner, container, 'command')}: empty (the image's entrypoint is not emulated)`,
        );
      const uid: number | undefined =
        container.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
      const gid: number | undefined =
        container.securityContext?.runAsGroup ?? pod.spec.securityContext?.runAsGroup;
      for (const mount of container.volumeMounts ?? []) {
        const volume = (pod.spec.volumes ?? []).find((v: K8sObject) => v.name === mount.name);
        if (!volume?.emptyDir)
          throw new Error(
            `${at(owner, container, 'volumeMounts')}: volume ${mount.name} is not an emptyDir`,
          );
        const dir = mkdtempSync(join(work, `${container.name}-${mount.name}-`));
        if (uid !== undefined) chownSync(dir, uid, gid ?? uid);
        for (let i = 0; i < argv.length; i++) if (argv[i] === mount.mountPath) argv[i] = dir;
      }
      const user =
        uid === undefined
          ? []
          : ['setpriv', `--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups', '--'];
      return network.exec([...user, ...argv]);
    }

    function namedPort(
      container: K8sObject,
      ref: number | string,
      owner: K8sObject,
      field: string,
    ): number {
      if (typeof ref === 'number') return ref;
      const port = (container.ports ?? []).find((p: K8sObject) => p.name === ref);
      if (!port)
        throw new Error(
          `${at(owner, container, field)}: port name "${ref}" is not a port of the container`,
        );
      return port.containerPort;
    }

    /** The container's working directory: the staged image plays the image's WORKDIR. */
    function containerCwd(owner: K8sObject, container: K8sObject): string {
      if (container.workingDir === undefined) return work;
      if (container.workingDir !== IMAGE_WORKDIR)
        throw new Error(
          `${at(owner, container, 'workingDir')}: ${container.workingDir} is not the image's WORKDIR (${IMAGE_WORKDIR}, packages/api/Dockerfile)`,
        );
      return image;
    }

    beforeAll(async () => {
      // The containers' non-root users reach the image and their emptyDirs below it.
      work = reachableTemporaryDirectory('fittech-e2e-');
      const synth = spawnSync(
        process.execPath,
        [SYNTH, '--out', join(work, 'out'), '--no-workflows'],
        { encoding: 'utf8' },
      );
      if (synth.status !== 0)
        throw new Error(`pnpm synth failed (run \`pnpm build\` first):\n${synth.stderr}`);
      objects = parseYamlObjects(readTree(join(work, 'out', 'manifests')));
      image = stageApiImage(join(work, 'app'));
      step(`image filesystem staged at ${image} (pnpm deploy --prod @fittech/api)`);
      step(
        `synth wrote ${objects.length} objects to manifests/: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
      );

      network = createPodNetwork();
      step(
        `pod network: namespace ${network.name}, pod ${network.podAddress}, host ${network.hostAddress}`,
      );
      postgres = await startPostgres({ extraListenAddresses: [network.hostAddress] });
      const terraform = JSON.parse(
        readFileSync(join(work, 'out', 'terraform', 'main.tf.json'), 'utf8'),
      );
      const dbName = Object.values(
        terraform.resource.aws_db_instance as Record<string, { db_name: string }>,
      )[0]!.db_name;
      const admin = new Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}"`);
      await admin.end();
      const databaseUrl = `postgresql://postgres@${network.hostAddress}:${postgres.port}/${dbName}?sslmode=disable`;
      step(
        `PostgreSQL (plays RDS) on ${network.hostAddress}:${postgres.port}, database "${dbName}" from the Terraform's aws_db_instance`,
      );

      // The Secret comes from the chart, rendered with a test values file (as `helm install -f` would).
      const valuesFile = join(work, 'test-values.yaml');
      writeFileSync(
        valuesFile,
        toYaml({ secrets: { databaseUrl, secretKey: randomBytes(32).toString('hex') } }),
        { mode: 0o600 },
      );
      // The release the manifests were rendered for (their instance label), as `helm install <release>`.
      const rendered = renderHelmChart(readTree(join(work, 'out', 'chart')), {
        release: objects[0]!.metadata.labels!['app.kubernetes.io/instance']!,
        namespace: objects[0]!.metadata.namespace!,
        values: parseYaml(readFileSync(valuesFile, 'utf8')),
      });
      secrets = rendered.objects.filter((o) => o.kind === 'Secret') as K8sObject[];
      step(
        `chart rendered with test-values.yaml: Secrets ${secrets.map((s) => s.metadata.name).join(', ')}`,
      );

      deployment = one(objects, 'Deployment');
      const pod = deployment.spec.template;
      const sidecars = (pod.spec.initContainers ?? []).filter(
        (c: K8sObject) => c.restartPolicy === 'Always',
      );
      if (sidecars.length !== 1)
        throw new Error(
          `Deployment ${deployment.metadata.name}: expected one native sidecar (initContainers[].restartPolicy: Always), found ${sidecars.length}`,
        );
      redisContainer = { ...sidecars[0], __list: 'initContainers' };
      if (pod.spec.containers.length !== 1)
        throw new Error(`Deployment ${deployment.metadata.name}: expected one app container`);
      apiContainer = pod.spec.containers[0];
    }, 120_000);

    afterAll(async () => {
      for (const p of [...processes].reverse()) p.kill();
      await Promise.all(processes.map((p) => within(p.exited, 5000, 'killed')));
      network?.remove();
      await postgres?.remove();
      if (work) rmSync(work, { recursive: true, force: true });
      const leftover = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      if (network && leftover.includes(network.name))
        throw new Error(`namespace ${network.name} was left behind`);
    }, 60_000);

    podStep(
      'runs the migration hook Job with the Job’s command and env',
      async () => {
        const job = one(objects, 'Job');
        expect(job.metadata.annotations?.['helm.sh/hook']).toMatch(/pre-install/);
        const jobPod = job.spec.template;
        const container = jobPod.spec.containers[0];
        const deadline = (job.spec.activeDeadlineSeconds ?? 300) * 1000;
        const argv = containerArgv(job, jobPod, container);
        step(
          `migration Job ${job.metadata.name}: ${[...(container.command ?? []), ...(container.args ?? [])].join(' ')}`,
        );
        const result = await runToCompletion('migrate', argv, {
          env: resolveEnv(job, container),
          cwd: containerCwd(job, container),
          timeoutMs: deadline,
        });
        if (result.code !== 0) {
          throw new Error(
            `${at(job, container, 'command')} exited ${result.code}:\n${result.output}`,
          );
        }
        step(`migration Job completed (exit 0)`);
      },
      120_000,
    );

    podStep(
      'starts the native sidecar first and waits for its exec probe',
      async () => {
        const pod = deployment.spec.template;
        redis = startProcess('redis', containerArgv(deployment, pod, redisContainer), {
          env: resolveEnv(deployment, redisContainer),
          cwd: containerCwd(deployment, redisContainer),
        });
        processes.push(redis);
        const probe =
          redisContainer.startupProbe ??
          redisContainer.readinessProbe ??
          redisContainer.livenessProbe;
        if (!probe?.exec)
          throw new Error(
            `${at(deployment, redisContainer, 'startupProbe')}: expected an exec probe (a kubelet TCP probe cannot reach a loopback-only port)`,
          );
        const budget =
          (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3) * 1000 +
          (probe.initialDelaySeconds ?? 0) * 1000;
        let last = '';
        const ok = await pollUntil(
          async () => {
            const r = spawnSync(
              network.exec(probe.exec.command)[0]!,
              network.exec(probe.exec.command).slice(1),
              { encoding: 'utf8' },
            );
            last = `${r.status} ${r.stdout}${r.stderr}`.trim();
            return r.status === 0 && /PONG/.test(r.stdout);
          },
          { timeoutMs: Math.min(budget, 30_000), intervalMs: 200 },
        );
        if (!ok)
          throw new Error(
            `${at(deployment, redisContainer, 'startupProbe.exec.command')} (${probe.exec.command.join(' ')}) never passed; last: ${last}\nredis output:\n${redis.output()}`,
          );
        step(`redis sidecar up: exec probe "${probe.exec.command.join(' ')}" answered PONG`);
      },
      60_000,
    );

    podStep(
      'starts the api container with exactly the manifest’s env and passes its startup and readiness probes',
      async () => {
        const pod = deployment.spec.template;
        const env = resolveEnv(deployment, apiContainer);
        api = startProcess('api', containerArgv(deployment, pod, apiContainer), {
          env,
          cwd: containerCwd(deployment, apiContainer),
        });
        processes.push(api);
        step(
          `api container: ${[...(apiContainer.command ?? [])].join(' ')} with env ${Object.keys(env)
            .filter((k) => k !== 'PATH')
            .join(', ')}`,
        );

        for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
          const probe = apiContainer[kind];
          if (!probe?.httpGet)
            throw new Error(`${at(deployment, apiContainer, kind)}: expected an httpGet probe`);
          const port = namedPort(
            apiContainer,
            probe.httpGet.port,
            deployment,
            `${kind}.httpGet.port`,
          );
          const url = `http://${network.podAddress}:${port}${probe.httpGet.path}`;
          const budget =
            ((probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3) +
              (probe.initialDelaySeconds ?? 0)) *
            1000;
          let last = 'no answer';
          const ok = await pollUntil(
            async () => {
              const r = await http(url, { timeoutMs: (probe.timeoutSeconds ?? 1) * 1000 }).catch(
                (e: Error) => ({ status: 0, body: e.message }),
              );
              last = `${r.status} ${r.body.slice(0, 200)}`;
              return r.status >= 200 && r.status < 400;
            },
            { timeoutMs: Math.min(budget, 60_000), intervalMs: 250 },
          );
          if (!ok || api.hasExited()) {
            throw new Error(
              `${at(deployment, apiContainer, `${kind}.httpGet`)} ${url} never succeeded (last: ${last})\napi output:\n${api.output().slice(-3000)}`,
            );
          }
          step(
            `${kind} ${probe.httpGet.path} on port ${probe.httpGet.port} (${port}) → ${last.split(' ')[0]}`,
          );
          if (kind === 'readinessProbe') probeUrl = `http://${network.podAddress}:${port}`;
        }
      },
      90_000,
    );

    podStep(
      'serves a full FitTech session through the Service’s targetPort, the second dashboard from the cache',
      async () => {
        const service = one(objects, 'Service');
        expect(service.spec.selector).toEqual(
          Object.fromEntries(
            Object.entries(service.spec.selector).filter(
              ([k, v]) => deployment.spec.template.metadata.labels[k] === v,
            ),
          ),
        );
        const target = service.spec.ports[0].targetPort;
        const port = namedPort(apiContainer, target, service, 'spec.ports[0].targetPort');
        podUrl = `http://${network.podAddress}:${port}`;
        step(
          `Service ${service.metadata.name} port ${service.spec.ports[0].port} → targetPort ${target} → ${podUrl}`,
        );
        // What the Service reaches serves no readiness: clients cannot drive the kubelet's view.
        const readyPath = apiContainer.readinessProbe.httpGet.path;
        expect(new URL(probeUrl).port).not.toBe(String(port));
        expect((await http(`${podUrl}${readyPath}`)).status).toBe(404);
        expect((await http(`${podUrl}${apiContainer.livenessProbe.httpGet.path}`)).status).toBe(
          200,
        );

        const json = { 'Content-Type': 'application/json' };
        const email = `e2e-${Date.now()}@example.com`;
        const password = 'correct horse battery staple';
        const register = await http(`${podUrl}/auth/register`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email, password }),
        });
        expect(register.status).toBe(201);
        const user = JSON.parse(register.body);
        const token = await http(`${podUrl}/auth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: email, password }).toString(),
        });
        expect(token.status).toBe(200);
        const auth = { ...json, Authorization: `Bearer ${JSON.parse(token.body).access_token}` };
        authHeaders = auth;
        const onboarding = await http(`${podUrl}/users/${user.id}/onboarding`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            name: 'E2E',
            birthdate: '1990-06-15',
            sex: 'female',
            height: 168,
            weight: 62,
            main_goal: 'maintain',
            work_schedule: 'moderate',
          }),
        });
        expect(onboarding.status).toBe(201);
        const food = await http(`${podUrl}/users/${user.id}/food-logs`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            food_name: 'oats',
            calories: 380,
            protein: 13,
            carbs: 68,
            fats: 7,
          }),
        });
        expect(food.status).toBe(201);
        const workout = await http(`${podUrl}/users/${user.id}/workout-logs`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ workout_type: 'run', duration: 30, calories_burned: 300 }),
        });
        expect(workout.status).toBe(201);
        const first = await http(`${podUrl}/dashboard`, { headers: auth });
        const second = await http(`${podUrl}/dashboard`, { headers: auth });
        expect(first.status).toBe(200);
        expect(second.status).toBe(200);
        expect(JSON.parse(second.body)).toEqual(JSON.parse(first.body));
        expect(JSON.parse(first.body).intake_today.calories).toBe(380);
        expect(first.headers['x-cache']).toBe('miss');
        expect(second.headers['x-cache']).toBe('hit');
        step(
          `session: register 201, token 200, onboarding 201, food log 201, workout log 201, dashboard 200 (${first.headers['x-cache']}) then 200 (${second.headers['x-cache']})`,
        );
      },
      60_000,
    );

    podStep(
      'keeps Redis inside the pod: its port is unreachable from the host, the API port is reachable',
      async () => {
        const redisPorts = (redisContainer.ports ?? []).map(
          (p: K8sObject) => p.containerPort as number,
        );
        const args: string[] = (redisContainer.args ?? []).map(String);
        const portArg = args.indexOf('--port');
        const redisPort = portArg >= 0 ? Number(args[portArg + 1]) : (redisPorts[0] ?? 6379);
        const apiPort = Number(new URL(podUrl).port);
        expect(await tcpReachable(network.podAddress, apiPort)).toBe(true);
        if (await tcpReachable(network.podAddress, redisPort)) {
          throw new Error(
            `${at(deployment, redisContainer, 'args')} --bind: Redis port ${redisPort} is reachable from outside the pod at ${network.podAddress}; it must listen on 127.0.0.1 only`,
          );
        }
        step(
          `isolation: ${network.podAddress}:${apiPort} (api) reachable, ${network.podAddress}:${redisPort} (redis) refused`,
        );
      },
      30_000,
    );

    podStep(
      'drains on preStop + SIGTERM: in-flight requests complete, readiness turns 503, exit 0 within the grace period, sidecar stopped last',
      async () => {
        const pod = deployment.spec.template;
        const grace = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
        const readyPath = apiContainer.readinessProbe.httpGet.path;
        const preStop = apiContainer.lifecycle?.preStop?.exec?.command;
        if (!preStop)
          throw new Error(
            `${at(deployment, apiContainer, 'lifecycle.preStop.exec.command')}: missing`,
          );
        const started = Date.now();
        step(`termination: preStop "${preStop.join(' ')}" (grace period ${grace / 1000} s)`);
        const hook = await runToCompletion('preStop', network.exec(preStop), {
          cwd: containerCwd(deployment, apiContainer),
          timeoutMs: grace,
        });
        expect(hook.code).toBe(0);

        // Connections the load balancer already holds: one for a readiness check,
        // twenty carrying requests that are in flight when SIGTERM arrives.
        const readyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
        expect((await http(`${probeUrl}${readyPath}`, { agent: readyAgent })).status).toBe(200);
        const flightAgent = new Agent({ keepAlive: true, maxSockets: 20 });
        await Promise.all(
          Array.from({ length: 20 }, () => http(`${podUrl}/health`, { agent: flightAgent })),
        );
        const inFlight = Array.from({ length: 20 }, () =>
          http(`${podUrl}/dashboard`, { agent: flightAgent, headers: authHeaders }).then(
            (r) => r.status,
            (e: Error) => `error: ${e.message}`,
          ),
        );
        api!.child.kill('SIGTERM');
        await sleep(100);
        const readiness = await http(`${probeUrl}${readyPath}`, { agent: readyAgent }).then(
          (r) => r.status,
          (e: Error) => `error: ${e.message}`,
        );
        const statuses = await Promise.all(inFlight);
        const code = await within(api!.exited, grace, 'still running');
        const elapsed = Date.now() - started;
        const sidecarAliveWhenApiExited = !redis!.hasExited();

        expect(statuses.filter((s) => s !== 200)).toEqual([]);
        // 503 while the public port drains; once it has drained (20 cached answers take
        // milliseconds) the probe listener is closed: a refused connection, which the kubelet
        // counts as not ready just the same.
        expect(
          readiness === 503 || /ECONNREFUSED|ECONNRESET|socket hang up/.test(String(readiness)),
        ).toBe(true);
        if (code !== 0)
          throw new Error(`api exited with ${code} after SIGTERM:\n${api!.output().slice(-3000)}`);
        expect(elapsed).toBeLessThanOrEqual(grace);
        expect(sidecarAliveWhenApiExited).toBe(true);
        step(
          `SIGTERM: ${statuses.length} in-flight requests → 200, readiness → ${readiness}, exit ${code} after ${(elapsed / 1000).toFixed(1)} s (≤ ${grace / 1000} s)`,
        );

        // Native sidecars are stopped after the main containers.
        redis!.child.kill('SIGTERM');
        const redisCode = await within(redis!.exited, 10_000, 'still running');
        expect(redisCode).toBe(0);
        step(`redis sidecar stopped after the api (exit ${redisCode})`);
        readyAgent.destroy();
        flightAgent.destroy();
      },
      120_000,
    );
  },
);
