/**
 * Another team's view of @fittech/manifests: the packages packed with `npm pack`
 * (as they would be published), installed from the tarballs by npm, pnpm and
 * yarn into copies of examples/orders outside the workspace, the example
 * type-checked and run there, its checks run (Kubernetes OpenAPI schemas,
 * policies), and its chart held to real Helm 3 and Helm 4.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinaries } from '../tools/support/helm';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const root = resolve(__dirname, '..');
const example = join(root, 'examples', 'orders');
const yarnCache = join(root, 'node_modules', '.cache', 'yarn');

/** Runs a command without a shell; resolves with its output, rejects with it when it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise(out)
        : reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${code}:\n${out}`)),
    );
  });
}

function readObjects(dir: string) {
  return readdirSync(dir)
    .sort()
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8'), { version: '1.1' }).map(
        (d) => d.toJS() as Json,
      ),
    )
    .filter(Boolean);
}

const byKey = (objects: Json[]) =>
  [...objects].sort((a, b) =>
    `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
  );

describe('examples/orders, built from the packed packages by npm, pnpm and yarn', () => {
  let dir = '';
  const tarballs: Record<string, { file: string; files: string[] }> = {};
  const consumers: Record<'npm' | 'pnpm' | 'yarn', string> = { npm: '', pnpm: '', yarn: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fittech-orders-'));
    const packs = join(dir, 'tarballs');
    mkdirSync(packs);
    // npm pack runs each package's prepack (tsc -b), as `npm publish` would.
    for (const pkg of ['shared', 'manifests']) {
      // The prepack script's banner comes before the JSON on stdout.
      const output = await run(
        'npm',
        ['pack', '--json', '--pack-destination', packs],
        join(root, 'packages', pkg),
      );
      const [packed] = JSON.parse(output.slice(output.search(/^\[/m))) as {
        name: string;
        filename: string;
        files: { path: string }[];
      }[];
      tarballs[packed!.name] = {
        file: join(packs, packed!.filename),
        files: packed!.files.map((f) => f.path).sort(),
      };
    }
    const manifests = `file:${tarballs['@fittech/manifests']!.file}`;
    const shared = `file:${tarballs['@fittech/shared']!.file}`;
    // @fittech/shared is not on a registry here: each package manager's override points it at its tarball.
    const prepare = (
      manager: keyof typeof consumers,
      extra: (pkg: Json, project: string) => void,
    ) => {
      const project = join(dir, manager);
      cpSync(example, project, {
        recursive: true,
        filter: (src) => !/\/(node_modules|dist|out)$/.test(src),
      });
      const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Json;
      pkg.dependencies['@fittech/manifests'] = manifests;
      extra(pkg, project);
      writeFileSync(join(project, 'package.json'), JSON.stringify(pkg, null, 2));
      consumers[manager] = project;
      return project;
    };
    // Yarn caches a file: tarball by its path (and keeps a copy in .tmp): forget the previous run's.
    for (const version of existsSync(yarnCache) ? readdirSync(yarnCache) : []) {
      for (const entry of readdirSync(join(yarnCache, version))) {
        if (entry.includes('@fittech') || entry === '.tmp') {
          rmSync(join(yarnCache, version, entry), { recursive: true, force: true });
        }
      }
    }
    const installs = [
      run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
        prepare('npm', (pkg) => (pkg.overrides = { '@fittech/shared': shared })),
      ),
      run(
        'pnpm',
        ['install', '--prefer-offline', '--config.confirmModulesPurge=false'],
        prepare('pnpm', (_pkg, project) =>
          writeFileSync(
            join(project, 'pnpm-workspace.yaml'),
            `overrides:\n  "@fittech/shared": "${shared}"\n`,
          ),
        ),
      ),
      run(
        'npx',
        [
          '--yes',
          'yarn@1.22.22',
          'install',
          '--non-interactive',
          '--silent',
          '--cache-folder',
          yarnCache,
        ],
        prepare('yarn', (pkg) => (pkg.resolutions = { '@fittech/shared': shared })),
      ),
    ];
    await Promise.all(installs);
    // The npm consumer type-checks the example against the published declarations and runs it.
    await run(
      process.execPath,
      [join(consumers.npm, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      consumers.npm,
    );
    for (const manager of ['npm', 'pnpm', 'yarn'] as const) {
      if (manager !== 'npm')
        cpSync(join(consumers.npm, 'dist'), join(consumers[manager], 'dist'), { recursive: true });
      await run(process.execPath, ['dist/chart.js', 'out'], consumers[manager]);
    }
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the tarballs hold what a consumer needs and no workspace protocol', () => {
    for (const [name, { file, files }] of Object.entries(tarballs)) {
      console.info(
        `${name} (${file.split('/').pop()}): ${files.length} files\n  ${files.join('\n  ')}`,
      );
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'README.md',
          'CHANGELOG.md',
          'dist/index.js',
          'dist/index.d.ts',
        ]),
      );
      expect(files.filter((f) => /(^src\/|^test\/|tsbuildinfo|\.map$)/.test(f))).toEqual([]);
      const manifest = spawnSync('tar', ['-xzOf', file, 'package/package.json'], {
        encoding: 'utf8',
      }).stdout;
      expect(manifest).not.toContain('workspace:');
      expect(JSON.parse(manifest).private).toBeUndefined();
    }
    expect(tarballs['@fittech/manifests']!.files).toEqual(
      expect.arrayContaining([
        'dist/testing/index.d.ts',
        'docs/api/README.md',
        'docs/api/index.md',
      ]),
    );
    const peers = JSON.parse(
      readFileSync(join(root, 'packages/manifests/package.json'), 'utf8'),
    ).peerDependencies;
    expect(Object.keys(peers).sort()).toEqual(['cdk8s', 'cdk8s-plus-28', 'constructs']);
  });

  test('npm, pnpm and yarn consumers write the same chart, byte for byte', () => {
    const tree = (project: string) => {
      const files: Record<string, string> = {};
      const walk = (d: string, prefix: string) => {
        for (const e of readdirSync(join(d), { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
          else files[`${prefix}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
        }
      };
      walk(join(project, 'out'), '');
      return files;
    };
    const npm = tree(consumers.npm);
    expect(Object.keys(npm)).toEqual(
      expect.arrayContaining([
        'chart/Chart.yaml',
        'chart/templates/deployment.yaml',
        'manifests/deployment.yaml',
      ]),
    );
    expect(tree(consumers.pnpm)).toEqual(npm);
    expect(tree(consumers.yarn)).toEqual(npm);
  });

  test('its own checks pass: every object valid against the Kubernetes OpenAPI schemas, no policy problem', async () => {
    const report = JSON.parse(
      await run(process.execPath, ['dist/check.js', 'out'], consumers.npm),
    ) as Json;
    console.info(
      `orders example check: ${report.objects.join(', ')}; ${report.validation.checked} objects validated, ${report.validation.problems.length} problems, ${report.policy.length} policy problems`,
    );
    expect(report.validation.problems).toEqual([]);
    expect(report.policy).toEqual([]);
    expect(report.objects).toEqual(
      expect.arrayContaining(['Deployment/orders', 'Service/orders', 'ConfigMap/orders-config']),
    );
  });

  test('what the team asked for: port 3000, its Redis settings and environment contract', () => {
    const objects = readObjects(join(consumers.npm, 'out/manifests'));
    const pod = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
    expect(pod.containers[0].ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
    ]);
    expect(pod.containers[0].image).toBe('ghcr.io/acme/orders:3.1.4');
    expect(pod.initContainers[0].args).toEqual(expect.arrayContaining(['6380', '100mb']));
    const config = objects.find((o) => o.kind === 'ConfigMap').data;
    expect(config).toEqual({
      LOG_LEVEL: 'info',
      PAYMENT_PROVIDER_URL: 'https://payments.example.com',
      REDIS_URL: 'redis://127.0.0.1:6380/0',
    });
    expect(
      pod.containers[0].env
        .filter((e: Json) => e.valueFrom?.secretKeyRef)
        .map((e: Json) => e.valueFrom.secretKeyRef),
    ).toEqual([
      { key: 'database-url', name: 'orders-secrets' },
      { key: 'payment-token', name: 'orders-secrets' },
    ]);
  });

  test.each(helmBinaries().map((h) => [h.version, h] as const))(
    'Helm %s: lint --strict passes and template renders the written manifests',
    (_v, helm) => {
      const chart = join(consumers.npm, 'out/chart');
      const lint = helm.run(['lint', '--strict', chart, '--kube-version', '1.32.0']);
      expect(lint.stdout + lint.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      const template = helm.run([
        'template',
        'orders',
        chart,
        '--namespace',
        'shop',
        '--skip-tests',
        '--kube-version',
        '1.32.0',
      ]);
      expect(template.stderr).toBe('');
      const fromHelm = parseAllDocuments(template.stdout, { version: '1.1' })
        .map((d) => d.toJS())
        .filter(Boolean);
      expect(byKey(fromHelm)).toEqual(byKey(readObjects(join(consumers.npm, 'out/manifests'))));
      // The values schema guards the team's contract: a bad payment token is refused by Helm.
      const bad = helm.run([
        'template',
        'orders',
        chart,
        '--set-string',
        'secrets.databaseUrl=postgresql://u@h/d',
        '--set-string',
        'secrets.paymentToken=nope',
      ]);
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/paymentToken/);
    },
  );

  test('the package README’s complete program is examples/orders/src/chart.ts, verbatim', () => {
    const readme = readFileSync(join(root, 'packages/manifests/README.md'), 'utf8');
    const program = readFileSync(join(example, 'src/chart.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${program}\`\`\``);
  });
});
