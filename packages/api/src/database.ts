import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Pool, types as pgTypes, type ClientConfig, type CustomTypesConfig } from 'pg';

/**
 * How the API verifies the PostgreSQL server.
 *
 * - `disable`: plain TCP (local development, tests).
 * - `verify-full` (and `require`, its alias here): TLS, the certificate chain
 *   must lead to a trusted CA (`sslrootcert`) and name the host.
 * - `verify-ca`: TLS, trusted chain, host name not checked.
 * - `no-verify`: TLS without any check; only when asked for by name.
 *
 * libpq's `require` skips verification; node-postgres, and this API, never
 * skip it unless `no-verify` is written in the URL.
 */
export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full' | 'no-verify';
const SSL_MODES: readonly SslMode[] = [
  'disable',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
];

const SUPPORTED_PARAMETERS = [
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'application_name',
  'connect_timeout',
  'host',
] as const;

/** A DATABASE_URL that cannot be used; the message says which part and what to do. */
export class DatabaseUrlError extends Error {
  constructor(message: string) {
    super(`DATABASE_URL ${message}`);
    this.name = 'DatabaseUrlError';
  }
}

export interface DatabaseConnection {
  /** node-postgres client settings (also the base of the pools). */
  readonly client: ClientConfig;
  readonly sslMode: SslMode;
  /** `user@host:port/database (tls: mode)`: safe to log, never the password. */
  readonly description: string;
}

export interface DatabaseConnectionOptions {
  /** Reads certificate files (tests inject failures); default `fs.readFileSync`. */
  readonly readFile?: (path: string) => Buffer;
}

/**
 * Turns a `postgresql://` URL into node-postgres settings. Parses the URL
 * itself so that the TLS rules above hold whatever pg's own parser does:
 * `sslrootcert`, `sslcert` and `sslkey` are read from files (RDS's CA bundle
 * is baked into the image), and an unknown parameter is an error rather than
 * a silently ignored typo.
 */
