import {
  ConfigError,
  deepMerge,
  resolveConfig,
  resourceNames,
  selectorLabels,
  helmFullname,
  helmSuffixedName,
  terminationGracePeriodSeconds,
  defaultImageRepository,
  type ConfigProblem,
} from '@fittech/shared';

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
    const dev = resolveConfig({ env: 'dev' });
    const prod = resolveConfig({ env: 'prod' });
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

  it('rejects an unknown environment', () => {
    expect(() => resolveConfig({ env: 'staging' as 'dev' })).toThrow(/environment: must be one of/);
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
