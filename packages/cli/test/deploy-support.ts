/** Helpers for the deploy CLI tests: captured output, stand-in tools, a stamped dist/, a scripted runner. */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readOverridesFile,
  resolveConfig,
  STAMP_FILE,
  synthStamp,
  type FitTechConfig,
  type ProjectConfig,
} from '@fittech/shared';
import project from '../../../fittech.config';
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

/**
 * A directory of stand-ins for aws, kubectl, helm and terraform: a dry run
 * checks that the tools are on PATH (as the real run needs them) but never
 * runs them. There is no cluster or AWS here to run them against.
 */
export function standInTools(names = ['aws', 'kubectl', 'helm', 'terraform']): string {
  const dir = mkdtempSync(join(tmpdir(), 'fittech-tools-'));
  for (const name of names) {
    writeFileSync(join(dir, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

export const TOOLS = standInTools();
export const SECRET_KEY = 'k'.repeat(40);

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  readonly lines: string[];
  /** The directory the CLI ran in (its dist/ holds the stamp). */
  readonly cwd: string;
}

const flag = (args: readonly string[], name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** The config the CLI resolves for these arguments (what `pnpm synth` would have stamped). */
export function configFor(
  args: readonly string[],
  projectConfig: ProjectConfig = project,
): FitTechConfig {
  const file = flag(args, '--config');
  return resolveConfig({
    project: projectConfig,
    env: flag(args, '--env') ?? Object.keys(projectConfig.environments)[0]!,
    ...(file ? { overrides: readOverridesFile(file).data } : {}),
  });
}

/** A working directory whose dist/ was synthesized for `config` (stamp only: the commands never run). */
export function stampedDir(config: FitTechConfig | undefined): string {
  const cwd = mkdtempSync(join(tmpdir(), 'fittech-deploy-cwd-'));
  if (config) {
    mkdirSync(join(cwd, 'dist'));
    writeFileSync(
      join(cwd, 'dist', STAMP_FILE),
      JSON.stringify(synthStamp(config, 'f'.repeat(40))),
    );
  }
  return cwd;
}

export async function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    runner?: CommandRunner;
    sleep?: (ms: number) => Promise<void>;
    project?: ProjectConfig;
    /** dist/ stamped for another config, or none (default: the one these arguments resolve). */
    stamp?: FitTechConfig | false;
  } = {},
): Promise<CliRun> {
  const captured = captureIo();
  const projectConfig = options.project ?? project;
  let stamped: FitTechConfig | undefined;
  if (options.stamp !== false) {
    try {
      stamped = options.stamp ?? configFor(args, projectConfig);
    } catch {
      stamped = undefined; // an invalid config: the CLI reports it
    }
  }
  const cwd = stampedDir(stamped);
  const status = await deployCli(args, {
    io: captured.io,
    cwd,
    project: projectConfig,
    env: { PATH: TOOLS, ...(options.env ?? { SECRET_KEY }) },
    ...(options.runner ? { runner: options.runner } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const stdout = captured.stdout();
  return {
    status,
    stdout,
    stderr: captured.stderr(),
    lines: stdout.split('\n').filter((l) => l !== ''),
    cwd,
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

  explain(): void {
    // Only a dry run explains its plan.
  }

  effect<T>(_description: string, perform: () => Promise<T>): Promise<T> {
    return perform();
  }

  async run(cmd: Command, options: RunOptions = {}): Promise<CommandResult> {
    const line = formatCommand(cmd);
    this.lines.push(line);
    this.observed.push({ line, options });
    const answer = this.script(cmd, line) ?? {};
    return { exitCode: answer.exitCode ?? 0, stdout: answer.stdout ?? '' };
  }
}
