/**
 * The API under load: the built server (`node packages/api/dist/main.js`) as a
 * child process, configured by the dev environment's ConfigMap from
 * @fittech/shared, against real PostgreSQL and Redis started for the run; the
 * load generator (autocannon) runs in this process.
 *
 * Two instances share the database: one with its Redis, one whose REDIS_URL
 * points at a port where nothing listens (the API then reads PostgreSQL for
 * every request, as it does during a cache outage). Each scenario runs for a
 * warm-up, then as several short sub-runs interleaved with the other
 * scenarios' (round-robin, rotating order), so drift during the run touches
 * every scenario alike and each ratio compares neighbouring samples.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type autocannon from 'autocannon';
import { Client } from 'pg';
import { apiEnvironmentManifest, environmentNames, resolveConfig } from '@fittech/shared';
import { PROJECT_CONFIG_FILE, loadProjectConfig } from '@fittech/shared/loader';
import {
  startProcess,
  runToCompletion,
  pollUntil,
  type RunningProcess,
} from '../support/processes';
import { freePort, serversUnavailable, startPostgres, startRedis } from '../support/servers';
import { onCleanup, temporaryDirectory } from './cleanup';
import { readProfile, summarizeProfile, type ProfileSummary } from './profile';
import { runLoad, type LoadRun } from './load';
import { int, ms, ratio, ratioSpread, summarize, type Ratio, type Summary } from './stats';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const API_DIST = join(REPO_ROOT, 'packages', 'api', 'dist');

export const SCENARIOS = {
  health: 'GET /health (floor)',
  cached: 'GET /dashboard, warm cache',
  etag: 'GET /dashboard, If-None-Match (304)',
  uncached: 'GET /dashboard, no Redis',
  writes: 'dashboard with writes',
} as const;
export type ScenarioKey = keyof typeof SCENARIOS;

export interface ApiOptions {
  readonly connections: readonly number[];
  readonly subRuns: number;
  readonly subRunSeconds: number;
  readonly warmupSeconds: number;
  /** Reads per write in the `writes` scenario. */
  readonly readsPerWrite: number;
  /** Length of each profiled run (10 connections), s; 0 skips the profiles. */
  readonly profileSeconds: number;
}

export interface ScenarioResult {
  readonly label: string;
  /** The API instance that served it: `cached` (with Redis) or `uncached`. */
  readonly instance: string;
  readonly requestsPerSecond: Summary;
  readonly p50: Summary;
  readonly p99: Summary;
  readonly non2xx: number;
  /** Responses with a status the scenario does not expect (2xx, or 304 for the conditional GET). */
  readonly unexpected: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly responses: number;
  readonly cache: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly cpu?: { api: Summary; loadGenerator: Summary; other: Summary };
  /** Peak resident memory of the API process per sub-run, MiB. */
  readonly peakRssMiB?: Summary;
  readonly subRuns: LoadRun[];
}

export interface LevelResult {
  readonly connections: number;
  readonly scenarios: Record<ScenarioKey, ScenarioResult>;
  readonly ratios: {
    /** Requests/s, warm cache over no Redis. */
    readonly cachedOverUncached: Ratio;
    /** Requests/s, warm cache over GET /health. */
    readonly cachedOverFloor: Ratio;
    /** Requests/s, no Redis over GET /health. */
    readonly uncachedOverFloor: Ratio;
    /** Requests/s, with writes over without. */
    readonly writesOverCached: Ratio;
    /** Requests/s, with writes over no Redis at all: what the cache still buys with writes. */
    readonly writesOverUncached: Ratio;
    /** Requests/s, conditional GET answered 304 over GET /health. */
    readonly etagOverFloor: Ratio;
    /** p99 latency, warm cache over GET /health. */
    readonly cachedOverFloorP99: Ratio;
    /** p50 latency, no Redis over warm cache. */
    readonly uncachedOverCachedP50: Ratio;
  };
}

