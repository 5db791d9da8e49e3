import { createServer, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { createApp } from './app';
import { ResponseCache } from './cache';
import { createRedisClient } from './redis-client';
import { DatabaseCredentialsError, withDatabaseAuth } from './credentials';
import { createPool, databaseConnection, sessionConfig, type DatabaseTimeouts } from './database';
import type { ApiEnvironment } from './environment';
import {
  applyServerTimeouts,
  DEFAULT_HTTP_TIMEOUTS,
  serverTimeoutOptions,
  type HttpTimeouts,
} from './http-timeouts';
import { InvalidationListener } from './invalidation';
import { createLogger } from './logger';
import { ApiMetrics } from './metrics';
import { metricsHandler } from './metrics-endpoint';
import { observeSources } from './metrics-sources';
import { Passwords } from './passwords';
import { guardRequests } from './request-guard';
import { ProbeListener } from './probe-listener';
import { CoalescedReadiness } from './readiness';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitSettings } from './rate-limits';
import { PrincipalCache } from './principals';
import { Repository, type WriteObserver } from './repository';
import { Tokens } from './tokens';
import type { WorkGateOptions } from './work-gate';

export interface StartOptions {
  /** The parsed environment (see `readApiEnvironment`). */
  readonly env: ApiEnvironment;
  /** Default: a pino logger at `LOG_LEVEL` on stdout. */
  readonly logger?: Logger;
  /** Port to listen on; default `PORT`. `0` picks a free one (tests). */
  readonly port?: number;
  /** Address to listen on; default all interfaces. */
  readonly host?: string;
  /** bcrypt cost; default 12 (as the original). Tests lower it. */
  readonly bcryptRounds?: number;
  /** Bounds of the password hashing work (default 2 at once, 64 waiting, 5 s wait). */
  readonly hashing?: Partial<WorkGateOptions>;
  /** Login and registration limits; default {@link DEFAULT_RATE_LIMITS}. */
  readonly rateLimits?: Partial<RateLimitSettings>;
  /** PostgreSQL timeouts of the request pool; default `DEFAULT_DATABASE_TIMEOUTS`. */
  readonly databaseTimeouts?: Partial<DatabaseTimeouts>;
  /** Client timeouts of the HTTP server; default {@link DEFAULT_HTTP_TIMEOUTS}. */
  readonly httpTimeouts?: Partial<HttpTimeouts>;
  /** Default the system clock. */
  readonly now?: () => Date;
  /** Bound of one Redis command, ms; default 250. */
  readonly cacheCommandTimeoutMillis?: number;
  /** Bound of the readiness query, ms; default 800 (inside a 1 s probe timeout). */
  readonly readinessTimeoutMillis?: number;
  /** How long a readiness answer is reused, ms; default 1000 (see readiness.ts). */
  readonly readinessCacheMillis?: number;
  /** Port of the probes-and-metrics listener; default `METRICS_PORT`. `0` picks a free one (tests). */
  readonly metricsPort?: number;
}

export interface RunningApi {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /**
   * The probes-and-metrics listener (`METRICS_PORT`): liveness, readiness, and
   * `serveMetrics(handler)` to mount the metrics at `/metrics`.
   */
  readonly probes: ProbeListener;
  /** `http://127.0.0.1:<metrics port>` */
  readonly probesUrl: string;
  readonly metricsPort: number;
  /** The coalesced readiness check (its `checks` count what reached PostgreSQL). */
  readonly readiness: CoalescedReadiness;
  readonly logger: Logger;
  readonly pool: Pool;
  readonly redis: Redis;
  readonly cache: ResponseCache;
  readonly listener: InvalidationListener;
  /** This instance's Prometheus registry and histograms. */
  readonly metrics: ApiMetrics;
  readonly shuttingDown: boolean;
  /**
   * Graceful stop: readiness fails at once, the listener stops accepting,
   * requests in flight finish (answered with `Connection: close`), then the
   * PostgreSQL pools, the LISTEN connection and Redis close. Connections
   * still open after SHUTDOWN_TIMEOUT_SECONDS are cut. Idempotent.
   */
  shutdown(reason?: string): Promise<ShutdownReport>;
}

