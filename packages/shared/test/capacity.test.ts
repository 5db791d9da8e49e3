import {
  allocatable,
  autoscalingMaxReplicas,
  capacityReport,
  ConfigError,
  INSTANCE_TYPES,
  kubeReservedCpuMillis,
  maxPods,
  resolveConfig,
  type CapacityReport,
  type ConfigOverrides,
  type Environment,
} from '@fittech/shared';
import project from '../../../fittech.config';

/** Resolves a config and returns the ConfigError it throws (failing the test when there is none). */
function refusal(overrides: ConfigOverrides, env: Environment = 'dev'): ConfigError {
  try {
    resolveConfig({ env, overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

function report(overrides: ConfigOverrides, env: Environment = 'dev'): CapacityReport {
  const config = resolveConfig({ env, overrides });
  const r = capacityReport(config);
  if ('unknownType' in r) throw new Error(`unknown type ${r.unknownType}`);
  return r;
}

const nodes = (instanceType: string, desiredSize: number) => ({
  nodeGroup: { instanceTypes: [instanceType], minSize: 1, desiredSize, maxSize: desiredSize + 2 },
});

describe('per-node numbers', () => {
  it.each([
    ['t3.micro', 4],
    ['t3.small', 11],
    ['t3.medium', 17],
    ['t3.large', 35],
    ['m5.large', 29],
    ['m6i.large', 29],
    // Beyond the table, from the EKS AMI's eni-max-pods list:
    ['t3a.small', 8],
    ['t3.xlarge', 58],
    ['c6i.large', 29],
    ['c6i.4xlarge', 234],
  ])('max pods of %s is %i (ENIs × (IPv4 per ENI − 1) + 2)', (type, pods) => {
    expect(maxPods(INSTANCE_TYPES[type]!)).toBe(pods);
  });

  it('covers the common sizes of the t3, m5/m6i and c6i families', () => {
    for (const family of ['t3', 'm5', 'm6i', 'c6i']) {
      for (const size of ['large', 'xlarge', '2xlarge']) {
        expect(INSTANCE_TYPES).toHaveProperty([`${family}.${size}`]);
      }
    }
    for (const size of ['micro', 'small', 'medium'])
      expect(INSTANCE_TYPES).toHaveProperty([`t3.${size}`]);
  });

  it.each([
    [1, 60],
    [2, 70],
    [4, 80],
    [8, 90],
    [16, 110],
  ])(
    'kube-reserved CPU for %i vCPU is %im (6%%, 1%%, 0.5%% ×2, 0.25%% of the rest)',
    (vcpu, millis) => {
      expect(kubeReservedCpuMillis(vcpu)).toBe(millis);
    },
  );

  it('computes allocatable as capacity − kube-reserved − eviction threshold', () => {
    // t3.micro: 1024 MiB − (11 × 4 + 255) − 100 = 625 MiB; 2000m − 70m = 1930m.
    expect(allocatable(INSTANCE_TYPES['t3.micro']!)).toEqual({
      cpuMillis: 1930,
      memoryMiB: 625,
      pods: 4,
    });
    // t3.large: 8192 − (11 × 35 + 255) − 100 = 7452 MiB.
    expect(allocatable(INSTANCE_TYPES['t3.large']!)).toEqual({
      cpuMillis: 1930,
      memoryMiB: 7452,
      pods: 35,
    });
    // m5.2xlarge: 32768 − (11 × 58 + 255) − 100 = 31775 MiB; 8000m − 90m.
    expect(allocatable(INSTANCE_TYPES['m5.2xlarge']!)).toEqual({
      cpuMillis: 7910,
      memoryMiB: 31775,
      pods: 58,
    });
  });
});

describe('the seed’s failure: three replicas on two t3.micro nodes', () => {
  const error = () => refusal({ ...nodes('t3.micro', 2), api: { replicas: 3 } });

  it('is refused at api.replicas, before anything is written', () => {
    const problems = error().problems.filter((p) => p.path === 'api.replicas');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.value).toBe(3);
    expect(error().message).toMatch(/nothing was written/);
  });

  it('says pod slots run out, with the numbers: 4 pods per node, all 8 taken by system pods, 5 needed', () => {
    const { message } = error().problems[0]!;
    expect(message).toContain('pod slots run out first');
    expect(message).toContain(
      'a t3.micro holds at most 4 pods (VPC CNI limit: 2 ENIs × (2 IPv4 addresses − 1) + 2)',
    );
    expect(message).toContain(
      'take 8 of the 8 slots, leaving 0 for the 5 pods of the release — 5 short',
    );
    expect(message).toContain('4 API pods (3 replicas + 1 surge during a rolling update');
    expect(message).toContain("the migration Job's pod");
  });

  it('says what to change: 7 nodes, or a t3.small, or fewer replicas', () => {
    const { message } = error().problems[0]!;
    expect(message).toContain('raise nodeGroup.desiredSize to 7');
    expect(message).toContain('use a larger instance type such as t3.small');
    expect(message).toContain('lower api.replicas');
  });

  it('accepts exactly the fixes the message proposes', () => {
    // The autoscaler's maximum kept at the replicas: only the fix under test decides.
    expect(() =>
      resolveConfig({
        env: 'dev',
        overrides: { ...nodes('t3.micro', 7), api: { replicas: 3, maxReplicas: 3 } },
      }),
    ).not.toThrow();
    expect(() =>
      resolveConfig({ env: 'dev', overrides: { ...nodes('t3.micro', 6), api: { replicas: 3 } } }),
    ).toThrow(/pod slots/);
    expect(() =>
      resolveConfig({ env: 'dev', overrides: { ...nodes('t3.small', 2), api: { replicas: 3 } } }),
    ).not.toThrow();
  });
});

describe('accepted configurations', () => {
  it('fits three replicas on two t3.large nodes, with room for 21 API pods (CPU-bound)', () => {
    const r = report({ ...nodes('t3.large', 2), api: { replicas: 3 } });
    expect(r.fits).toBe(true);
    expect(r.apiPodsNeeded).toBe(4);
    // Per node 1930m − 225m of system pods = 1705m → 11 pods of 150m; the migration pod (100m) costs one.
    expect(r.apiPodsThatFit).toBe(21);
    expect(r.limitedBy).toBe('cpu');
  });

  it('fits the dev and prod environments of fittech.config.ts', () => {
    for (const env of ['dev', 'prod']) {
      const r = capacityReport(resolveConfig({ project, env }));
      expect('fits' in r && r.fits).toBe(true);
    }
  });

  it('puts both CoreDNS replicas on a single node', () => {
    // t3.medium: 17 slots − 3 DaemonSet pods − 2 CoreDNS = 12 free.
    expect(report(nodes('t3.medium', 1)).free.pods).toBe(12);
    // Two nodes: one CoreDNS each, 13 + 13.
    expect(report(nodes('t3.medium', 2)).free.pods).toBe(26);
  });

  it('draws the line at the last replica that fits: 12 on two t3.small, not 13', () => {
    // 14 free slots; the migration pod takes one → 13 API pods = 12 replicas + 1 surge.
    expect(report({ ...nodes('t3.small', 2), api: { replicas: 12 } }).fits).toBe(true);
    const { message } = refusal({ ...nodes('t3.small', 2), api: { replicas: 13 } }).problems[0]!;
    expect(message).toContain('1 pod short');
    expect(message).toContain('pod slots run out first');
  });
});

describe('refusals by resource', () => {
  it('memory-bound: 1 GiB API requests on two t3.small are 1284 MiB short', () => {
    const api = {
      replicas: 2,
      resources: {
        requests: { cpu: '100m', memory: '1Gi' },
        limits: { cpu: '500m', memory: '1Gi' },
      },
    };
    const { message } = refusal({ ...nodes('t3.small', 2), api }).problems[0]!;
    expect(message).toContain('memory runs out first');
    // 2 × (1572 − 70 CoreDNS) = 3004 MiB free; 3 × (1024 + 64) + 1024 = 4288 MiB requested.
    expect(message).toContain(
      'a t3.small has 1572 MiB allocatable (2048 MiB − 376 MiB kube-reserved − 100 MiB eviction threshold)',
    );
    expect(message).toContain(
      '3004 MiB on all nodes after the system pods, and the release requests 4288 MiB',
    );
    expect(message).toContain('1284 MiB short');
    expect(message).toContain('room for 2 of these 4 pods');
    expect(message).toContain('raise nodeGroup.desiredSize to 4');
    expect(message).toContain('such as t3.medium');
  });

  it('CPU-bound: one-core API requests on two t3.medium are 740m short', () => {
    const api = {
      replicas: 2,
      resources: { requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    };
    const { message } = refusal({ ...nodes('t3.medium', 2), api }).problems[0]!;
    expect(message).toContain('CPU runs out first');
    // 2 × (1930 − 225) = 3410m free; 3 × (1000 + 50) + 1000 = 4150m requested.
    expect(message).toContain('a t3.medium has 1930m allocatable (2 vCPU − 70m kube-reserved)');
    expect(message).toContain(
      '3410m on all nodes after the system pods, and the release requests 4150m',
    );
    expect(message).toContain('740m short');
    // t3.large has the same 2 vCPU, so the suggestion skips to t3.xlarge.
    expect(message).toContain('such as t3.xlarge');
  });

  it('checks every instance type the node group may launch, not only the first', () => {
    const error = refusal({
      nodeGroup: {
        instanceTypes: ['t3.large', 't3.micro'],
        minSize: 1,
        desiredSize: 2,
        maxSize: 3,
      },
      api: { replicas: 3 },
    });
    const problems = error.problems.filter((p) => p.path === 'api.replicas');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('each must fit; t3.micro does not');
  });
});

describe('an unknown instance type', () => {
  it('is a clear error at its index, listing the known types, not a guess', () => {
    const error = refusal({
      nodeGroup: {
        instanceTypes: ['t3.large', 'x2gd.medium'],
        minSize: 1,
        desiredSize: 2,
        maxSize: 3,
      },
    });
    expect(error.problems).toHaveLength(1);
    const [problem] = error.problems;
    expect(problem!.path).toBe('nodeGroup.instanceTypes[1]');
    expect(problem!.value).toBe('x2gd.medium');
    expect(problem!.message).toContain('is not an instance type the capacity check knows');
    expect(problem!.message).toContain(
      't3, t3a (nano, micro, small, medium, large, xlarge, 2xlarge)',
    );
    expect(problem!.message).toContain('c6i');
    expect(problem!.message).toContain('INSTANCE_TYPES');
  });
});

describe('the autoscaler’s maximum must fit nodeGroup.maxSize nodes (issue 15)', () => {
  // dev defaults: 2 replicas on t3.medium nodes, desiredSize 2, maxSize 3.
  const error = () => refusal({ api: { replicas: 2, maxReplicas: 40 } });

  it('refuses api.maxReplicas beyond what maxSize nodes hold, with the numbers', () => {
    const problems = error().problems;
    expect(problems.map((p) => [p.path, p.value])).toEqual([['api.maxReplicas', 40]]);
    const { message } = problems[0]!;
    expect(message).toContain('does not fit the node group even at nodeGroup.maxSize');
    expect(message).toContain(
      "41 API pods (40 replicas at the autoscaler's maximum + 1 surge during a rolling update",
    );
    expect(message).toContain("and the migration Job's pod (100m, 128 MiB)");
    expect(message).toContain(
      '3 × t3.medium (nodeGroup.maxSize: the most nodes the Cluster Autoscaler may add) have room for 34 of these 42 pods',
    );
    expect(message).toContain('CPU runs out first');
    expect(message).toContain('the release requests 6250m (41 × 150m + 100m) — 1035m short');
    expect(message).toContain(
      'raise nodeGroup.maxSize to 4, or use a larger instance type such as t3.xlarge, or lower api.maxReplicas to 32 (the most these nodes hold)',
    );
  });

  it('accepts exactly the fixes it proposes, and not one replica more', () => {
    const ok = (overrides: ConfigOverrides) => () => resolveConfig({ env: 'dev', overrides });
    expect(ok({ api: { replicas: 2, maxReplicas: 32 } })).not.toThrow();
    expect(ok({ api: { replicas: 2, maxReplicas: 33 } })).toThrow(/api\.maxReplicas/);
    expect(ok({ api: { replicas: 2, maxReplicas: 40 }, nodeGroup: { maxSize: 4 } })).not.toThrow();
    expect(
      ok({ api: { replicas: 2, maxReplicas: 40 }, nodeGroup: { instanceTypes: ['t3.xlarge'] } }),
    ).not.toThrow();
  });

  it('checks the chart’s default maximum, 2 × api.replicas, when api.maxReplicas is not set', () => {
    const sized = (replicas: number) => ({
      api: { replicas },
      nodeGroup: { desiredSize: 3, maxSize: 3 },
    });
    expect(() => resolveConfig({ env: 'dev', overrides: sized(16) })).not.toThrow();
    const [problem, ...others] = refusal(sized(17)).problems;
    expect(others).toEqual([]);
    expect(problem!.path).toBe('api.maxReplicas');
    expect(problem!.value).toBe(34);
    expect(problem!.message).toContain(
      "35 API pods (34 replicas at the autoscaler's maximum, by default 2 × api.replicas, + 1 surge",
    );
    // api.replicas itself still fits the 3 nodes it starts with.
    expect(
      resolveConfig({
        env: 'dev',
        overrides: { ...sized(17), api: { replicas: 17, maxReplicas: 17 } },
      }).api.replicas,
    ).toBe(17);
  });

  it('refuses a maximum below api.replicas (the autoscaler’s minimum)', () => {
    expect(refusal({ api: { replicas: 3, maxReplicas: 2 } }).problems).toContainEqual(
      expect.objectContaining({ path: 'api.maxReplicas', value: 2 }),
    );
  });

  it('the committed environments fit: dev up to 4 replicas on 3 t3.medium, prod up to 6 on 6 m6i.large', () => {
    for (const env of ['dev', 'prod']) {
      const config = resolveConfig({ project, env });
      const max = autoscalingMaxReplicas(config);
      const r = capacityReport(config, undefined, config.nodeGroup.maxSize, max);
      expect('fits' in r && r.fits).toBe(true);
    }
  });
});
