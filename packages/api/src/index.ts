/**
 * @fittech/api — the FitTech REST API (Express + PostgreSQL + a per-pod Redis
 * cache kept coherent across replicas). The container runs `dist/main.js`;
 * the migration Job runs `dist/migrate.js`. This module is the programmatic
 * surface, used by the package's own tests and for embedding.
 */
export { startApi, type StartOptions, type RunningApi, type ShutdownReport } from './server';
export { createApp } from './app';
export {
  ProbeListener,
  METRICS_PATH,
  type ProbeHandler,
  type ProbeListenerOptions,
} from './probe-listener';
export {
  CoalescedReadiness,
  type CoalescedReadinessOptions,
  type DatabaseState,
} from './readiness';
export type { ApiContext, Readiness } from './context';
export { readApiEnvironment, readApiVariables, type ApiEnvironment } from './environment';
export { createLogger, type LogLevel } from './logger';
export {
  databaseConnection,
  createPool,
  sessionConfig,
  isDatabaseUnavailable,
  isoTimestamp,
  isoDate,
  DatabaseUrlError,
  DEFAULT_DATABASE_TIMEOUTS,
  MIGRATION_TIMEOUTS,
  type DatabaseConnection,
  type DatabaseTimeouts,
  type SslMode,
} from './database';
export {
  iamAuthToken,
  withDatabaseAuth,
  DatabaseCredentialsError,
  DATABASE_AUTH_MODES,
  type DatabaseAuth,
  type IamAuthOptions,
} from './credentials';
export {
  rdsMasterCredentials,
  parseMasterSecret,
  asUser,
  type MasterCredentials,
  type MasterCredentialsOptions,
} from './master-credentials';
export {
  ensureApplicationRole,
  PRIVATE_TABLES,
  TABLE_PRIVILEGES,
  RDS_IAM_ROLE,
  type ApplicationRoleResult,
} from './application-role';
export { DEFAULT_HTTP_TIMEOUTS, type HttpTimeouts } from './http-timeouts';
export {
  migrations,
  runMigrations,
  MigrationError,
  type Migration,
  type MigrationResult,
} from './migrations';
export { createRedisClient, type RedisClientOptions } from './redis-client';
export {
  ResponseCache,
  type CacheOutcome,
  type CacheStats,
  type Loader,
  type ResponseCacheOptions,
} from './cache';
export { cachedResponse, noneMatch, sendCached, type CachedResponse } from './cached-response';
export { PrincipalCache, type PrincipalCacheOptions } from './principals';
export { accessLog } from './access-log';
export {
  InvalidationListener,
  ACCOUNTS_CHANNEL,
  CACHE_CHANNEL,
  FLUSH_ALL,
  type ListenerState,
  type InvalidationListenerOptions,
} from './invalidation';
export {
  Repository,
  type Account,
  type User,
  type WriteObserver,
  type WriteOutcome,
  type QueryTiming,
} from './repository';
export { Passwords, DEFAULT_HASHING, type PasswordOptions } from './passwords';
export { Tokens, type TokenSettings, type TokenSubject } from './tokens';
export { WorkGate, GateBusyError, type WorkGateOptions } from './work-gate';
export {
  RateLimits,
  DEFAULT_RATE_LIMITS,
  RATE_LIMIT_TABLE,
  accountKey,
  type Admission,
  type RateLimitRule,
  type RateLimitName,
  type RateLimitSettings,
} from './rate-limits';
export { clientAddressKey } from './client-address';
export {
  ApiMetrics,
  HTTP_DURATION_BUCKETS,
  QUERY_DURATION_BUCKETS,
  INVALIDATION_LAG_BUCKETS,
  type ApiMetricsProps,
} from './metrics';
export { requestMetrics, routeTemplate, UNMATCHED_ROUTE } from './metrics-http';
export { observeSources, type MetricSources } from './metrics-sources';
export { metricsHandler } from './metrics-endpoint';
export {
  pyRound,
  ageOn,
  utcDay,
  calculateBmr,
  calculateTdee,
  calculateMacros,
  calculateGoals,
  GoalsError,
  ACTIVITY_FACTORS,
  MACRO_RATIOS,
  type BiometricProfile,
  type Goals,
  type Macros,
} from './calculations';
export * from './validation';
