/** Refused by a {@link WorkGate}: too many waiting, or waited too long. The client is told 503 + Retry-After. */
export class GateBusyError extends Error {
  constructor(readonly reason: 'queue full' | 'wait exceeded') {
    super(`too busy (${reason})`);
    this.name = 'GateBusyError';
  }
}

export interface WorkGateOptions {
  /** Tasks that may run at once. */
  readonly concurrency: number;
  /** Tasks that may wait for a slot; one more is refused at once. */
  readonly maxQueue: number;
  /** How long a task may wait for a slot before it is refused, ms. */
  readonly maxWaitMillis: number;
}

interface Waiter {
  readonly start: () => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Bounded concurrency with a bounded, time-limited queue. Password hashing
 * runs on libuv's thread pool (4 threads by default, shared with DNS and file
 * I/O): the gate keeps a burst of logins from taking every thread, and from
 * piling up work that would be answered after its client gave up.
 */
export class WorkGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  /** Tasks refused since the gate was made, by reason (read by the metrics at each scrape). */
  readonly refusals: Record<GateBusyError['reason'], number> = {
    'queue full': 0,
    'wait exceeded': 0,
  };

  constructor(private readonly options: WorkGateOptions) {}

  /** Tasks running and waiting right now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueue) {
      this.refusals['queue full'] += 1;
      return Promise.reject(new GateBusyError('queue full'));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.running += 1;
          resolve();
        },
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          this.refusals['wait exceeded'] += 1;
          reject(new GateBusyError('wait exceeded'));
        }, this.options.maxWaitMillis),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    this.running -= 1;
    this.queue.shift()?.start();
  }
}
