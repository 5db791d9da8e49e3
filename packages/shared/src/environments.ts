import type { Environment, FitTechConfigInput } from './schema';

type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type ConfigOverrides = DeepPartial<FitTechConfigInput>;

/**
 * The named environments. They differ in sizes and resilience, never in the
 * shape of names: every name is derived the same way from `project`,
 * `cluster.name` and `kubernetes.releaseName`.
 */
export const environmentPresets: Record<Environment, FitTechConfigInput> = {
  dev: {
    environment: 'dev',
    cluster: { name: 'fittech-dev' },
    network: { natGateways: 'single' },
    nodeGroup: { instanceTypes: ['t3.medium'], minSize: 1, desiredSize: 2, maxSize: 3 },
    api: { replicas: 2 },
    // The deploy workflow's teardown destroys dev; its images go with it.
    ecr: { forceDelete: true },
    database: {
      instanceClass: 'db.t4g.micro',
      multiAz: false,
      backupRetentionDays: 1,
      deletionProtection: false,
    },
  },
  prod: {
    environment: 'prod',
    cluster: { name: 'fittech-prod', logRetentionDays: 90 },
    network: { natGateways: 'one-per-az' },
    nodeGroup: { instanceTypes: ['m6i.large'], minSize: 2, desiredSize: 3, maxSize: 6 },
    api: { replicas: 3 },
    database: {
      instanceClass: 'db.t4g.small',
      allocatedStorageGiB: 50,
      multiAz: true,
      backupRetentionDays: 14,
      deletionProtection: true,
    },
  },
};
