/**
 * The FitTech platform's configuration: common settings once, then what
 * differs per environment. `pnpm synth --env <name>` and
 * `fittech-deploy <command> --env <name>` read this file; the environments are
 * the keys of `environments`. Every setting not written here takes the
 * documented default of the schema (packages/shared/src/schema.ts, listed in
 * the README). Ad-hoc previews go in a JSON/YAML file given with --config;
 * they never change the committed pipeline.
 */
import { defineConfig } from '@fittech/shared';

export default defineConfig({
  project: 'fittech',
  region: 'us-east-1',
  kubernetes: { namespace: 'fittech', releaseName: 'fittech' },
  pipeline: { terraformVersion: '1.11.4', helmTimeout: '10m' },

  environments: {
    dev: {
      // AWS documentation's example account IDs: put your own here.
      accountId: '111122223333',
      cluster: { name: 'fittech-dev' },
      network: { natGateways: 'single' },
      nodeGroup: { instanceTypes: ['t3.medium'], minSize: 1, desiredSize: 2, maxSize: 3 },
      api: { replicas: 2 },
      // The deploy workflow's teardown destroys dev; its images go with it.
      ecr: { forceDelete: true },
      database: {
        // Development: DATABASE_URL with the master password, read by the deploy CLI from the
        // secret RDS keeps; prod keeps the default, IAM tokens as the least-privilege role.
        auth: 'password',
        instanceClass: 'db.t4g.micro',
        multiAz: false,
        backupRetentionDays: 1,
        deletionProtection: false,
      },
    },
    prod: {
      accountId: '444455556666',
      cluster: { name: 'fittech-prod', logRetentionDays: 90 },
      network: { natGateways: 'one-per-az' },
      nodeGroup: { instanceTypes: ['m6i.large'], minSize: 2, desiredSize: 3, maxSize: 6 },
      api: { replicas: 3 },
      service: {
        // HTTPS at the load balancer (port 443 only: an NLB cannot redirect plain HTTP, so port 80
        // stays closed). AWS documentation's example certificate, name and hosted zone: put yours.
        tls: {
          certificateArn:
            'arn:aws:acm:us-east-1:444455556666:certificate/12345678-1234-1234-1234-123456789012',
        },
        dns: { hostname: 'api.example.com', hostedZoneId: 'Z1R8UBAEXAMPLE' },
      },
      database: {
        instanceClass: 'db.t4g.small',
        allocatedStorageGiB: 50,
        multiAz: true,
        backupRetentionDays: 14,
        deletionProtection: true,
      },
    },
  },
});
