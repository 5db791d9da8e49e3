/**
 * The bundled CLIs (src/bundle/): a CLI runs from one esbuild bundle with
 * V8's code cache, and must behave exactly as its modules do: never stale
 * after a source changes, every module still finding the files beside it,
 * and a damaged cache costing nothing but time. Exercised on a small project
 * of its own in a temporary directory, with the compiled launcher (the root
 * `pnpm test` script builds first).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { insertAfterPrologue } from '../src/bundle/build';

const RUN = resolve(__dirname, '..', 'dist', 'bundle', 'run.js');

describe('a CLI run from its bundle', () => {
  let project: string;
  let bundle: string;
  beforeAll(() => {
    if (!existsSync(RUN)) throw new Error(`${RUN} is missing: run \`pnpm build\``);
  });
  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'fittech-bundle-'));
    mkdirSync(join(project, 'lib', 'data'), { recursive: true });
    mkdirSync(join(project, 'dist'));
    bundle = join(project, 'dist', 'cli.bundle.js');
    // A module that reads a file beside itself, as packages read their package.json.
    writeFileSync(
      join(project, 'lib', 'greeting.js'),
      "'use strict';\nconst { readFileSync } = require('node:fs');\nconst { join } = require('node:path');\n" +
        "exports.greeting = () => readFileSync(join(__dirname, 'data', 'word.txt'), 'utf8').trim();\n" +
        'exports.strict = (function () { return this === undefined; })();\n',
    );
    writeFileSync(join(project, 'lib', 'data', 'word.txt'), 'hello\n');
    writeFileSync(
      join(project, 'lib', 'cli.js'),
      "const { greeting, strict } = require('./greeting');\n" +
        "process.stdout.write(`${greeting()} ${process.argv.slice(2).join(' ')} strict=${strict}\\n`);\n" +
        "if (process.argv.includes('--fail')) process.exitCode = 3;\n",
    );
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  function run(args: string[] = []) {
    // The launcher, as src/synth/cli.ts is for `pnpm synth`.
    const spec = { entry: join(project, 'lib', 'cli.js'), bundle, root: project };
    const launcher = join(project, 'launch.js');
    writeFileSync(
      launcher,
      `require(${JSON.stringify(RUN)}).runBundled(${JSON.stringify(spec)});\n`,
    );
    const r = spawnSync(process.execPath, [launcher, ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, FITTECH_BUNDLE_DEBUG: '1' },
    });
    const debug = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('bundle: '))
      .join('\n');
    return { status: r.status, stdout: r.stdout, debug, stderr: r.stderr };
  }
  const caches = () => readdirSync(join(project, 'dist')).filter((f) => f.endsWith('.cache'));

  it('is built on the first run, then compiled from the code cache; modules keep their own __dirname and strict mode', () => {
    const first = run(['world']);
    expect(first.stdout).toBe('hello world strict=true\n');
    expect(first.status).toBe(0);
    expect(first.debug).toContain('missing: building');
    expect(first.debug).toContain('code cache miss');
    expect(caches()).toHaveLength(1);

    const second = run(['again']);
    expect(second.stdout).toBe('hello again strict=true\n');
    expect(second.debug).toContain('current, code cache hit');
    expect(second.debug).not.toContain('building');
  });

  it('is rebuilt when a source it was built from changes, never run stale', () => {
    expect(run().stdout).toMatch(/^hello /);
    const [before] = caches();
    writeFileSync(
      join(project, 'lib', 'greeting.js'),
      "'use strict';\nexports.greeting = () => 'changed';\nexports.strict = true;\n",
    );
    const edited = run();
    expect(edited.debug).toContain('out of date: building');
    expect(edited.stdout).toMatch(/^changed /);
    // The previous bundle's code cache is removed; this run wrote the new bundle's.
    expect(caches()).toHaveLength(1);
    expect(caches()).not.toContain(before);
  });

  it('a code cache that is not one for this bundle is refused by V8 and written again', () => {
    run();
    const [cache] = caches();
    writeFileSync(join(project, 'dist', cache!), 'not V8 code cache data');
    const damaged = run(['still']);
    expect(damaged.stdout).toBe('hello still strict=true\n');
    expect(damaged.debug).toContain('code cache rejected');
    expect(damaged.debug).toContain('code cache written');
    expect(run().debug).toContain('code cache hit');
  });

  it('keeps no code cache from a failed run', () => {
    const failed = run(['--fail']);
    expect(failed.status).toBe(3);
    expect(caches()).toHaveLength(0);
    expect(run().debug).toContain('code cache miss');
  });

  it('a later modification time alone (same size, as after a rebuild by tsc) also rebuilds it', () => {
    run();
    const cli = join(project, 'lib', 'cli.js');
    const later = new Date(Date.now() + 60_000);
    utimesSync(cli, later, later);
    expect(run().debug).toContain('out of date: building');
  });
});

describe('the bundler keeps each module strict', () => {
  it('inserts its declarations after the comments and "use strict" that open a module', () => {
    const declaration = 'var __dirname = "x";';
    expect(insertAfterPrologue('"use strict";\nfoo();\n', declaration)).toBe(
      `"use strict";\n${declaration}\nfoo();\n`,
    );
    expect(
      insertAfterPrologue("#!/usr/bin/env node\n// c\n/* d */\n'use strict'\nfoo();", declaration),
    ).toBe(`#!/usr/bin/env node\n// c\n/* d */\n'use strict'\n${declaration}\nfoo();`);
    expect(insertAfterPrologue('foo("use strict");', declaration)).toBe(
      `${declaration}\nfoo("use strict");`,
    );
  });
});
