import { z } from 'zod';
import type { FitTechConfig } from './schema';
import { redisUrl, resourceNames } from './names';
import { DEFAULTS } from './defaults';
import { ProblemsError, type Problem } from './problems';

/**
 * The API's environment contract: one typed object that the API uses to parse
 * `process.env` and the manifests use to emit `env:` entries. Renaming a
 * variable here changes both, so they cannot disagree.
 */

interface VariableBase<T> {
  readonly description: string;
  /** Parses the raw string into the typed value (with the contract's default when absent). */
  readonly schema: z.ZodType<T, string | undefined>;
}
/** A variable whose value is decided at synth time from the config (it lands in the ConfigMap). */
export interface ConfigVariable<T> extends VariableBase<T> {
  readonly source: 'config';
  readonly fromConfig: (config: FitTechConfig) => string;
}
/** A variable that enters at deploy time from a Secret (it lands in the Secret under `secretKey`). */
export interface SecretVariable<T> extends VariableBase<T> {
  readonly source: 'secret';
  readonly secretKey: string;
}
export type ApiVariable<T = unknown> = ConfigVariable<T> | SecretVariable<T>;

const integer = (min: number, max: number, fallback?: number) => {
  const base = z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be between ${min} and ${max}` })
        .max(max, { message: `must be between ${min} and ${max}` }),
    );
  return fallback === undefined ? base : base.optional().transform((v) => v ?? fallback);
};
const withDefault = <T extends string>(schema: z.ZodType<T, string>, fallback: T) =>
  schema.optional().transform((v) => v ?? fallback);
const path = z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, { message: 'must be a URL path' });

export const apiEnvironment = {
  PORT: {
    source: 'config',
    description: 'Port the HTTP server listens on (the container port).',
    schema: integer(1, 65535, DEFAULTS.api.port),
    fromConfig: (c) => String(c.api.port),
  },
  METRICS_PORT: {
    source: 'config',
    description:
      'Port of the probes-and-metrics listener (the container port named "metrics"; never in the public Service).',
    schema: integer(1, 65535, DEFAULTS.api.metricsPort),
    fromConfig: (c) => String(c.api.metricsPort),
  },
  DATABASE_URL: {
    source: 'secret',
    secretKey: 'database-url',
    description:
      'PostgreSQL URL, e.g. postgresql://user:pass@host:5432/fittech?sslmode=verify-full. RDS forces TLS.',
    schema: z.string().regex(/^postgres(ql)?:\/\/.+/, {
      message: 'must be a postgresql:// URL',
    }),
  },
  DATABASE_AUTH: {
    source: 'config',
    description:
      'How the API authenticates to PostgreSQL: "iam" (an RDS IAM token per connection, signed with the pod\'s ' +
      'EKS Pod Identity credentials; DATABASE_URL names the application role and has no password) or "password" (in DATABASE_URL).',
    schema: withDefault(z.enum(['password', 'iam']), 'password'),
    fromConfig: (c) => c.database.auth,
  },
  DATABASE_APP_ROLE: {
    source: 'config',
    description:
      'The least-privilege role the migration creates and keeps (read and write the application tables, nothing else).',
    schema: withDefault(
      z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a PostgreSQL identifier' }),
      `${DEFAULTS.database.username}_app`,
    ),
    fromConfig: (c) => resourceNames(c).dbAppRole,
  },
  DATABASE_INSTANCE: {
    source: 'config',
    description:
      'RDS instance identifier: with DATABASE_AUTH=iam the migration reads the master credentials from its RDS-managed secret.',
    schema: z.string().optional(),
    fromConfig: (c) => resourceNames(c).dbIdentifier,
  },
  AWS_REGION: {
    source: 'config',
    description: 'AWS region of the RDS instance (IAM tokens are signed for it).',
    schema: z.string().optional(),
    fromConfig: (c) => c.region,
  },
  REDIS_URL: {
    source: 'config',
    description: 'URL of the Redis cache (in the pod: the sidecar on 127.0.0.1).',
    schema: withDefault(
      z.string().regex(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' }),
      `redis://127.0.0.1:${DEFAULTS.redis.port}/0`,
    ),
    fromConfig: redisUrl,
  },
  SECRET_KEY: {
    source: 'secret',
    secretKey: 'secret-key',
    description: 'HMAC key that signs access tokens (at least 32 characters).',
    schema: z.string().min(32, { message: 'must be at least 32 characters' }),
  },
  ALGORITHM: {
    source: 'config',
    description: 'JWT signing algorithm.',
    schema: withDefault(z.enum(['HS256', 'HS384', 'HS512']), DEFAULTS.api.jwtAlgorithm),
    fromConfig: (c) => c.api.jwtAlgorithm,
  },
  ACCESS_TOKEN_EXPIRE_MINUTES: {
    source: 'config',
    description: 'Lifetime of an access token, minutes.',
    schema: integer(1, 24 * 60, DEFAULTS.api.accessTokenExpireMinutes),
    fromConfig: (c) => String(c.api.accessTokenExpireMinutes),
  },
  HEALTH_PATH: {
    source: 'config',
    description: 'Liveness path (depends on nothing but the process).',
    schema: withDefault(path, DEFAULTS.api.healthPath),
    fromConfig: (c) => c.api.healthPath,
  },
  READY_PATH: {
    source: 'config',
    description: 'Readiness path (PostgreSQL answers; reports the cache).',
    schema: withDefault(path, DEFAULTS.api.readyPath),
    fromConfig: (c) => c.api.readyPath,
  },
  DB_POOL_MAX: {
    source: 'config',
    description: 'Maximum PostgreSQL connections of this replica.',
    schema: integer(1, 100, DEFAULTS.api.dbPoolMax),
    fromConfig: (c) => String(c.api.dbPoolMax),
  },
  CACHE_TTL_SECONDS: {
    source: 'config',
    description: 'TTL backstop of cached entries, seconds.',
    schema: integer(1, 86400, DEFAULTS.api.cacheTtlSeconds),
    fromConfig: (c) => String(c.api.cacheTtlSeconds),
  },
  SHUTDOWN_TIMEOUT_SECONDS: {
    source: 'config',
    description: 'Seconds in-flight requests get after SIGTERM before the server closes anyway.',
    schema: integer(1, 300, DEFAULTS.api.shutdownTimeoutSeconds),
    fromConfig: (c) => String(c.api.shutdownTimeoutSeconds),
  },
  LOG_LEVEL: {
    source: 'config',
    description: 'pino log level.',
    schema: withDefault(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      DEFAULTS.api.logLevel,
    ),
    fromConfig: (c) => c.api.logLevel,
  },
  NODE_ENV: {
    source: 'config',
    description: 'Node.js environment.',
    schema: withDefault(z.enum(['production', 'development', 'test']), 'production'),
    fromConfig: () => 'production',
  },
} as const satisfies Record<string, ApiVariable<unknown>>;

