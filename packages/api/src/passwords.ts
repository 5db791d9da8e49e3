import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { WorkGate, type WorkGateOptions } from './work-gate';

export interface PasswordOptions {
  /** bcrypt cost; default 12 (passlib's default, as the original). Tests lower it. */
  readonly rounds?: number;
  /** Bounds of the hashing work; default 2 at once, 64 waiting, 5 s wait. */
  readonly gate?: Partial<WorkGateOptions>;
}

export const DEFAULT_HASHING: WorkGateOptions = {
  concurrency: 2,
  maxQueue: 64,
  maxWaitMillis: 5_000,
};

/**
 * Passwords: bcrypt through a native binding (`@node-rs/bcrypt`), which
 * hashes and verifies on libuv's thread pool, never on the event loop: a
 * burst of logins cannot delay `/health`. At most `gate.concurrency` hashes
 * run at once; more wait (bounded), and beyond that the request is refused
 * with 503 (see {@link GateBusyError}). Hashes made by the original service
 * (passlib, `$2b$12$…`) and by bcryptjs keep verifying.
 *
 * bcrypt reads only the first 72 bytes of a password: the request schemas
 * refuse longer ones, so two passwords never collide on a shared prefix.
 */
export class Passwords {
  private readonly rounds: number;
  private readonly gate: WorkGate;
  /** A hash compared against when the user does not exist, so both paths cost the same. */
  private readonly dummy: Promise<string>;

  constructor(options: PasswordOptions = {}) {
    this.rounds = options.rounds ?? 12;
    this.gate = new WorkGate({ ...DEFAULT_HASHING, ...options.gate });
    // Made once, off the event loop, while the server starts.
    this.dummy = bcryptHash('fittech-timing-equaliser', this.rounds);
  }

  /** Hashing work running and waiting (for logs, metrics and tests). */
  get load(): { running: number; waiting: number } {
    return this.gate.load;
  }

  /** Hashing work refused (503) since start, by reason. */
  get refusals(): Readonly<WorkGate['refusals']> {
    return this.gate.refusals;
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => bcryptHash(password, this.rounds));
  }

  /** Verifies `password` against `hash`, or burns the same time when there is no hash. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    if (hash === undefined) {
      const dummy = await this.dummy;
      await this.gate.run(() => bcryptVerify(password, dummy));
      return false;
    }
    // A malformed stored hash verifies nothing (the binding answers false).
    return this.gate.run(() => bcryptVerify(password, hash));
  }
}
