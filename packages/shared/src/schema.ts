import { z } from 'zod';
import { DEFAULTS } from './defaults';
import { imagePinProblem } from './pod-rules';
import { CPU_QUANTITY, MEMORY_QUANTITY } from './quantities';
import { observabilitySchema } from './observability';

/**
 * The FitTech configuration schema: the single source of truth for every
 * artifact. Everything two artifacts must agree on (names, ports, paths,
 * versions) is decided here, at synth time.
 */

/** Kubernetes versions EKS offers in standard support that run native sidecars (≥ 1.29). */
export const SUPPORTED_KUBERNETES_VERSIONS = ['1.32', '1.33', '1.34', '1.35'] as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: what Kubernetes requires of names and label values used as names. */
export const dns1123Label = (maxLength = 63) =>
  z
    .string()
    .max(maxLength, { message: `must be at most ${maxLength} characters` })
    .regex(DNS1123_LABEL, {
      message:
        'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
    });

export const port = z
  .number({ message: 'must be a port number' })
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be a port between 1 and 65535' })
  .max(65535, { message: 'must be a port between 1 and 65535' });

const httpPath = z.string().regex(/^\/[A-Za-z0-9._~/-]*$/, {
  message: 'must be an absolute URL path such as "/health"',
});

const cpuQuantity = z.string().regex(CPU_QUANTITY, {
  message: 'must be a CPU quantity such as "250m" or "0.5"',
});
const memoryQuantity = z.string().regex(MEMORY_QUANTITY, {
  message: 'must be a memory quantity in Ki, Mi or Gi such as "128Mi"',
});

const resourceList = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });
const containerResources = z.strictObject({ requests: resourceList, limits: resourceList });

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, {
    message: 'must be an IPv4 CIDR block such as "10.0.0.0/16"',
  })
  .refine(
    (s) =>
      s
        .split('/')[0]!
        .split('.')
        .every((o) => Number(o) <= 255),
    {
      message: 'has an octet above 255',
    },
  );

const awsRegion = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, {
  message: 'must be an AWS region such as "us-east-1"',
});

const iamArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, {
  message: 'must be an IAM role or user ARN such as "arn:aws:iam::123456789012:role/deploy"',
});

/**
 * The TLS security policies of an NLB listener that negotiate TLS 1.3 (and at most down to
 * TLS 1.2): the first is AWS's recommended default. Older policies (TLS 1.0/1.1) are not offered.
 */
export const TLS_POLICIES = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04',
] as const;

const acmCertificateArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, {
    message:
      'must be an ACM certificate ARN such as "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"',
  });

/** A fully qualified DNS name (lower case, at least two labels, no trailing dot). */
const dnsName = z
  .string()
  .max(253, { message: 'must be at most 253 characters' })
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    message: 'must be a fully qualified DNS name in lower case such as "api.example.com"',
  });

