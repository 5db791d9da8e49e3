import {
  ConfigError,
  deepMerge,
  resolveConfig,
  resourceNames,
  selectorLabels,
  helmFullname,
  imagePinProblem,
  helmSuffixedName,
  terminationGracePeriodSeconds,
  defaultImageRepository,
  type ConfigProblem,
  defineConfig,
  didYouMean,
  readOverridesFile,
  retry,
  RetryError,
  exponentialBackoff,
} from '@fittech/shared';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import project from '../../../fittech.config';

/** Resolves and returns the problems, failing the test if the config was accepted. */
function problemsOf(
  overrides: Record<string, unknown>,
  env: 'dev' | 'prod' = 'dev',
): ConfigProblem[] {
  try {
    resolveConfig({ env, overrides });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe('resolveConfig', () => {
  it('gives the documented defaults for dev', () => {
    const c = resolveConfig();
    expect(c.environment).toBe('dev');
    expect(c.api.port).toBe(8000);
    expect(c.api.metricsPort).toBe(9090);
    expect(c.api.healthPath).toBe('/health');
    expect(c.api.readyPath).toBe('/ready');
    expect(c.service.port).toBe(80);
    expect(c.redis.port).toBe(6379);
    expect(c.database.port).toBe(5432);
    expect(c.database.name).toBe('fittech');
    expect(c.kubernetes).toEqual({ namespace: 'fittech', releaseName: 'fittech' });
    expect(c.cluster.name).toBe('fittech-dev');
  });

  it('makes prod larger and more resilient than dev, with names of the same shape', () => {
    const dev = resolveConfig({ project, env: 'dev' });
    const prod = resolveConfig({ project, env: 'prod' });
    // The committed file: the environments differ in cluster name, sizes and account.
    expect(prod.cluster.name).not.toBe(dev.cluster.name);
    expect(prod.accountId).not.toBe(dev.accountId);
    expect(prod.nodeGroup.instanceTypes).not.toEqual(dev.nodeGroup.instanceTypes);
    expect(prod.api.replicas).toBeGreaterThan(dev.api.replicas);
    expect(prod.database.multiAz).toBe(true);
    expect(dev.database.multiAz).toBe(false);
    expect(prod.database.deletionProtection).toBe(true);
    expect(prod.database.backupRetentionDays).toBeGreaterThanOrEqual(7);
    expect(prod.network.natGateways).toBe('one-per-az');
    expect(dev.network.natGateways).toBe('single');
    // Same derivation: only the environment suffix of the cluster differs.
    expect(resourceNames(prod).deployment).toBe(resourceNames(dev).deployment);
    expect(resourceNames(prod).nodeGroup).toBe('fittech-prod-nodes');
    expect(resourceNames(dev).nodeGroup).toBe('fittech-dev-nodes');
  });

  it('deep-merges overrides over the preset and keeps the rest', () => {
    const c = resolveConfig({
      project,
      env: 'prod',
      overrides: { api: { port: 9000 }, database: { name: 'fit' } },
    });
    expect(c.api.port).toBe(9000);
    expect(c.api.replicas).toBe(3); // from the prod preset
    expect(c.database.name).toBe('fit');
    expect(c.database.multiAz).toBe(true); // from the prod preset
  });

  it('names every bad path with its value and reason, all at once', () => {
    const problems = problemsOf({ api: { port: 70000 }, cluster: { name: 'Not_A_Name' } });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'api.port',
          value: 70000,
          message: expect.stringMatching(/1 and 65535/),
        }),
        expect.objectContaining({
          path: 'cluster.name',
          value: 'Not_A_Name',
          message: expect.stringMatching(/DNS-1123/),
        }),
      ]),
    );
    const message = new ConfigError(problems).message;
    expect(message).toContain('api.port');
    expect(message).toContain('70000');
    expect(message).toContain('"Not_A_Name"');
  });

  it('rejects unknown keys so a typo is not silently ignored', () => {
    expect(problemsOf({ api: { prot: 8080 } })).toEqual([
      expect.objectContaining({
        path: 'api.prot',
        message: expect.stringMatching(/not a known setting/),
      }),
    ]);
  });

  it.each([
    [{ redis: { port: 8000 } }, 'redis.port', /differ from api.port/],
    [{ api: { metricsPort: 8000 } }, 'api.metricsPort', /differ from api.port/],
    [{ redis: { port: 9090 } }, 'redis.port', /differ from api.metricsPort/],
    [{ api: { readyPath: '/health' } }, 'api.readyPath', /differ from api.healthPath/],
    [{ api: { healthPath: 'health' } }, 'api.healthPath', /absolute URL path/],
    [{ nodeGroup: { minSize: 3, desiredSize: 2 } }, 'nodeGroup.minSize', /must not exceed/],
    [{ nodeGroup: { desiredSize: 4, maxSize: 3 } }, 'nodeGroup.desiredSize', /must not exceed/],
    [{ redis: { maxMemoryMiB: 96 } }, 'redis.maxMemoryMiB', /below the sidecar's memory limit/],
    [{ redis: { image: 'redis:latest' } }, 'redis.image', /latest/],
    [{ redis: { image: 'redis' } }, 'redis.image', /pinned/],
    [{ cluster: { version: '1.27' } }, 'cluster.version', /.+/],
    [{ kubernetes: { releaseName: 'a'.repeat(41) } }, 'kubernetes.releaseName', /at most 40/],
    [{ database: { engineVersion: '13.4' } }, 'database.engineVersion', /PostgreSQL 15 or later/],
    [{ database: { username: 'admin' } }, 'database.username', /reserved/],
    [{ network: { vpcCidr: '10.0.0.300/16' } }, 'network.vpcCidr', /.+/],
    [
      {
        api: {
          resources: {
            requests: { cpu: '2', memory: '128Mi' },
            limits: { cpu: '1', memory: '256Mi' },
          },
        },
      },
      'api.resources.requests.cpu',
      /must not exceed the limit/,
    ],
  ])('rejects %j at %s', (overrides, path, message) => {
    expect(problemsOf(overrides)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path, message: expect.stringMatching(message) }),
      ]),
    );
  });

  it('rejects an environment the project does not declare, suggesting the closest', () => {
    expect(() => resolveConfig({ project, env: 'prd' })).toThrow(
      /environment: is not declared in fittech.config.ts; declared: dev, prod; did you mean "prod"\?/,
    );
  });

  it('resolves whatever environments the project declares, common settings first', () => {
    const p = defineConfig({
      region: 'eu-west-1',
      api: { port: 9000 },
      environments: { staging: { api: { replicas: 3 } }, qa: {} },
    });
    const staging = resolveConfig({ project: p, env: 'staging' });
    expect(staging).toMatchObject({
      environment: 'staging',
      region: 'eu-west-1',
      api: { port: 9000, replicas: 3 },
      cluster: { name: 'fittech-staging' },
    });
    expect(resolveConfig({ project: p, env: 'qa' }).api.replicas).toBe(2);
    expect(() => resolveConfig({ project: p, env: 'dev' })).toThrow(/declared: staging, qa/);
  });

  it('refuses `environment` in a layer: it is what --env chooses', () => {
    expect(problemsOf({ environment: 'prod' })[0]).toMatchObject({
      path: 'environment',
      message: expect.stringMatching(/cannot be set/),
    });
  });

  it('suggests the setting a typo meant', () => {
    expect(problemsOf({ api: { prot: 8080 }, redis: { maxMemory: 10 } })).toEqual([
      expect.objectContaining({
        path: 'api.prot',
        message: expect.stringContaining('did you mean "port"?'),
      }),
      expect.objectContaining({
        path: 'redis.maxMemory',
        message: expect.stringContaining('did you mean "maxMemoryMiB"?'),
      }),
    ]);
    expect(didYouMean('zzzz', ['port', 'replicas'])).toBeUndefined();
  });
});

