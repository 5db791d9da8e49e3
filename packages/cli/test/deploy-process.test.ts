/**
 * The ProcessRunner spawns real programs with argv arrays. There is no
 * cluster here, so the programs are stand-ins put first on PATH: small Node
 * scripts named kubectl/helm that record the argv they receive and answer
 * as told. They check what the CLI passes to a program and what it does with
 * the exit code, not what a real kubectl would do.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ProcessRunner } from '../src/deploy/runner';
import { captureIo } from './deploy-support';

let bin: string;
let log: string;
/** The environment the runner gives its commands: the stand-ins first on PATH. */
let env: NodeJS.ProcessEnv;

/** A stand-in that appends its argv (JSON) to the log, prints STANDIN_STDOUT, exits STANDIN_EXIT. */
function standIn(name: string): void {
  const file = join(bin, name);
  writeFileSync(
    file,
    [
      `#!${process.execPath}`,
      "const fs = require('node:fs');",
      `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify([${JSON.stringify(name)}, ...process.argv.slice(2)]) + '\\n');`,
      'if (process.env.STANDIN_STDOUT) process.stdout.write(process.env.STANDIN_STDOUT);',
      'if (process.env.STANDIN_STDERR) process.stderr.write(process.env.STANDIN_STDERR);',
      'process.exitCode = Number(process.env.STANDIN_EXIT || 0);',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
}

const recorded = (): string[][] =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[]);

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'fittech-standins-'));
  log = join(bin, 'argv.log');
  standIn('kubectl');
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));
beforeEach(() => {
  writeFileSync(log, '');
  env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` };
});

describe('ProcessRunner', () => {
  it('passes every argument unchanged, without a shell', async () => {
    const captured = captureIo();
    const runner = new ProcessRunner(captured.io, { env });
    const args = ['get', 'a b', "it's", '$(touch /tmp/pwned)', '`id`', '*', 'x;y', ''];
    const result = await runner.run({ program: 'kubectl', args });
    expect(result.exitCode).toBe(0);
    expect(recorded()).toEqual([['kubectl', ...args]]);
    // The echo is the shell-quoted form a person can paste.
    expect(captured.stdout()).toBe(
      "$ kubectl get 'a b' 'it'\\''s' '$(touch /tmp/pwned)' '`id`' '*' 'x;y' ''\n",
    );
  });

  it('streams output, or captures it without printing', async () => {
    env.STANDIN_STDOUT = 'hostname.elb.amazonaws.com\n';
    env.STANDIN_STDERR = 'a warning\n';
    const streamed = captureIo();
    await new ProcessRunner(streamed.io, { env }).run({ program: 'kubectl', args: ['get'] });
    expect(streamed.stdout()).toBe('$ kubectl get\nhostname.elb.amazonaws.com\n');
    expect(streamed.stderr()).toBe('a warning\n');

    const quiet = captureIo();
    const result = await new ProcessRunner(quiet.io, { env }).run(
      { program: 'kubectl', args: ['get'] },
      { capture: true, quiet: true },
    );
    expect(result.stdout).toBe('hostname.elb.amazonaws.com\n');
    expect(quiet.stdout()).toBe('');
  });

  it('returns the exit code of a failing program', async () => {
    env.STANDIN_EXIT = '3';
    const result = await new ProcessRunner(captureIo().io, { env }).run({
      program: 'kubectl',
      args: ['x'],
    });
    expect(result.exitCode).toBe(3);
  });

  it('says which program is missing and how to get it', async () => {
    const onlyStandIns = { ...env, PATH: bin };
    await expect(
      new ProcessRunner(captureIo().io, { env: onlyStandIns }).run({
        program: 'helm',
        args: ['version'],
      }),
    ).rejects.toThrow('helm was not found on PATH (needed for: helm version); install Helm 3');
  });

  it('a dry run prints instead of running, and stops at the same missing program', async () => {
    const captured = captureIo();
    const dry = new ProcessRunner(captured.io, { dryRun: true, env });
    expect(
      await dry.run({ program: 'kubectl', args: ['get', 'a b'] }, { dryRunStdout: 'x' }),
    ).toEqual({
      exitCode: 0,
      stdout: 'x',
    });
    expect(recorded()).toEqual([]);
    expect(captured.stdout()).toBe("kubectl get 'a b'\n");
    await expect(
      new ProcessRunner(captureIo().io, { dryRun: true, env: { ...env, PATH: bin } }).run({
        program: 'helm',
        args: ['version'],
      }),
    ).rejects.toThrow('helm was not found on PATH (needed for: helm version); install Helm 3');
  });
});
