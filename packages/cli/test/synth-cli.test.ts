/**
 * The `pnpm synth` entry point as a user runs it: the CLI's bundle
 * (src/synth/cli.ts) in a fresh process (the root `pnpm test` script builds
 * first), and the same CLI unbundled (src/synth/synth.ts) writing the same bytes.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');
const DIST = resolve(__dirname, '..', 'dist');
const CLI = resolve(DIST, 'synth', 'cli.js');
const UNBUNDLED = resolve(DIST, 'synth', 'synth.js');

function synth(args: string[], cwd = REPO, cli = CLI) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });
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
    const first = synth(['--out', a]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/cluster fittech-dev/);
    expect(synth(['--out', b]).status).toBe(0);

    const files = listFiles(a);
    expect(files).toEqual(listFiles(b));
    expect(files.some((f) => /^terraform\/.+\.tf\.json$/.test(f))).toBe(true);
    for (const f of ['chart/Chart.yaml', 'chart/values.yaml', 'chart/values.schema.json'])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('chart/templates/'))).toBe(true);
    expect(files.some((f) => /^manifests\/.+\.yaml$/.test(f))).toBe(true);
    for (const f of files) expect(readFileSync(join(a, f))).toEqual(readFileSync(join(b, f)));
    expect(files).toContain('fittech-stamp.json');
    expect(JSON.parse(readFileSync(join(a, 'fittech-stamp.json'), 'utf8'))).toMatchObject({
      environment: 'dev',
      configHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('writes from its bundle exactly the bytes the unbundled modules write', () => {
    const bundled = join(work, 'bundled');
    const unbundled = join(work, 'unbundled');
    for (const env of ['dev', 'prod']) {
      const a = synth(['--env', env, '--out', bundled]);
      expect(a.stderr).toBe('');
      expect(a.status).toBe(0);
      const b = synth(['--env', env, '--out', unbundled], REPO, UNBUNDLED);
      expect(b.stderr).toBe('');
      expect(b.status).toBe(0);
      const files = listFiles(bundled);
      expect(files).toEqual(listFiles(unbundled));
      for (const f of files)
        expect([f, readFileSync(join(bundled, f))]).toEqual([f, readFileSync(join(unbundled, f))]);
    }
  });

  it('synthesizes Terraform in a worker thread from a bundle of its own; neither thread loads the other’s libraries', () => {
    const r = spawnSync(process.execPath, [CLI, '--out', join(work, 'threads')], {
      encoding: 'utf8',
      cwd: REPO,
      env: { ...process.env, FITTECH_BUNDLE_DEBUG: '1' },
    });
    expect(r.status).toBe(0);
    // The worker is the only runner of the Terraform bundle.
    expect(r.stderr).toMatch(/^bundle: terraform\.bundle\.js: (current|built), code cache/m);
    expect(r.stderr).toMatch(/^bundle: synth\.bundle\.js: (current|built), code cache/m);
    const text = (name: string) => readFileSync(join(DIST, name), 'latin1');
    const main = text('synth.bundle.js');
    const terraform = text('terraform.bundle.js');
    expect(main).not.toMatch(/node_modules\/\.pnpm\/(cdktf|@cdktf\+provider-aws)@/);
    expect(terraform).toMatch(/node_modules\/\.pnpm\/cdktf@/);
    expect(terraform).not.toMatch(/node_modules\/\.pnpm\/(zod|cdk8s|cdk8s-plus-28|ajv|yaml)@/);
  });

  it('refuses a problem only the Terraform stage finds as it refuses the others, bundled or not; the previous output is kept', () => {
    const out = join(work, 'cidr');
    expect(synth(['--out', out]).status).toBe(0);
    const before = listFiles(out).map((f) => [f, readFileSync(join(out, f))]);
    const bad = join(work, 'cidr.yaml');
    writeFileSync(bad, 'network:\n  vpcCidr: 10.0.0.1/16\n');
    const bundled = synth(['--config', bad, '--out', out]);
    const unbundled = synth(['--config', bad, '--out', out], REPO, UNBUNDLED);
    expect(bundled.status).toBe(1);
    expect(bundled.stderr).toMatch(
      /^synth: Invalid configuration .*\n {2}- network\.vpcCidr: has host bits set; AWS needs the network address, i\.e\. "10\.0\.0\.0\/16" \(got "10\.0\.0\.1\/16"\)\n.*nothing was written\.\n$/s,
    );
    expect(unbundled).toEqual(bundled);
    expect(listFiles(out).map((f) => [f, readFileSync(join(out, f))])).toEqual(before);
    expect(readdirSync(work).filter((f) => f.startsWith('cidr.'))).toEqual(['cidr.yaml']);
  });

  it('refuses an invalid config, naming each bad path, and writes nothing', () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ api: { port: 70000 }, cluster: { name: 'Not_A_Name' } }));
    const out = join(work, 'never');
    const r = synth(['--config', bad, '--out', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/api\.port \(.*bad\.json:1:9\): .*65535.*\(got 70000\)/);
    expect(r.stderr).toMatch(/cluster\.name \(.*\): .*DNS-1123.*\(got "Not_A_Name"\)/);
    expect(r.stderr).toContain(bad);
    expect(existsSync(out)).toBe(false);
  });

  it('keeps the previous output intact when a later synth is refused', () => {
    const out = join(work, 'kept');
    expect(synth(['--out', out]).status).toBe(0);
    const before = listFiles(out);
    const bad = join(work, 'capacity.yaml');
    writeFileSync(
      bad,
      'api:\n  replicas: 3\nnodeGroup:\n  instanceTypes: [t3.micro]\n  desiredSize: 2\n',
    );
    const r = synth(['--config', bad, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/api\.replicas: does not fit the node group/);
    expect(listFiles(out)).toEqual(before);
  });

  it('explains unreadable overrides and unknown flags', () => {
    const r = synth(['--config', join(work, 'missing.json'), '--out', join(work, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.json.*cannot be read/s);
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{ "api": ');
    expect(synth(['--config', broken, '--out', join(work, 'never')]).stderr).toMatch(
      /is not valid JSON/,
    );
    const flag = synth(['--envv', 'prod']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("unknown option '--envv'");
    expect(flag.stderr).toContain('(Did you mean --env?)');
  });

  it('an ad-hoc preview never touches the committed generated files', () => {
    const committed = [
      '.github/workflows/ci.yml',
      '.github/workflows/deploy.yml',
      'compose.yaml',
      'fittech.overrides.schema.json',
    ];
    const before = committed.map((f) => readFileSync(join(REPO, f)));
    const preview = join(work, 'preview.json');
    writeFileSync(preview, JSON.stringify({ cluster: { name: 'preview-cluster' } }));
    const out = join(work, 'preview-out');
    const r = synth(['--env', 'prod', '--config', preview, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cluster preview-cluster');
    expect(readFileSync(join(out, 'terraform', 'main.tf.json'), 'utf8')).toContain(
      '"preview-cluster"',
    );
    expect(committed.map((f) => readFileSync(join(REPO, f)))).toEqual(before);
  });

  it('resolves paths against the directory it runs in, and points at the line of a mistake', () => {
    const sub = join(work, 'team', 'api');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(work, 'team', 'preview.yaml'), 'api:\n  replicas: 2\n');
    const ok = synth(['--config', '../preview.yaml', '--out', 'out'], sub);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(existsSync(join(sub, 'out', 'terraform', 'main.tf.json'))).toBe(true);
    expect(ok.stdout).toContain('out/terraform/');

    writeFileSync(join(work, 'team', 'indent.yaml'), 'api:\n  port: 9000\n replicas: 2\n');
    const indent = synth(['--config', '../indent.yaml', '--out', 'never'], sub);
    expect(indent.status).toBe(1);
    expect(indent.stderr).toContain('(file) (../indent.yaml:3:1): is not valid YAML');

    writeFileSync(join(work, 'team', 'typo.yaml'), 'api:\n  prot: 9000\n');
    const typo = synth(['--config', '../typo.yaml', '--out', 'never'], sub);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain(
      'api.prot (../typo.yaml:2:3): is not a known setting; did you mean "port"?',
    );
    expect(existsSync(join(sub, 'never'))).toBe(false);
  });

  it('--help is the option table; unknown environments are named with the declared ones', () => {
    const help = synth(['--help']);
    expect(help.status).toBe(0);
    for (const option of ['--env <name>', '--config <file>', '--out <dir>', '--project <file>'])
      expect(help.stdout).toContain(option);
    const env = synth(['--env', 'staging', '--out', join(work, 'never')]);
    expect(env.status).toBe(1);
    expect(env.stderr).toContain(
      'environment: is not declared in fittech.config.ts; declared: dev, prod',
    );
  });
});
