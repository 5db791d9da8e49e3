import { Redis } from 'ioredis';

export interface RedisClientOptions {
  /** Bound of one cache command, ms: past it the request reads PostgreSQL instead (default 250). */
  readonly commandTimeoutMillis?: number;
  /** Bound of a connection attempt, ms (default 1000). */
  readonly connectTimeoutMillis?: number;
}

/**
 * An ioredis client for a cache that must never fail or stall a request: no
 * offline queue (a command while disconnected fails at once), no retries of
 * in-flight commands, short command and connect timeouts, and reconnection
 * forever with a capped back-off so the cache comes back by itself.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMillis ?? 250,
    connectTimeout: options.connectTimeoutMillis ?? 1_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
    connectionName: 'fittech-api',
  });
}
