import { EventEmitter } from 'node:events';
import { Client, type ClientConfig, type Notification } from 'pg';
import type { Logger } from 'pino';

/** The PostgreSQL channel on which every write announces whose cached data it changed. */
export const CACHE_CHANNEL = 'fittech_cache';
/**
 * The channel on which PostgreSQL itself (a trigger on `users`) announces that
 * an account changed or was deleted, however it happened (the API or SQL):
 * payload the user's id, or {@link FLUSH_ALL} after a TRUNCATE.
 */
export const ACCOUNTS_CHANNEL = 'fittech_accounts';
/** Payload meaning "drop everything" (sent by the migrations). */
export const FLUSH_ALL = '*';

export type ListenerState = 'connecting' | 'listening' | 'reconnecting' | 'closed';

export interface InvalidationListenerOptions {
  /** Connection settings of the dedicated LISTEN connection (not from the pool). */
  readonly connection: ClientConfig;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** A write for this user was committed (by any replica). */
  readonly onInvalidate: (userId: number) => void;
  /** LISTEN is (re-)established: notifications may have been lost, drop the local cache. */
  readonly onListening: () => void;
  /** The connection is gone: remote writes can no longer be heard, stop trusting the cache. */
  readonly onLost: () => void;
  /** Someone asked every replica to drop its whole cache (the migrations do, after a change). */
  readonly onFlushAll: () => void;
  /** An account changed or was deleted (ACCOUNTS_CHANNEL); `undefined`: possibly all of them. */
  readonly onAccountChanged?: (userId: number | undefined) => void;
  /** Interval of the `SELECT 1` that detects a silently dead connection, ms (default 10000). */
  readonly heartbeatMillis?: number;
  /** Upper bound of the reconnect back-off, ms (default 5000). */
  readonly maxBackoffMillis?: number;
}

/** A notification this replica's own write will cause, and when that write was sent. */
interface Echo {
  readonly payload: string;
  /** `performance.now()` when the write was sent: its arrival measures the delivery lag. */
  readonly sentAt: number;
}

/**
 * The replica's ear for other replicas' writes: a dedicated PostgreSQL
 * connection that LISTENs on {@link CACHE_CHANNEL} and reconnects with
 * back-off, forever, until closed. Events: `listening`, `lost` (error),
 * `invalidated` (userId), `flushed`, `echo` (userId, then the seconds from
 * sending the write to hearing its notification: this replica's own write,
 * already applied locally), `account` (userId or undefined).
 */
export class InvalidationListener extends EventEmitter {
  private client: Client | undefined;
  private pid: number | undefined;
  private stateValue: ListenerState = 'connecting';
  private attempt = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly heartbeatMillis: number;
  private readonly maxBackoffMillis: number;
  /** Per PostgreSQL backend pid: payloads of this replica's own writes whose notification is due. */
  private readonly echoes = new Map<number, Echo[]>();

  constructor(private readonly options: InvalidationListenerOptions) {
    super();
    this.heartbeatMillis = options.heartbeatMillis ?? 10_000;
    this.maxBackoffMillis = options.maxBackoffMillis ?? 5_000;
  }

  get state(): ListenerState {
    return this.stateValue;
  }

  /** PostgreSQL's process id of the LISTEN session, while connected (for operators and tests). */
  get backendPid(): number | undefined {
    return this.client ? this.pid : undefined;
  }

  private get closed(): boolean {
    return this.stateValue === 'closed';
  }

