import type { FitTechConfig } from './schema';
import { cpuMillis, memoryMiB } from './quantities';

/**
 * Synth-time capacity check: will the API's pods schedule on the node group?
 * The seed's author lost days to pods that would not start on two t3.micro
 * nodes; this check turns that into a synth error with numbers.
 */

/** The rolling-update strategy of the API Deployment (the manifests use exactly this). */
export const API_ROLLOUT = { maxSurge: 1, maxUnavailable: 0 } as const;

export interface InstanceType {
  readonly vcpu: number;
  readonly memoryMiB: number;
  /** Maximum ENIs and IPv4 addresses per ENI (VPC CNI without prefix delegation). */
  readonly enis: number;
  readonly ipv4PerEni: number;
}

const GiB = 1024;
const type = (vcpu: number, memGiB: number, enis: number, ipv4PerEni: number): InstanceType => ({
  vcpu,
  memoryMiB: memGiB * GiB,
  enis,
  ipv4PerEni,
});

/** EC2 instance types the check knows (x86_64; published vCPU, memory and ENI limits). */
export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = (() => {
  const t3 = {
    nano: type(2, 0.5, 2, 2),
    micro: type(2, 1, 2, 2),
    small: type(2, 2, 3, 4),
    medium: type(2, 4, 3, 6),
    large: type(2, 8, 3, 12),
    xlarge: type(4, 16, 4, 15),
    '2xlarge': type(8, 32, 4, 15),
  };
  const m = {
    large: type(2, 8, 3, 10),
    xlarge: type(4, 16, 4, 15),
    '2xlarge': type(8, 32, 4, 15),
    '4xlarge': type(16, 64, 8, 30),
  };
  const c = {
    large: type(2, 4, 3, 10),
    xlarge: type(4, 8, 4, 15),
    '2xlarge': type(8, 16, 4, 15),
    '4xlarge': type(16, 32, 8, 30),
  };
  const table: Record<string, InstanceType> = {};
  const family = (prefix: string, sizes: Record<string, InstanceType>) => {
    for (const [size, spec] of Object.entries(sizes)) table[`${prefix}.${size}`] = spec;
  };
  family('t3', t3);
  family('t3a', t3);
  family('m5', m);
  family('m6i', m);
  family('m7i', m);
  family('c5', c);
  family('c6i', c);
  family('c7i', c);
  return table;
})();

/** Max pods per node by the VPC CNI formula: ENIs × (IPv4 per ENI − 1) + 2. */
export function maxPods(t: InstanceType): number {
  return t.enis * (t.ipv4PerEni - 1) + 2;
}

/** kube-reserved CPU (millicores): 6% of the first core, 1% of the second, 0.5% of cores 3–4, 0.25% of the rest. */
export function kubeReservedCpuMillis(vcpu: number): number {
  let reserved = 0;
  for (let core = 1; core <= vcpu; core++) {
    reserved += core === 1 ? 60 : core === 2 ? 10 : core <= 4 ? 5 : 2.5;
  }
  return reserved;
}

/** The eviction threshold (memory.available) the EKS AMIs set, MiB. */
export const EVICTION_THRESHOLD_MIB = 100;

export interface NodeAllocatable {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly pods: number;
}

export function allocatable(t: InstanceType): NodeAllocatable {
  const pods = maxPods(t);
  return {
    cpuMillis: t.vcpu * 1000 - kubeReservedCpuMillis(t.vcpu),
    memoryMiB: t.memoryMiB - (11 * pods + 255) - EVICTION_THRESHOLD_MIB,
    pods,
  };
}

