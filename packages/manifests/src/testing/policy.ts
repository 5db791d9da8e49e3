/**
 * Policy checks over rendered objects: the default checks of kube-score and
 * kube-linter that apply to an HTTP workload, plus the Pod Security Standards
 * "restricted" profile, written as plain functions so a test can assert them
 * without either tool installed.
 */

export interface PolicyRule {
  readonly id: string;
  /** The kube-score / kube-linter checks (or standard) it follows. */
  readonly from: string;
  readonly description: string;
}

export const POLICY_RULES: readonly PolicyRule[] = [
  {
    id: 'container-resources',
    from: 'kube-score container-resources; kube-linter unset-cpu-requirements, unset-memory-requirements',
    description: 'every container (init containers too) requests and limits CPU and memory',
  },
  {
    id: 'image-pinned',
    from: 'kube-score container-image-tag; kube-linter latest-tag',
    description: 'every image is pinned to a tag other than "latest" or to a digest',
  },
  {
    id: 'probes',
    from: 'kube-score pod-probes, pod-probes-identical; kube-linter no-liveness-probe, no-readiness-probe',
    description: 'long-running containers have liveness and readiness probes, and they differ',
  },
  {
    id: 'run-as-non-root',
    from: 'kube-linter run-as-non-root; PSS restricted',
    description: 'every container runs as a non-root, non-zero UID',
  },
  {
    id: 'read-only-root-fs',
    from: 'kube-linter no-read-only-root-fs; kube-score container-security-context-readonlyrootfilesystem',
    description: 'every container has a read-only root filesystem',
  },
  {
    id: 'restricted',
    from: 'Pod Security Standards "restricted"',
    description:
      'no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no host namespaces or hostPath',
  },
  {
    id: 'no-service-account-token',
    from: 'kube-linter (access-to-secrets hardening)',
    description: 'pods do not mount a service account token',
  },
  {
    id: 'pod-disruption-budget',
    from: 'kube-score deployment-has-poddisruptionbudget, poddisruptionbudget-has-policy',
    description: 'each Deployment has a PDB that selects its pods and allows a disruption',
  },
  {
    id: 'spread',
    from: 'kube-score deployment-has-host-podantiaffinity; kube-linter no-anti-affinity',
    description:
      'each Deployment spreads its pods over nodes (anti-affinity or topology spread on the hostname)',
  },
  {
    id: 'network-policy',
    from: 'kube-score pod-networkpolicy; kube-linter dangling-networkpolicy',
    description:
      "each Deployment's pods are selected by an ingress NetworkPolicy, and each NetworkPolicy selects pods",
  },
  {
    id: 'service-targets-pod',
    from: 'kube-score service-targets-pod; kube-linter dangling-service',
    description:
      'each Service selects the pods of exactly one workload and targets one of their container ports',
  },
  {
    id: 'selector-matches-template',
    from: 'kube-linter mismatching-selector',
    description: "a Deployment's selector matches its pod template's labels",
  },
  {
    id: 'no-duplicate-env',
    from: 'kube-linter duplicate-env-var',
    description: 'no container sets the same environment variable twice',
  },
  {
    id: 'no-secret-in-env',
    from: 'kube-linter env-var-secret',
    description: 'secret-looking variables come from a Secret, never a literal value',
  },
  {
    id: 'hpa-target',
    from: 'kube-score horizontalpodautoscaler-has-target, deployment-targeted-by-hpa-does-not-have-replicas-configured',
    description: 'an HPA targets an existing Deployment, which then leaves replicas unset',
  },
];

export interface PolicyProblem {
  readonly rule: string;
  /** `Kind/name`. */
  readonly object: string;
  readonly message: string;
}

/** A Kubernetes object (or part of one) as plain JSON, walked without a schema. */
export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface PodOwner {
  readonly object: Obj;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly spec: Obj;
  /** Long-running (Deployment) as opposed to run-to-completion (Job, test Pod). */
  readonly serving: boolean;
}

const id = (o: Obj) => `${String(o.kind)}/${String(o.metadata?.name)}`;