describe('derived names and labels', () => {
  const c = resolveConfig({
    overrides: { kubernetes: { releaseName: 'shop' }, cluster: { name: 'blue' } },
  });
  const names = resourceNames(c);

  it('derives every shared name from the config, without hash suffixes', () => {
    expect(names).toMatchObject({
      cluster: 'blue',
      nodeGroup: 'blue-nodes',
      release: 'shop',
      chart: 'fittech',
      deployment: 'shop-fittech',
      service: 'shop-fittech',
      secret: 'shop-fittech-secrets',
      configMap: 'shop-fittech-config',
      migrationJob: 'shop-fittech-migrate',
      migrationSecret: 'shop-fittech-migrate-secrets',
      testPod: 'shop-fittech-test-health',
      ecrRepository: 'fittech-api',
      dbIdentifier: 'blue-postgres',
    });
  });

  it('selects pods by labels that do not include the version', () => {
    expect(selectorLabels(c)).toEqual({
      'app.kubernetes.io/name': 'fittech',
      'app.kubernetes.io/instance': 'shop',
      'app.kubernetes.io/component': 'api',
    });
  });

  // Helm's naming rule (helm create's "<chart>.fullname"); the chart's _helpers.tpl is held
  // to the same table by real Helm in packages/manifests/test/helm.test.ts.
  it.each([
    ['the release and the chart', { release: 'shop', chart: 'fittech' }, 'shop-fittech'],
    ['a release that contains the chart name', { release: 'fittech', chart: 'fittech' }, 'fittech'],
    [
      'a release that contains it elsewhere',
      { release: 'my-fittech-blue', chart: 'fittech' },
      'my-fittech-blue',
    ],
    ['nameOverride', { release: 'shop', chart: 'fittech', nameOverride: 'gym' }, 'shop-gym'],
    ['fullnameOverride', { release: 'shop', chart: 'fittech', fullnameOverride: 'x' }, 'x'],
    [
      'a long name cut to 63',
      { release: 'r'.repeat(56), chart: 'fittech' },
      `${'r'.repeat(56)}-fittec`,
    ],
    ['a cut that ends in "-"', { release: 'r'.repeat(62), chart: 'fittech' }, 'r'.repeat(62)],
  ])('the full name of %s', (_name, inputs, expected) => {
    expect(helmFullname(inputs)).toBe(expected);
  });

  it('suffixed names keep their whole suffix within 63 characters', () => {
    expect(helmSuffixedName('shop-fittech', 'config')).toBe('shop-fittech-config');
    const long = `${'a'.repeat(55)}-bcdefg`;
    expect(helmSuffixedName(long, 'config')).toBe(`${'a'.repeat(55)}-config`);
    expect(helmSuffixedName('f'.repeat(63), 'migrate-secrets')).toHaveLength(63);
  });

  it('gives the pod time for the preStop sleep and the drain', () => {
    expect(terminationGracePeriodSeconds(c)).toBeGreaterThan(
      c.api.preStopSleepSeconds + c.api.shutdownTimeoutSeconds,
    );
  });

  it('defaults the image to the ECR URL once the account is known', () => {
    expect(defaultImageRepository(c)).toBe('fittech-api');
    expect(defaultImageRepository(resolveConfig({ project, env: 'prod' }))).toBe(
      '444455556666.dkr.ecr.us-east-1.amazonaws.com/fittech-api',
    );
    const withAccount = resolveConfig({
      overrides: { accountId: '123456789012', region: 'eu-west-1' },
    });
    expect(defaultImageRepository(withAccount)).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fittech-api',
    );
  });
});

