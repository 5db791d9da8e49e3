import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveConfig, type ConfigOverrides, type Environment } from '@fittech/shared';
import project from '../../../fittech.config';
import { AWS_PROVIDER, synthesizeTerraform, TERRAFORM_FILE } from '@fittech/infra';

/*
 * Runs the real `terraform` on the synthesized JSON: `terraform validate`
 * (schema, references, expressions) and `terraform test` with a mocked AWS
 * provider, which plans and applies without AWS so Terraform itself evaluates
 * for_each sets, functions, the password validation and the outputs.
 *
 * There is no network here, so the provider comes from a local plugin mirror
 * (FITTECH_TF_PLUGIN_DIR, default /opt/tf-plugins). When the mirror holds a
 * different hashicorp/aws version than the pinned one, the copy under test
 * has its version constraint rewritten to the mirror's: the suite's name says
 * which version checked the JSON.
 */

const exec = promisify(execFile);
const PLUGIN_DIR = process.env.FITTECH_TF_PLUGIN_DIR ?? '/opt/tf-plugins';
const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;

function findTerraform(): { version?: string; reason?: string } {
  const run = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return { reason: '`terraform` is not on PATH' };
  return { version: JSON.parse(run.stdout).terraform_version as string };
}

function findMirroredAwsProvider(): { version?: string; reason?: string } {
  const dir = join(PLUGIN_DIR, 'registry.terraform.io', 'hashicorp', 'aws');
  const versions = existsSync(dir)
    ? readdirSync(dir).filter((v) => existsSync(join(dir, v, platform)))
    : [];
  if (versions.length === 0) {
    return {
      reason: `no hashicorp/aws provider for ${platform} in the plugin mirror ${PLUGIN_DIR}`,
    };
  }
  const byVersion = (a: string, b: string) =>
    a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
  const pinned = versions.find((v) => v === AWS_PROVIDER.version);
  return { version: pinned ?? versions.sort(byVersion).at(-1)! };
}

const terraform = findTerraform();
const provider = terraform.version ? findMirroredAwsProvider() : {};
const reason = terraform.reason ?? provider.reason;
const describeIfTerraform = reason ? describe.skip : describe;
const suiteName = reason
  ? `terraform validate / terraform test — skipped: ${reason}`
  : `terraform ${terraform.version} validate / test with hashicorp/aws ${provider.version} from ${PLUGIN_DIR}` +
    (provider.version === AWS_PROVIDER.version ? '' : ` (pinned: ${AWS_PROVIDER.version})`);

const ACCOUNT = '123456789012';
const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/fittech-deploy`;
const PLATFORM_ADMIN = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
const DB_HOST = 'fittech.abc123.us-east-1.rds.amazonaws.com';
/** What RDS reports once it manages the master password (a secret RDS names itself). */
const MASTER_SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-AbCdEf`;
const DB_RESOURCE_ID = 'db-ABCDEFGHIJKLMNOPQRSTUVWXY0';
/** The NLB the Service controller made (the alarms find it by its tags). */
const NLB_ARN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/net/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/0123456789abcdef`;

/** Mocks for values only AWS knows; the rest Terraform invents. ARNs and IDs must look real to the provider's validators. */
const MOCK_PROVIDER = `
mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "${ACCOUNT}", arn = "arn:aws:sts::${ACCOUNT}:assumed-role/fittech-deploy/gha" }
  }
  mock_data "aws_iam_session_context" {
    defaults = { issuer_arn = "${DEPLOY_ROLE}" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::${ACCOUNT}:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:${ACCOUNT}:log-group:mock" }
  }
  mock_data "aws_lbs" {
    defaults = { arns = ["${NLB_ARN}"] }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:${ACCOUNT}:mock-alarms" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:${ACCOUNT}:key/mock" }
  }
  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0", latest_version = 1 }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address            = "${DB_HOST}"
      arn                = "arn:aws:rds:us-east-1:${ACCOUNT}:db:mock"
      resource_id        = "${DB_RESOURCE_ID}"
      master_user_secret = [{ secret_arn = "${MASTER_SECRET_ARN}", kms_key_id = "", secret_status = "active" }]
    }
  }
}
`;

interface Case {
  readonly env: Environment;
  readonly overrides: ConfigOverrides;
  /** `run` blocks of the .tftest.hcl file. */
  readonly runs: string;
}

const cases: Record<string, Case> = {
  dev: {
    env: 'dev',
    overrides: {},
    runs: `