function podOwners(objects: readonly Obj[]): PodOwner[] {
  const owners: PodOwner[] = [];
  for (const o of objects) {
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) && o.spec?.template) {
      owners.push({
        object: o,
        name: id(o),
        labels: o.spec.template.metadata?.labels ?? {},
        spec: o.spec.template.spec ?? {},
        serving: o.kind !== 'Job',
      });
    } else if (o.kind === 'Pod') {
      owners.push({
        object: o,
        name: id(o),
        labels: o.metadata?.labels ?? {},
        spec: o.spec ?? {},
        serving: false,
      });
    }
  }
  return owners;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function imagePinned(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

const SECRET_NAME =
  /(SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|_TOKEN$|^TOKEN$|_KEY$|DATABASE_URL)/i;

/** Records a problem: the rule it breaks, the object (and part) it is in, and what is wrong. */
type Report = (rule: string, object: string, message: string) => void;

/** Every policy problem of a set of objects (empty when they comply). */
export function policyProblems(objects: readonly Obj[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const add: Report = (rule, object, message) => problems.push({ rule, object, message });
  const owners = podOwners(objects);
  for (const owner of owners) podProblems(owner, add);
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    deploymentProblems(d, objects, add);
  }
  for (const h of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = h.spec?.scaleTargetRef ?? {};
    if (!objects.some((o) => o.kind === ref.kind && o.metadata?.name === ref.name))
      add(
        'hpa-target',
        id(h),
        `targets ${String(ref.kind)}/${String(ref.name)}, which does not exist`,
      );
  }
  for (const np of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    if (!owners.some((w) => matches(np.spec?.podSelector?.matchLabels, w.labels)))
      add('network-policy', id(np), 'selects no pods');
  }
  for (const svc of objects.filter((o) => o.kind === 'Service')) serviceProblems(svc, owners, add);
  return problems;
}

/** The pod template's own rules, each of its containers', and the probes of a serving workload. */
function podProblems(owner: PodOwner, add: Report): void {
  const spec = owner.spec;
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC)
    add('restricted', owner.name, 'uses a host namespace');
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath) add('restricted', owner.name, `volume ${volume.name} is a hostPath`);
  }
  if (spec.automountServiceAccountToken !== false)
    add('no-service-account-token', owner.name, 'automountServiceAccountToken is not false');
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    containerProblems(
      c,
      spec.securityContext ?? {},
      `${owner.name} container ${String(c.name)}`,
      add,
    );
  }
  if (owner.serving) probeProblems(owner, add);
}

/** Resources, image, security context (the pod's where the container sets none) and env of one container. */
function containerProblems(c: Obj, podSec: Obj, where: string, add: Report): void {
  const sec = c.securityContext ?? {};
  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      if (!c.resources?.[kind]?.[resource])
        add(
          'container-resources',
          where,
          `has no ${resource} ${kind === 'requests' ? 'request' : 'limit'}`,
        );
    }
  }
  if (!imagePinned(String(c.image ?? '')))
    add('image-pinned', where, `image "${String(c.image)}" is not pinned to a tag or digest`);
  const nonRoot = sec.runAsNonRoot ?? podSec.runAsNonRoot;
  const uid = sec.runAsUser ?? podSec.runAsUser;
  if (nonRoot !== true) add('run-as-non-root', where, 'runAsNonRoot is not true');
  if (uid === 0) add('run-as-non-root', where, 'runs as UID 0');
  if (sec.readOnlyRootFilesystem !== true)
    add('read-only-root-fs', where, 'readOnlyRootFilesystem is not true');
  if (sec.allowPrivilegeEscalation !== false)
    add('restricted', where, 'allowPrivilegeEscalation is not false');
  if (sec.privileged === true) add('restricted', where, 'is privileged');
  if (!(sec.capabilities?.drop ?? []).includes('ALL'))
    add('restricted', where, 'does not drop ALL capabilities');
  const seccomp = sec.seccompProfile?.type ?? podSec.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
    add('restricted', where, 'has no RuntimeDefault seccomp profile');
  const envNames = (c.env ?? []).map((e: Obj) => String(e.name));
  for (const dup of envNames.filter((n: string, i: number) => envNames.indexOf(n) !== i)) {
    add('no-duplicate-env', where, `sets ${dup} more than once`);
  }
  for (const e of c.env ?? []) {
    if (SECRET_NAME.test(String(e.name)) && e.value !== undefined)
      add('no-secret-in-env', where, `${String(e.name)} is a literal value`);
  }
}

/** Long-running containers (sidecars included) of a serving workload are probed, and not twice alike. */
function probeProblems(owner: PodOwner, add: Report): void {
  for (const c of owner.spec.containers ?? []) {
    const where = `${owner.name} container ${String(c.name)}`;
    if (!c.livenessProbe) add('probes', where, 'has no liveness probe');
    if (!c.readinessProbe) add('probes', where, 'has no readiness probe');
    if (
      c.livenessProbe &&
      c.readinessProbe &&
      JSON.stringify(c.livenessProbe) === JSON.stringify(c.readinessProbe)
    ) {
      add('probes', where, 'liveness and readiness probes are identical');
    }
  }
  for (const c of owner.spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always' && !c.livenessProbe)
      add('probes', `${owner.name} sidecar ${String(c.name)}`, 'has no liveness probe');
  }
}

