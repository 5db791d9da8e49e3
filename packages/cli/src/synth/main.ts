/**
 * The entry point of the synth CLI's bundle (see cli.ts): the CLI of
 * synth.ts, with its Terraform stage in the worker the launcher started.
 */
import { main } from './synth';
import type { TerraformWorker } from '../terraform-worker/channel';
import { terraformIn } from '../terraform-worker/client';

/** Runs the CLI on `argv`; returns its exit status. The worker is stopped or done when it returns. */
export function run(argv: string[], worker?: TerraformWorker): number {
  try {
    return main(argv, process, worker ? terraformIn(worker) : undefined);
  } finally {
    worker?.close();
  }
}
