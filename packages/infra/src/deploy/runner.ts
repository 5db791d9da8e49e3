import { spawn, type ChildProcess } from 'node:child_process';
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

/** Runs commands, or in a dry run only prints them. */
export interface CommandRunner {
  readonly dryRun: boolean;
  run(cmd: Command, options?: RunOptions): Promise<CommandResult>;
  /** A remark for the reader; in a dry run it is printed as a shell comment. */
  note(text: string): void;
}

const INSTALL_HINTS: Record<string, string> = {
  aws: 'install the AWS CLI v2 (https://docs.aws.amazon.com/cli/)',
  kubectl: 'install kubectl (https://kubernetes.io/docs/tasks/tools/)',
  helm: 'install Helm 3 (https://helm.sh/docs/intro/install/)',
  terraform: 'install Terraform (https://developer.hashicorp.com/terraform/install)',
};

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Prints each command (`$ aws eks …`) and runs it with spawn and an argv array: no shell. */
export class ProcessRunner implements CommandRunner {
  readonly dryRun = false;
  private readonly children = new Set<ChildProcess>();

  /** `env` is the environment of every command (default: this process's). */
  constructor(
    private readonly io: Io,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  note(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  run(cmd: Command, options: RunOptions = {}): Promise<CommandResult> {
    if (!options.quiet) this.io.stdout.write(`$ ${formatCommand(cmd)}\n`);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd.program, [...cmd.args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: this.env,
        shell: false,
      });
      this.children.add(child);
      const chunks: Buffer[] = [];
      child.stdout?.on('data', (chunk: Buffer) => {
        if (options.capture) chunks.push(chunk);
        else this.io.stdout.write(chunk.toString('utf8'));
      });
      child.stderr?.on('data', (chunk: Buffer) => this.io.stderr.write(chunk.toString('utf8')));
      child.on('error', (error: NodeJS.ErrnoException) => {
        this.children.delete(child);
        if (error.code === 'ENOENT') {
          const hint = INSTALL_HINTS[cmd.program] ?? `install ${cmd.program}`;
          reject(
            new Error(
              `${cmd.program} was not found on PATH (needed for: ${formatCommand(cmd)}); ${hint}.`,
            ),
          );
        } else {
          reject(new Error(`could not start ${formatCommand(cmd)}: ${error.message}`));
        }
      });
      child.on('close', (code, signal) => {
        this.children.delete(child);
        const exitCode = code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
        resolve({ exitCode, stdout: Buffer.concat(chunks).toString('utf8') });
      });
    });
  }

  /** Forwards a signal to every running command (the CLI calls this when it is interrupted). */
  killAll(signal: NodeJS.Signals): void {
    for (const child of this.children) child.kill(signal);
  }
}

/** Prints the exact commands, shell-quoted, one per line, and runs nothing. */
export class DryRunRunner implements CommandRunner {
  readonly dryRun = true;
  /** Every command "run", in order (for tests and for callers that want the plan). */
  readonly commands: Command[] = [];

  constructor(private readonly io: Io) {}

  note(text: string): void {
    for (const line of text.split('\n')) this.io.stdout.write(`# ${line}\n`);
  }

  run(cmd: Command, options: RunOptions = {}): Promise<CommandResult> {
    this.commands.push(cmd);
    this.io.stdout.write(`${formatCommand(cmd)}\n`);
    return Promise.resolve({ exitCode: 0, stdout: options.dryRunStdout ?? '' });
  }
}
