/**
 * What a suite against real servers needs, set up once: PostgreSQL (migrated)
 * and Redis servers started on free ports before the suite, API instances in
 * this process, an admin connection, all removed after it; and `describe`
 * that skips, naming the reason, where the servers cannot start.
 */
import { Client } from 'pg';
import type { RunningApi } from '@fittech/api';
import {
  serversUnavailable,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../../../../tools/support/servers';
import { migrate, startTestApi } from './api';

/** `describe` for a suite that needs the servers; skipped, with the reason in its name, without them. */
export function describeWithServers(
  name: string,
  fn: () => void,
  otherwiseUnavailable?: string,
): void {
  const reason = serversUnavailable ?? otherwiseUnavailable;
  (reason ? describe.skip : describe)(`${name}${reason ? ` (skipped: ${reason})` : ''}`, fn);
}

export interface Stack {
  readonly pg: PostgresServer;
  readonly redis: readonly RedisServer[];
  /** The API instances `apis` started (by default one, on the first Redis). */
  readonly apis: readonly RunningApi[];
  /** The first API instance. */
  readonly api: RunningApi;
  /** An admin connection to the test database. */
  readonly db: Client;
}

export interface StackOptions {
  /** Redis servers to start (one per replica). @default 1 */
  readonly redis?: number;
  /** Starts the API instances. @default - one `startTestApi` on the first Redis */
  readonly apis?: (servers: {
    pg: PostgresServer;
    redis: readonly RedisServer[];
  }) => Promise<RunningApi[]>;
  /** Runs before anything is torn down (e.g. thaw a stopped server). */
  readonly beforeTeardown?: () => void | Promise<void>;
}

/** Registers the suite's beforeAll/afterAll; the returned object is filled in before the first test. */
export function useStack(options: StackOptions = {}): Stack {
  const stack = {} as { -readonly [K in keyof Stack]: Stack[K] };
  beforeAll(async () => {
    const [pg, ...redis] = await Promise.all([
      startPostgres(),
      ...Array.from({ length: options.redis ?? 1 }, () => startRedis()),
    ]);
    Object.assign(stack, { pg: pg as PostgresServer, redis: redis as RedisServer[] });
    await migrate(stack.pg.url);
    stack.apis = options.apis
      ? await options.apis(stack)
      : [await startTestApi(stack.pg.url, stack.redis[0]!.url)];
    stack.api = stack.apis[0]!;
    stack.db = new Client({ connectionString: stack.pg.url });
    await stack.db.connect();
  }, 60_000);
  afterAll(async () => {
    await options.beforeTeardown?.();
    await stack.db?.end();
    await Promise.all((stack.apis ?? []).map((a) => a.shutdown('test finished')));
    await Promise.all([stack.pg?.remove(), ...(stack.redis ?? []).map((r) => r.remove())]);
  });
  return stack;
}

/** An onboarding profile every route accepts: what most suites give a new user before the dashboard. */
export const ONBOARDING = {
  birthdate: '1990-01-01',
  sex: 'male',
  height: 180,
  weight: 80,
  main_goal: 'gain',
  work_schedule: 'active',
} as const;