run "apply_dev" {
  command = apply
  assert {
    condition     = output.database_url == "postgresql://fittech_app@${DB_HOST}:5432/fittech?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem"
    error_message = "database_url is \${output.database_url}"
  }
  assert {
    condition     = output.db_master_user_secret_arn == "${MASTER_SECRET_ARN}"
    error_message = "db_master_user_secret_arn is \${output.db_master_user_secret_arn}"
  }
  assert {
    condition     = aws_db_instance.database_instance.manage_master_user_password && aws_db_instance.database_instance.iam_database_authentication_enabled
    error_message = "RDS must manage the master password and accept IAM tokens"
  }
  assert {
    condition     = aws_eks_pod_identity_association.database_access_api_association.service_account == "fittech" && aws_eks_pod_identity_association.database_access_migration_association.service_account == "fittech-migrate" && aws_eks_pod_identity_association.cluster_autoscaler_pod_identity_association.service_account == "cluster-autoscaler" && aws_eks_pod_identity_association.cluster_autoscaler_pod_identity_association.namespace == "kube-system"
    error_message = "the Pod Identity associations do not name the chart's and the autoscaler's ServiceAccounts"
  }
  assert {
    condition     = strcontains(one([for q in aws_cloudwatch_metric_alarm.alarms_nlb_no_healthy_host["${NLB_ARN}"].metric_query : q.expression]), "WHERE LoadBalancer = 'net/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/0123456789abcdef'")
    error_message = "the NLB alarm does not query the load balancer data.aws_lbs found"
  }
  assert {
    condition     = output.kubeconfig_command == "aws eks update-kubeconfig --region us-east-1 --name fittech-dev"
    error_message = "kubeconfig_command is \${output.kubeconfig_command}"
  }
  assert {
    condition     = jsonencode(keys(aws_eks_access_entry.eks_admin_access_entry)) == jsonencode(["${DEPLOY_ROLE}"])
    error_message = "the creator should be the only admin: \${jsonencode(keys(aws_eks_access_entry.eks_admin_access_entry))}"
  }
  assert {
    condition     = jsonencode([aws_subnet.network_private_0.availability_zone, aws_subnet.network_private_1.availability_zone]) == jsonencode(["us-east-1a", "us-east-1b"])
    error_message = "private subnets are not in the first two zones"
  }
  assert {
    condition     = aws_eks_access_policy_association.eks_admin_access_policy["${DEPLOY_ROLE}"].principal_arn == "${DEPLOY_ROLE}"
    error_message = "the admin policy is not associated with the creator"
  }
}

`,
  },
  prod: {
    env: 'prod',
    // The deploy role both runs terraform (the mocked caller) and is listed: one entry, not a conflict.
    overrides: {
      cluster: { adminPrincipalArns: [PLATFORM_ADMIN] },
      pipeline: { deployRoleArn: DEPLOY_ROLE },
    },
    runs: `
run "apply_prod" {
  command = apply
  assert {
    condition     = toset(keys(aws_eks_access_entry.eks_admin_access_entry)) == toset(["${DEPLOY_ROLE}", "${PLATFORM_ADMIN}"])
    error_message = "admins are \${jsonencode(keys(aws_eks_access_entry.eks_admin_access_entry))}"
  }
  assert {
    condition     = length(aws_eks_access_policy_association.eks_admin_access_policy) == 2
    error_message = "each admin needs the cluster admin policy"
  }
  assert {
    condition     = aws_route.network_private_nat_route_1.nat_gateway_id == aws_nat_gateway.network_nat_gateway_1.id
    error_message = "prod routes each zone through its own NAT gateway"
  }
  assert {
    condition     = aws_db_instance.database_instance.deletion_protection && aws_db_instance.database_instance.multi_az
    error_message = "the prod database must be protected and Multi-AZ"
  }
}
`,
  },
};

async function terraformIn(dir: string, args: string[], env: NodeJS.ProcessEnv) {
  try {
    return await exec('terraform', args, { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `terraform ${args.join(' ')} failed in ${dir}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`,
    );
  }
}

describeIfTerraform(suiteName, () => {
  let workdir: string;
  const outputs: Record<string, { validate: string; test: string }> = {};

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fittech-terraform-test-'));
    const cliConfig = join(workdir, 'terraformrc');
    writeFileSync(cliConfig, '');
    // No user CLI config, no checkpoint calls, no stray TF_VAR_*: only what the test sets.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('TF_')),
    );
    Object.assign(env, {
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
    });
    await Promise.all(
      Object.entries(cases).map(async ([name, c]) => {
        const dir = join(workdir, name);
        mkdirSync(join(dir, 'tests'), { recursive: true });
        const json = JSON.parse(
          synthesizeTerraform(resolveConfig({ project, env: c.env, overrides: c.overrides }))[
            TERRAFORM_FILE
          ]!,
        );
        json.terraform.required_providers.aws.version = provider.version;
        writeFileSync(join(dir, TERRAFORM_FILE), JSON.stringify(json, null, 2));
        writeFileSync(join(dir, 'tests', 'stack.tftest.hcl'), MOCK_PROVIDER + c.runs);
        await terraformIn(
          dir,
          ['init', '-backend=false', '-input=false', '-no-color', `-plugin-dir=${PLUGIN_DIR}`],
          env,
        );
        const validate = await terraformIn(dir, ['validate', '-no-color'], env);
        const test = await terraformIn(dir, ['test', '-no-color'], env);
        outputs[name] = { validate: validate.stdout, test: test.stdout };
      }),
    );
    // Two stacks initialized, validated and planned by Terraform: minutes on a loaded machine.
  }, 600_000);

  afterAll(() => {
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it.each(Object.keys(cases))('terraform validate accepts the %s stack', (name) => {
    expect(outputs[name]!.validate).toContain('Success! The configuration is valid.');
  });

  it('terraform test (dev): database_url names the application role without a password, RDS manages the master secret, Pod Identity associations, the creator is the one admin, subnets take the first zones, the NLB alarms query the load balancer found by its tags', () => {
    expect(outputs.dev!.test).toMatch(/run "apply_dev"\.\.\. pass/);
  });

  it('terraform test (prod): a deploy role that both applies and is listed gets one access entry; NAT per zone', () => {
    expect(outputs.prod!.test).toMatch(/run "apply_prod"\.\.\. pass/);
    expect(outputs.prod!.test).toMatch(/Success! 1 passed, 0 failed\./);
  });
});
