import { Pool } from 'pg';
import {
  createLogger,
  createPool,
  databaseConnection,
  MIGRATION_TIMEOUTS,
  readApiEnvironment,
  runMigrations,
  startApi,
  type LogLevel,
  type RateLimitSettings,
  type RunningApi,
  type StartOptions,
} from '@fittech/api';

export const TEST_SECRET = 'test-secret-key-that-is-at-least-32-characters';

/** The contract's environment for a test instance (values as strings, as in a pod). */
export function testEnvironment(
  databaseUrl: string,
  redisUrl: string,
  extra: NodeJS.ProcessEnv = {},
) {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SECRET_KEY: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

/**
 * Rate limits no functional test reaches: each suite registers and logs in
 * many users from 127.0.0.1. Suites about the limits set their own.
 */
export const UNREACHED_RATE_LIMITS: RateLimitSettings = {
  loginPerAddress: { points: 100_000, durationSeconds: 60 },
  loginPerAccount: { points: 100_000, durationSeconds: 60 },
  registerPerAddress: { points: 100_000, durationSeconds: 60 },
};

/** Starts an API instance in this process on a free port (bcrypt cost 4 to keep tests fast). */
export function startTestApi(
  databaseUrl: string,
  redisUrl: string,
  options: Partial<StartOptions> & { extraEnv?: NodeJS.ProcessEnv } = {},
): Promise<RunningApi> {
  const env = readApiEnvironment(testEnvironment(databaseUrl, redisUrl, options.extraEnv));
  return startApi({
    port: 0,
    metricsPort: 0,
    host: '127.0.0.1',
    bcryptRounds: 4,
    rateLimits: UNREACHED_RATE_LIMITS,
    // TEST_API_LOG_LEVEL=debug shows the instances' logs when a test needs explaining.
    logger: createLogger((process.env.TEST_API_LOG_LEVEL as LogLevel | undefined) ?? 'silent'),
    ...options,
    env,
  });
}

/** Applies the migrations to a test database. */
export async function migrate(databaseUrl: string): Promise<void> {
  const pool: Pool = createPool(databaseConnection(databaseUrl), {
    max: 1,
    timeouts: MIGRATION_TIMEOUTS,
  });
  pool.on('error', () => undefined); // see database.test.ts: end() resolves before the socket closes
  try {
    await runMigrations(pool);
  } finally {
    await pool.end();
  }
}

// Tests read response bodies as the loose JSON they are; each assertion states the shape it expects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Reply<T = Json> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

/** One HTTP call; the body is parsed as JSON when it is JSON. */
export async function call<T = Json>(
  base: string | { url: string },
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const url = typeof base === 'string' ? base : base.url;
  const response = await fetch(`${url}${path}`, { method, headers, body });
  const text = await response.text();
  const parsed = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export interface TestUser {
  readonly id: number;
  readonly email: string;
  readonly password: string;
  readonly token: string;
}

let counter = 0;
/** Registers a new user and logs in. */
export async function newUser(api: string | { url: string }, label = 'user'): Promise<TestUser> {
  counter += 1;
  const email = `${label}-${process.pid}-${counter}-${Date.now()}@example.com`;
  const password = `pw-${counter}-secret`;
  const registered = await call(api, 'POST', '/auth/register', { json: { email, password } });
  if (registered.status !== 201)
    throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const login = await call(api, 'POST', '/auth/token', { form: { username: email, password } });
  if (login.status !== 200) throw new Error(`token: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: registered.body.id, email, password, token: login.body.access_token };
}

/** Resolves when `emitter` emits `event` with an argument satisfying `match`. */
export function nextEvent<T>(
  emitter: NodeJS.EventEmitter,
  event: string,
  match: (value: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T) => {
      if (!match(value)) return;
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}

/**
 * Asks the probe listener's readiness until it answers `status` (a readiness
 * answer is reused for up to a second, so a change shows within about that),
 * for at most `attempts` tries 250 ms apart; returns the last answer.
 */
export async function readinessBecomes(
  api: { probesUrl: string },
  status: number,
  attempts = 40,
): Promise<Reply> {
  let reply = await call(api.probesUrl, 'GET', '/ready');
  for (let i = 1; i < attempts && reply.status !== status; i += 1) {
    await new Promise((r) => setTimeout(r, 250));
    reply = await call(api.probesUrl, 'GET', '/ready');
  }
  return reply;
}
