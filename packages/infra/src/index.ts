/**
 * @fittech/infra — the Terraform (CDKTF) of the FitTech platform.
 */
export { synthesizeTerraform, TERRAFORM_FILE } from './synthesize';
export {
  FitTechStack,
  TERRAFORM_OUTPUTS,
  MIN_TERRAFORM_VERSION_FOR_S3_LOCKFILE,
  AWS_PROVIDER,
  type FitTechStackProps,
} from './stack';
export { Network, EKS_UNSUPPORTED_ZONE_IDS, type NetworkProps } from './network';
export {
  EksCluster,
  CONTROL_PLANE_LOG_TYPES,
  ADDONS_BEFORE_NODES,
  ADDONS_AFTER_NODES,
  type EksClusterProps,
} from './cluster';
export { ManagedNodeGroup, NODE_ROLE_POLICIES, type ManagedNodeGroupProps } from './node-group';
export { PodIdentityRole, POD_IDENTITY_PRINCIPAL, type PodIdentityRoleProps } from './pod-identity';
export { DatabaseAccess, type DatabaseAccessProps } from './database-access';
export {
  ClusterAutoscalerIdentity,
  CLUSTER_AUTOSCALER_READ_ACTIONS,
  CLUSTER_AUTOSCALER_WRITE_ACTIONS,
  type ClusterAutoscalerIdentityProps,
} from './autoscaler';
export { PostgresDatabase, POSTGRES_LOG_EXPORTS, type PostgresDatabaseProps } from './database';
export { ImageRepository, type ImageRepositoryProps } from './registry';
export { ClusterKey, type ClusterKeyProps } from './encryption';
export { type AwsContext, awsContext } from './aws-context';
export { cidrSubnet, subnetLayout, VPC_PREFIX_RANGE, type SubnetLayout } from './cidr';
