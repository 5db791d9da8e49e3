import { tmpdir } from 'node:os';
import { API_IMAGE, ConfigError, resolveConfig, resourceNames } from '@fittech/shared';
import project from '../../../fittech.config';
import {
  ADDONS_AFTER_NODES,
  ADDONS_BEFORE_NODES,
  AWS_PROVIDER,
  CLUSTER_AUTOSCALER_READ_ACTIONS,
  CLUSTER_AUTOSCALER_WRITE_ACTIONS,
  POD_IDENTITY_PRINCIPAL,
  NODE_ROLE_POLICIES,
  synthesizeTerraform,
  TERRAFORM_FILE,
  TERRAFORM_OUTPUTS,
} from '@fittech/infra';
import { ref, TerraformJson } from './terraform-json';

const DEPLOY_ROLE = 'arn:aws:iam::123456789012:role/fittech-deploy';
const PLATFORM_ADMIN = 'arn:aws:iam::123456789012:role/platform-admin';

let dev: TerraformJson;
let prod: TerraformJson;
const devNames = resourceNames(resolveConfig({ project, env: 'dev' }));
const prodNames = resourceNames(resolveConfig({ project, env: 'prod' }));

beforeAll(() => {
  dev = TerraformJson.synth('dev');
  prod = TerraformJson.synth('prod');
});

