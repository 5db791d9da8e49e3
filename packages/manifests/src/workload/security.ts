import * as kplus from 'cdk8s-plus-28';

const { Quantity } = kplus.k8s;

/**
 * The "restricted" Pod Security Standard, plus a read-only root filesystem,
 * for every container and pod of the workload.
 */

const RUNTIME_DEFAULT = { type: 'RuntimeDefault' } as const;

/** A container's security context: non-root numeric user, nothing escalates, no capabilities, read-only root. */
export function containerSecurity(uid: number, gid = uid): kplus.k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    capabilities: { drop: ['ALL'] },
    seccompProfile: RUNTIME_DEFAULT,
  };
}

/** The pod's security context. */
export const POD_SECURITY: kplus.k8s.PodSecurityContext = {
  runAsNonRoot: true,
  seccompProfile: RUNTIME_DEFAULT,
};

/** What the hook pods (migration Job, helm test) share: run once, no token, no service links. */
export const HOOK_POD = {
  restartPolicy: 'Never',
  automountServiceAccountToken: false,
  enableServiceLinks: false,
  securityContext: POD_SECURITY,
} as const;

/** A size-capped emptyDir volume. */
export function emptyDir(name: string): kplus.k8s.Volume {
  return { name, emptyDir: { sizeLimit: Quantity.fromString('64Mi') } };
}

/** A volume name for a path: `/var/cache/app` → `var-cache-app`. */
export function volumeName(path: string): string {
  return (
    path
      .replace(/^\/+|\/+$/g, '')
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase() || 'root'
  );
}

/** Requests and limits as the API types write them. */
export function resourceRequirements(r: {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}): kplus.k8s.ResourceRequirements {
  const q = (value: string) => Quantity.fromString(value);
  return {
    requests: { cpu: q(r.requests.cpu), memory: q(r.requests.memory) },
    limits: { cpu: q(r.limits.cpu), memory: q(r.limits.memory) },
  };
}
