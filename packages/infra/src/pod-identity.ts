import { Construct } from 'constructs';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { policyDocument } from './aws-context';

/** The service principal EKS Pod Identity assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';

export interface PodIdentityRoleProps {
  /** The EKS cluster's name (a Terraform reference, so the association waits for the cluster). */
  readonly clusterName: string;
  /** IAM role name. */
  readonly roleName: string;
  readonly description: string;
  /** The Kubernetes ServiceAccount whose pods get the role. */
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The role's only permissions (an inline policy). */
  readonly statements: DataAwsIamPolicyDocumentStatement[];
}

/**
 * An IAM role for one Kubernetes ServiceAccount through EKS Pod Identity:
 * trusted by `pods.eks.amazonaws.com` only (`sts:AssumeRole` and
 * `sts:TagSession`, which Pod Identity needs for its session tags), with an
 * inline policy of exactly the given statements, and the association that
 * binds it to the ServiceAccount. The eks-pod-identity-agent addon serves the
 * credentials to the pods; no OIDC provider, no annotation on the
 * ServiceAccount, and the ServiceAccount may be created later (by Helm).
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly association: EksPodIdentityAssociation;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      description: props.description,
      // The same principal in every partition (EKS Pod Identity's documentation).
      assumeRolePolicy: policyDocument(this, 'trust', [
        {
          sid: 'EksPodIdentity',
          effect: 'Allow',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          principals: [{ type: 'Service', identifiers: [POD_IDENTITY_PRINCIPAL] }],
        },
      ]).json,
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: props.roleName,
      role: this.role.id,
      policy: policyDocument(this, 'permissions', props.statements).json,
    });
    this.association = new EksPodIdentityAssociation(this, 'association', {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.role.arn,
    });
  }
}
