import { parseApiEnvironment } from '@fittech/shared';
import { Type } from '@sinclair/typebox';
import {
  defineValues,
  fitTechValues,
  coalesceValues,
  renderHelmChart,
  validateValues,
  ValuesError,
  type ValuesProblem,
} from '@fittech/manifests';
import { parseAllDocuments } from 'yaml';
import { DATABASE_URL, devConfig, packaged, SECRET_KEY, type Json } from './fixtures';

const { files } = packaged(devConfig);
const schema = JSON.parse(files['values.schema.json']!) as Record<string, Json>;
const valuesYaml = files['values.yaml']!;
const defaults = parseAllDocuments(valuesYaml, { version: '1.1' })[0]!.toJS() as Record<
  string,
  Json
>;
const withValues = (overrides: unknown) => coalesceValues(defaults, overrides);
const check = (overrides: unknown): ValuesProblem[] =>
  validateValues(schema, withValues(overrides));

describe('values.yaml', () => {
  test('holds the definition’s defaults', () => {
    expect(defaults).toEqual({
      global: {},
      nameOverride: '',
      fullnameOverride: '',
      ...fitTechValues(devConfig).defaults,
    });
    expect(defaults.replicaCount).toBe(devConfig.api.replicas);
    expect(defaults.resources).toEqual({
      api: devConfig.api.resources,
      redis: devConfig.redis.resources,
    });
    expect(defaults.image.tag).toBe(devConfig.api.imageTag);
  });

  test('documents every value with a "## @param path description" line, and nothing that is not a value', () => {
    const params = [...valuesYaml.matchAll(/^\s*## @param (\S+) (.+)$/gm)].map((m) => m[1]!);
    const leaves: string[] = [];
    const walk = (s: Json, path: string[]) => {
      if (s.type === 'object' && s.properties) {
        for (const [k, child] of Object.entries(s.properties)) walk(child, [...path, k]);
      } else leaves.push(path.join('.'));
    };
    walk(schema, []);
    expect(params).toEqual(leaves);
    expect(leaves).toEqual(
      expect.arrayContaining([
        'image.repository',
        'image.tag',
        'image.digest',
        'replicaCount',
        'autoscaling.enabled',
        'autoscaling.minReplicas',
        'autoscaling.maxReplicas',
        'autoscaling.targetCPUUtilizationPercentage',
        'resources.api.requests.cpu',
        'resources.redis.limits.memory',
        'secrets.databaseUrl',
        'secrets.secretKey',
        'secrets.existingSecret',
        'podAnnotations',
        'podLabels',
        'nodeSelector',
        'tolerations',
        'affinity',
        'topologySpreadConstraints',
        'priorityClassName',
        'imagePullSecrets',
        'extraEnv',
        'service.annotations',
        'global',
        'nameOverride',
        'fullnameOverride',
      ]),
    );
  });

  test('the README values table lists the same values', () => {
    const rows = [...files['README.md']!.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect(rows).toEqual([...valuesYaml.matchAll(/^\s*## @param (\S+) /gm)].map((m) => m[1]!));
  });
});

describe('values.schema.json', () => {
  test('is draft-07 and closes every object but global (a parent chart’s, passed to every subchart)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const open: string[] = [];
    const walk = (s: Json, path: string) => {
      if (s.type === 'array' && s.items) return walk(s.items, `${path}[]`);
      if (s.type !== 'object') return;
      if (s.properties) {
        if (s.additionalProperties !== false) open.push(path);
        for (const [k, child] of Object.entries(s.properties))
          walk(child, path ? `${path}.${k}` : k);
      } else if (
        typeof s.additionalProperties !== 'object' &&
        !(s.additionalProperties === false && s.patternProperties)
      ) {
        open.push(path);
      }
    };
    walk(schema, '');
    expect(open).toEqual([
      'global',
      'extraEnv[].valueFrom',
      'topologySpreadConstraints[].labelSelector',
    ]);
  });

  test('accepts values.yaml and the values a deployer sets', () => {
    expect(check({})).toEqual([]);
    expect(check({ secrets: { databaseUrl: DATABASE_URL, secretKey: SECRET_KEY } })).toEqual([]);
    expect(check({ secrets: { existingSecret: 'from-external-secrets' } })).toEqual([]);
    expect(check({ image: { tag: '', digest: `sha256:${'0'.repeat(64)}` } })).toEqual([]);
    expect(
      check({ autoscaling: { enabled: true }, podAnnotations: { 'a.example/b': 'c' } }),
    ).toEqual([]);
  });

  const rejections: [string, unknown, string, RegExp][] = [
    [
      'replicaCount: "two"',
      { replicaCount: 'two' },
      'replicaCount',
      /must be a whole number \(got "two"\)/,
    ],
    ['replicaCount: -1', { replicaCount: -1 }, 'replicaCount', /must be >= 1 \(got -1\)/],
    [
      'an unknown key',
      { replicas: 3 },
      'replicas',
      /is not a known value; the top level accepts only: global, nameOverride, fullnameOverride, image, imagePullSecrets, replicaCount/,
    ],
    [
      'an unknown nested key',
      { image: { pullPolicy: 'Always' } },
      'image.pullPolicy',
      /not a known value; image accepts only: repository, tag, digest/,
    ],
    [
      'an empty image.tag with no digest',
      { image: { tag: '' } },
      'image.tag',
      /must not be empty \(got ""\): set image.tag, or image.digest/,
    ],
    [
      'image.tag "latest"',
      { image: { tag: 'latest' } },
      'image.tag',
      /"latest" is not a pinned version/,
    ],
    [
      'a malformed digest',
      { image: { digest: 'sha256:abc' } },
      'image.digest',
      /must match pattern/,
    ],
    [
      'one secret without the other',
      { secrets: { databaseUrl: DATABASE_URL } },
      'secrets.secretKey',
      /must not be empty/,
    ],
    [
      'secrets with another existingSecret',
      { secrets: { databaseUrl: DATABASE_URL, secretKey: SECRET_KEY, existingSecret: 'other' } },
      'secrets.existingSecret',
      /\(got "other"\): when secrets.databaseUrl is given the chart creates the Secret: give secrets.databaseUrl and secrets.secretKey, and leave secrets.existingSecret empty/,
    ],
    [
      'a database URL that is not PostgreSQL',
      { secrets: { databaseUrl: 'mysql://x', secretKey: SECRET_KEY } },
      'secrets.databaseUrl',
      /must match pattern/,
    ],
    [
      'a short secret key',
      { secrets: { databaseUrl: DATABASE_URL, secretKey: 'short' } },
      'secrets.secretKey',
      /must match pattern/,
    ],
    [
      'a CPU quantity in the wrong unit',
      { resources: { api: { limits: { cpu: '500Mi' } } } },
      'resources.api.limits.cpu',
      /must match pattern/,
    ],
    [
      'a podAnnotation the chart sets itself',
      { podAnnotations: { 'checksum/config': 'x' } },
      'podAnnotations.checksum/config',
      /is not allowed \(got "x"\): set by the chart/,
    ],
    [
      'a pod label the chart owns',
      { podLabels: { 'app.kubernetes.io/part-of': 'x' } },
      'podLabels.app.kubernetes.io/part-of',
      /is not allowed \(got "x"\): set by the chart/,
    ],
    [
      'an extra variable the contract owns',
      { extraEnv: [{ name: 'PORT', value: '1' }] },
      'extraEnv.0.name',
      /is not allowed \(got "PORT"\): set by the chart from its environment contract/,
    ],
    [
      'a Service annotation the configuration decides',
      {
        service: {
          annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' },
        },
      },
      'service.annotations.service.beta.kubernetes.io/aws-load-balancer-type',
      /set by the chart from its configuration/,
    ],
  ];

  test.each(rejections)('rejects %s, naming the path', (_, overrides, path, message) => {
    const problems = check(overrides);
    expect(problems.find((p) => p.path === path)?.message).toMatch(message);
  });

  test('the renderer refuses to render invalid values and lists every problem', () => {
    let error: unknown;
    try {
      renderHelmChart(files, {
        release: 'x',
        namespace: 'x',
        values: { replicaCount: 'two', image: { tag: '' } },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValuesError);
    expect((error as ValuesError).problems.map((p) => p.path).sort()).toEqual([
      'image.tag',
      'replicaCount',
    ]);
    // The acceptance evidence: each required rejection with its message.
    const lines = rejections.slice(0, 8).map(
      ([what, overrides]) =>
        `  ${what} → ${check(overrides)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; ')}`,
    );
    console.info(`values.schema.json rejections:\n${lines.join('\n')}`);
  });

  test('agrees with the API’s environment contract on the secrets it accepts', () => {
    const accepted = { DATABASE_URL, SECRET_KEY };
    expect(
      check({ secrets: { databaseUrl: accepted.DATABASE_URL, secretKey: accepted.SECRET_KEY } }),
    ).toEqual([]);
    expect(() => parseApiEnvironment(accepted)).not.toThrow();
    const shortKey = { DATABASE_URL, SECRET_KEY: 'x'.repeat(31) };
    expect(
      check({ secrets: { databaseUrl: DATABASE_URL, secretKey: shortKey.SECRET_KEY } }),
    ).not.toEqual([]);
    expect(() => parseApiEnvironment(shortKey)).toThrow(/SECRET_KEY/);
    const badUrl = { DATABASE_URL: 'mysql://db/fittech', SECRET_KEY };
    expect(
      check({ secrets: { databaseUrl: badUrl.DATABASE_URL, secretKey: SECRET_KEY } }),
    ).not.toEqual([]);
    expect(() => parseApiEnvironment(badUrl)).toThrow(/DATABASE_URL/);
  });
});

describe('values definitions', () => {
  test('coalescing follows Helm: maps merge, scalars and lists replace, null drops a default', () => {
    const defaults = { a: { b: 1, c: 2 }, l: [1, 2], d: 'x', m: { k: 'v' } };
    expect(coalesceValues(defaults, { a: { b: 3 }, l: [9], d: null, m: { k: null } })).toEqual({
      a: { b: 3, c: 2 },
      l: [9],
      m: {},
    });
    // A null for a key the defaults do not have is kept (the schema then names it).
    expect(coalesceValues(defaults, { extra: null, a: { z: null } })).toEqual({
      ...defaults,
      extra: null,
      a: { b: 1, c: 2, z: null },
    });
    // Neither argument is changed.
    expect(defaults).toEqual({ a: { b: 1, c: 2 }, l: [1, 2], d: 'x', m: { k: 'v' } });
  });

  test('every value must be documented, required and closed', () => {
    expect(() =>
      defineValues(Type.Object({ a: Type.String() }, { additionalProperties: false }), { a: '' }),
    ).toThrow(/a: has no description/);
    expect(() =>
      defineValues(Type.Object({ a: Type.String({ description: 'x' }) }), { a: '' }),
    ).toThrow(/\(root\): objects must set additionalProperties: false/);
    expect(() =>
      defineValues(
        Type.Object(
          { a: Type.Optional(Type.String({ description: 'x' })) },
          { additionalProperties: false },
        ),
        {},
      ),
    ).toThrow(/a: must be required/);
  });

  test('defaults must satisfy the schema', () => {
    expect(() =>
      defineValues(
        Type.Object(
          { n: Type.Integer({ description: 'n', minimum: 1 }) },
          { additionalProperties: false },
        ),
        { n: 0 },
      ),
    ).toThrow(/Invalid default values[\s\S]*n: must be >= 1/);
  });
});