describe('deepMerge', () => {
  it('merges objects key by key and replaces arrays and scalars', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 1,
      e: 2,
    });
  });
});

describe('overrides files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fittech-overrides-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const errorOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error('expected an error');
  };

  it('reads YAML and JSON, drops the editor $schema key, and locates each key', () => {
    const yaml = readOverridesFile(write('a.yaml', '# comment\napi:\n  port: 9000\n'));
    expect(yaml.data).toEqual({ api: { port: 9000 } });
    expect(yaml.locate(['api', 'port'])).toBe(`${join(dir, 'a.yaml')}:3:3`);
    const json = readOverridesFile(
      write('a.json', '{\n  "$schema": "./x.json",\n  "api": {"port": 1}\n}'),
    );
    expect(json.data).toEqual({ api: { port: 1 } });
    expect(json.locate(['api', 'port'])).toBe(`${join(dir, 'a.json')}:3:11`);
  });

  it.each([
    ['bad-indent.yaml', 'api:\n  port: 9000\n replicas: 2\n', ':3:1', /is not valid YAML/],
    ['tab.yaml', 'api:\n\tport: 9000\n', ':2:1', /is not valid YAML/],
    ['duplicate.yaml', 'api:\n  port: 1\n  port: 2\n', ':3:3', /is not valid YAML/],
    ['comma.json', '{\n  "api": {\n    "port": 80,\n  }\n}\n', ':4:3', /is not valid JSON/],
    ['end.json', '{\n  "api": ', ':2:10', /is not valid JSON/],
  ])('names the line and column of a syntax error (%s)', (name, text, where, message) => {
    const file = write(name, text);
    const error = errorOf(() => readOverridesFile(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`(${file}${where})`);
    expect(error.message).toMatch(message);
  });

  it('the location of a bad value reaches the message', () => {
    const file = write('typo.yaml', 'api:\n  prot: 9000\n');
    const read = readOverridesFile(file);
    const error = errorOf(() =>
      resolveConfig({ overrides: read.data, locate: read.locate, source: file }),
    );
    expect(error.message).toContain(
      `api.prot (${file}:2:3): is not a known setting; did you mean "port"?`,
    );
    expect(error.message).toMatch(
      /^Invalid configuration for env "dev" \(.*typo.yaml\) \(1 problem\):/,
    );
  });
});