export type ApiResults =
  | {
      readonly skipped: false;
      readonly options: ApiOptions;
      readonly postgresVersion: string;
      readonly seed: { days: number; foodLogsPerDay: number; workoutsPerDay: number };
      readonly instanceEnvironment: Record<string, string>;
      /** Bytes of JSON logs the cached instance wrote during the run (its access lines). */
      readonly cachedLogBytes: number;
      readonly levels: LevelResult[];
      /** CPU profiles of the API under the dashboard load, with and without Redis. */
      readonly profiles?: Record<
        'cached' | 'uncached',
        ProfileSummary & { requestsPerSecond: number }
      >;
    }
  | { readonly skipped: true; readonly reason: string };

interface Api {
  readonly name: string;
  readonly url: string;
  readonly process: RunningProcess;
  /** performance.now() just before the process was spawned. */
  readonly spawnedAt: number;
  /** Where its stdout (the JSON logs) goes. */
  readonly logFile: string;
  /** SIGTERM (graceful shutdown), then SIGKILL after 10 s. */
  readonly stop: () => Promise<void>;
}

type Json = Record<string, unknown>;

async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Json = {};
  try {
    body = text ? (JSON.parse(text) as Json) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

async function expectStatus(
  what: string,
  expected: number,
  url: string,
  init: Parameters<typeof call>[1] = {},
) {
  const res = await call(url, init);
  if (res.status !== expected) {
    throw new Error(
      `bench: ${what} answered ${res.status}, expected ${expected}: ${JSON.stringify(res.body).slice(0, 300)}`,
    );
  }
  return res;
}

async function startApiInstance(
  name: string,
  env: Record<string, string>,
  cacheMode: 'enabled' | 'bypassed',
  nodeFlags: readonly string[] = [],
): Promise<Api> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  // The logs go to a file, as a container runtime takes them: written, never kept in memory.
  const logFile = join(
    temporaryDirectory('fittech-bench-api-log-'),
    `${name.replace(/\W+/g, '-')}.log`,
  );
  const logFd = openSync(logFile, 'a');
  const spawnedAt = performance.now();
  const child = startProcess(name, [process.execPath, ...nodeFlags, join(API_DIST, 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    },
    cwd: REPO_ROOT,
    stdout: logFd,
  });
  closeSync(logFd);
  const stop = onCleanup(`API instance "${name}"`, async () => {
    if (child.hasExited()) return;
    child.child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill(), 10_000);
    await child.exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  let last = '';
  const ready = await pollUntil(
    async () => {
      if (child.hasExited()) return true;
      const res = await call(`http://127.0.0.1:${metricsPort}/ready`);
      const mode = (res.body.cache as Json | undefined)?.mode;
      last = `${res.status} ${JSON.stringify(res.body)}`;
      return res.status === 200 && mode === cacheMode;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  if (child.hasExited() || !ready) {
    await stop();
    throw new Error(
      `bench: API instance "${name}" did not become ready with its cache ${cacheMode} ` +
        `(last /ready: ${last || 'no answer'}).\nIts output:\n${child.output().slice(-4000)}`,
    );
  }
  return { name, url, process: child, spawnedAt, stop, logFile };
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

const iso = (date: Date) => date.toISOString();
const utcMidnight = (daysAgo: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysAgo));
};
const FOODS = [
  {
    food_name: 'oats',
    serving_size: 80,
    serving_unit: 'g',
    calories: 300,
    protein: 10,
    carbs: 54,
    fats: 6,
  },
  {
    food_name: 'greek yoghurt',
    serving_size: 170,
    serving_unit: 'g',
    calories: 150,
    protein: 17,
    carbs: 6,
    fats: 4,
  },
  {
    food_name: 'chicken and rice',
    serving_size: 400,
    serving_unit: 'g',
    calories: 620,
    protein: 45,
    carbs: 80,
    fats: 12,
  },
  {
    food_name: 'apple',
    serving_size: 1,
    serving_unit: 'piece',
    calories: 95,
    protein: 0,
    carbs: 25,
    fats: 0,
  },
  {
    food_name: 'salmon and potatoes',
    serving_size: 450,
    serving_unit: 'g',
    calories: 680,
    protein: 42,
    carbs: 60,
    fats: 28,
  },
];
const MEAL_HOURS = [7, 10, 13, 16, 19];
const SEED = { days: 30, foodLogsPerDay: FOODS.length, workoutsPerDay: 1 };

/** One user over HTTP: register, token, onboarding, and 30 days of food and workout logs (today included). */
async function seed(api: Api): Promise<{ userId: number; token: string }> {
  const email = `bench-${process.pid}@example.com`;
  const password = randomBytes(18).toString('base64url');
  const json = { 'content-type': 'application/json' };
  const user = await expectStatus('POST /auth/register', 201, `${api.url}/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  const userId = user.body.id as number;
  const login = await expectStatus('POST /auth/token', 200, `${api.url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  const token = login.body.access_token as string;
  const auth = { ...json, authorization: `Bearer ${token}` };
  await expectStatus('POST onboarding', 201, `${api.url}/users/${userId}/onboarding`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name: 'Bench',
      birthdate: '1990-06-15',
      sex: 'female',
      height: 165,
      weight: 60,
      main_goal: 'maintain',
      work_schedule: 'moderate',
      sleep_hours: 7.5,
    }),
  });
  for (let daysAgo = SEED.days - 1; daysAgo >= 0; daysAgo--) {
    const day = utcMidnight(daysAgo).getTime();
    const posts = FOODS.map((food, i) =>
      expectStatus('POST food-logs', 201, `${api.url}/users/${userId}/food-logs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          ...food,
          timestamp: iso(new Date(day + MEAL_HOURS[i]! * 3_600_000)),
        }),
      }),
    );
    posts.push(
      expectStatus('POST workout-logs', 201, `${api.url}/users/${userId}/workout-logs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          date: iso(new Date(day + 18 * 3_600_000)),
          workout_type: daysAgo % 2 === 0 ? 'run' : 'strength',
          duration: 2_700,
          total_distance: daysAgo % 2 === 0 ? 7.5 : 0,
          avg_heart_rate: 142,
          max_heart_rate: 171,
          calories_burned: 480,
        }),
      }),
    );
    await Promise.all(posts);
  }
  return { userId, token };
}

