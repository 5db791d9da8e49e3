import {
  publicHealthUrl,
  resourceNames,
  serviceListeners,
  type Environment,
  type FitTechConfig,
} from '@fittech/shared';
import { shellQuote } from '../deploy/command';

/**
 * What the workflow itself needs to know about one environment. Everything
 * else (namespace, release, Deployment, Service, ports, paths) is read from
 * the same config by `fittech-deploy`, which the workflow calls.
 */
export interface DeployTarget {
  readonly environment: Environment;
  readonly region: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  readonly deployment: string;
  readonly service: string;
  /** The Service's first port: the TLS listener's with a certificate, else the plain one. */
  readonly servicePort: number;
  readonly healthPath: string;
  /** The health URL as clients reach it (`<load balancer>` stands for the NLB's hostname). */
  readonly healthUrl: string;
  readonly ecrRepository: string;
  readonly terraformVersion: string;
  /** The role to assume through OIDC, when the config names one. */
  readonly deployRoleArn?: string;
  /** The S3 bucket of the Terraform state; without one the pipeline cannot deploy. */
  readonly stateBucket?: string;
}

export function deployTarget(config: FitTechConfig): DeployTarget {
  const names = resourceNames(config);
  return {
    environment: config.environment,
    region: config.region,
    cluster: names.cluster,
    namespace: names.namespace,
    release: names.release,
    deployment: names.deployment,
    service: names.service,
    servicePort: serviceListeners(config)[0]!.port,
    healthPath: config.api.healthPath,
    healthUrl: publicHealthUrl(config, '<load balancer>'),
    ecrRepository: names.ecrRepository,
    terraformVersion: config.pipeline.terraformVersion,
    ...(config.pipeline.deployRoleArn ? { deployRoleArn: config.pipeline.deployRoleArn } : {}),
    ...(config.state.bucket ? { stateBucket: config.state.bucket } : {}),
  };
}

/** The outputs of the workflow's `target` job, read by the jobs after it. */
export const TARGET_OUTPUTS = [
  'environment',
  'region',
  'ecr-repository',
  'terraform-version',
  'role-arn',
] as const;

function outputLines(target: DeployTarget): string[] {
  const values: Record<(typeof TARGET_OUTPUTS)[number], string> = {
    environment: target.environment,
    region: target.region,
    'ecr-repository': target.ecrRepository,
    'terraform-version': target.terraformVersion,
    'role-arn': target.deployRoleArn ?? '',
  };
  return TARGET_OUTPUTS.map((key) => shellQuote(`${key}=${values[key]}`));
}

function caseBranch(target: DeployTarget): string {
  const env = target.environment;
  const summary =
    `Target ${env}: release ${target.release} (deployment/${target.deployment}, service/${target.service}:${target.servicePort}) ` +
    `in namespace ${target.namespace} on EKS cluster ${target.cluster} in ${target.region}; ` +
    `image ${target.ecrRepository}; health check ${target.healthUrl}`;
  const lines = [
    `  ${env})`,
    `    printf '%s\\n' ${outputLines(target).join(' ')} >> "$GITHUB_OUTPUT"`,
    `    echo ${shellQuote(summary)} >> "$GITHUB_STEP_SUMMARY"`,
  ];
  if (!target.stateBucket) {
    lines.push(
      `    echo ${shellQuote(
        `::error title=No remote Terraform state for ${env}::state.bucket is not set in the ${env} configuration, ` +
          'so Terraform would keep its state on this runner and lose it when the job ends ' +
          '(the next run would try to create everything again, and nothing could be torn down). ' +
          `Set state.bucket (an S3 bucket with versioning) in the ${env} section of fittech.config.ts, run pnpm synth and commit.`,
      )}`,
      '    exit 1',
    );
  }
  lines.push('    ;;');
  return lines.join('\n');
}

/** The target job's script: a `case` over the environment with every value from its config. */
export function targetScript(configs: Readonly<Record<Environment, FitTechConfig>>): string {
  const environments = Object.keys(configs);
  const branches = environments.map((env) => caseBranch(deployTarget(configs[env]!)));
  return [
    'case "$ENVIRONMENT" in',
    ...branches,
    '  *)',
    `    echo "::error::unknown environment \\"$ENVIRONMENT\\" (expected one of: ${environments.join(', ')})"`,
    '    exit 1',
    '    ;;',
    'esac',
    '',
  ].join('\n');
}
