/**
 * The `pnpm synth` entry point as a user runs it: the compiled CLI in a fresh
 * process (the root `pnpm test` script builds first).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const CLI = resolve(__dirname, '..', 'tools', 'dist', 'synth.js');

function synth(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

describe('pnpm synth', () => {
  let work: string;
  beforeAll(() => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`pnpm build\` (pnpm test does it first)`);
    work = mkdtempSync(join(tmpdir(), 'fittech-synth-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes terraform/, chart/ and manifests/ deterministically (two runs, identical bytes)', () => {
    const a = join(work, 'a');
    const b = join(work, 'b');
    const wa = join(work, 'wa');
    const wb = join(work, 'wb');
    const first = synth(['--out', a, '--workflows', wa]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/cluster fittech-dev/);
    expect(synth(['--out', b, '--workflows', wb]).status).toBe(0);

    const files = listFiles(a);
    expect(files).toEqual(listFiles(b));
    expect(files.some((f) => /^terraform\/.+\.tf\.json$/.test(f))).toBe(true);
    for (const f of ['chart/Chart.yaml', 'chart/values.yaml', 'chart/values.schema.json'])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('chart/templates/'))).toBe(true);
    expect(files.some((f) => /^manifests\/.+\.yaml$/.test(f))).toBe(true);
    for (const f of files) expect(readFileSync(join(a, f))).toEqual(readFileSync(join(b, f)));
    expect(listFiles(wa)).toEqual(['ci.yml', 'deploy.yml']);
    for (const f of listFiles(wa))
      expect(readFileSync(join(wa, f))).toEqual(readFileSync(join(wb, f)));
  });

  it('refuses an invalid config, naming each bad path, and writes nothing', () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ api: { port: 70000 }, cluster: { name: 'Not_A_Name' } }));
    const out = join(work, 'never');
    const r = synth(['--config', bad, '--out', out, '--workflows', join(work, 'never-wf')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/api\.port: .*65535.*\(got 70000\)/);
    expect(r.stderr).toMatch(/cluster\.name: .*DNS-1123.*\(got "Not_A_Name"\)/);
    expect(r.stderr).toContain(bad);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(work, 'never-wf'))).toBe(false);
  });

  it('keeps the previous output intact when a later synth is refused', () => {
    const out = join(work, 'kept');
    expect(synth(['--out', out, '--no-workflows']).status).toBe(0);
    const before = listFiles(out);
    const bad = join(work, 'capacity.yaml');
    writeFileSync(
      bad,
      'api:\n  replicas: 3\nnodeGroup:\n  instanceTypes: [t3.micro]\n  desiredSize: 2\n',
    );
    const r = synth(['--config', bad, '--out', out, '--no-workflows']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/api\.replicas: does not fit the node group/);
    expect(listFiles(out)).toEqual(before);
  });

  it('explains unreadable overrides and unknown flags', () => {
    const r = synth(['--config', join(work, 'missing.json'), '--no-workflows']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.json.*cannot be read/s);
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{ "api": ');
    expect(synth(['--config', broken, '--no-workflows']).stderr).toMatch(/is not valid JSON/);
    const flag = synth(['--envv', 'prod']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/Usage: pnpm synth/);
  });
});
