import type * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { Kube, KubeObject } from '../chart/kube-object';
import type { HealthTestOptions, MigrationOptions } from './props';
import { containerSecurity, emptyDir, HOOK_POD, resourceRequirements } from './security';

const HOOK_ANNOTATIONS = {
  'helm.sh/hook': 'pre-install,pre-upgrade',
  'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
};

export const HEALTH_TEST_DEFAULTS = { image: 'curlimages/curl:8.11.1', runAsUser: 100 } as const;

/**
 * The migration Job's own ServiceAccount, a hook created before the Job
 * (weight -5): the release's objects do not exist yet on the first install.
 * On EKS a Pod Identity association gives it the one role that may read the
 * database's master secret, which the API's ServiceAccount never gets.
 */
export function migrationServiceAccount(
  scope: Construct,
  id: string,
  p: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
) {
  return new KubeObject(
    scope,
    id,
    Kube.ServiceAccount,
    {
      name: p.name,
      labels: p.labels,
      annotations: { ...HOOK_ANNOTATIONS, 'helm.sh/hook-weight': '-5' },
    },
    () => ({ automountServiceAccountToken: false }),
  );
}

/**
 * The pre-install/pre-upgrade hook Job that migrates the database before the
 * new pods start: the API's image, user and environment (inlined: the
 * ConfigMap does not exist yet on the first install).
 */
export function migrationJob(
  scope: Construct,
  id: string,
  p: {
    readonly options: MigrationOptions;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Its own ServiceAccount (see {@link migrationServiceAccount}). */
    readonly serviceAccountName: string;
    readonly container: Omit<kplus.k8s.Container, 'name' | 'command'>;
    readonly volumes: kplus.k8s.Volume[];
  },
) {
  return new KubeObject(
    scope,
    id,
    Kube.Job,
    {
      name: p.name,
      labels: p.labels,
      annotations: { ...HOOK_ANNOTATIONS, 'helm.sh/hook-weight': '0' },
    },
    () => ({
      spec: {
        backoffLimit: p.options.backoffLimit ?? 1,
        activeDeadlineSeconds: p.options.activeDeadlineSeconds ?? 300,
        template: {
          metadata: { labels: p.labels },
          spec: {
            ...HOOK_POD,
            serviceAccountName: p.serviceAccountName,
            containers: [{ name: 'migrate', command: [...p.options.command], ...p.container }],
            volumes: p.volumes,
          },
        },
      },
    }),
  );
}

/** The `helm test` Pod: curls the health path through the Service from inside the cluster. */
export function healthTestPod(
  scope: Construct,
  id: string,
  p: {
    readonly options: HealthTestOptions;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    /** The URL to call (the Service's name and port, the health path). */
    readonly url: string;
  },
) {
  return new KubeObject(
    scope,
    id,
    Kube.Pod,
    {
      name: p.name,
      labels: p.labels,
      annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation' },
    },
    () => ({
      spec: {
        ...HOOK_POD,
        containers: [
          {
            name: 'health-check',
            image: p.options.image ?? HEALTH_TEST_DEFAULTS.image,
            imagePullPolicy: 'IfNotPresent',
            command: [
              'curl',
              '--fail',
              '--silent',
              '--show-error',
              '--max-time',
              '5',
              '--retry',
              '10',
              '--retry-delay',
              '3',
              '--retry-all-errors',
              p.url,
            ],
            resources: resourceRequirements({
              requests: { cpu: '10m', memory: '16Mi' },
              limits: { cpu: '100m', memory: '32Mi' },
            }),
            securityContext: containerSecurity(
              p.options.runAsUser ?? HEALTH_TEST_DEFAULTS.runAsUser,
            ),
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [emptyDir('tmp')],
      },
    }),
  );
}
