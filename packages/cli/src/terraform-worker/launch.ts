/**
 * The Terraform worker's script (see channel.ts): runs entry.ts from its
 * bundle with V8's code cache, as the synth CLI runs its own, and answers the
 * main thread with any error that stops it, so the main thread never waits for
 * an answer that cannot come.
 */
import { workerData } from 'node:worker_threads';
import { answer, type TerraformWorkerData } from './channel';

const data = workerData as TerraformWorkerData;
const fail = (error: { message: string; stack?: string }) =>
  answer(data, {
    error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) },
  });
process.on('uncaughtException', fail);

// Loaded once the handler is in place, so that an error while loading is answered too.
/* eslint-disable @typescript-eslint/no-require-imports */
const { runBundled } = require('../bundle/run') as typeof import('../bundle/run');
const { TERRAFORM_BUNDLE } = require('../bundle/specs') as typeof import('../bundle/specs');
/* eslint-enable @typescript-eslint/no-require-imports */
runBundled({ ...TERRAFORM_BUNDLE, onBuildFailure: (message) => fail({ message }) });
