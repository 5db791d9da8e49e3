import { CONTROL_PLANE_LOG_TYPES } from '@fittech/infra';
import { type Block, ref, TerraformJson } from './terraform-json';

/*
 * The Checkov controls the issue names, asserted on the synthesized JSON the
 * way Checkov evaluates them: every resource of the type must pass. Checkov
 * itself is not installed here (no PyPI), so these tests restate each rule.
 */

const stacks: Record<'dev' | 'prod', TerraformJson> = {} as never;
beforeAll(() => {
  stacks.dev = TerraformJson.synth('dev');
  stacks.prod = TerraformJson.synth('prod');
});

/** Every resource of a type, failing when there is none (a control that checks nothing passes nothing). */
function every(tf: TerraformJson, type: string): [string, Block][] {
  const all = Object.entries(tf.resources(type));
  expect(all.length).toBeGreaterThan(0);
  return all;
}

describe.each(['dev', 'prod'] as const)('Checkov controls in %s', (env) => {
  const tf = () => stacks[env];

  it('CKV_AWS_37: EKS control-plane logging is enabled for all five log types', () => {
    for (const [, cluster] of every(tf(), 'aws_eks_cluster')) {
      expect([...cluster.enabled_cluster_log_types].sort()).toEqual(
        ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].sort(),
      );
    }
    expect(CONTROL_PLANE_LOG_TYPES).toHaveLength(5);
  });

  it('CKV_AWS_58: EKS Secrets are envelope-encrypted with a rotating KMS key of the stack', () => {
    for (const [, cluster] of every(tf(), 'aws_eks_cluster')) {
      expect(cluster.encryption_config.resources).toEqual(['secrets']);
      const keyArn: string = cluster.encryption_config.provider.key_arn;
      const [, keyName] = /^\$\{aws_kms_key\.([\w-]+)\.arn\}$/.exec(keyArn) ?? [];
      expect(keyName).toBeDefined();
      expect(tf().resource('aws_kms_key', keyName!).enable_key_rotation).toBe(true);
    }
  });

  it('CKV_AWS_79: launch templates require IMDSv2 (http_tokens = required)', () => {
    for (const [, lt] of every(tf(), 'aws_launch_template')) {
      expect(lt.metadata_options).toMatchObject({
        http_endpoint: 'enabled',
        http_tokens: 'required',
      });
    }
  });

  it('CKV_AWS_341: launch templates keep the metadata response hop limit at 1', () => {
    for (const [, lt] of every(tf(), 'aws_launch_template')) {
      expect(lt.metadata_options.http_put_response_hop_limit).toBe(1);
    }
    // ...and the node group actually launches from that template.
    for (const [, ng] of every(tf(), 'aws_eks_node_group')) {
      expect(ng.launch_template.id).toBe(ref('aws_launch_template', 'nodes_launch_template', 'id'));
    }
  });

  it('CKV_AWS_16: RDS storage is encrypted', () => {
    for (const [, db] of every(tf(), 'aws_db_instance')) expect(db.storage_encrypted).toBe(true);
  });

  it('CKV_AWS_17: RDS is not publicly accessible', () => {
    for (const [, db] of every(tf(), 'aws_db_instance')) expect(db.publicly_accessible).toBe(false);
  });

  it('CKV_AWS_161: RDS has IAM database authentication enabled (the API logs in with IAM tokens)', () => {
    for (const [, db] of every(tf(), 'aws_db_instance')) {
      expect(db.iam_database_authentication_enabled).toBe(true);
    }
  });

  it('no plaintext database password: RDS manages the master password, no variable or output holds one', () => {
    for (const [, db] of every(tf(), 'aws_db_instance')) {
      expect(db.manage_master_user_password).toBe(true);
      for (const key of ['password', 'password_wo', 'password_wo_version']) {
        expect(db).not.toHaveProperty(key);
      }
    }
    const variables = Object.keys(tf().json.variable ?? {});
    expect(variables.filter((v) => /pass|secret|cred/i.test(v))).toEqual([]);
    for (const [name, output] of Object.entries<Block>(tf().json.output ?? {})) {
      expect([name, String(output.value)]).not.toEqual([name, expect.stringMatching(/password/i)]);
    }
  });

  it('CKV_AWS_51: ECR image tags are immutable', () => {
    for (const [, repo] of every(tf(), 'aws_ecr_repository')) {
      expect(repo.image_tag_mutability).toBe('IMMUTABLE');
    }
  });

  it('CKV_AWS_163: ECR scans images on push', () => {
    for (const [, repo] of every(tf(), 'aws_ecr_repository')) {
      expect(repo.image_scanning_configuration).toEqual({ scan_on_push: true });
    }
  });

  it('CKV2_AWS_11: every VPC has flow logging enabled', () => {
    const flowLogs = Object.values(tf().resources('aws_flow_log'));
    for (const [name] of every(tf(), 'aws_vpc')) {
      expect(flowLogs).toContainEqual(
        expect.objectContaining({ vpc_id: ref('aws_vpc', name, 'id'), traffic_type: 'ALL' }),
      );
    }
  });

  it('CKV2_AWS_12: the default security group of every VPC restricts all traffic', () => {
    const defaults = Object.values(tf().resources('aws_default_security_group'));
    for (const [name] of every(tf(), 'aws_vpc')) {
      const sg = defaults.find((d) => d.vpc_id === ref('aws_vpc', name, 'id'));
      expect(sg).toBeDefined();
      // Empty lists, not absent ones: Terraform then removes any rule added later.
      expect(sg!.ingress).toEqual([]);
      expect(sg!.egress).toEqual([]);
    }
  });
});

describe('Checkov controls that hold where the config asks for them (the prod preset)', () => {
  it('CKV_AWS_293: RDS deletion protection is on in prod (dev turns it off on purpose)', () => {
    for (const [, db] of every(stacks.prod, 'aws_db_instance')) {
      expect(db.deletion_protection).toBe(true);
    }
    expect(stacks.dev.single('aws_db_instance').deletion_protection).toBe(false);
  });

  it('CKV_AWS_157: RDS is Multi-AZ in prod (dev runs one instance to save cost)', () => {
    for (const [, db] of every(stacks.prod, 'aws_db_instance')) expect(db.multi_az).toBe(true);
    expect(stacks.dev.single('aws_db_instance').multi_az).toBe(false);
  });
});
