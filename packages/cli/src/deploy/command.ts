/**
 * A command is a program and its argument vector. It is never joined into a
 * shell string to be run: `spawn(program, args)` passes each argument to the
 * program unchanged, so a name or a value can never be interpreted by a shell.
 * Quoting exists only to *print* a command so a person can copy it.
 */
export interface Command {
  readonly program: string;
  readonly args: readonly string[];
}

export function command(program: string, ...args: string[]): Command {
  return { program, args };
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell: unchanged when safe, otherwise single-quoted. */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The command as one line that a POSIX shell runs with exactly this argv. */
export function formatCommand(cmd: Command): string {
  return [cmd.program, ...cmd.args].map(shellQuote).join(' ');
}
