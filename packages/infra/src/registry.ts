import { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';

export interface ImageRepositoryProps {
  /** Repository name. */
  readonly name: string;
  /** Images the lifecycle policy keeps; older ones expire. @default 30 */
  readonly keepLastImages?: number;
  /** Whether `terraform destroy` may delete the repository while it holds images. @default false */
  readonly forceDelete?: boolean;
}

/**
 * The ECR repository of the API image: tags are immutable (CKV_AWS_51: a tag
 * names one image forever, so a rollback gets what was tested), every push is
 * scanned (CKV_AWS_163), images are encrypted with KMS (CKV_AWS_136, the
 * AWS-managed key), and a lifecycle policy keeps the last N images.
 */
export class ImageRepository extends Construct {
  readonly repository: EcrRepository;
  readonly lifecyclePolicy: EcrLifecyclePolicy;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    const keep = props.keepLastImages ?? 30;
    this.repository = new EcrRepository(this, 'repository', {
      name: props.name,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS' }],
      forceDelete: props.forceDelete ?? false,
    });
    this.lifecyclePolicy = new EcrLifecyclePolicy(this, 'lifecycle_policy', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the last ${keep} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
            action: { type: 'expire' },
          },
        ],
      }),
    });
  }
}
