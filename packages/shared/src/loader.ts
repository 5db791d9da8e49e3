/**
 * `@fittech/shared/loader`: finds and loads `fittech.config.ts` for the CLIs
 * (pnpm synth, fittech-deploy, pnpm dev). A separate entry point, not part of
 * `@fittech/shared`'s index, because it needs esbuild, a build tool the API
 * never needs: the API's image installs @fittech/shared's production
 * dependencies, and esbuild is only an optional peer of this package, so the
 * CLIs' packages (@fittech/infra, the workspace root) provide it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join, parse as parsePath, relative } from 'node:path';
import { ConfigError } from './config';
import { readConfigText } from './config-file';
import { isPlainObject } from './merge';
import type { ProjectConfig } from './project';

/** The committed, typed project configuration at the repository root. */
export const PROJECT_CONFIG_FILE = 'fittech.config.ts';

/** The nearest fittech.config.ts at or above `from` (so commands work from any subdirectory). */
export function findProjectConfig(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, PROJECT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir || dir === parsePath(dir).root) return undefined;
    dir = parent;
  }
}

interface NodeModule {
  exports: unknown;
  filename: string;
  paths: string[];
  require(id: string): unknown;
  _compile(code: string, filename: string): void;
}
const NodeModuleClass = Module as unknown as {
  new (id: string, parent?: unknown): NodeModule;
  _nodeModulePaths(dir: string): string[];
};

const SHARED = '@fittech/shared';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sharedModule = (): unknown => require('./index');

/** Bumped when the way the file is compiled changes, so old cache entries are not reused. */
const CACHE_VERSION = '1';

/** esbuild, or a clear error saying how to get it (it is an optional peer of @fittech/shared). */
function requireEsbuild(file: string): typeof import('esbuild') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('esbuild') as typeof import('esbuild');
  } catch (error) {
    throw new ConfigError(
      [
        {
          path: '(file)',
          message: `cannot be compiled: esbuild is not installed (${(error as Error).message.split('\n')[0]}). Add it next to the command that loads the configuration: pnpm add --save-exact -D esbuild@0.28.2`,
        },
      ],
      `project configuration ${file}`,
    );
  }
}

/**
 * TypeScript → CommonJS with esbuild (types are stripped, not checked:
 * `pnpm typecheck` checks the file). The result is cached by the hash of the
 * source, so an unchanged file costs a read and a hash, not esbuild's start.
 */
function compile(file: string, source: string): string {
  const hash = createHash('sha256').update(CACHE_VERSION).update(file).update(source).digest('hex');
  const cacheDir = join(dirname(file), 'node_modules', '.cache', 'fittech-config');
  const cached = join(cacheDir, `${hash.slice(0, 32)}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // Not compiled yet.
  }
  // Loaded only on a cache miss: esbuild starts a helper process.
  const esbuild = requireEsbuild(file);
  let code: string;
  try {
    code = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcefile: file,
      sourcemap: 'inline',
    }).code;
  } catch (error) {
    const first = (
      error as { errors?: { text: string; location?: { line: number; column: number } }[] }
    ).errors?.[0];
    throw new ConfigError(
      [
        {
          path: '(file)',
          ...(first?.location
            ? { location: `${file}:${first.location.line}:${first.location.column + 1}` }
            : {}),
          message: `is not valid TypeScript: ${first?.text ?? (error as Error).message}`,
        },
      ],
      `project configuration ${file}`,
    );
  }
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  } catch {
    // A read-only checkout still works, only without the cache.
  }
  return code;
}

/**
 * Loads the project configuration: `fittech.config.ts`'s default export (the
 * object given to `defineConfig`). Imports inside it resolve from its
 * directory, as they would for any module there, except `@fittech/shared`,
 * which is the loader's own package.
 */
export function loadProjectConfig(file: string): ProjectConfig {
  const source = `project configuration ${relative(process.cwd(), file) || file}`;
  const text = readConfigText(file, file, source);
  const code = compile(file, text);
  const mod = new NodeModuleClass(file, module);
  mod.filename = file;
  mod.paths = NodeModuleClass._nodeModulePaths(dirname(file));
  // The configuration imports `@fittech/shared` (defineConfig): it gets this very copy, the one
  // the command already runs, rather than another resolved from the file's directory (which a
  // bundled CLI would load, with zod, a second time; and a file outside a workspace has none).
  const resolveFromFile = mod.require.bind(mod);
  mod.require = (id) => (id === SHARED ? sharedModule() : resolveFromFile(id));
  try {
    mod._compile(code, file);
  } catch (error) {
    throw new ConfigError(
      [{ path: '(file)', message: `failed while it was evaluated: ${(error as Error).message}` }],
      source,
    );
  }
  const exported = mod.exports as { default?: unknown };
  const config = isPlainObject(exported) && 'default' in exported ? exported.default : exported;
  if (!isPlainObject(config) || !isPlainObject(config.environments)) {
    throw new ConfigError(
      [
        {
          path: '(root)',
          message:
            'must `export default defineConfig({ ..., environments: { dev: {...}, ... } })` (from @fittech/shared)',
        },
      ],
      source,
    );
  }
  return config as unknown as ProjectConfig;
}