/** The dashboard answers with today's seeded data, from the cache on `cached` and from PostgreSQL on `uncached`. */
async function checkDashboards(cached: Api, uncached: Api, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  const outcomes: string[] = [];
  for (const api of [cached, cached, uncached]) {
    const res = await expectStatus(`GET /dashboard on ${api.name}`, 200, `${api.url}/dashboard`, {
      headers,
    });
    const foodLogs = res.body.food_logs as unknown[];
    const workouts = res.body.workouts_today as unknown[];
    if (foodLogs.length !== SEED.foodLogsPerDay || workouts.length !== SEED.workoutsPerDay) {
      throw new Error(
        `bench: the dashboard on ${api.name} shows ${foodLogs.length} food logs and ${workouts.length} workouts today, ` +
          `expected ${SEED.foodLogsPerDay} and ${SEED.workoutsPerDay}: the seed did not land in today's window`,
      );
    }
    outcomes.push(res.headers.get('x-cache') ?? 'none');
  }
  if (outcomes.join(',') !== 'miss,hit,bypass') {
    throw new Error(
      `bench: X-Cache of the first, second (cache instance) and third (no-Redis instance) dashboard ` +
        `was ${outcomes.join(', ')}; expected miss, hit, bypass`,
    );
  }
}

interface Scenario {
  readonly key: ScenarioKey;
  readonly api: Api;
  readonly requests: autocannon.Request[];
  /** Status codes that count as success (default: 2xx). */
  readonly expected?: readonly number[];
  /** Runs before each sub-run (e.g. make sure the cache holds the dashboard). */
  readonly before?: () => Promise<void>;
}