/** An image reference pinned to a tag (never "latest") or a digest. */
const imageReference = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/, {
    message: 'must be an image reference such as "redis:7.4.2-alpine"',
  })
  .superRefine((s, ctx) => {
    const problem = imagePinProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const configSchema = z.strictObject({
  /** Short name of the product; prefixes derived names and is the `part-of` label. */
  project: dns1123Label(20).default(DEFAULTS.project),
  /** The named environment these values were resolved for: a key of `environments` in fittech.config.ts. */
  environment: dns1123Label(20),
  /** AWS region of every resource. */
  region: awsRegion.default(DEFAULTS.region),
  /** AWS account ID; when set, the default image repository is the full ECR URL. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account ID' })
    .optional(),

  cluster: z.strictObject({
    /** EKS cluster name; also the `kubernetes.io/cluster/<name>` subnet tag. Default `<project>-<environment>`. */
    name: dns1123Label(40),
    /** Kubernetes version of the control plane and the nodes. */
    version: z.enum(SUPPORTED_KUBERNETES_VERSIONS).default('1.34'),
    /** Whether the API server endpoint is reachable from the internet (private access is always on). */
    endpointPublicAccess: z.boolean().default(true),
    /** CIDR blocks allowed to reach the public endpoint. */
    publicAccessCidrs: z.array(cidr).min(1).default(['0.0.0.0/0']),
    /** IAM principals (e.g. the pipeline's deploy role) granted cluster-admin through EKS access entries. */
    adminPrincipalArns: z.array(iamArn).default([]),
    /** Retention of control-plane and VPC flow logs in CloudWatch, in days. */
    logRetentionDays: z
      .union([
        z.literal(1),
        z.literal(3),
        z.literal(7),
        z.literal(14),
        z.literal(30),
        z.literal(60),
        z.literal(90),
        z.literal(365),
      ])
      .default(30),
  }),

  network: z
    .strictObject({
      /** The VPC's CIDR block; subnets are carved from it. */
      vpcCidr: cidr.default('10.0.0.0/16'),
      /** Number of availability zones (2 or 3). */
      availabilityZones: z.union([z.literal(2), z.literal(3)]).default(2),
      /** One NAT gateway for the VPC (cheap) or one per AZ (survives an AZ outage). */
      natGateways: z.enum(['single', 'one-per-az']).default('single'),
    })
    .prefault({}),

  nodeGroup: z
    .strictObject({
      /** EC2 instance types of the managed node group; the capacity check requires each one to hold the API. */
      instanceTypes: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/))
        .min(1)
        .default(['t3.medium']),
      minSize: z.number().int().min(1).default(1),
      desiredSize: z.number().int().min(1).default(2),
      maxSize: z.number().int().min(1).default(3),
      /** Root volume size (gp3, encrypted), GiB. */
      diskSizeGiB: z.number().int().min(20).max(16384).default(20),
      capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
      /** Nodes replaced at once during a node group update. */
      maxUnavailable: z.number().int().min(1).default(1),
    })
    .prefault({}),

  api: z
    .strictObject({
      /** Container port of the API; PORT in its environment. */
      port: port.default(DEFAULTS.api.port),
      /**
       * Port of the API's second listener (the container port named `metrics`): liveness,
       * readiness and the Prometheus metrics. The kubelet's probes and a scraper use it; the
       * public Service never exposes it. Must differ from `api.port` and `redis.port`.
       */
      metricsPort: port.default(DEFAULTS.api.metricsPort),
      /** Replicas (the Helm value `replicaCount` defaults to this). */
      replicas: z
        .number()
        .int()
        .min(1)
        .max(DEFAULTS.api.maxReplicas)
        .default(DEFAULTS.api.replicas),
      /**
       * The HorizontalPodAutoscaler's maximum (the Helm value `autoscaling.maxReplicas` defaults to
       * this); with the rolling update's surge and the migration Job it must fit `nodeGroup.maxSize`
       * nodes. Default: 2 × `replicas` (at most 100).
       */
      maxReplicas: z.number().int().min(1).max(DEFAULTS.api.maxReplicas).optional(),
      /** Liveness path: depends on nothing but the process. */
      healthPath: httpPath.default(DEFAULTS.api.healthPath),
      /** Readiness path: checks PostgreSQL (and reports the cache). */
      readyPath: httpPath.default(DEFAULTS.api.readyPath),
      /** Default image tag of the API (the Helm value `image.tag`). */
      imageTag: z
        .string()
        .regex(/^[\w][\w.-]{0,127}$/)
        .refine((t) => t !== 'latest', { message: 'must not be "latest"' })
        .default('0.1.0'),
      resources: containerResources.default({
        requests: { cpu: '100m', memory: '128Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      }),
      /** Maximum PostgreSQL connections per replica. */
      dbPoolMax: z.number().int().min(1).max(100).default(DEFAULTS.api.dbPoolMax),
      /** Seconds the preStop hook sleeps so the load balancer stops sending before SIGTERM. */
      preStopSleepSeconds: z
        .number()
        .int()
        .min(0)
        .max(120)
        .default(DEFAULTS.api.preStopSleepSeconds),
      /** Seconds the API may take to finish in-flight requests after SIGTERM. */
      shutdownTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(300)
        .default(DEFAULTS.api.shutdownTimeoutSeconds),
      /** JWT signing algorithm (HMAC). */
      jwtAlgorithm: z.enum(['HS256', 'HS384', 'HS512']).default(DEFAULTS.api.jwtAlgorithm),
      /** Lifetime of an access token, minutes. */
      accessTokenExpireMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(DEFAULTS.api.accessTokenExpireMinutes),
      /** TTL backstop of cached entries, seconds. */
      cacheTtlSeconds: z.number().int().min(1).max(86400).default(DEFAULTS.api.cacheTtlSeconds),
      logLevel: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])
        .default(DEFAULTS.api.logLevel),
    })
    .prefault({}),

  redis: z
    .strictObject({
      /** Port the sidecar listens on, on 127.0.0.1 only. */
      port: port.default(DEFAULTS.redis.port),
      image: imageReference.default(DEFAULTS.redis.image),
      /** maxmemory of the sidecar (allkeys-lru), MiB; must stay below its memory limit. */
      maxMemoryMiB: z.number().int().min(8).default(DEFAULTS.redis.maxMemoryMiB),
      resources: containerResources.default({
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '200m', memory: '96Mi' },
      }),
    })
    .prefault({}),

  service: z
    .strictObject({
      /**
       * Port of the plain-HTTP listener of the LoadBalancer Service (the NLB). It is the only
       * listener without a certificate; with one it stays open only with `allowPlainHttp`.
       */
      port: port.default(DEFAULTS.service.port),
      /**
       * `in-tree`: the legacy cloud provider creates an NLB from an annotation (no controller needed).
       * `aws-load-balancer-controller`: `loadBalancerClass: service.k8s.aws/nlb` (the controller must be installed).
       */
      loadBalancer: z.enum(['in-tree', 'aws-load-balancer-controller']).default('in-tree'),
      /** NLB target type with the AWS Load Balancer Controller. */
      targetType: z.enum(['instance', 'ip']).default('ip'),
      /** HTTPS: TLS terminated at the NLB with an ACM certificate (the pods keep serving plain HTTP). */
      tls: z
        .strictObject({
          /**
           * The ACM certificate of the TLS listener, in `region` (an NLB uses certificates of its
           * own region only) and issued for `service.dns.hostname`. Without it there is no TLS
           * listener: a config error in a production environment unless `allowPlainHttp`.
           */
          certificateArn: acmCertificateArn.optional(),
          /** Port of the TLS listener. */
          port: port.default(DEFAULTS.service.tls.port),
          /** The NLB's security policy (TLS versions and ciphers): only TLS 1.3 policies are offered. */
          policy: z.enum(TLS_POLICIES).default(DEFAULTS.service.tls.policy),
        })
        .prefault({}),
      /** The public name of the API. */
      dns: z
        .strictObject({
          /**
           * The name clients (and the pipeline's health check) use; the certificate must cover it.
           * Required with a certificate. Without `hostedZoneId`, point it at the load balancer
           * yourself (an alias or CNAME to the hostname `fittech-deploy endpoint` prints).
           */
          hostname: dnsName.optional(),
          /**
           * A Route 53 hosted zone holding `hostname`: `fittech-deploy dns` (a pipeline step after
           * the load balancer exists) then upserts an alias A record to the NLB in it.
           */
          hostedZoneId: z
            .string()
            .regex(/^Z[A-Z0-9]{1,31}$/, {
              message: 'must be a Route 53 hosted zone ID such as "Z1R8UBAEXAMPLE"',
            })
            .optional(),
        })
        .prefault({}),
      /**
       * Serve plain HTTP on `port` in a production environment: without a certificate, instead
       * of HTTPS; with one, next to it (an NLB cannot redirect HTTP to HTTPS, so an open plain
       * port accepts passwords in clear text). Off: a production environment needs a
       * certificate, and with a certificate only the TLS listener exists. Environments that are
       * not production serve plain HTTP without a certificate regardless (dev's seed behaviour).
       */
      allowPlainHttp: z.boolean().default(false),
    })
    .prefault({}),

  database: z
    .strictObject({
      port: port.default(DEFAULTS.database.port),
      /** Database name (a PostgreSQL identifier). */
      name: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
          message: 'must be a PostgreSQL identifier: lower-case letters, digits and "_"',
        })
        .default(DEFAULTS.database.name),
      /** Master user name. */
      username: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,15}$/)
        .refine((u) => !['admin', 'postgres', 'rdsadmin'].includes(u), {
          message: 'is reserved by RDS',
        })
        .default(DEFAULTS.database.username),
      engineVersion: z
        .string()
        .regex(/^1[5-9](\.\d+)?$/, { message: 'must be PostgreSQL 15 or later, e.g. "16.6"' })
        .default('16.6'),
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/)
        .default('db.t4g.micro'),
      allocatedStorageGiB: z.number().int().min(20).max(65536).default(20),
      /** A standby in a second zone (survives a zone outage; twice the cost). */
      multiAz: z.boolean().default(false),
      backupRetentionDays: z.number().int().min(0).max(35).default(1),
      /** Refuses `terraform destroy` of the database; `fittech-deploy teardown` then needs `--confirm <cluster name>`. */
      deletionProtection: z.boolean().default(false),
      /** How the API verifies the server: RDS forces TLS, and verify-full checks the certificate and host. */
      sslMode: z.enum(['require', 'verify-ca', 'verify-full']).default('verify-full'),
      /**
       * How the API authenticates. `iam`: as the least-privilege application role with RDS IAM
       * tokens signed by the pod's EKS Pod Identity role; no password exists anywhere.
       * `password`: DATABASE_URL carries a password, given inline at deploy time (the deploy CLI
       * reads the RDS-managed master secret), for development.
       */
      auth: z.enum(['iam', 'password']).default('iam'),
    })
    .prefault({}),

  ecr: z
    .strictObject({
      /** Repository name; defaults to `<project>-api`. */
      repositoryName: z
        .string()
        .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/)
        .max(256)
        .optional(),
      /** Images kept by the lifecycle policy. */
      keepLastImages: z.number().int().min(1).max(1000).default(30),
      /** Let `terraform destroy` delete the repository while it still holds images (dev teardown). */
      forceDelete: z.boolean().default(false),
    })
    .prefault({}),

  kubernetes: z
    .strictObject({
      namespace: dns1123Label().default('fittech'),
      /** Helm release name; prefixes every object name, so it is kept short. */
      releaseName: dns1123Label(40).default('fittech'),
    })
    .prefault({}),

  /** Terraform state: local unless a bucket is named (S3 with native locking). */
  state: z
    .strictObject({
      bucket: z
        .string()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
        .optional(),
      /** Object key; defaults to `<project>/<environment>/terraform.tfstate`. */
      key: z.string().min(1).optional(),
    })
    .prefault({}),

  pipeline: z
    .strictObject({
      /** IAM role the workflow assumes through GitHub OIDC. */
      deployRoleArn: iamArn.optional(),
      /** Terraform version the pipeline pins (≥ 1.10: the S3 backend's native locking). */
      terraformVersion: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/)
        .default('1.11.4'),
      /** Helm's --timeout for the release. */
      helmTimeout: z
        .string()
        .regex(/^\d+m(\d+s)?$|^\d+s$/)
        .default('10m'),
    })
    .prefault({}),

  /** SLOs (the chart's alert rules), alert thresholds and the CloudWatch alarms' subscribers. */
  observability: observabilitySchema,
});

/** The input shape: what an overrides file may contain (everything optional, deep). */
export type FitTechConfigInput = z.input<typeof configSchema>;
/** A resolved, validated configuration. */
export type FitTechConfig = z.output<typeof configSchema>;
/** The name of an environment: a key of `environments` in fittech.config.ts. */
export type Environment = string;
export type ContainerResources = z.output<typeof containerResources>;