export type ApiVariableName = keyof typeof apiEnvironment;
/** The parsed, typed environment of the API. */
export type ApiEnvironment = {
  [K in ApiVariableName]: z.output<(typeof apiEnvironment)[K]['schema']>;
};

/** One variable that is missing or invalid (its value is shown only when it is not a secret). */
export interface ApiEnvironmentProblem extends Problem {
  /** The variable's name (= `path`). */
  readonly variable: string;
}

export class ApiEnvironmentError extends ProblemsError<ApiEnvironmentProblem> {
  constructor(problems: readonly ApiEnvironmentProblem[]) {
    super(
      problems,
      'API environment',
      'Set the variables above (see @fittech/shared apiEnvironment for each one’s meaning).',
    );
    this.name = 'ApiEnvironmentError';
  }
}

/**
 * Parses an environment (normally `process.env`) by the contract; every
 * problem is named, and a secret's value is never shown. `names` limits it to
 * some variables (the migration Job needs DATABASE_URL, not the JWT key).
 */
export function parseApiEnvironment<K extends ApiVariableName = ApiVariableName>(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly K[] = Object.keys(apiEnvironment) as K[],
): Pick<ApiEnvironment, K> {
  const problems: ApiEnvironmentProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const variable: ApiVariable = apiEnvironment[name];
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (result.success) {
      out[name] = result.data;
    } else if (raw === undefined) {
      problems.push({ variable: name, path: name, message: 'is required but not set' });
    } else {
      const message = result.error.issues[0]?.message ?? 'is invalid';
      const secret = variable.source === 'secret';
      problems.push({ variable: name, path: name, message, value: secret ? '<redacted>' : raw });
    }
  }
  if (problems.length > 0) throw new ApiEnvironmentError(problems);
  return out as Pick<ApiEnvironment, K>;
}

/** What the manifests emit for the API container: ConfigMap data and Secret references. */
export interface ApiEnvironmentManifest {
  /** Non-secret variables and their values (ConfigMap data), in contract order. */
  readonly configMap: Readonly<Record<string, string>>;
  /** Secret variables: variable name → key in the Secret. */
  readonly secretKeys: Readonly<Record<string, string>>;
}

export function apiEnvironmentManifest(config: FitTechConfig): ApiEnvironmentManifest {
  const configMap: Record<string, string> = {};
  const secretKeys: Record<string, string> = {};
  for (const [name, variable] of Object.entries(apiEnvironment) as [string, ApiVariable][]) {
    if (variable.source === 'config') configMap[name] = variable.fromConfig(config);
    else secretKeys[name] = variable.secretKey;
  }
  return { configMap, secretKeys };
}