export interface ShutdownReport {
  /** False when the deadline cut connections that were still open. */
  readonly drained: boolean;
  readonly durationMillis: number;
}

/** Starts the API: pools, cache, invalidation listener, HTTP server. Resolves once listening. */
export async function startApi(options: StartOptions): Promise<RunningApi> {
  const { env } = options;
  const logger = options.logger ?? createLogger(env.LOG_LEVEL);
  // With DATABASE_AUTH=iam every new connection (pools, LISTEN) signs a fresh IAM token.
  if (env.DATABASE_AUTH === 'iam' && !env.AWS_REGION) {
    throw new DatabaseCredentialsError(
      "DATABASE_AUTH=iam needs AWS_REGION (the RDS instance's region)",
    );
  }
  const connection = withDatabaseAuth(databaseConnection(env.DATABASE_URL), env.DATABASE_AUTH, {
    region: env.AWS_REGION ?? '',
  });
  if (connection.sslMode === 'no-verify') {
    logger.warn('DATABASE_URL has sslmode=no-verify: the server certificate is NOT checked');
  }

  const pool = createPool(connection, {
    max: env.DB_POOL_MAX,
    timeouts: options.databaseTimeouts,
  });
  // Readiness has its own connection so that a busy pool cannot fail the probe;
  // a probe query that hangs gives its connection up quickly.
  const probePool = createPool(connection, {
    max: 1,
    timeouts: { connectMillis: 2_000, statementMillis: 1_000, queryMillis: 1_500 },
  });
  for (const p of [pool, probePool]) {
    p.on('error', (error) =>
      logger.warn({ err: error.message }, 'idle PostgreSQL connection lost'),
    );
  }

  const redis = createRedisClient(env.REDIS_URL, {
    commandTimeoutMillis: options.cacheCommandTimeoutMillis,
  });
  const cache = new ResponseCache(redis, { ttlSeconds: env.CACHE_TTL_SECONDS, logger });
  const principals = new PrincipalCache({ ttlSeconds: env.CACHE_TTL_SECONDS });
  const listener = new InvalidationListener({
    connection: sessionConfig(connection, options.databaseTimeouts),
    logger,
    onInvalidate: (userId) => cache.invalidateUser(userId),
    onListening: () => {
      cache.resume();
      principals.resume();
    },
    onLost: () => {
      cache.suspend();
      principals.suspend();
    },
    onFlushAll: () => {
      cache.flush();
      principals.flush();
    },
    onAccountChanged: (userId) => principals.accountChanged(userId),
  });
  listener.start();
  // This replica's own writes: refresh, then invalidate, before answering; their echo is skipped.
  const writes: WriteObserver = {
    committing: (userId, backendPid) => listener.expectEcho(backendPid, String(userId)),
    settled: async (userId, backendPid, outcome) => {
      if (outcome === 'committed') return cache.written(userId);
      listener.forgetEcho(backendPid, String(userId));
      if (outcome === 'unknown') cache.invalidateUser(userId);
    },
  };

  let shuttingDown = false;
  const readinessTimeout = options.readinessTimeoutMillis ?? 800;
  const readiness = new CoalescedReadiness({
    ttlMillis: options.readinessCacheMillis,
    shuttingDown: () => shuttingDown,
    cacheReport: () => ({
      redis: cache.redisState,
      invalidation: listener.state,
      mode: cache.usable ? 'enabled' : 'bypassed',
    }),
    checkDatabase: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          probePool.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), readinessTimeout);
          }),
        ]);
        return 'ok';
      } catch {
        return 'unreachable';
      } finally {
        clearTimeout(timer);
      }
    },
  });
  const probes = new ProbeListener({
    healthPath: env.HEALTH_PATH,
    readyPath: env.READY_PATH,
    readiness: () => readiness.report(),
    logger,
  });

  const metrics = new ApiMetrics();
  const passwords = new Passwords({ rounds: options.bcryptRounds, gate: options.hashing });
  const rateLimits = new RateLimits(pool, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
  observeSources(metrics, {
    pools: { requests: pool, readiness: probePool },
    cache,
    listener,
    passwords,
    rateLimits,
  });
  probes.serveMetrics(metricsHandler(metrics));

  const app = createApp({
    repository: new Repository(pool, writes, metrics.timeQuery),
    cache,
    principals,
    passwords,
    tokens: new Tokens({
      secret: env.SECRET_KEY,
      algorithm: env.ALGORITHM,
      expireMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES,
    }),
    logger,
    now: options.now ?? (() => new Date()),
    healthPath: env.HEALTH_PATH,
    rateLimits,
    metrics,
  });

  // Responses not yet sent when shutdown starts are told to close their connection.
  const open = new Set<ServerResponse>();
  const httpTimeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.httpTimeouts };
  const server = createServer(serverTimeoutOptions(httpTimeouts));
  server.on(
    'request',
    guardRequests(server, (req, res) => {
      open.add(res);
      res.on('close', () => open.delete(res));
      if (shuttingDown) res.setHeader('Connection', 'close');
      app(req, res);
    }),
  );

  applyServerTimeouts(server, httpTimeouts);

  const closeClients = () =>
    Promise.allSettled([
      listener.close(),
      pool.end(),
      probePool.end(),
      redis.quit().catch(() => redis.disconnect()),
    ]);

  try {
    await listen(server, options.port ?? env.PORT, options.host, 'PORT');
    await listen(
      probes.server,
      options.metricsPort ?? env.METRICS_PORT,
      options.host,
      'METRICS_PORT',
    );
  } catch (error) {
    if (server.listening) server.close();
    await closeClients();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const metricsPort = (probes.server.address() as AddressInfo).port;
  logger.info({ port, metricsPort, database: connection.description }, 'listening');

  let shutdownPromise: Promise<ShutdownReport> | undefined;
  const shutdown = (reason = 'shutdown requested') => {
    shutdownPromise ??= (async () => {
      const started = Date.now();
      shuttingDown = true;
      logger.info({ reason, inFlight: open.size }, 'shutting down: readiness fails, draining');
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');

      // net.Server#close stops accepting and calls back once every connection
      // has ended. http.Server#close would also cut idle keep-alive
      // connections at once, racing clients that are sending on them; here
      // they end after their next response (Connection: close) or at the
      // keep-alive timeout, and the deadline below bounds the wait.
      const closed = new Promise<void>((resolve) =>
        NetServer.prototype.close.call(server, () => resolve()),
      );
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), env.SHUTDOWN_TIMEOUT_SECONDS * 1000);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) {
        logger.warn(
          { inFlight: open.size },
          'shutdown deadline reached; closing remaining connections',
        );
        server.closeAllConnections();
      }

      // The probe listener last: readiness answers "shutting_down" while the public port drains.
      await closeProbes(probes.server);
      await closeClients();
      const report = { drained, durationMillis: Date.now() - started };
      logger.info(report, 'shutdown complete');
      return report;
    })();
    return shutdownPromise;
  };

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    probes,
    probesUrl: `http://127.0.0.1:${metricsPort}`,
    metricsPort,
    readiness,
    logger,
    pool,
    redis,
    cache,
    listener,
    metrics,
    get shuttingDown() {
      return shuttingDown;
    },
    shutdown,
  };
}

/** Listens, or says which variable names the port that is taken. */
function listen(server: Server, port: number, host: string | undefined, variable: string) {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is already in use; set ${variable} to a free port`)
          : error,
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Closes the probe listener. Its requests take milliseconds: idle connections
 * are cut at once (http.Server#close), and any still open a second later too.
 */
function closeProbes(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), 1_000);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
  });
}
