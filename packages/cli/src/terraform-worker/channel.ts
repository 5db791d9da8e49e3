/**
 * The channel between `pnpm synth`'s main thread and the worker thread that
 * synthesizes Terraform (entry.ts): the two stages share nothing but the
 * resolved configuration, so on two cores CDKTF runs while the main thread
 * builds the Helm chart, and neither thread loads the other's libraries.
 *
 * The main thread stays synchronous, as `synth()` is: it sends the
 * configuration, does its own work, then blocks on a shared flag until the
 * worker has answered (or the timeout passes) and takes the answer from the
 * port without going through the event loop.
 *
 * Node built-ins only: the launcher (synth/cli.ts) starts the worker before it
 * loads the CLI's bundle, so that both load at the same time.
 */
import { join } from 'node:path';
import {
  MessageChannel,
  Worker,
  receiveMessageOnPort,
  type MessagePort,
} from 'node:worker_threads';

/** What the worker is started with. */
export interface TerraformWorkerData {
  readonly port: MessagePort;
  /** One Int32: 0 until the worker has answered, then 1. */
  readonly signal: SharedArrayBuffer;
}

/** The worker's one answer. */
export type TerraformReply =
  | { readonly files: Record<string, string> }
  /** A ConfigError's parts (a class does not cross threads), made into one again by the caller. */
  | { readonly configError: { readonly problems: readonly unknown[]; readonly subject: string } }
  | { readonly error: { readonly message: string; readonly stack?: string } };

export interface TerraformWorker {
  /** Sends the resolved configuration: the worker starts synthesizing at once. */
  send(config: unknown): void;
  /**
   * Blocks until the worker has answered and returns the answer.
   * @throws Error when it has not answered within `timeoutMs`.
   */
  receive(timeoutMs: number): TerraformReply;
  /** Stops the worker unless it has answered (then it ends by itself, after saving its code cache). */
  close(): void;
}

/** Starts the worker thread (launch.ts, which runs entry.ts from its bundle). */
export function startTerraformWorker(): TerraformWorker {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const workerData: TerraformWorkerData = { port: port2, signal };
  const worker = new Worker(join(__dirname, 'launch.js'), { workerData, transferList: [port2] });
  let answered = false;
  // launch.ts answers every error it can catch; what it cannot is reported, never thrown at exit.
  worker.on('error', (error) => {
    if (!answered) process.stderr.write(`synth: the Terraform worker failed: ${error.stack}\n`);
  });
  return {
    send: (config) => port1.postMessage(config),
    receive(timeoutMs) {
      if (Atomics.wait(new Int32Array(signal), 0, 0, timeoutMs) === 'timed-out') {
        throw new Error(
          `the Terraform stage did not answer within ${timeoutMs / 1000} s. ` +
            'Run `node packages/cli/dist/synth/synth.js` (the same CLI in one thread) to see where it stops.',
        );
      }
      const received = receiveMessageOnPort(port1);
      if (!received) throw new Error('the Terraform worker signalled an answer it did not send');
      answered = true;
      return received.message as TerraformReply;
    },
    close() {
      port1.close();
      if (!answered) void worker.terminate();
    },
  };
}

/** In the worker: answers the main thread, which is blocked in `receive`. */
export function answer({ port, signal }: TerraformWorkerData, reply: TerraformReply): void {
  // Queued on the main thread's port before the flag is set, so `receive` finds it there.
  port.postMessage(reply);
  const flag = new Int32Array(signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