interface PodRequest {
  readonly name: string;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

/** DaemonSets of the managed addons: one pod on every node (requests from their EKS manifests). */
export const SYSTEM_DAEMONSETS: readonly PodRequest[] = [
  { name: 'aws-node', cpuMillis: 25, memoryMiB: 0 },
  { name: 'kube-proxy', cpuMillis: 100, memoryMiB: 0 },
  { name: 'eks-pod-identity-agent', cpuMillis: 0, memoryMiB: 0 },
];
/** CoreDNS: two replicas per cluster. */
export const COREDNS: PodRequest = { name: 'coredns', cpuMillis: 100, memoryMiB: 70 };

export interface CapacityProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

export interface CapacityReport {
  readonly instanceType: string;
  readonly nodes: number;
  readonly perNode: NodeAllocatable;
  /** API pods (api + redis sidecar) the nodes can hold next to the system pods. */
  readonly apiPodsThatFit: number;
  /** API pods needed at the peak of a rolling update. */
  readonly apiPodsNeeded: number;
  readonly apiPod: { cpuMillis: number; memoryMiB: number };
  /** The resource that first runs out on a node, when the pods do not fit. */
  readonly limitedBy: 'cpu' | 'memory' | 'pods';
}

export function capacityReport(c: FitTechConfig): CapacityReport | { unknownType: string } {
  const instanceType = c.nodeGroup.instanceTypes[0]!;
  const spec = INSTANCE_TYPES[instanceType];
  if (!spec) return { unknownType: instanceType };
  const perNode = allocatable(spec);
  const apiPod = {
    cpuMillis: cpuMillis(c.api.resources.requests.cpu) + cpuMillis(c.redis.resources.requests.cpu),
    memoryMiB:
      memoryMiB(c.api.resources.requests.memory) + memoryMiB(c.redis.resources.requests.memory),
  };
  const nodes = c.nodeGroup.desiredSize;
  // Place the system pods first: every DaemonSet on every node, CoreDNS spread over the first nodes.
  let fit = 0;
  const limits = { cpu: 0, memory: 0, pods: 0 };
  for (let n = 0; n < nodes; n++) {
    const system = [...SYSTEM_DAEMONSETS];
    if (n < 2) system.push(COREDNS);
    if (nodes === 1) system.push(COREDNS);
    const free = {
      cpu: perNode.cpuMillis - system.reduce((s, p) => s + p.cpuMillis, 0),
      memory: perNode.memoryMiB - system.reduce((s, p) => s + p.memoryMiB, 0),
      pods: perNode.pods - system.length,
    };
    const byResource = {
      cpu: Math.floor(Math.max(0, free.cpu) / apiPod.cpuMillis),
      memory: Math.floor(Math.max(0, free.memory) / apiPod.memoryMiB),
      pods: Math.max(0, free.pods),
    };
    const here = Math.min(byResource.cpu, byResource.memory, byResource.pods);
    fit += here;
    for (const k of ['cpu', 'memory', 'pods'] as const) if (byResource[k] === here) limits[k]++;
  }
  const limitedBy = (['pods', 'memory', 'cpu'] as const).reduce((a, b) =>
    limits[b] > limits[a] ? b : a,
  );
  return {
    instanceType,
    nodes,
    perNode,
    apiPodsThatFit: fit,
    apiPodsNeeded: c.api.replicas + API_ROLLOUT.maxSurge,
    apiPod,
    limitedBy,
  };
}

/** Problems (empty when the API fits) in the shape of the config's other errors. */
export function checkCapacity(c: FitTechConfig): CapacityProblem[] {
  const report = capacityReport(c);
  if ('unknownType' in report) {
    return [
      {
        path: 'nodeGroup.instanceTypes[0]',
        value: report.unknownType,
        message: `is not an instance type the capacity check knows; use one of ${Object.keys(INSTANCE_TYPES).join(', ')} (or add its vCPU, memory and ENI limits to INSTANCE_TYPES in @fittech/shared)`,
      },
    ];
  }
  if (report.apiPodsThatFit >= report.apiPodsNeeded) return [];
  const { perNode, apiPod } = report;
  const short = report.apiPodsNeeded - report.apiPodsThatFit;
  const what =
    report.limitedBy === 'pods'
      ? `pod slots: a ${report.instanceType} holds at most ${perNode.pods} pods (VPC CNI ENI limit), and ${SYSTEM_DAEMONSETS.length} per node plus 2 CoreDNS are system pods`
      : report.limitedBy === 'memory'
        ? `memory: a ${report.instanceType} has ${perNode.memoryMiB} MiB allocatable and each API pod requests ${apiPod.memoryMiB} MiB (api + redis)`
        : `CPU: a ${report.instanceType} has ${perNode.cpuMillis}m allocatable and each API pod requests ${apiPod.cpuMillis}m (api + redis)`;
  return [
    {
      path: 'api.replicas',
      value: c.api.replicas,
      message:
        `does not fit the node group: ${report.apiPodsNeeded} API pods (${c.api.replicas} replicas + ${API_ROLLOUT.maxSurge} during a rolling update) ` +
        `need room, but ${report.nodes} × ${report.instanceType} hold only ${report.apiPodsThatFit} — ${short} short, limited by ${what}. ` +
        'Raise nodeGroup.desiredSize, choose a larger nodeGroup.instanceTypes[0], or lower api.replicas or the resource requests',
    },
  ];
}
