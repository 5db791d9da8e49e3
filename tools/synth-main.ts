/**
 * The entry point of the synth CLI's bundle (see synth-cli.ts): the CLI of
 * synth.ts, run on the process's arguments.
 */
import { main } from './synth';

process.exitCode = main(process.argv.slice(2));
