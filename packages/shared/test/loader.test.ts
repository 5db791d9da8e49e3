/**
 * `@fittech/shared/loader`: fittech.config.ts found from any subdirectory,
 * compiled once per content (a cache next to the file), and errors that say
 * where.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@fittech/shared';
import { findProjectConfig, loadProjectConfig, PROJECT_CONFIG_FILE } from '@fittech/shared/loader';

const CONFIG = `
interface Env { cluster: { name: string } }
const dev: Env = { cluster: { name: 'acme-dev' } };
export default { project: 'acme', environments: { dev, prod: { cluster: { name: 'acme-prod' } } } };
`;

describe('the project configuration loader', () => {
  let dir: string;
  let file: string;
  const cacheDir = () => join(dir, 'node_modules', '.cache', 'fittech-config');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fittech-loader-'));
    file = join(dir, PROJECT_CONFIG_FILE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the nearest fittech.config.ts at or above a directory, and nothing where there is none', () => {
    writeFileSync(file, CONFIG);
    const deep = join(dir, 'packages', 'api', 'src');
    mkdirSync(deep, { recursive: true });
    expect(findProjectConfig(deep)).toBe(file);
    expect(findProjectConfig(dir)).toBe(file);
    const elsewhere = mkdtempSync(join(tmpdir(), 'fittech-noconfig-'));
    try {
      expect(findProjectConfig(elsewhere)).toBeUndefined();
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('loads the TypeScript default export, compiles once per content, and recompiles after an edit', () => {
    writeFileSync(file, CONFIG);
    const first = loadProjectConfig(file);
    expect(first).toEqual({
      project: 'acme',
      environments: {
        dev: { cluster: { name: 'acme-dev' } },
        prod: { cluster: { name: 'acme-prod' } },
      },
    });
    const entries = readdirSync(cacheDir());
    expect(entries).toHaveLength(1);
    const compiled = join(cacheDir(), entries[0]!);
    const written = statSync(compiled).mtimeMs;

    expect(loadProjectConfig(file)).toEqual(first);
    expect(readdirSync(cacheDir())).toEqual(entries);
    expect(statSync(compiled).mtimeMs).toBe(written);

    writeFileSync(file, CONFIG.replace("'acme-dev'", "'acme-dev2'"));
    expect(loadProjectConfig(file).environments.dev).toEqual({ cluster: { name: 'acme-dev2' } });
    expect(readdirSync(cacheDir())).toHaveLength(2);
  });

  it("gives the file the loader's own @fittech/shared, even where none would resolve from it", () => {
    // In a plain node process (jest maps @fittech/* for every require): the compiled loader, as
    // the CLIs run it. A temporary directory has no node_modules to resolve @fittech/shared from.
    const loader = join(__dirname, '..', 'dist', 'loader.js');
    if (!existsSync(loader))
      throw new Error(`${loader} is missing: run pnpm build (pnpm test does)`);
    writeFileSync(
      file,
      "import { defineConfig } from '@fittech/shared';\n" +
        "export default defineConfig({ project: 'acme', environments: { dev: {} } });\n",
    );
    const script = `
      const { loadProjectConfig } = require(${JSON.stringify(loader)});
      const config = loadProjectConfig(${JSON.stringify(file)});
      // The copy the file got is the loader's: no second @fittech/shared (nor zod) was loaded.
      const copies = Object.keys(require.cache).filter((m) => /shared[\\/]dist[\\/]index\\.js$/.test(m));
      process.stdout.write(JSON.stringify({ config, copies: copies.length }));
    `;
    // Without NODE_PATH, which pnpm's bin wrappers set to its hoisted packages (@fittech/* among them).
    const env = { ...process.env };
    delete env.NODE_PATH;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      config: { project: 'acme', environments: { dev: {} } },
      copies: 1,
    });
  });

  it('a TypeScript syntax error names the file, line and column; nothing is cached', () => {
    writeFileSync(
      file,
      "export default {\n  project: 'acme',\n  environments: { dev: { ) },\n};\n",
    );
    let error: unknown;
    try {
      loadProjectConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${file}:3:`);
    expect((error as Error).message).toMatch(/is not valid TypeScript/);
    expect(() => readdirSync(cacheDir())).toThrow();
  });

  it('a file without a default export of { environments } says what it must export', () => {
    writeFileSync(file, "export const project = 'acme';\n");
    expect(() => loadProjectConfig(file)).toThrow(/must `export default defineConfig\(/);
  });

  it('a file that cannot be read is named, with the reason', () => {
    expect(() => loadProjectConfig(join(dir, 'missing.config.ts'))).toThrow(
      /\(file\): cannot be read: ENOENT.*\(got ".*missing\.config\.ts"\)/,
    );
  });

  it('an error thrown while the file runs is reported as such', () => {
    writeFileSync(file, "throw new Error('boom');\nexport default {};\n");
    expect(() => loadProjectConfig(file)).toThrow(/failed while it was evaluated: boom/);
  });
});
