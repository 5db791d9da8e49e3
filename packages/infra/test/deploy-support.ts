/** Helpers for the deploy CLI tests: captured output and a scripted command runner. */
import { deployCli } from '../src/deploy';
import { formatCommand, type Command } from '../src/deploy/command';
import type { CommandResult, CommandRunner, Io, RunOptions } from '../src/deploy/runner';

export interface Captured {
  readonly io: Io;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function captureIo(): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
    },
    stdout: () => out,
    stderr: () => err,
  };
}

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  readonly lines: string[];
}

export async function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    runner?: CommandRunner;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): Promise<CliRun> {
  const captured = captureIo();
  const status = await deployCli(args, {
    io: captured.io,
    env: options.env ?? {},
    ...(options.runner ? { runner: options.runner } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const stdout = captured.stdout();
  return {
    status,
    stdout,
    stderr: captured.stderr(),
    lines: stdout.split('\n').filter((l) => l !== ''),
  };
}

/** What a scripted command answers: exit code and (for captured commands) stdout. */
export type Script = (cmd: Command, line: string) => Partial<CommandResult> | undefined;

/**
 * A CommandRunner for flows without a cluster: records every command and
 * answers from a script (default: exit 0, empty output). Used to test what
 * the CLI does with the answers (e.g. diagnose after a failed rollout); the
 * real spawning is tested separately with stand-in programs.
 */
export class ScriptedRunner implements CommandRunner {
  readonly dryRun = false;
  readonly lines: string[] = [];
  readonly notes: string[] = [];
  readonly observed: { line: string; options: RunOptions }[] = [];

  constructor(private readonly script: Script = () => undefined) {}

  note(text: string): void {
    this.notes.push(text);
  }

  async run(cmd: Command, options: RunOptions = {}): Promise<CommandResult> {
    const line = formatCommand(cmd);
    this.lines.push(line);
    this.observed.push({ line, options });
    const answer = this.script(cmd, line) ?? {};
    return { exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? '' };
  }
}