function summarizeScenario(label: string, instance: Api, runs: LoadRun[]): ScenarioResult {
  const sum = (f: (r: LoadRun) => number) => runs.reduce((t, r) => t + f(r), 0);
  const cache: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.cache)) cache[k] = (cache[k] ?? 0) + v;
  const cpus = runs.map((r) => r.cpu).filter((c) => c !== undefined);
  const statuses: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const rss = runs.map((r) => r.peakRssMiB).filter((m) => m !== undefined);
  return {
    label,
    instance: instance.name,
    requestsPerSecond: summarize(runs.map((r) => r.requestsPerSecond)),
    p50: summarize(runs.map((r) => r.p50)),
    p99: summarize(runs.map((r) => r.p99)),
    non2xx: sum((r) => r.non2xx),
    unexpected: sum((r) => r.unexpected),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    responses: sum((r) => r.responses),
    cache,
    statuses,
    peakRssMiB: rss.length === runs.length ? summarize(rss) : undefined,
    cpu:
      cpus.length === runs.length
        ? {
            api: summarize(cpus.map((c) => c.api)),
            loadGenerator: summarize(cpus.map((c) => c.loadGenerator)),
            other: summarize(cpus.map((c) => c.other)),
          }
        : undefined,
    subRuns: runs,
  };
}

