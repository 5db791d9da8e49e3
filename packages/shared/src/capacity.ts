import type { FitTechConfig } from './schema';
import { cpuMillis, memoryMiB } from './quantities';
import { DEFAULTS } from './defaults';

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
  // t3a matches t3 except that a t3a.small attaches 2 ENIs, not 3 (8 pods, not 11).
  family('t3a', { ...t3, small: type(2, 2, 2, 4) });
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

/** kube-reserved memory (MiB) for a node that runs at most `pods` pods: 11 MiB per pod + 255 MiB. */
export function kubeReservedMemoryMiB(pods: number): number {
  return 11 * pods + 255;
}

/** What the scheduler can hand out on one node: capacity minus kube-reserved and the eviction threshold. */
export function allocatable(t: InstanceType): NodeAllocatable {
  const pods = maxPods(t);
  return {
    cpuMillis: t.vcpu * 1000 - kubeReservedCpuMillis(t.vcpu),
    memoryMiB: t.memoryMiB - kubeReservedMemoryMiB(pods) - EVICTION_THRESHOLD_MIB,
    pods,
  };
}

/** What one pod asks the scheduler for. */
export interface PodRequest {
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
export const COREDNS_REPLICAS = 2;

export interface CapacityProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

type Resource = 'pods' | 'cpu' | 'memory';
const RESOURCES: readonly Resource[] = ['pods', 'memory', 'cpu'];
type Room = Record<Resource, number>;
const usage = (p: { cpuMillis: number; memoryMiB: number }): Room => ({
  pods: 1,
  cpu: p.cpuMillis,
  memory: p.memoryMiB,
});

export interface CapacityReport {
  readonly instanceType: string;
  readonly nodes: number;
  readonly perNode: NodeAllocatable;
  /** Requests of one API pod: the api container plus the redis sidecar. */
  readonly apiPod: { readonly cpuMillis: number; readonly memoryMiB: number };
  /** Requests of the migration Job's pod (the API image, with the api container's requests). */
  readonly migrationPod: { readonly cpuMillis: number; readonly memoryMiB: number };
  /** API pods at the peak of a rolling update: replicas + maxSurge. */
  readonly apiPodsNeeded: number;
  /** API pods the nodes hold next to the system pods and the migration Job's pod. */
  readonly apiPodsThatFit: number;
  /** Whether the migration Job's pod finds a node at all. */
  readonly migrationPodFits: boolean;
  /** Whether the whole release fits: every API pod at the peak plus the migration pod. */
  readonly fits: boolean;
  /** The resource that admits the fewest pods: what runs out first. */
  readonly limitedBy: Resource;
  /** Free room on all nodes after the system pods, summed. */
  readonly free: { readonly pods: number; readonly cpuMillis: number; readonly memoryMiB: number };
  /** What the release requests in total (API pods at the peak + the migration pod). */
  readonly demand: {
    readonly pods: number;
    readonly cpuMillis: number;
    readonly memoryMiB: number;
  };
  /** Pods of the release that find no room (0 when it fits). */
  readonly podsShort: number;
}

/** Room left on each node after the system pods: every DaemonSet, and CoreDNS spread over the first nodes. */
function freeRoomPerNode(perNode: NodeAllocatable, nodes: number): Room[] {
  return Array.from({ length: nodes }, (_, n) => {
    const corednsHere =
      Math.floor(COREDNS_REPLICAS / nodes) + (n < COREDNS_REPLICAS % nodes ? 1 : 0);
    const system = [...SYSTEM_DAEMONSETS, ...Array<PodRequest>(corednsHere).fill(COREDNS)];
    return {
      pods: perNode.pods - system.length,
      cpu: perNode.cpuMillis - system.reduce((sum, p) => sum + p.cpuMillis, 0),
      memory: perNode.memoryMiB - system.reduce((sum, p) => sum + p.memoryMiB, 0),
    };
  });
}

/** How many pods of this size fit in the room, counting only `resources`. */
function howMany(room: Room, pod: Room, resources: readonly Resource[]): number {
  return Math.max(
    0,
    Math.min(...resources.map((r) => (pod[r] === 0 ? Infinity : Math.floor(room[r] / pod[r])))),
  );
}

/**
 * Places the migration Job's pod on the node where it costs the fewest API
 * pods, then counts the API pods the nodes still hold.
 */
function place(
  free: readonly Room[],
  api: Room,
  migration: Room,
  resources: readonly Resource[],
): { apiPods: number; migrationPlaced: boolean } {
  const perNode = free.map((room) => howMany(room, api, resources));
  const total = perNode.reduce((a, b) => a + b, 0);
  let best = { apiPods: total, migrationPlaced: false };
  free.forEach((room, n) => {
    if (howMany(room, migration, resources) < 1) return;
    const left: Room = {
      pods: room.pods - migration.pods,
      cpu: room.cpu - migration.cpu,
      memory: room.memory - migration.memory,
    };
    const apiPods = total - perNode[n]! + howMany(left, api, resources);
    if (!best.migrationPlaced || apiPods > best.apiPods) best = { apiPods, migrationPlaced: true };
  });
  return best;
}

/**
 * An autoscaler's maximum when none is given: twice `replicas`, at most
 * DEFAULTS.api.maxReplicas. Every workload chart's `autoscaling.maxReplicas`
 * defaults to it.
 */
export function defaultMaxReplicas(replicas: number): number {
  return Math.min(DEFAULTS.api.maxReplicas, 2 * replicas);
}

/**
 * The HorizontalPodAutoscaler's maximum: `api.maxReplicas`, else
 * {@link defaultMaxReplicas} of `api.replicas`. The chart's
 * `autoscaling.maxReplicas` defaults to it, and the capacity check holds it
 * to `nodeGroup.maxSize` nodes.
 */
export function autoscalingMaxReplicas(c: FitTechConfig): number {
  return c.api.maxReplicas ?? defaultMaxReplicas(c.api.replicas);
}

/**
 * Will the API's release schedule on `nodes` nodes of the instance type
 * (default `nodeGroup.desiredSize`) with `replicas` replicas (default
 * `api.replicas`)? At its peak a release runs replicas + maxSurge API pods
 * (each api + redis sidecar) and the migration Job's pod, next to the system
 * pods on every node. Returns `{ unknownType }` for a type missing from
 * INSTANCE_TYPES.
 */
export function capacityReport(
  c: FitTechConfig,
  instanceType: string = c.nodeGroup.instanceTypes[0]!,
  nodes: number = c.nodeGroup.desiredSize,
  replicas: number = c.api.replicas,
): CapacityReport | { unknownType: string } {
  const spec = INSTANCE_TYPES[instanceType];
  if (!spec) return { unknownType: instanceType };
  const perNode = allocatable(spec);
  const apiPod = {
    cpuMillis: cpuMillis(c.api.resources.requests.cpu) + cpuMillis(c.redis.resources.requests.cpu),
    memoryMiB:
      memoryMiB(c.api.resources.requests.memory) + memoryMiB(c.redis.resources.requests.memory),
  };
  const migrationPod = {
    cpuMillis: cpuMillis(c.api.resources.requests.cpu),
    memoryMiB: memoryMiB(c.api.resources.requests.memory),
  };
  const apiPodsNeeded = replicas + API_ROLLOUT.maxSurge;
  const free = freeRoomPerNode(perNode, nodes);
  const api = usage(apiPod);
  const migration = usage(migrationPod);

  const all = place(free, api, migration, RESOURCES);
  const fits = all.migrationPlaced && all.apiPods >= apiPodsNeeded;
  const podsShort = Math.max(0, apiPodsNeeded - all.apiPods) + (all.migrationPlaced ? 0 : 1);
  // What runs out first: the resource that, on its own, admits the fewest pods
  // (a migration pod without room counts more than any number of API pods).
  const admits = (r: Resource) => {
    const only = place(free, api, migration, [r]);
    return only.migrationPlaced ? only.apiPods : -1;
  };
  const limitedBy = RESOURCES.reduce((a, b) => (admits(b) < admits(a) ? b : a));

  const sum = (r: Resource) => free.reduce((s, room) => s + Math.max(0, room[r]), 0);
  return {
    instanceType,
    nodes,
    perNode,
    apiPod,
    migrationPod,
    apiPodsNeeded,
    apiPodsThatFit: all.apiPods,
    migrationPodFits: all.migrationPlaced,
    fits,
    limitedBy,
    free: { pods: sum('pods'), cpuMillis: sum('cpu'), memoryMiB: sum('memory') },
    demand: {
      pods: apiPodsNeeded + 1,
      cpuMillis: apiPodsNeeded * apiPod.cpuMillis + migrationPod.cpuMillis,
      memoryMiB: apiPodsNeeded * apiPod.memoryMiB + migrationPod.memoryMiB,
    },
    podsShort,
  };
}

/** Known types grouped by family for messages: "t3, t3a (nano, micro, …); m5, m6i, m7i (large, …)". */
function knownTypesList(): string {
  const sizesByFamily = new Map<string, string[]>();
  for (const name of Object.keys(INSTANCE_TYPES)) {
    const [family, size] = name.split('.') as [string, string];
    sizesByFamily.set(family, [...(sizesByFamily.get(family) ?? []), size]);
  }
  const groups = new Map<string, string[]>();
  for (const [family, sizes] of sizesByFamily) {
    const key = sizes.join(', ');
    groups.set(key, [...(groups.get(key) ?? []), family]);
  }
  return [...groups].map(([sizes, families]) => `${families.join(', ')} (${sizes})`).join('; ');
}

/** Smallest node count (up to a sane bound) at which the release fits, if any. */
function nodesNeeded(
  c: FitTechConfig,
  instanceType: string,
  from: number,
  replicas: number,
): number | undefined {
  for (let nodes = from + 1; nodes <= from + replicas + 10; nodes++) {
    const report = capacityReport(c, instanceType, nodes, replicas);
    if (!('unknownType' in report) && report.fits) return nodes;
  }
  return undefined;
}

/** The smallest type of the same family on which the release fits with the same node count. */
function largerTypeThatFits(
  c: FitTechConfig,
  instanceType: string,
  nodes: number,
  replicas: number,
) {
  const family = instanceType.split('.')[0];
  return Object.entries(INSTANCE_TYPES)
    .filter(([name]) => name.split('.')[0] === family && name !== instanceType)
    .sort(([, a], [, b]) => a.vcpu - b.vcpu || a.memoryMiB - b.memoryMiB)
    .map(([name]) => name)
    .find((name) => {
      const report = capacityReport(c, name, nodes, replicas);
      return !('unknownType' in report) && report.fits;
    });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function whatRunsOut(r: CapacityReport): string {
  const spec = INSTANCE_TYPES[r.instanceType]!;
  const { perNode, free, demand } = r;
  const systemPodsPerCluster = SYSTEM_DAEMONSETS.length * r.nodes + COREDNS_REPLICAS;
  const allSystem = [...SYSTEM_DAEMONSETS.map((p) => p.name), COREDNS.name].join(', ');
  const tail = (short: number, unit: string) =>
    short > 0
      ? `${short}${unit} short`
      : 'enough in total, but not on any one node for the pods that are left';
  switch (r.limitedBy) {
    case 'pods':
      return (
        `pod slots run out first: a ${r.instanceType} holds at most ${perNode.pods} pods ` +
        `(VPC CNI limit: ${spec.enis} ENIs × (${spec.ipv4PerEni} IPv4 addresses − 1) + 2), ` +
        `and the system pods (${allSystem}) take ${systemPodsPerCluster} of the ${perNode.pods * r.nodes} slots, ` +
        `leaving ${free.pods} for the ${demand.pods} pods of the release — ${tail(demand.pods - free.pods, '')}`
      );
    case 'memory':
      return (
        `memory runs out first: a ${r.instanceType} has ${perNode.memoryMiB} MiB allocatable ` +
        `(${spec.memoryMiB} MiB − ${kubeReservedMemoryMiB(perNode.pods)} MiB kube-reserved − ${EVICTION_THRESHOLD_MIB} MiB eviction threshold), ` +
        `${free.memoryMiB} MiB on all nodes after the system pods, and the release requests ${demand.memoryMiB} MiB ` +
        `(${r.apiPodsNeeded} × ${r.apiPod.memoryMiB} MiB + ${r.migrationPod.memoryMiB} MiB) — ${tail(demand.memoryMiB - free.memoryMiB, ' MiB')}`
      );
    case 'cpu':
      return (
        `CPU runs out first: a ${r.instanceType} has ${perNode.cpuMillis}m allocatable ` +
        `(${spec.vcpu} vCPU − ${kubeReservedCpuMillis(spec.vcpu)}m kube-reserved), ` +
        `${free.cpuMillis}m on all nodes after the system pods, and the release requests ${demand.cpuMillis}m ` +
        `(${r.apiPodsNeeded} × ${r.apiPod.cpuMillis}m + ${r.migrationPod.cpuMillis}m) — ${tail(demand.cpuMillis - free.cpuMillis, 'm')}`
      );
  }
}

/**
 * A replica count to hold to the node group: the configured replicas on
 * `desiredSize` nodes, or a maximum (the HPA's, or a count given at deploy
 * time) on `maxSize` nodes, as many as the Cluster Autoscaler may add.
 */
export interface ReplicaDemand {
  /** Where the count comes from, the problem's path: `api.maxReplicas`, `--set replicaCount`, … */
  readonly path: string;
  readonly replicas: number;
  /** `desiredSize`: the nodes the group starts with; `maxSize`: the most it may grow to. */
  readonly nodes: 'desiredSize' | 'maxSize';
  /** The count in words, for the message. @default "<replicas> replicas" */
  readonly subject?: string;
}

/** The unknown instance types of the node group, as problems. */
function unknownTypeProblems(c: FitTechConfig): CapacityProblem[] {
  return c.nodeGroup.instanceTypes.flatMap((instanceType, i) =>
    INSTANCE_TYPES[instanceType]
      ? []
      : [
          {
            path: `nodeGroup.instanceTypes[${i}]`,
            value: instanceType,
            message:
              'is not an instance type the capacity check knows, so it cannot tell whether the API fits; ' +
              `use one of ${knownTypesList()} — or add its vCPUs, memory and ENI limits to INSTANCE_TYPES in packages/shared/src/capacity.ts`,
          },
        ],
  );
}

/**
 * Whether `demand.replicas` API pods (plus the surge and the migration Job's
 * pod) fit the node group; a problem with the numbers and the smallest fixes
 * when they do not. The node group may launch any of its instance types, so
 * each one must hold them. Unknown instance types give no answer here (see
 * checkCapacity).
 */
export function checkReplicas(c: FitTechConfig, demand: ReplicaDemand): CapacityProblem[] {
  const nodeCount = c.nodeGroup[demand.nodes];
  const reports = c.nodeGroup.instanceTypes
    .map((type) => capacityReport(c, type, nodeCount, demand.replicas))
    .filter((r): r is CapacityReport => !('unknownType' in r));
  const r = reports.find((report) => !report.fits);
  if (!r) return [];

  const atMax = demand.nodes === 'maxSize';
  const which =
    c.nodeGroup.instanceTypes.length > 1
      ? ` (the node group may launch any of nodeGroup.instanceTypes, so each must fit; ${r.instanceType} does not)`
      : '';
  const fixes: string[] = [];
  const nodes = nodesNeeded(c, r.instanceType, r.nodes, demand.replicas);
  if (nodes !== undefined) {
    fixes.push(
      atMax
        ? `raise nodeGroup.maxSize to ${nodes}`
        : `raise nodeGroup.desiredSize to ${nodes}${nodes > c.nodeGroup.maxSize ? ` (and nodeGroup.maxSize with it)` : ''}`,
    );
  }
  const larger = largerTypeThatFits(c, r.instanceType, r.nodes, demand.replicas);
  if (larger) fixes.push(`use a larger instance type such as ${larger}`);
  // The most replicas these nodes hold: the API pods that fit, less the surge.
  const most = r.migrationPodFits ? r.apiPodsThatFit - API_ROLLOUT.maxSurge : 0;
  fixes.push(
    atMax && most >= 1
      ? `lower ${demand.path} to ${most} (the most these nodes hold) or the containers’ resource requests`
      : `lower ${demand.path} or the containers’ resource requests`,
  );
  const total = r.apiPodsNeeded + 1;
  const subject = demand.subject ?? plural(demand.replicas, 'replica');
  const room = `have room for ${total - r.podsShort === 0 ? 'none' : total - r.podsShort} of these ${total} pods next to the system pods — ${plural(r.podsShort, 'pod')} short`;
  const pods =
    `${plural(r.apiPodsNeeded, 'API pod')} (${subject} + ${API_ROLLOUT.maxSurge} surge during a rolling update; ` +
    `${r.apiPod.cpuMillis}m CPU and ${r.apiPod.memoryMiB} MiB each, api + redis) ` +
    `and the migration Job's pod (${r.migrationPod.cpuMillis}m, ${r.migrationPod.memoryMiB} MiB)`;
  const message = atMax
    ? `does not fit the node group even at nodeGroup.maxSize${which}: at its peak the release runs ${pods}, ` +
      `but ${r.nodes} × ${r.instanceType} (nodeGroup.maxSize: the most nodes the Cluster Autoscaler may add) ${room}. `
    : `does not fit the node group${which}: at its peak a release runs ${pods}, but ${r.nodes} × ${r.instanceType} ${room}. `;
  return [
    {
      path: demand.path,
      value: demand.replicas,
      message: `${message}On these nodes ${whatRunsOut(r)}. To fix it, ${fixes.join(', or ')}`,
    },
  ];
}

/**
 * Problems (empty when the API fits) in the shape of the config's other
 * errors: `api.replicas` must fit `desiredSize` nodes, and the
 * HorizontalPodAutoscaler's maximum (`api.maxReplicas`, the chart's
 * `autoscaling.maxReplicas` default) must fit `maxSize` nodes — each with the
 * rolling update's surge and the migration Job's pod.
 */
export function checkCapacity(c: FitTechConfig): CapacityProblem[] {
  const unknown = unknownTypeProblems(c);
  if (unknown.length > 0) return unknown;
  const maxReplicas = autoscalingMaxReplicas(c);
  return [
    ...checkReplicas(c, { path: 'api.replicas', replicas: c.api.replicas, nodes: 'desiredSize' }),
    ...checkReplicas(c, {
      path: 'api.maxReplicas',
      replicas: maxReplicas,
      nodes: 'maxSize',
      subject: `${plural(maxReplicas, 'replica')} at the autoscaler's maximum${c.api.maxReplicas === undefined ? ', by default 2 × api.replicas,' : ''}`,
    }),
  ];
}
