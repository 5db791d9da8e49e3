import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import execa from 'execa';
import { formatCommand, type Command } from './command';

/** Where the CLI writes: stdout for results and the commands it runs, stderr for problems. */
export interface Output {
  write(text: string): unknown;
}
export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
}

export interface RunOptions {
  /** Return stdout instead of printing it (e.g. JSON to parse, or a secret that must not be shown). */
  readonly capture?: boolean;
  /** Do not echo the command line (repeated polls); a dry run prints it anyway. */
  readonly quiet?: boolean;
  /** In a dry run, what a captured command "prints" (a placeholder such as `<hostname>`). */
  readonly dryRunStdout?: string;
}

export interface CommandResult {
  /** 0 on success; 128 + signal number when the program was killed. */
  readonly exitCode: number;
  /** Captured stdout (empty unless `capture`). */
  readonly stdout: string;
}

/**
 * Runs the deployment's commands and effects. Whether it is a dry run is its
 * property alone: the operations are written once, and a dry run differs only
 * here: commands are printed instead of run, effects are described instead of
 * performed. Every check that does not change anything (tools on PATH, the
 * secrets, the dist/ stamp) runs in both.
 */
export interface CommandRunner {
  readonly dryRun: boolean;
  run(cmd: Command, options?: RunOptions): Promise<CommandResult>;
  /** A remark for the reader; in a dry run it is printed as a shell comment. */
  note(text: string): void;
  /** A remark that only a plan needs (how often a poll repeats): printed in a dry run only. */
  explain(text: string): void;
  /**
   * An effect that is not a command (an HTTP check, a private file): performed
   * in a real run; in a dry run described (unless the description is empty),
   * then `simulate`d.
   */
  effect<T>(
    description: string,
    perform: () => Promise<T>,
    simulate: () => Promise<T> | T,
  ): Promise<T>;
}

const INSTALL_HINTS: Record<string, string> = {
  aws: 'install the AWS CLI v2 (https://docs.aws.amazon.com/cli/)',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)',
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/)',
  terraform: 'install Terraform (https://developer.hashicorp.com/terraform/install)',
};

/** A program was not found: the real run and the dry run stop at the same command. */
export class MissingToolError extends Error {
  constructor(cmd: Command) {
    super(
      `${cmd.program} was not found on PATH (needed for: ${formatCommand(cmd)}); ${INSTALL_HINTS[cmd.program] ?? `install ${cmd.program}`}.`,
    );
    this.name = 'MissingToolError';
  }
}

/** Whether `program` is an executable on `PATH` (or a path to one). */
export function findExecutable(program: string, path: string | undefined): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : (path ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '' && isAbsolute(dir))
        .map((dir) => join(dir, program));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface RunnerOptions {
  /** Print the commands and describe the effects; run and change nothing. */
  readonly dryRun?: boolean;
  /** The environment of every command, and the PATH tools are looked up in (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The one process runner: prints each command (`$ aws eks …`) and runs it
 * through execa with an argv array (no shell), streaming its output; or, in a
 * dry run, prints it shell-quoted and answers `dryRunStdout`.
 */
export class ProcessRunner implements CommandRunner {
  readonly dryRun: boolean;
  /** Every command run (or, in a dry run, printed), in order. */
  readonly commands: Command[] = [];
  private readonly env: NodeJS.ProcessEnv;
  private readonly children = new Set<execa.ExecaChildProcess>();

  constructor(
    private readonly io: Io,
    options: RunnerOptions = {},
  ) {
    this.dryRun = options.dryRun ?? false;
    this.env = options.env ?? process.env;
  }

  note(text: string): void {
    if (this.dryRun) for (const line of text.split('\n')) this.io.stdout.write(`# ${line}\n`);
    else this.io.stdout.write(`${text}\n`);
  }

  explain(text: string): void {
    if (this.dryRun) this.note(text);
  }

  async effect<T>(
    description: string,
    perform: () => Promise<T>,
    simulate: () => Promise<T> | T,
  ): Promise<T> {
    if (!this.dryRun) return perform();
    if (description) this.note(description);
    return simulate();
  }

  async run(cmd: Command, options: RunOptions = {}): Promise<CommandResult> {
    if (!findExecutable(cmd.program, this.env.PATH)) throw new MissingToolError(cmd);
    this.commands.push(cmd);
    if (this.dryRun) {
      this.io.stdout.write(`${formatCommand(cmd)}\n`);
      return { exitCode: 0, stdout: options.dryRunStdout ?? '' };
    }
    if (!options.quiet) this.io.stdout.write(`$ ${formatCommand(cmd)}\n`);
    const child = execa(cmd.program, [...cmd.args], {
      env: this.env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      stripFinalNewline: false,
      buffer: Boolean(options.capture),
    });
    this.children.add(child);
    if (!options.capture)
      child.stdout?.on('data', (chunk: Buffer) => this.io.stdout.write(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.io.stderr.write(chunk.toString('utf8')));
    const result = await child.finally(() => this.children.delete(child));
    if (result.failed && result.exitCode === undefined && !result.signal) {
      throw new Error(`could not start ${formatCommand(cmd)}: ${result.stderr || 'unknown error'}`);
    }
    const signal = result.signal ? (os.signals[result.signal as keyof typeof os.signals] ?? 0) : 0;
    return {
      exitCode: result.exitCode ?? 128 + signal,
      stdout: options.capture ? String(result.stdout ?? '') : '',
    };
  }

  /** Forwards a signal to every running command (the CLI calls this when it is interrupted). */
  killAll(signal: NodeJS.Signals): void {
    for (const child of this.children) child.kill(signal);
  }
}