/** A Deployment's selector, disruption budget, spread, network policy and autoscaler. */
function deploymentProblems(d: Obj, objects: readonly Obj[], add: Report): void {
  const labels = d.spec?.template?.metadata?.labels ?? {};
  if (!matches(d.spec?.selector?.matchLabels, labels))
    add('selector-matches-template', id(d), 'selector does not match the pod template labels');
  const pdbs = objects.filter(
    (o) => o.kind === 'PodDisruptionBudget' && matches(o.spec?.selector?.matchLabels, labels),
  );
  if (pdbs.length === 0)
    add('pod-disruption-budget', id(d), 'no PodDisruptionBudget selects its pods');
  for (const pdb of pdbs) {
    const maxUnavailable = pdb.spec?.maxUnavailable;
    const minAvailable = pdb.spec?.minAvailable;
    const replicas = d.spec?.replicas;
    if (
      maxUnavailable === 0 ||
      maxUnavailable === '0%' ||
      (typeof minAvailable === 'number' && typeof replicas === 'number' && minAvailable >= replicas)
    ) {
      add(
        'pod-disruption-budget',
        id(pdb),
        'allows no voluntary disruption: nodes could never be drained',
      );
    }
  }
  if (!spreadsOverNodes(d.spec?.template?.spec ?? {}, labels))
    add('spread', id(d), 'pods are not spread over nodes');
  const policies = objects.filter(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      matches(o.spec?.podSelector?.matchLabels, labels) &&
      (o.spec?.policyTypes ?? []).includes('Ingress'),
  );
  if (policies.length === 0)
    add('network-policy', id(d), 'no ingress NetworkPolicy selects its pods');
  const scaled = objects.some(
    (h) =>
      h.kind === 'HorizontalPodAutoscaler' &&
      h.spec?.scaleTargetRef?.kind === 'Deployment' &&
      h.spec?.scaleTargetRef?.name === d.metadata?.name,
  );
  if (scaled && d.spec?.replicas !== undefined)
    add('hpa-target', id(d), 'sets replicas although an HPA scales it');
}

/** Whether a pod spec spreads pods with these labels over nodes: a topology spread or anti-affinity on the hostname. */
function spreadsOverNodes(podSpec: Obj, labels: Record<string, string>): boolean {
  // A constraint's selector: its matchLabels, plus the pod's own values of its matchLabelKeys
  // (Kubernetes ANDs them; matchLabelKeys needs a labelSelector, which may be empty).
  const spreadSelector = (t: Obj): Record<string, string> | undefined =>
    t.labelSelector === undefined
      ? undefined
      : {
          ...(t.labelSelector.matchLabels ?? {}),
          ...Object.fromEntries(
            ((t.matchLabelKeys ?? []) as string[])
              .filter((k) => k in labels)
              .map((k) => [k, labels[k]]),
          ),
        };
  const spread = (podSpec.topologySpreadConstraints ?? []).some((t: Obj) => {
    const selector = spreadSelector(t);
    return (
      t.topologyKey === 'kubernetes.io/hostname' &&
      selector !== undefined &&
      Object.keys(selector).length > 0 &&
      matches(selector, labels)
    );
  });
  const antiAffinity = podSpec.affinity?.podAntiAffinity;
  const apart = [
    ...(antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
      (p: Obj) => p.podAffinityTerm,
    ),
  ].some(
    (t: Obj) =>
      t?.topologyKey === 'kubernetes.io/hostname' && matches(t.labelSelector?.matchLabels, labels),
  );
  return spread || apart;
}

/** A Service selects the pods of exactly one workload, and each of its ports names one of theirs. */
function serviceProblems(svc: Obj, owners: readonly PodOwner[], add: Report): void {
  const targets = owners.filter((w) => matches(svc.spec?.selector, w.labels));
  if (targets.length !== 1) {
    add(
      'service-targets-pod',
      id(svc),
      `selects the pods of ${targets.length} workloads (${targets.map((t) => t.name).join(', ') || 'none'}); it must select exactly one`,
    );
    return;
  }
  const target = targets[0]!;
  const ports: Obj[] = [
    ...(target.spec.containers ?? []),
    ...(target.spec.initContainers ?? []),
  ].flatMap((c: Obj) => c.ports ?? []);
  for (const p of svc.spec?.ports ?? []) {
    const port = p.targetPort ?? p.port;
    const found = ports.some((cp) =>
      typeof port === 'string' ? cp.name === port : cp.containerPort === port,
    );
    if (!found)
      add(
        'service-targets-pod',
        id(svc),
        `port ${String(p.name ?? p.port)} targets ${String(port)}, which no container of ${target.name} declares`,
      );
  }
}
