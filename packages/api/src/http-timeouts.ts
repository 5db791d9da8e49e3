import type { Server } from 'node:http';

/**
 * How long the server waits on a client. Node's defaults hold a client that
 * trickles its request for 300 s; these fit an API whose bodies are at most
 * 64 kB, behind an AWS NLB (a layer-4 pass-through: it keeps no connection
 * pool of its own, so no LB idle timeout has to be outlasted).
 */
export interface HttpTimeouts {
  /** The request line and headers must have arrived within this, ms (else 408). */
  readonly headersMillis: number;
  /** The whole request, body included, must have arrived within this, ms (else 408). */
  readonly requestMillis: number;
  /**
   * An idle keep-alive connection is closed after this, ms. Kept below
   * SHUTDOWN_TIMEOUT_SECONDS so that a draining replica's idle connections
   * end by themselves before the deadline cuts them.
   */
  readonly keepAliveMillis: number;
  /** A connection on which nothing moves (e.g. a client that stops reading the answer) is closed, ms. */
  readonly idleSocketMillis: number;
  /** How often Node checks the two request timeouts above, ms (its default, 30 s, would let them overrun). */
  readonly checkIntervalMillis: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMillis: 10_000,
  requestMillis: 30_000,
  keepAliveMillis: 5_000,
  idleSocketMillis: 60_000,
  checkIntervalMillis: 1_000,
};

/** The options of `http.createServer` that carry the timeouts checked at `checkIntervalMillis`. */
export function serverTimeoutOptions(t: HttpTimeouts) {
  return {
    headersTimeout: t.headersMillis,
    requestTimeout: t.requestMillis,
    connectionsCheckingInterval: t.checkIntervalMillis,
  };
}

/** The timeouts that are properties of the server rather than `createServer` options. */
export function applyServerTimeouts(server: Server, t: HttpTimeouts): void {
  server.keepAliveTimeout = t.keepAliveMillis;
  // Without a 'timeout' listener, Node destroys a socket idle this long.
  server.setTimeout(t.idleSocketMillis);
}
