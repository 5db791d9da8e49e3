import { hostname } from 'node:os';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { APP_VERSION } from '@fittech/shared';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * JSON logs on stdout. Whatever could carry a secret (authorization headers,
 * cookies, passwords, tokens, the database URL) is censored even if a
 * careless log call passes it.
 *
 * Stdout is written asynchronously: a line is handed to the kernel at once
 * when no write is in flight, and the lines that arrive meanwhile go out
 * together with the next write, so under load a write(2) carries many access
 * lines instead of one each. pino flushes what is left, synchronously, when
 * the process exits (process.exit included).
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
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