export function databaseConnection(
  url: string,
  options: DatabaseConnectionOptions = {},
): DatabaseConnection {
  const readFile = options.readFile ?? ((p: string) => readFileSync(p));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(
      'is not a URL; expected postgresql://user:password@host:5432/database?sslmode=verify-full',
    );
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new DatabaseUrlError(`has scheme "${parsed.protocol}"; expected "postgresql:"`);
  }
  const params = parsed.searchParams;
  for (const key of params.keys()) {
    if (!(SUPPORTED_PARAMETERS as readonly string[]).includes(key)) {
      throw new DatabaseUrlError(
        `has the unsupported parameter "${key}"; supported: ${SUPPORTED_PARAMETERS.join(', ')}`,
      );
    }
  }

  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new DatabaseUrlError('has a malformed percent-encoding in its user or password');
    }
  };
  const host = params.get('host') ?? parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new DatabaseUrlError('names no host');
  const port = parsed.port ? Number(parsed.port) : 5432;
  const user = decode(parsed.username);
  const database = decode(parsed.pathname.replace(/^\//, '')) || user;

  const rawMode = params.get('sslmode') ?? 'disable';
  if (rawMode === 'prefer' || rawMode === 'allow') {
    throw new DatabaseUrlError(
      `has sslmode=${rawMode}, which may silently fall back to an unencrypted connection; use sslmode=verify-full (with sslrootcert) or sslmode=disable`,
    );
  }
  if (!(SSL_MODES as readonly string[]).includes(rawMode)) {
    throw new DatabaseUrlError(`has sslmode=${rawMode}; expected one of ${SSL_MODES.join(', ')}`);
  }
  const sslMode = rawMode as SslMode;

  const file = (param: 'sslrootcert' | 'sslcert' | 'sslkey'): Buffer | undefined => {
    const path = params.get(param);
    if (path === null || (param === 'sslrootcert' && path === 'system')) return undefined;
    try {
      return readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new DatabaseUrlError(
        `has ${param}=${path}, which cannot be read (${code}); mount or bake the file at that path, or fix the path`,
      );
    }
  };

  let ssl: ConnectionOptions | false = false;
  if (sslMode !== 'disable') {
    const tls: ConnectionOptions = { rejectUnauthorized: sslMode !== 'no-verify' };
    const ca = file('sslrootcert');
    const cert = file('sslcert');
    const key = file('sslkey');
    if (ca) tls.ca = ca;
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    if (sslMode === 'verify-ca') tls.checkServerIdentity = () => undefined;
    if (!isIP(host) && !host.startsWith('/')) tls.servername = host;
    ssl = tls;
  } else if (params.has('sslrootcert') || params.has('sslcert') || params.has('sslkey')) {
    throw new DatabaseUrlError(
      'carries TLS files but no sslmode; add sslmode=verify-full to use them (the default is an unencrypted connection)',
    );
  }

  const connectTimeout = params.get('connect_timeout');
  if (connectTimeout !== null && !/^\d+$/.test(connectTimeout)) {
    throw new DatabaseUrlError(`has connect_timeout=${connectTimeout}; expected whole seconds`);
  }

  const client: ClientConfig = {
    host,
    port,
    user,
    password: decode(parsed.password),
    database,
    ssl,
    application_name: params.get('application_name') ?? 'fittech-api',
    ...(connectTimeout ? { connectionTimeoutMillis: Number(connectTimeout) * 1000 } : {}),
  };
  return {
    client,
    sslMode,
    description: `${user}@${host}:${port}/${database} (tls: ${sslMode})`,
  };
}

const OID = { date: 1082, timestamp: 1114, timestamptz: 1184 } as const;

/**
 * An ISO 8601 year: four digits for 0000–9999, otherwise the expanded form
 * with a sign and six digits (as JavaScript writes it). PostgreSQL writes a
 * year before 1 as "… BC" (1 BC is year 0000 in ISO 8601).
 */
function isoYear(digits: string, bc: boolean): string {
  const year = bc ? 1 - Number(digits) : Number(digits);
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
}

/**
 * Dates stay `YYYY-MM-DD` strings (ISO 8601), also for years PostgreSQL
 * writes otherwise (`0001-01-01 BC`, `10000-01-01`). `infinity` has no
 * ISO 8601 form and becomes null.
 */
export function isoDate(text: string): string | null {
  const m = /^(\d{4,})-(\d{2}-\d{2})( BC)?$/.exec(text);
  if (!m) return null;
  return `${isoYear(m[1]!, m[3] !== undefined)}-${m[2]}`;
}

/**
 * Timestamps become ISO 8601 UTC strings with microseconds
 * (`2025-08-21T13:33:10.012000Z`), so no value passes through a JavaScript
 * Date (which would drop microseconds and apply the process's time zone).
 * Sessions run with `TimeZone=UTC`, so PostgreSQL writes `+00` or nothing.
 * Years outside 0000–9999 are written in ISO 8601's expanded form; `infinity`
 * has no ISO 8601 form and becomes null.
 */
export function isoTimestamp(text: string): string | null {
  const m = /^(\d{4,})-(\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:\+00)?( BC)?$/.exec(
    text,
  );
  if (!m) return null;
  const fraction = m[4] ? `.${m[4].padEnd(6, '0')}` : '';
  return `${isoYear(m[1]!, m[5] !== undefined)}-${m[2]}T${m[3]}${fraction}Z`;
}

export const typeParsers: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === OID.date) return isoDate;
    if (oid === OID.timestamp || oid === OID.timestamptz) return isoTimestamp;
    return format === 'binary'
      ? pgTypes.getTypeParser(oid, 'binary')
      : pgTypes.getTypeParser(oid, 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

/**
 * How long the API waits on PostgreSQL. A hung server (a partition, a stuck
 * failover, a frozen process) must cost a request a few seconds and a 503,
 * not as long as the server stays silent.
 */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for one from a full pool, ms. */
  readonly connectMillis: number;
  /** Server side: PostgreSQL cancels a statement running longer (statement_timeout), ms; 0 = none. */
  readonly statementMillis: number;
  /**
   * Client side: a query whose answer has not arrived by then fails and its
   * connection is destroyed (node-postgres' query_timeout), ms; 0 = none.
   * Longer than the statement timeout, so that a server that is merely slow
   * cancels the statement itself and keeps the connection.
   */
  readonly queryMillis: number;
  /** Server side: a session idle inside a transaction this long is ended, ms. */
  readonly idleInTransactionMillis: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectMillis: 2_000,
  statementMillis: 3_000,
  queryMillis: 4_000,
  idleInTransactionMillis: 10_000,
};

/** No client-side bound and no statement timeout: for migrations, which may run long. */
export const MIGRATION_TIMEOUTS: DatabaseTimeouts = {
  connectMillis: 10_000,
  statementMillis: 0,
  queryMillis: 0,
  idleInTransactionMillis: 0,
};

export interface PoolOptions {
  /** Maximum connections (DB_POOL_MAX). */
  readonly max: number;
  /** Default {@link DEFAULT_DATABASE_TIMEOUTS}; the URL's connect_timeout overrides `connectMillis`. */
  readonly timeouts?: Partial<DatabaseTimeouts>;
}

/**
 * Settings shared by every connection of the API: UTC sessions, TCP
 * keep-alive, the type parsers, and the timeouts above (the URL's
 * `connect_timeout`, when given, sets the connect timeout).
 */
export function sessionConfig(
  connection: DatabaseConnection,
  timeouts: Partial<DatabaseTimeouts> = {},
): ClientConfig {
  const t = { ...DEFAULT_DATABASE_TIMEOUTS, ...timeouts };
  return {
    connectionTimeoutMillis: t.connectMillis,
    ...connection.client,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: '-c TimeZone=UTC',
    statement_timeout: t.statementMillis,
    idle_in_transaction_session_timeout: t.idleInTransactionMillis,
    ...(t.queryMillis > 0 ? { query_timeout: t.queryMillis } : {}),
    types: typeParsers,
  };
}

export function createPool(connection: DatabaseConnection, options: PoolOptions): Pool {
  return new Pool({
    ...sessionConfig(connection, options.timeouts),
    max: options.max,
    idleTimeoutMillis: 30_000,
  });
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled: the statement timeout fired
  '55P03', // lock_not_available
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** Whether an error means "PostgreSQL cannot be reached right now" (→ 503) rather than a bug (→ 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed: errors from node:net may come from another realm (vm, workers).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed|Connection is closed/i.test(
      message,
    )
  );
}