describe('retry', () => {
  it('retries with the schedule until it succeeds, and gives up with the last error', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    let calls = 0;
    const value = await retry(
      async () => {
        if (++calls < 3) throw new Error(`not yet ${calls}`);
        return 'done';
      },
      { attempts: 5, delayMs: exponentialBackoff(100, 150), sleep },
    );
    expect([value, calls, waits]).toEqual(['done', 3, [100, 150]]);
    const failed = await retry(
      async () => {
        throw new Error('never');
      },
      { attempts: 2, delayMs: 1, sleep },
    ).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RetryError);
    expect((failed as RetryError).attempts).toBe(2);
  });

  it('stops at the deadline by the injected clock, and refuses an unbounded wait', async () => {
    let now = 0;
    const result = await retry(
      async () => {
        throw new Error('no');
      },
      { timeoutMs: 1000, delayMs: 300, now: () => now, sleep: async (ms) => void (now += ms) },
    ).catch((e: RetryError) => e);
    expect((result as RetryError).attempts).toBe(4);
    await expect(retry(async () => 1, { delayMs: 1 })).rejects.toThrow(/every wait has a bound/);
  });

  it('rethrows at once what retryIf does not retry', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new TypeError('fatal');
        },
        { attempts: 5, delayMs: 1, retryIf: (e) => !(e instanceof TypeError) },
      ),
    ).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });
});
describe('pinned images (one rule for the configuration and the construct)', () => {
  it.each([
    ['redis:7.4.2-alpine', undefined],
    ['registry.example.com:5000/team/redis:7.4.2', undefined],
    [`redis@sha256:${'a'.repeat(64)}`, undefined],
    ['redis', /has neither/],
    ['registry.example.com:5000/redis', /has neither/],
    ['redis:latest', /"latest"/],
  ])('%s', (image, problem) => {
    const found = imagePinProblem(image);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  it('the configuration refuses an unpinned sidecar image with the same words', () => {
    expect(() => resolveConfig({ overrides: { redis: { image: 'redis:latest' } } })).toThrow(
      /redis\.image: must not use the "latest" tag/,
    );
  });
});