function cacheMix(cache: Record<string, number>): string {
  const total = Object.values(cache).reduce((a, b) => a + b, 0);
  return Object.entries(cache)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(v === total ? 0 : 1)}%`)
    .join(' ');
}

function describeRun(r: LoadRun): string {
  const cpu = r.cpu
    ? `  cpu api ${r.cpu.api.toFixed(0)}% gen ${r.cpu.loadGenerator.toFixed(0)}% other ${r.cpu.other.toFixed(0)}%`
    : '';
  const bad =
    r.unexpected + r.errors > 0 ? `  UNEXPECTED STATUS ${r.unexpected} ERRORS ${r.errors}` : '';
  const rss = r.peakRssMiB === undefined ? '' : `  rss ${r.peakRssMiB.toFixed(0)} MiB`;
  return `${int(r.requestsPerSecond).padStart(6)} req/s  p50 ${ms(r.p50).padStart(5)} ms  p99 ${ms(r.p99).padStart(5)} ms  ${cacheMix(r.cache)}${cpu}${rss}${bad}`;
}

export async function benchApi(
  options: ApiOptions,
  log: (line: string) => void,
): Promise<ApiResults> {
  if (serversUnavailable) return { skipped: true, reason: serversUnavailable };

  log('  starting PostgreSQL and Redis on free ports…');
  const postgres = await startPostgres();
  onCleanup('PostgreSQL', () => postgres.remove());
  const redis = await startRedis();
  onCleanup('Redis', () => redis.remove());

  // The project's dev environment, as `pnpm dev` and the dev pods run it (password auth).
  const project = loadProjectConfig(join(REPO_ROOT, PROJECT_CONFIG_FILE));
  const config = resolveConfig({ env: environmentNames(project)[0] ?? 'dev', project });
  const configMap = { ...apiEnvironmentManifest(config).configMap };
  // The ConfigMap as a pod gets it, LOG_LEVEL included: a line per request is part of the cost.
  const instanceEnvironment = { ...configMap };
  const secrets = { DATABASE_URL: postgres.url, SECRET_KEY: randomBytes(32).toString('hex') };

  const migrate = await runToCompletion(
    'migrate',
    [process.execPath, join(API_DIST, 'migrate.js')],
    {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: postgres.url, LOG_LEVEL: 'silent' },
      timeoutMs: 60_000,
    },
  );
  if (migrate.code !== 0) {
    throw new Error(`bench: migrations failed (exit ${migrate.code}):\n${migrate.output}`);
  }

  const noRedisPort = await freePort();
  log(
    `  starting the API twice (dev ConfigMap, DB_POOL_MAX ${configMap.DB_POOL_MAX}): with Redis, and with REDIS_URL on port ${noRedisPort} where nothing listens…`,
  );
  const [cached, uncached] = await Promise.all([
    startApiInstance(
      'cached',
      { ...instanceEnvironment, ...secrets, REDIS_URL: redis.url },
      'enabled',
    ),
    startApiInstance(
      'uncached',
      { ...instanceEnvironment, ...secrets, REDIS_URL: `redis://127.0.0.1:${noRedisPort}/0` },
      'bypassed',
    ),
  ]);

  log(
    `  seeding one user with ${SEED.days} days of ${SEED.foodLogsPerDay} food logs and ${SEED.workoutsPerDay} workout over HTTP…`,
  );
  const { userId, token } = await seed(cached);
  await checkDashboards(cached, uncached, token);
  const postgresVersion = await serverVersion(postgres.url);

  const auth = { authorization: `Bearer ${token}` };
  const dashboard: autocannon.Request = { method: 'GET', path: '/dashboard', headers: auth };
  // Writes land a year back: they invalidate the user's cache like any write, but stay out of
  // today's dashboard, so the work per read does not grow during the run.
  const write: autocannon.Request = {
    method: 'POST',
    path: `/users/${userId}/food-logs`,
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      ...FOODS[3],
      timestamp: iso(new Date(utcMidnight(365).getTime() + 43_200_000)),
    }),
  };
  let etag = '';
  const primeCache = async () => {
    const res = await expectStatus('GET /dashboard (priming)', 200, `${cached.url}/dashboard`, {
      headers: auth,
    });
    etag = res.headers.get('etag') ?? '';
    if (etag === '') throw new Error('bench: GET /dashboard answered without an ETag');
  };
  await primeCache();
  // A polling client: it sends the ETag it holds; the answer is 304 without a body.
  const conditional: autocannon.Request = {
    method: 'GET',
    path: '/dashboard',
    setupRequest: (req) => ({ ...req, headers: { ...auth, 'if-none-match': etag } }),
  };
  const scenarios: Scenario[] = [
    { key: 'health', api: cached, requests: [{ method: 'GET', path: config.api.healthPath }] },
    { key: 'cached', api: cached, requests: [dashboard], before: primeCache },
    {
      key: 'etag',
      api: cached,
      requests: [conditional],
      expected: [304],
      before: primeCache,
    },
    { key: 'uncached', api: uncached, requests: [dashboard] },
    {
      key: 'writes',
      api: cached,
      requests: [...Array<autocannon.Request>(options.readsPerWrite).fill(dashboard), write],
      before: primeCache,
    },
  ];
  const label = (key: ScenarioKey) =>
    key === 'writes' ? `dashboard + 1 write / ${options.readsPerWrite} reads` : SCENARIOS[key];

  const levels: LevelResult[] = [];
  for (const connections of options.connections) {
    log(`  ${connections} connections: warm-up ${options.warmupSeconds} s per scenario…`);
    const load = (s: Scenario, seconds: number) =>
      runLoad({
        url: s.api.url,
        connections,
        seconds,
        requests: s.requests,
        expected: s.expected,
        serverPid: s.api.process.child.pid!,
      });
    for (const s of scenarios) {
      await s.before?.();
      await load(s, options.warmupSeconds);
    }
    const runs = new Map<ScenarioKey, LoadRun[]>(scenarios.map((s) => [s.key, []]));
    for (let round = 0; round < options.subRuns; round++) {
      const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]!);
      for (const s of order) {
        await s.before?.();
        const run = await load(s, options.subRunSeconds);
        runs.get(s.key)!.push(run);
        log(`  c=${connections} ${label(s.key).padEnd(34)} #${round + 1}  ${describeRun(run)}`);
      }
    }
    const result = Object.fromEntries(
      scenarios.map((s) => [s.key, summarizeScenario(label(s.key), s.api, runs.get(s.key)!)]),
    ) as Record<ScenarioKey, ScenarioResult>;
    const rps = (key: ScenarioKey) => runs.get(key)!.map((r) => r.requestsPerSecond);
    const p50 = (key: ScenarioKey) => runs.get(key)!.map((r) => r.p50);
    const p99 = (key: ScenarioKey) => runs.get(key)!.map((r) => r.p99);
    levels.push({
      connections,
      scenarios: result,
      ratios: {
        cachedOverUncached: ratio(rps('cached'), rps('uncached')),
        cachedOverFloor: ratio(rps('cached'), rps('health')),
        uncachedOverFloor: ratio(rps('uncached'), rps('health')),
        writesOverCached: ratio(rps('writes'), rps('cached')),
        writesOverUncached: ratio(rps('writes'), rps('uncached')),
        etagOverFloor: ratio(rps('etag'), rps('health')),
        cachedOverFloorP99: ratio(p99('cached'), p99('health')),
        uncachedOverCachedP50: ratio(p50('uncached'), p50('cached')),
      },
    });
  }
  let profiles:
    Record<'cached' | 'uncached', ProfileSummary & { requestsPerSecond: number }> | undefined;
  if (options.profileSeconds > 0) {
    const connections = 10;
    log(
      `  profiling the API (node --cpu-prof) under the dashboard load, ${connections} connections, ${options.profileSeconds} s each…`,
    );
    const profile = async (redisUrl: string, mode: 'enabled' | 'bypassed') => {
      const dir = temporaryDirectory('fittech-bench-api-profile-');
      const api = await startApiInstance(
        `profiled (cache ${mode})`,
        { ...instanceEnvironment, ...secrets, REDIS_URL: redisUrl },
        mode,
        ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      );
      const serverPid = api.process.child.pid!;
      // A warm-up first: the JIT settles, and start-up work (bcrypt's timing-equaliser hash) ends.
      await runLoad({ url: api.url, connections, seconds: 1, requests: [dashboard], serverPid });
      const loadStart = performance.now();
      const run = await runLoad({
        url: api.url,
        connections,
        seconds: options.profileSeconds,
        requests: [dashboard],
        serverPid,
      });
      const loadEnd = performance.now();
      await api.stop();
      // Only the measured load (the profile's clock starts about when the process does).
      const window = { fromMs: loadStart - api.spawnedAt + 100, toMs: loadEnd - api.spawnedAt };
      return {
        ...summarizeProfile(readProfile(dir), { count: 15, window }),
        requestsPerSecond: run.requestsPerSecond,
      };
    };
    profiles = {
      cached: await profile(redis.url, 'enabled'),
      uncached: await profile(`redis://127.0.0.1:${noRedisPort}/0`, 'bypassed'),
    };
  }
  return {
    skipped: false,
    options,
    profiles,
    postgresVersion,
    seed: SEED,
    instanceEnvironment,
    cachedLogBytes: statSync(cached.logFile).size,
    levels,
  };
}

