/**
 * Compiled values validators kept between processes (keepCompiledValidators):
 * a later process loads Ajv's standalone code instead of compiling, and must
 * report exactly what a compiled validator reports; a damaged file costs a
 * compilation, never a wrong answer.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Manifests from '@fittech/manifests';
import { devConfig, packaged } from './fixtures';

const { files } = packaged(devConfig);
const text = files['values.schema.json']!;
const valuesYaml = files['values.yaml']!;

/** Values with a problem of each common kind: a wrong type, an unknown key, a reserved key. */
function badValues(m: typeof Manifests): unknown {
  const { parseAllDocuments } = jest.requireActual<typeof import('yaml')>('yaml');
  const defaults = parseAllDocuments(valuesYaml, { version: '1.1' })[0]!.toJS() as Record<
    string,
    unknown
  >;
  return m.coalesceValues(defaults, {
    replicaCount: 'two',
    image: { tag: 7 },
    podAnnotations: { 'checksum/config': 'x' },
    extra: true,
  });
}

/** @fittech/manifests as a new process has it: its own module registry, nothing compiled yet. */
function freshManifests(options: { ajvCompiler: boolean }): typeof Manifests {
  let m: typeof Manifests | undefined;
  jest.isolateModules(() => {
    if (!options.ajvCompiler) {
      jest.doMock('ajv', () => {
        throw new Error('Ajv compiler loaded');
      });
    }
    m = jest.requireActual<typeof Manifests>('@fittech/manifests');
  });
  return m!;
}

describe('compiled values validators kept in a directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fittech-validators-'));
  });
  afterEach(() => {
    jest.dontMock('ajv');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a later process loads the kept code, without Ajv, and reports the very same problems', () => {
    const compiling = freshManifests({ ajvCompiler: true });
    const expected = compiling.validateValues(JSON.parse(text), badValues(compiling));
    expect(expected.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'replicaCount',
        'image.tag',
        'extra',
        'podAnnotations.checksum/config',
      ]),
    );

    const keeping = freshManifests({ ajvCompiler: true });
    keeping.keepCompiledValidators(dir);
    expect(keeping.validateValues(JSON.parse(text), badValues(keeping))).toEqual(expected);
    expect(readdirSync(dir)).toHaveLength(1);

    const loading = freshManifests({ ajvCompiler: false });
    loading.keepCompiledValidators(dir);
    expect(loading.validateValues(JSON.parse(text), badValues(loading))).toEqual(expected);
    expect(loading.validateValues(JSON.parse(text), JSON.parse(JSON.stringify({})))).toEqual(
      compiling.validateValues(JSON.parse(text), {}),
    );
  });

  it('a damaged file is compiled again and replaced; other schemas get their own file', () => {
    const first = freshManifests({ ajvCompiler: true });
    first.keepCompiledValidators(dir);
    const expected = first.validateValues(JSON.parse(text), badValues(first));
    const [file] = readdirSync(dir);
    const code = readFileSync(join(dir, file!), 'utf8');
    writeFileSync(join(dir, file!), 'module.exports = ');

    const second = freshManifests({ ajvCompiler: true });
    second.keepCompiledValidators(dir);
    expect(second.validateValues(JSON.parse(text), badValues(second))).toEqual(expected);
    expect(readFileSync(join(dir, file!), 'utf8')).toBe(code);

    const other = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(second.validateValues(other, {})).toEqual([{ path: 'a', message: 'is required' }]);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('writes nothing unless asked', () => {
    const m = freshManifests({ ajvCompiler: true });
    m.validateValues(JSON.parse(text), badValues(m));
    expect(readdirSync(dir)).toHaveLength(0);
  });
});
