/**
 * The API image carries only what the API runs: the config loader (and the
 * esbuild it compiles fittech.config.ts with) belongs to the CLIs. The image
 * installs `pnpm install --prod --filter "@fittech/api..."`, i.e. the API's
 * production dependency closure, and runs the compiled API from it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '..');

interface ListedDependency {
  dependencies?: Record<string, ListedDependency>;
}

/** Every path `api > … > name` in a `pnpm list --json` tree that reaches `name`. */
function pathsTo(name: string, node: ListedDependency, path: string[]): string[] {
  return Object.entries(node.dependencies ?? {}).flatMap(([dep, child]) => [
    ...(dep === name ? [[...path, dep].join(' > ')] : []),
    ...pathsTo(name, child, [...path, dep]),
  ]);
}

describe("the API's run-time dependencies", () => {
  it('the production dependency closure of @fittech/api (what the image installs) has no esbuild', () => {
    const listed = spawnSync(
      'pnpm',
      ['list', '--filter', '@fittech/api', '--prod', '--depth', 'Infinity', '--json'],
      { cwd: REPO, encoding: 'utf8', timeout: 60_000 },
    );
    expect(listed.stderr).toBe('');
    expect(listed.status).toBe(0);
    const [api] = JSON.parse(listed.stdout) as (ListedDependency & { name: string })[];
    expect(api!.name).toBe('@fittech/api');
    // The walk does find what is there: @fittech/shared and its zod.
    expect(pathsTo('zod', api!, ['@fittech/api'])).toContain(
      '@fittech/api > @fittech/shared > zod',
    );
    expect(pathsTo('esbuild', api!, ['@fittech/api'])).toEqual([]);
  });

  it("loading the compiled API (index, main's and migrate's imports) loads neither the config loader nor esbuild", () => {
    const dist = resolve(REPO, 'packages', 'api', 'dist');
    if (!existsSync(resolve(dist, 'index.js')))
      throw new Error(`${dist} is missing: run \`pnpm build\` (pnpm test does it first)`);
    // main.js and migrate.js start work when loaded; everything they import is
    // index.js's graph plus @fittech/shared's index, loaded here explicitly.
    const script = `
      require(${JSON.stringify(resolve(dist, 'index.js'))});
      require('@fittech/shared');
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: resolve(REPO, 'packages', 'api'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const loaded = JSON.parse(r.stdout) as string[];
    expect(loaded.some((f) => f.includes('/packages/shared/dist/index.js'))).toBe(true);
    expect(loaded.filter((f) => /\/shared\/dist\/loader\.js$|\/esbuild\//.test(f))).toEqual([]);
  });
});