/** Hits as a share of the reads (responses with an X-Cache header), %. */
export function readHitShare(cache: Record<string, number>): number {
  const reads = Object.entries(cache)
    .filter(([k]) => k !== 'none')
    .reduce((t, [, v]) => t + v, 0);
  return (100 * (cache.hit ?? 0)) / reads;
}

export function apiSummaryLines(api: Extract<ApiResults, { skipped: false }>): string[] {
  const lines: string[] = [];
  for (const level of api.levels) {
    lines.push(
      `  ${level.connections} connections (median of ${api.options.subRuns} sub-runs, min–max):`,
    );
    for (const sc of Object.values(level.scenarios)) {
      const bad = sc.unexpected + sc.errors + sc.timeouts;
      lines.push(
        `    ${sc.label.padEnd(36)} ${int(sc.requestsPerSecond.median).padStart(6)} req/s (${int(sc.requestsPerSecond.min)}–${int(sc.requestsPerSecond.max)})  ` +
          `p50 ${ms(sc.p50.median)} ms  p99 ${ms(sc.p99.median)} ms  ${sc.peakRssMiB ? `peak RSS ${sc.peakRssMiB.max.toFixed(0)} MiB  ` : ''}${bad === 0 ? 'all as expected' : `UNEXPECTED STATUS ${sc.unexpected} ERRORS ${sc.errors} TIMEOUTS ${sc.timeouts}`}`,
      );
    }
    const r = level.ratios;
    lines.push(
      `    req/s ratios: cached/uncached ${ratioSpread(r.cachedOverUncached)}, cached/floor ${ratioSpread(r.cachedOverFloor)}, ` +
        `with writes/cached ${ratioSpread(r.writesOverCached)}, 304/floor ${ratioSpread(r.etagOverFloor)}; ` +
        `p99 cached/floor ${ratioSpread(r.cachedOverFloorP99)}; ` +
        `hits in the write scenario by sub-run ${level.scenarios.writes.subRuns.map((run) => `${readHitShare(run.cache).toFixed(0)}%`).join(' ')}`,
    );
  }
  return lines;
}
