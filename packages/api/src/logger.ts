import { hostname } from 'node:os';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { APP_VERSION } from '@fittech/shared';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * JSON logs on stdout. Whatever could carry a secret (authorization headers,
 * cookies, passwords, tokens, the database URL) is censored even if a
 * careless log call passes it.
 */
export function createLogger(level: LogLevel, destination?: Parameters<typeof pino>[1]): Logger {
  const options: LoggerOptions = {
    level,
    // In a pod the hostname is the pod's name.
    base: { service: 'fittech-api', version: APP_VERSION, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'password',
        '*.password',
        'access_token',
        '*.access_token',
        'token',
        '*.token',
        'DATABASE_URL',
        'SECRET_KEY',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