  /** Starts connecting in the background; never throws. */
  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const client = new Client(this.options.connection);
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client));
    client.on('notification', (n) => this.receive(n));
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}; LISTEN ${ACCOUNTS_CHANNEL}`);
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      this.pid = rows[0]?.pid;
    } catch (error) {
      client.removeAllListeners('end');
      client.end().catch(() => undefined);
      this.scheduleReconnect(error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.stateValue = 'listening';
    // Whatever was due before was lost with the connection; onListening drops the cache anyway.
    this.echoes.clear();
    if (this.attempt > 0) this.options.logger.info('cache invalidation channel re-established');
    this.attempt = 0;
    this.options.onListening();
    this.startHeartbeat(client);
    this.emit('listening');
  }

  private scheduleReconnect(error?: unknown): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'reconnecting';
    const delay = Math.min(100 * 2 ** this.attempt, this.maxBackoffMillis);
    this.attempt += 1;
    if (this.attempt === 1 || this.attempt % 10 === 0) {
      this.options.logger.warn(
        { err: error instanceof Error ? error.message : undefined, retryInMs: delay },
        'cannot LISTEN for cache invalidations; the cache is bypassed until it can',
      );
    }
    this.retry = setTimeout(() => void this.connect(), delay + Math.random() * 100);
    this.retry.unref();
  }

  private lose(client: Client, error?: Error): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.stopHeartbeat();
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.stateValue === 'closed') return;
    this.options.onLost();
    this.emit('lost', error);
    this.scheduleReconnect(error ?? new Error('connection ended'));
  }

  /**
   * This replica is about to commit, on the PostgreSQL session `backendPid`,
   * a write that notifies `payload`, and applies it to its own cache itself
   * (after refreshing): the notification that comes back is then not applied
   * a second time, which would throw the refreshed entries away. A session's
   * notifications arrive in commit order, so one queue per session matches
   * them exactly.
   */
  expectEcho(backendPid: number, payload: string): void {
    const echo: Echo = { payload, sentAt: performance.now() };
    const queue = this.echoes.get(backendPid);
    if (queue) queue.push(echo);
    else this.echoes.set(backendPid, [echo]);
  }

  /** The commit announced by {@link expectEcho} failed or its outcome is unknown: apply its notification if it comes. */
  forgetEcho(backendPid: number, payload: string): void {
    const queue = this.echoes.get(backendPid);
    let at = (queue?.length ?? 0) - 1;
    while (at >= 0 && queue![at]!.payload !== payload) at -= 1;
    if (at >= 0) queue!.splice(at, 1);
    if (queue?.length === 0) this.echoes.delete(backendPid);
  }

  /** The echo this notification answers (taken off its queue), or undefined for another replica's write. */
  private takeEcho(notification: Notification, payload: string): Echo | undefined {
    const queue = this.echoes.get(notification.processId);
    if (queue?.[0]?.payload !== payload) return undefined;
    const echo = queue.shift();
    if (queue.length === 0) this.echoes.delete(notification.processId);
    return echo;
  }

  private receive(notification: Notification): void {
    const payload = notification.payload ?? '';
    if (notification.channel === ACCOUNTS_CHANNEL) {
      const userId = payload === FLUSH_ALL ? undefined : Number(payload);
      if (userId !== undefined && !Number.isSafeInteger(userId)) return;
      this.options.onAccountChanged?.(userId);
      this.emit('account', userId);
      return;
    }
    if (notification.channel !== CACHE_CHANNEL) return;
    if (payload === FLUSH_ALL) {
      this.options.onFlushAll();
      this.emit('flushed');
      return;
    }
    const userId = Number(payload);
    if (!Number.isSafeInteger(userId)) {
      this.options.logger.warn({ payload }, 'ignoring a malformed cache invalidation');
      return;
    }
    const echo = this.takeEcho(notification, payload);
    if (echo !== undefined) {
      this.emit('echo', userId, (performance.now() - echo.sentAt) / 1000);
      return;
    }
    this.options.onInvalidate(userId);
    this.emit('invalidated', userId);
  }

  private startHeartbeat(client: Client): void {
    this.heartbeat = setInterval(() => {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('heartbeat timed out')), this.heartbeatMillis).unref(),
      );
      Promise.race([client.query('SELECT 1'), timeout]).catch((error: Error) =>
        this.lose(client, error),
      );
    }, this.heartbeatMillis);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    this.stopHeartbeat();
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