describe('synthesizeTerraform', () => {
  it('returns one file, main.tf.json, ending in a newline', () => {
    const files = synthesizeTerraform(resolveConfig({ project, env: 'dev' }));
    expect(Object.keys(files)).toEqual([TERRAFORM_FILE]);
    expect(files[TERRAFORM_FILE]!.endsWith('}\n')).toBe(true);
  });

  it('is deterministic: two synths of the same config give identical bytes', () => {
    const again = synthesizeTerraform(resolveConfig({ project, env: 'dev' }))[TERRAFORM_FILE];
    expect(again).toBe(dev.text);
  });

  it('bakes in no machine-specific path, temp directory or stack trace', () => {
    for (const tf of [dev, prod]) {
      expect(tf.text).not.toContain(process.cwd());
      expect(tf.text).not.toContain(tmpdir());
      expect(tf.text).not.toMatch(/stackTrace|fittech-terraform-/);
    }
  });

  it('pins the AWS provider by its full source address and sets the region, the account and default tags', () => {
    expect(dev.json.terraform.required_providers.aws).toEqual(AWS_PROVIDER);
    const config = resolveConfig({ project, env: 'dev' });
    expect(dev.json.provider.aws).toEqual([
      {
        region: 'us-east-1',
        // A plan run with another account's credentials is refused.
        allowed_account_ids: [config.accountId],
        default_tags: [
          { tags: { Project: 'fittech', Environment: 'dev', ManagedBy: 'terraform' } },
        ],
      },
    ]);
    expect(prod.json.provider.aws[0].allowed_account_ids).toEqual([
      resolveConfig({ project, env: 'prod' }).accountId,
    ]);
    // Without an account in the configuration, any account's credentials are accepted.
    const anyAccount = JSON.parse(
      synthesizeTerraform(resolveConfig({ env: 'dev' }))[TERRAFORM_FILE]!,
    ) as { provider: { aws: Record<string, unknown>[] } };
    expect(anyAccount.provider.aws[0]!.allowed_account_ids).toBeUndefined();
  });

  it('does not write the state to an absolute path when no bucket is configured', () => {
    expect(dev.json.terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    expect(dev.json.terraform.required_version).toBeUndefined();
  });
});

describe('state backend', () => {
  it('uses S3 with native locking and encryption when the config names a bucket', () => {
    const tf = TerraformJson.synth('prod', {
      state: { bucket: 'fittech-tfstate' },
      pipeline: { terraformVersion: '1.10.5' },
    });
    expect(tf.json.terraform.backend).toEqual({
      s3: {
        bucket: 'fittech-tfstate',
        key: 'fittech/prod/terraform.tfstate',
        region: 'us-east-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(tf.json.terraform.required_version).toBe('>= 1.10.0');
  });

  it('takes the object key from the config when given', () => {
    const tf = TerraformJson.synth('dev', {
      state: { bucket: 'fittech-tfstate', key: 'teams/api/dev.tfstate' },
      pipeline: { terraformVersion: '1.11.4' },
    });
    expect(tf.json.terraform.backend.s3.key).toBe('teams/api/dev.tfstate');
  });

  it('refuses a pipeline Terraform too old for S3 lock files, naming the setting to change', () => {
    const config = resolveConfig({
      project,
      env: 'dev',
      overrides: { state: { bucket: 'fittech-tfstate' }, pipeline: { terraformVersion: '1.9.8' } },
    });
    expect(() => synthesizeTerraform(config)).toThrow(ConfigError);
    expect(() => synthesizeTerraform(config)).toThrow(
      /pipeline\.terraformVersion: must be 1\.10\.0 or later when state\.bucket is set.*\(got "1\.9\.8"\)/s,
    );
  });
});

describe('network', () => {
  it('creates the VPC from the config CIDR with DNS support for the private EKS endpoint', () => {
    const vpc = TerraformJson.synth('dev', { network: { vpcCidr: '10.20.0.0/16' } }).single(
      'aws_vpc',
    );
    expect(vpc).toMatchObject({
      cidr_block: '10.20.0.0/16',
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it('carves a private /20 and a public /24 per zone, each subnet in its own zone', () => {
    const subnets = dev.resources('aws_subnet');
    expect(Object.keys(subnets).sort()).toEqual([
      'network_private_0',
      'network_private_1',
      'network_public_0',
      'network_public_1',
    ]);
    expect(subnets.network_private_0!.cidr_block).toBe('10.0.0.0/20');
    expect(subnets.network_private_1!.cidr_block).toBe('10.0.16.0/20');
    expect(subnets.network_public_0!.cidr_block).toBe('10.0.48.0/24');
    expect(subnets.network_public_1!.cidr_block).toBe('10.0.49.0/24');
    expect(subnets.network_private_1!.availability_zone).toBe(
      '${element(data.aws_availability_zones.network_zones.names, 1)}',
    );
    expect(subnets.network_public_0!.map_public_ip_on_launch).toBe(false);
  });

  it('tags public subnets for internet-facing load balancers and private ones for internal ones', () => {
    const clusterTag = `kubernetes.io/cluster/${devNames.cluster}`;
    for (const i of [0, 1]) {
      const pub = dev.resource('aws_subnet', `network_public_${i}`).tags;
      const priv = dev.resource('aws_subnet', `network_private_${i}`).tags;
      expect(pub).toMatchObject({ 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared' });
      expect(pub).not.toHaveProperty(['kubernetes.io/role/internal-elb']);
      expect(priv).toMatchObject({
        'kubernetes.io/role/internal-elb': '1',
        [clusterTag]: 'shared',
      });
      expect(priv).not.toHaveProperty(['kubernetes.io/role/elb']);
    }
  });

  it('picks zones that are available, need no opt-in, and can host an EKS control plane', () => {
    expect(dev.data('aws_availability_zones', 'network_zones')).toMatchObject({
      state: 'available',
      exclude_zone_ids: ['use1-az3', 'usw1-az2', 'cac1-az3'],
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
  });

  it('spans three zones when the config asks for three', () => {
    const tf = TerraformJson.synth('prod', { network: { availabilityZones: 3 } });
    expect(Object.keys(tf.resources('aws_subnet'))).toHaveLength(6);
    expect(tf.resource('aws_subnet', 'network_private_2').cidr_block).toBe('10.0.32.0/20');
    expect(Object.keys(tf.resources('aws_nat_gateway'))).toHaveLength(3);
    expect(tf.single('aws_eks_cluster').vpc_config.subnet_ids).toHaveLength(3);
  });

  it('routes public subnets to the internet gateway and private subnets through NAT', () => {
    expect(dev.resource('aws_route', 'network_public_internet_route')).toMatchObject({
      destination_cidr_block: '0.0.0.0/0',
      gateway_id: ref('aws_internet_gateway', 'network_internet_gateway', 'id'),
    });
    for (const i of [0, 1]) {
      expect(dev.resource('aws_route', `network_private_nat_route_${i}`)).toMatchObject({
        destination_cidr_block: '0.0.0.0/0',
        nat_gateway_id: ref('aws_nat_gateway', 'network_nat_gateway_0', 'id'),
      });
      expect(
        dev.resource('aws_route_table_association', `network_private_${i}_route_table_association`),
      ).toEqual(
        expect.objectContaining({
          subnet_id: ref('aws_subnet', `network_private_${i}`, 'id'),
          route_table_id: ref('aws_route_table', `network_private_route_table_${i}`, 'id'),
        }),
      );
    }
  });

  it('places NAT gateways in public subnets with Elastic IPs, after the internet gateway', () => {
    const nat = prod.resource('aws_nat_gateway', 'network_nat_gateway_1');
    expect(nat.subnet_id).toBe(ref('aws_subnet', 'network_public_1', 'id'));
    expect(nat.allocation_id).toBe(ref('aws_eip', 'network_nat_eip_1', 'allocation_id'));
    expect(nat.depends_on).toEqual(['aws_internet_gateway.network_internet_gateway']);
    expect(prod.resource('aws_eip', 'network_nat_eip_1').domain).toBe('vpc');
  });

  it('sends VPC flow logs to an encrypted log group with the configured retention', () => {
    expect(dev.single('aws_flow_log')).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
      log_destination: ref('aws_cloudwatch_log_group', 'network_flow_logs_log_group', 'arn'),
      iam_role_arn: ref('aws_iam_role', 'network_flow_logs_role', 'arn'),
    });
    expect(dev.resource('aws_cloudwatch_log_group', 'network_flow_logs_log_group')).toMatchObject({
      name: `/aws/vpc/${devNames.cluster}/flow-logs`,
      retention_in_days: 30,
      kms_key_id: ref('aws_kms_key', 'encryption_key', 'arn'),
    });
  });

  it('lets only this account’s flow logs assume the flow-log role', () => {
    const trust = dev.data('aws_iam_policy_document', 'network_flow_logs_assume_role').statement[0];
    expect(trust.principals).toEqual([
      {
        type: 'Service',
        identifiers: ['vpc-flow-logs.${data.aws_partition.partition.dns_suffix}'],
      },
    ]);
    expect(trust.condition.map((c: { variable: string }) => c.variable)).toEqual([
      'aws:SourceAccount',
      'aws:SourceArn',
    ]);
  });
});

describe('EKS cluster', () => {
  it('takes its name and Kubernetes version from the config', () => {
    const tf = TerraformJson.synth('dev', { cluster: { version: '1.33' } });
    expect(tf.single('aws_eks_cluster')).toMatchObject({ name: devNames.cluster, version: '1.33' });
  });

  it('authenticates through the EKS API (access entries), not the aws-auth ConfigMap', () => {
    expect(dev.single('aws_eks_cluster').access_config).toEqual({
      authentication_mode: 'API',
      bootstrap_cluster_creator_admin_permissions: false,
    });
  });

  it('grants cluster-admin to the principal running terraform, the deploy role and listed admins, each once', () => {
    const tf = TerraformJson.synth('prod', {
      cluster: { adminPrincipalArns: [PLATFORM_ADMIN, DEPLOY_ROLE] },
      pipeline: { deployRoleArn: DEPLOY_ROLE },
    });
    const entry = tf.single('aws_eks_access_entry');
    expect(entry.for_each).toBe(
      `\${toset(concat([data.aws_iam_session_context.eks_creator.issuer_arn], ["${PLATFORM_ADMIN}", "${DEPLOY_ROLE}"]))}`,
    );
    expect(entry).toMatchObject({ principal_arn: '${each.value}', type: 'STANDARD' });
    expect(tf.data('aws_iam_session_context', 'eks_creator').arn).toBe(
      '${data.aws_caller_identity.caller.arn}',
    );
    expect(tf.single('aws_eks_access_policy_association')).toMatchObject({
      for_each: '${aws_eks_access_entry.eks_admin_access_entry}',
      principal_arn: '${each.value.principal_arn}',
      policy_arn:
        'arn:${data.aws_partition.partition.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
      access_scope: { type: 'cluster' },
    });
  });

  it('keeps the private endpoint on and limits the public one to the configured CIDRs', () => {
    const restricted = TerraformJson.synth('prod', {
      cluster: { publicAccessCidrs: ['203.0.113.0/24'] },
    }).single('aws_eks_cluster').vpc_config;
    expect(restricted).toMatchObject({
      endpoint_private_access: true,
      endpoint_public_access: true,
      public_access_cidrs: ['203.0.113.0/24'],
    });
    const privateOnly = TerraformJson.synth('prod', {
      cluster: { endpointPublicAccess: false },
    }).single('aws_eks_cluster').vpc_config;
    expect(privateOnly).toMatchObject({
      endpoint_private_access: true,
      endpoint_public_access: false,
    });
    expect(privateOnly).not.toHaveProperty('public_access_cidrs');
  });

  it('puts the control plane in the private subnets', () => {
    expect(dev.single('aws_eks_cluster').vpc_config.subnet_ids).toEqual([
      ref('aws_subnet', 'network_private_0', 'id'),
      ref('aws_subnet', 'network_private_1', 'id'),
    ]);
  });

  it('creates its log group first, with retention, so EKS does not create one that never expires', () => {
    const cluster = prod.single('aws_eks_cluster');
    expect(cluster.depends_on).toContain('aws_cloudwatch_log_group.eks_log_group');
    expect(prod.resource('aws_cloudwatch_log_group', 'eks_log_group')).toMatchObject({
      name: `/aws/eks/${prodNames.cluster}/cluster`,
      retention_in_days: 90,
    });
  });

  it('has a cluster role that EKS assumes, with the cluster policy and use of the Secrets key only', () => {
    const role = dev.resource('aws_iam_role', 'eks_cluster_role');
    expect(role.name).toBe(`${devNames.cluster}-cluster`);
    const trust = dev.data('aws_iam_policy_document', 'eks_cluster_assume_role').statement[0];
    expect(trust.principals[0].identifiers).toEqual([
      'eks.${data.aws_partition.partition.dns_suffix}',
    ]);
    expect(
      dev.resource('aws_iam_role_policy_attachment', 'eks_cluster_role_eks_cluster_policy')
        .policy_arn,
    ).toBe('arn:${data.aws_partition.partition.partition}:iam::aws:policy/AmazonEKSClusterPolicy');
    const kms = dev.data('aws_iam_policy_document', 'eks_secrets_encryption_policy').statement[0];
    expect(kms.resources).toEqual([ref('aws_kms_key', 'encryption_key', 'arn')]);
    expect(kms.actions).not.toContain('kms:*');
  });

  it('installs vpc-cni and the Pod Identity agent before the nodes; CoreDNS, kube-proxy and metrics-server after them', () => {
    expect(ADDONS_AFTER_NODES).toContain('metrics-server');
    const addons = dev.resources('aws_eks_addon');
    expect(
      Object.values(addons)
        .map((a) => a.addon_name)
        .sort(),
    ).toEqual([...ADDONS_BEFORE_NODES, ...ADDONS_AFTER_NODES].sort());
    // EKS's own bootstrap copies keep kube-proxy running while nodes join; the addons adopt them.
    expect(dev.single('aws_eks_cluster').bootstrap_self_managed_addons).toBe(true);
    for (const addon of Object.values(addons)) {
      expect(addon).toMatchObject({
        cluster_name: ref('aws_eks_cluster', 'eks_cluster', 'name'),
        resolve_conflicts_on_create: 'OVERWRITE',
      });
    }
    const nodeGroupDeps = dev.single('aws_eks_node_group').depends_on;
    for (const name of ADDONS_BEFORE_NODES) {
      const [id, addon] = Object.entries(addons).find(([, a]) => a.addon_name === name)!;
      expect(nodeGroupDeps).toContain(`aws_eks_addon.${id}`);
      expect(addon.depends_on).toBeUndefined();
    }
    for (const name of ADDONS_AFTER_NODES) {
      const addon = Object.values(addons).find((a) => a.addon_name === name)!;
      expect(addon.depends_on).toEqual(['aws_eks_node_group.nodes_node_group']);
    }
  });
});

describe('managed node group', () => {
  it('runs the configured instance types and sizes in the private subnets', () => {
    expect(prod.single('aws_eks_node_group')).toMatchObject({
      node_group_name: prodNames.nodeGroup,
      cluster_name: ref('aws_eks_cluster', 'eks_cluster', 'name'),
      instance_types: ['m6i.large'],
      capacity_type: 'ON_DEMAND',
      ami_type: 'AL2023_x86_64_STANDARD',
      scaling_config: { min_size: 2, desired_size: 3, max_size: 6 },
      update_config: { max_unavailable: 1 },
      subnet_ids: [
        ref('aws_subnet', 'network_private_0', 'id'),
        ref('aws_subnet', 'network_private_1', 'id'),
      ],
    });
  });

  it('follows the launch template’s latest version and the cluster’s Kubernetes version', () => {
    expect(dev.single('aws_eks_node_group')).toMatchObject({
      launch_template: {
        id: ref('aws_launch_template', 'nodes_launch_template', 'id'),
        version: ref('aws_launch_template', 'nodes_launch_template', 'latest_version'),
      },
      version: ref('aws_eks_cluster', 'eks_cluster', 'version'),
    });
  });

  it('starts only after the node role policies and the NAT routes exist', () => {
    const deps = dev.single('aws_eks_node_group').depends_on;
    for (const policy of NODE_ROLE_POLICIES) {
      expect(deps).toContain(`aws_iam_role_policy_attachment.nodes_node_role_${policy}`);
    }
    expect(deps).toEqual(
      expect.arrayContaining([
        'aws_route.network_private_nat_route_0',
        'aws_route.network_private_nat_route_1',
      ]),
    );
  });

  it('gives the node role exactly the worker, CNI and ECR read-only policies', () => {
    const attached = Object.values(dev.resources('aws_iam_role_policy_attachment'))
      .filter((a) => a.role === ref('aws_iam_role', 'nodes_node_role', 'name'))
      .map((a) => a.policy_arn)
      .sort();
    expect(attached).toEqual(
      [
        'AmazonEC2ContainerRegistryReadOnly',
        'AmazonEKSWorkerNodePolicy',
        'AmazonEKS_CNI_Policy',
      ].map((p) => `arn:\${data.aws_partition.partition.partition}:iam::aws:policy/${p}`),
    );
    const inline = Object.values(dev.resources('aws_iam_role_policy')).filter(
      (p) => p.role === ref('aws_iam_role', 'nodes_node_role', 'id'),
    );
    expect(inline).toEqual([]);
    const trust = dev.data('aws_iam_policy_document', 'nodes_node_assume_role').statement[0];
    expect(trust.principals[0].identifiers).toEqual([
      'ec2.${data.aws_partition.partition.dns_suffix}',
    ]);
  });

  it('launches nodes with an encrypted gp3 root volume of the configured size', () => {
    const tf = TerraformJson.synth('dev', { nodeGroup: { diskSizeGiB: 50 } });
    expect(tf.single('aws_launch_template').block_device_mappings).toEqual([
      {
        device_name: '/dev/xvda',
        ebs: {
          volume_size: 50,
          volume_type: 'gp3',
          encrypted: 'true',
          delete_on_termination: 'true',
        },
      },
    ]);
  });

  it('names no AMI, instance type or security group in the launch template (EKS manages them)', () => {
    const lt = dev.single('aws_launch_template');
    expect(lt).not.toHaveProperty('image_id');
    expect(lt).not.toHaveProperty('instance_type');
    expect(lt).not.toHaveProperty('vpc_security_group_ids');
    expect(lt).not.toHaveProperty('iam_instance_profile');
  });
});

describe('RDS PostgreSQL', () => {
  it('takes identifier, engine version, class, storage, database and user from the config', () => {
    expect(prod.single('aws_db_instance')).toMatchObject({
      identifier: prodNames.dbIdentifier,
      engine: 'postgres',
      engine_version: '16.6',
      instance_class: 'db.t4g.small',
      allocated_storage: 50,
      storage_type: 'gp3',
      db_name: 'fittech',
      username: 'fittech',
      port: 5432,
    });
  });

  it('has RDS manage the master password and accepts IAM tokens; no password variable exists', () => {
    for (const tf of [dev, prod]) {
      const db = tf.single('aws_db_instance');
      expect(db).toMatchObject({
        manage_master_user_password: true,
        iam_database_authentication_enabled: true,
      });
      expect(db).not.toHaveProperty('password');
      expect(db).not.toHaveProperty('password_wo');
      expect(tf.json.variable ?? {}).toEqual({});
      expect(tf.text).not.toMatch(/db_password|var\.[a-z_]*password/);
    }
  });

  it('lives in a subnet group of the private subnets', () => {
    expect(dev.single('aws_db_subnet_group')).toMatchObject({
      name: devNames.dbIdentifier,
      subnet_ids: [
        ref('aws_subnet', 'network_private_0', 'id'),
        ref('aws_subnet', 'network_private_1', 'id'),
      ],
    });
    expect(dev.single('aws_db_instance').db_subnet_group_name).toBe(
      ref('aws_db_subnet_group', 'database_subnet_group', 'name'),
    );
  });

  it('admits only the database port, only from the EKS cluster security group the nodes carry', () => {
    const tf = TerraformJson.synth('dev', { database: { port: 6543 } });
    const rules = Object.values(tf.resources('aws_vpc_security_group_ingress_rule'));
    expect(rules).toEqual([
      expect.objectContaining({
        security_group_id: ref('aws_security_group', 'database_security_group', 'id'),
        ip_protocol: 'tcp',
        from_port: 6543,
        to_port: 6543,
        referenced_security_group_id: ref(
          'aws_eks_cluster',
          'eks_cluster',
          'vpc_config[0].cluster_security_group_id',
        ),
      }),
    ]);
    expect(rules[0]).not.toHaveProperty('cidr_ipv4');
    const sg = tf.single('aws_security_group');
    expect(sg).not.toHaveProperty('ingress');
    expect(sg).not.toHaveProperty('egress');
    expect(tf.single('aws_db_instance')).toMatchObject({
      port: 6543,
      vpc_security_group_ids: [ref('aws_security_group', 'database_security_group', 'id')],
    });
  });

  it('forces TLS with a parameter group of the engine’s major version', () => {
    expect(dev.single('aws_db_parameter_group')).toMatchObject({
      family: 'postgres16',
      name: `${devNames.dbIdentifier}-postgres16`,
      parameter: [{ name: 'rds.force_ssl', value: '1' }],
      lifecycle: { create_before_destroy: true },
    });
    const pg17 = TerraformJson.synth('dev', { database: { engineVersion: '17' } });
    expect(pg17.single('aws_db_parameter_group').family).toBe('postgres17');
  });

  it('turns automatic minor upgrades on only when the config names a major version alone', () => {
    expect(dev.single('aws_db_instance').auto_minor_version_upgrade).toBe(false);
    const major = TerraformJson.synth('dev', { database: { engineVersion: '16' } });
    expect(major.single('aws_db_instance').auto_minor_version_upgrade).toBe(true);
  });

  it('exports its logs to log groups created first, with retention', () => {
    const db = prod.single('aws_db_instance');
    expect(db.enabled_cloudwatch_logs_exports).toEqual(['postgresql', 'upgrade']);
    for (const log of ['postgresql', 'upgrade']) {
      expect(db.depends_on).toContain(`aws_cloudwatch_log_group.database_log_group_${log}`);
      expect(prod.resource('aws_cloudwatch_log_group', `database_log_group_${log}`)).toMatchObject({
        name: `/aws/rds/instance/${prodNames.dbIdentifier}/${log}`,
        retention_in_days: 90,
      });
    }
  });
});

describe('ECR', () => {
  it('names the repository from the config and keeps the last N images', () => {
    const tf = TerraformJson.synth('dev', {
      ecr: { repositoryName: 'team/fittech-api', keepLastImages: 12 },
    });
    expect(tf.single('aws_ecr_repository').name).toBe('team/fittech-api');
    const lifecycle = tf.single('aws_ecr_lifecycle_policy');
    expect(lifecycle.repository).toBe(ref('aws_ecr_repository', 'registry_repository', 'name'));
    expect(JSON.parse(lifecycle.policy).rules).toEqual([
      expect.objectContaining({
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 12 },
        action: { type: 'expire' },
      }),
    ]);
    expect(dev.single('aws_ecr_repository').name).toBe(devNames.ecrRepository);
  });

  it('encrypts images with KMS', () => {
    expect(dev.single('aws_ecr_repository').encryption_configuration).toEqual([
      { encryption_type: 'KMS' },
    ]);
  });
});

describe('KMS key', () => {
  it('rotates, and lets CloudWatch Logs use it only for this environment’s log groups', () => {
    // The environment's key (the alarm topic has a key of its own: test/alarms.test.ts).
    expect(dev.resource('aws_kms_key', 'encryption_key')).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      policy: '${data.aws_iam_policy_document.encryption_policy.json}',
    });
    const [admin, logs] = dev.data('aws_iam_policy_document', 'encryption_policy').statement;
    expect(admin.principals[0].identifiers).toEqual([
      'arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.caller.account_id}:root',
    ]);
    const arns: string[] = logs.condition[0].values;
    expect(arns.map((a) => a.split(':log-group:')[1])).toEqual([
      `/aws/eks/${devNames.cluster}/cluster`,
      `/aws/vpc/${devNames.cluster}/flow-logs`,
      `/aws/rds/instance/${devNames.dbIdentifier}/postgresql`,
      `/aws/rds/instance/${devNames.dbIdentifier}/upgrade`,
    ]);
    // Every log group the stack creates is encrypted with this key.
    for (const group of Object.values(dev.resources('aws_cloudwatch_log_group'))) {
      expect(arns.some((a) => a.endsWith(`:log-group:${group.name}`))).toBe(true);
      expect(group.kms_key_id).toBe(ref('aws_kms_key', 'encryption_key', 'arn'));
    }
  });
});

describe('outputs', () => {
  it('has exactly the outputs the pipeline reads, each described', () => {
    expect(Object.keys(dev.json.output).sort()).toEqual(Object.values(TERRAFORM_OUTPUTS).sort());
    for (const output of Object.values(dev.json.output) as { description?: string }[]) {
      expect(output.description).toMatch(/\S/);
    }
  });

  it('gives the cluster, region, registry and database coordinates', () => {
    const out = dev.json.output;
    expect(out.cluster_name.value).toBe(ref('aws_eks_cluster', 'eks_cluster', 'name'));
    expect(out.cluster_endpoint.value).toBe(ref('aws_eks_cluster', 'eks_cluster', 'endpoint'));
    expect(out.region.value).toBe('us-east-1');
    expect(out.ecr_repository_url.value).toBe(
      ref('aws_ecr_repository', 'registry_repository', 'repository_url'),
    );
    expect(out.db_endpoint.value).toBe(ref('aws_db_instance', 'database_instance', 'address'));
    expect(out.db_port.value).toBe(ref('aws_db_instance', 'database_instance', 'port'));
    expect(out.kubeconfig_command.value).toBe(
      `aws eks update-kubeconfig --region us-east-1 --name ${ref('aws_eks_cluster', 'eks_cluster', 'name')}`,
    );
  });

  it('renders database_url as the application role, without a password, in the form the API accepts', () => {
    const tf = TerraformJson.synth('prod', {
      region: 'eu-west-1',
      // Prod's certificate must move with the region (an NLB uses certificates of its region).
      service: {
        tls: {
          certificateArn:
            'arn:aws:acm:eu-west-1:444455556666:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        },
      },
      database: { port: 6432, name: 'fit_db', username: 'fit_app', sslMode: 'verify-ca' },
    });
    const url = tf.json.output.database_url;
    expect(url.sensitive).toBeFalsy();
    expect(url.value).toBe(
      'postgresql://fit_app_app' +
        '@${aws_db_instance.database_instance.address}:${aws_db_instance.database_instance.port}' +
        `/fit_db?sslmode=verify-ca&sslrootcert=${API_IMAGE.rdsCaBundlePath}`,
    );
    expect(tf.json.output.region.value).toBe('eu-west-1');
    expect(tf.json.output.db_master_user_secret_arn.value).toBe(
      '${aws_db_instance.database_instance.master_user_secret[0].secret_arn}',
    );
    for (const output of Object.values(tf.json.output) as { sensitive?: boolean }[]) {
      expect(output.sensitive).toBeFalsy();
    }
  });
});

describe("EKS Pod Identity: the pods' AWS roles", () => {
  const trust = (tf: TerraformJson, id: string) =>
    tf.data('aws_iam_policy_document', id).statement as Record<string, unknown>[];

  it.each([
    ['the API', 'database_access_api', () => devNames.serviceAccount, () => devNames.namespace],
    [
      'the migration Job',
      'database_access_migration',
      () => devNames.migrationServiceAccount,
      () => devNames.namespace,
    ],
    [
      'the Cluster Autoscaler',
      'cluster_autoscaler_pod_identity',
      () => 'cluster-autoscaler',
      () => 'kube-system',
    ],
  ])(
    '%s: a role only pods.eks.amazonaws.com may assume, associated with its ServiceAccount',
    (_what, id, sa, ns) => {
      const association = dev.resource('aws_eks_pod_identity_association', `${id}_association`);
      expect(association).toMatchObject({
        cluster_name: ref('aws_eks_cluster', 'eks_cluster', 'name'),
        namespace: ns(),
        service_account: sa(),
        role_arn: ref('aws_iam_role', `${id}_role`, 'arn'),
      });
      expect(trust(dev, `${id}_trust`)).toEqual([
        {
          sid: 'EksPodIdentity',
          effect: 'Allow',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          principals: [{ type: 'Service', identifiers: [POD_IDENTITY_PRINCIPAL] }],
        },
      ]);
      expect(dev.resource('aws_iam_role_policy', `${id}_policy`).role).toBe(
        ref('aws_iam_role', `${id}_role`, 'id'),
      );
    },
  );

  it('the API may only rds-db:connect as the application role', () => {
    expect(trust(dev, 'database_access_api_permissions')).toEqual([
      {
        sid: 'ConnectAsApplicationRole',
        effect: 'Allow',
        actions: ['rds-db:connect'],
        resources: [
          'arn:${data.aws_partition.partition.partition}:rds-db:us-east-1:${data.aws_caller_identity.caller.account_id}:dbuser:' +
            `\${aws_db_instance.database_instance.resource_id}/${devNames.dbAppRole}`,
        ],
      },
    ]);
  });

  it('the migration Job may only describe this instance and read its master secret', () => {
    expect(trust(dev, 'database_access_migration_permissions')).toEqual([
      {
        sid: 'FindTheInstance',
        effect: 'Allow',
        actions: ['rds:DescribeDBInstances'],
        resources: [ref('aws_db_instance', 'database_instance', 'arn')],
      },
      {
        sid: 'ReadTheMasterSecret',
        effect: 'Allow',
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['${aws_db_instance.database_instance.master_user_secret[0].secret_arn}'],
      },
    ]);
  });

  it("the Cluster Autoscaler reads everywhere but resizes only this cluster's tagged node groups", () => {
    const [read, write] = trust(prod, 'cluster_autoscaler_pod_identity_permissions');
    expect(read).toMatchObject({ actions: [...CLUSTER_AUTOSCALER_READ_ACTIONS], resources: ['*'] });
    expect(write).toEqual({
      sid: 'ResizeOwnNodeGroups',
      effect: 'Allow',
      actions: [...CLUSTER_AUTOSCALER_WRITE_ACTIONS],
      resources: ['*'],
      condition: [
        {
          test: 'StringEquals',
          variable: `aws:ResourceTag/k8s.io/cluster-autoscaler/${prodNames.cluster}`,
          values: ['owned'],
        },
      ],
    });
    expect(prod.resource('aws_iam_role', 'cluster_autoscaler_pod_identity_role').name).toBe(
      `${prodNames.cluster}-cluster-autoscaler`,
    );
  });
});

describe('dev and prod differ in sizes and resilience, not in shape', () => {
  it('has one NAT gateway in dev and one per zone in prod', () => {
    expect(Object.keys(dev.resources('aws_nat_gateway'))).toEqual(['network_nat_gateway_0']);
    expect(Object.keys(prod.resources('aws_nat_gateway')).sort()).toEqual([
      'network_nat_gateway_0',
      'network_nat_gateway_1',
    ]);
    expect(prod.resource('aws_route', 'network_private_nat_route_1').nat_gateway_id).toBe(
      ref('aws_nat_gateway', 'network_nat_gateway_1', 'id'),
    );
  });

  it('protects, replicates and backs up the prod database; dev is disposable', () => {
    expect(prod.single('aws_db_instance')).toMatchObject({
      deletion_protection: true,
      multi_az: true,
      backup_retention_period: 14,
      skip_final_snapshot: false,
      final_snapshot_identifier: `${prodNames.dbIdentifier}-final`,
    });
    expect(dev.single('aws_db_instance')).toMatchObject({
      deletion_protection: false,
      multi_az: false,
      backup_retention_period: 1,
      skip_final_snapshot: true,
    });
    expect(dev.single('aws_db_instance')).not.toHaveProperty('final_snapshot_identifier');
  });

  it('lets the dev teardown delete the ECR repository with its images; prod keeps them', () => {
    expect(dev.single('aws_ecr_repository').force_delete).toBe(true);
    expect(prod.single('aws_ecr_repository').force_delete).toBe(false);
  });

  it('keeps logs longer in prod', () => {
    expect(dev.resource('aws_cloudwatch_log_group', 'eks_log_group').retention_in_days).toBe(30);
    expect(prod.resource('aws_cloudwatch_log_group', 'eks_log_group').retention_in_days).toBe(90);
  });

  it('derives every name the same way, from the cluster name and project', () => {
    for (const [tf, names] of [
      [dev, devNames],
      [prod, prodNames],
    ] as const) {
      expect(tf.single('aws_eks_cluster').name).toBe(names.cluster);
      expect(tf.single('aws_eks_node_group').node_group_name).toBe(names.nodeGroup);
      expect(tf.single('aws_db_instance').identifier).toBe(names.dbIdentifier);
      expect(tf.single('aws_ecr_repository').name).toBe(names.ecrRepository);
    }
    const devTypes = dev.resourceCounts();
    const prodTypes = prod.resourceCounts();
    expect(Object.keys(prodTypes).sort()).toEqual(Object.keys(devTypes).sort());
  });

  it('follows a renamed cluster everywhere it appears', () => {
    const tf = TerraformJson.synth('dev', { cluster: { name: 'gym-staging' } });
    expect(tf.single('aws_eks_cluster').name).toBe('gym-staging');
    expect(tf.single('aws_eks_node_group').node_group_name).toBe('gym-staging-nodes');
    expect(tf.single('aws_db_instance').identifier).toBe('gym-staging-postgres');
    expect(tf.resource('aws_subnet', 'network_public_0').tags).toHaveProperty(
      ['kubernetes.io/cluster/gym-staging'],
      'shared',
    );
    expect(tf.text).not.toContain('fittech-dev');
  });
});

describe('HTTPS lives in the chart and the deploy CLI, not in Terraform', () => {
  it('a certificate, hostname and hosted zone change no byte of the Terraform', () => {
    const https = {
      service: {
        tls: {
          certificateArn:
            'arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        },
        dns: { hostname: 'dev.example.com', hostedZoneId: 'Z1R8UBAEXAMPLE' },
      },
    };
    expect(TerraformJson.synth('dev', https).text).toBe(TerraformJson.synth('dev').text);
  });

  it('no Route 53 record or ACM resource: the NLB exists only once the Service does, so the deploy CLI makes the alias', () => {
    const tf = TerraformJson.synth('prod');
    const types = Object.keys(tf.json.resource ?? {});
    expect(types.filter((t) => /route53|acm|aws_lb/.test(t))).toEqual([]);
    expect(tf.text).not.toContain('Z1R8UBAEXAMPLE');
  });
});
