/**
 * fittech-deploy: the commands it runs come from the config (dry runs print
 * them exactly), the flows around them (diagnostics after a failed rollout,
 * secrets through a private values file) and its error messages.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  checkReplicas,
  ConfigError,
  readOverridesFile,
  resolveConfig,
  resourceNames,
  selectorLabels,
  type FitTechConfig,
} from '@fittech/shared';
import project from '../../../fittech.config';
import { formatCommand, shellQuote } from '../src/deploy/command';
import {
  runCli,
  ScriptedRunner,
  standInTools,
  SECRET_KEY as DEFAULT_SECRET,
} from './deploy-support';

const FIXTURE = join(__dirname, 'fixtures', 'pods.json');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const SECRET_KEY = 'k'.repeat(40);
const DATABASE_URL =
  'postgresql://fittech:s3cr3t-Pa55word@db.internal:5432/fittech?sslmode=verify-full';
/** The Terraform output database_url: the application role, no password (IAM tokens). */
const APP_ROLE_URL = 'postgresql://fittech_app@db.internal:5432/fittech?sslmode=verify-full';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-0f1e-AbCdEf';
/** An ACM certificate in eu-west-1, the region the overrides below move prod to. */
const ACME_CERTIFICATE =
  'arn:aws:acm:eu-west-1:999999999999:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fittech-deploy-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function overridesFile(name: string, overrides: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(overrides));
  return file;
}

/** The commands of a full deployment for `config`, derived from its names (what the dry run must print). */
function expectedDeployCommands(config: FitTechConfig): string[] {
  const n = resourceNames(config);
  const values = "'<private-temp-dir>/release-values.json'";
  return [
    `aws eks update-kubeconfig --name ${n.cluster} --region ${config.region} --alias ${n.cluster}`,
    'terraform -chdir=dist/terraform output -raw database_url',
    // database.auth password (dev): the master credentials from the secret RDS keeps.
    ...(config.database.auth === 'password'
      ? [
          'terraform -chdir=dist/terraform output -raw db_master_user_secret_arn',
          `aws secretsmanager get-secret-value --secret-id '<terraform output db_master_user_secret_arn>' --region ${config.region} --query SecretString --output text`,
        ]
      : []),
    `helm lint dist/chart --namespace ${n.namespace} --values ${values} --strict`,
    `helm upgrade --install ${n.release} dist/chart --namespace ${n.namespace} --create-namespace --atomic --wait --timeout ${config.pipeline.helmTimeout} --values ${values}`,
    `kubectl rollout status deployment/${n.deployment} --namespace ${n.namespace} --timeout ${config.pipeline.helmTimeout}`,
    `kubectl get service ${n.service} --namespace ${n.namespace} --output 'jsonpath={.status.loadBalancer.ingress[0].hostname}'`,
    // With a hosted zone: the alias record of the hostname to the load balancer, once it exists.
    ...(config.service.dns.hostedZoneId
      ? [
          `aws elbv2 describe-load-balancers --region ${config.region} --output json`,
          `aws route53 change-resource-record-sets --hosted-zone-id ${config.service.dns.hostedZoneId} --change-batch ${shellQuote(
            JSON.stringify({
              Comment: 'fittech-deploy dns: the API hostname to its load balancer',
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: config.service.dns.hostname,
                    Type: 'A',
                    AliasTarget: {
                      HostedZoneId: '<canonical-hosted-zone-of-the-load-balancer>',
                      DNSName: '<load-balancer-hostname>',
                      EvaluateTargetHealth: false,
                    },
                  },
                },
              ],
            }),
          )} --output json`,
          "aws route53 wait resource-record-sets-changed --id '/change/<change-id>'",
        ]
      : []),
    `helm test ${n.release} --namespace ${n.namespace} --logs --timeout 5m`,
  ];
}

const commandLines = (lines: string[]) => lines.filter((l) => !l.startsWith('#'));

describe('dry run: every name comes from the config', () => {
  it('prints the exact commands of a dev deployment, shell-quoted, and runs nothing', async () => {
    const config = resolveConfig({ project, env: 'dev' });
    const run = await runCli([
      'deploy',
      '--env',
      'dev',
      '--dry-run',
      '--registry',
      REGISTRY,
      '--image-tag',
      'abc1234',
      '--image-digest',
      DIGEST,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(commandLines(run.lines)).toEqual(expectedDeployCommands(config));
    // The health check is in-process; the dry run states its URL and schedule.
    expect(run.stdout).toContain(
      `# GET http://<load-balancer-hostname>:${config.service.port}${config.api.healthPath} until it answers 2xx`,
    );
    expect(run.stdout).toContain(
      `image.repository=${REGISTRY}/${resourceNames(config).ecrRepository} image.tag=abc1234 image.digest=${DIGEST}`,
    );
  });

  it('follows an override of the cluster name and every other name into every command', async () => {
    const overrides = {
      region: 'eu-west-1',
      cluster: { name: 'acme-edge' },
      kubernetes: { namespace: 'shop', releaseName: 'storefront' },
      service: {
        port: 8080,
        tls: { certificateArn: ACME_CERTIFICATE, port: 8443 },
        dns: { hostname: 'api.acme.example', hostedZoneId: 'Z0ACME0EXAMPLE' },
      },
      api: { healthPath: '/livez' },
      ecr: { repositoryName: 'acme/storefront-api' },
      pipeline: { helmTimeout: '7m30s' },
    };
    const file = overridesFile('acme.json', overrides);
    const config = resolveConfig({ project, env: 'prod', overrides });
    const run = await runCli([
      'deploy',
      '--env',
      'prod',
      '--config',
      file,
      '--dry-run',
      '--registry',
      '999999999999.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    expect(run.status).toBe(0);
    expect(commandLines(run.lines)).toEqual(expectedDeployCommands(config));
    expect(run.stdout).toContain('--name acme-edge --region eu-west-1');
    expect(run.stdout).toContain(`deployment/${resourceNames(config).deployment} --namespace shop`);
    // prod has a certificate: the check goes to the configured name over HTTPS.
    expect(run.stdout).toContain('# GET https://api.acme.example:8443/livez until it answers 2xx');
    expect(run.stdout).toContain('--hosted-zone-id Z0ACME0EXAMPLE');
    expect(run.stdout).toContain(
      'image.repository=999999999999.dkr.ecr.eu-west-1.amazonaws.com/acme/storefront-api',
    );
    // Nothing of the presets' names is left.
    for (const stale of ['fittech-prod', 'fittech-api', 'us-east-1', ':80/', '/health ']) {
      expect(run.stdout).not.toContain(stale);
    }
  });

  it('no command keeps a default name when every name is overridden', async () => {
    const overrides = {
      project: 'acme',
      region: 'ap-southeast-2',
      cluster: { name: 'acme-edge' },
      kubernetes: { namespace: 'shop', releaseName: 'storefront' },
      service: { port: 8443 },
      api: { healthPath: '/livez' },
    };
    const file = overridesFile('acme-all.json', overrides);
    const config = resolveConfig({ project, env: 'dev', overrides });
    const n = resourceNames(config);
    const registry = '123456789012.dkr.ecr.ap-southeast-2.amazonaws.com';
    const invocations = [
      ['deploy', '--registry', registry],
      ['kubeconfig'],
      ['helm-upgrade', '--registry', registry],
      ['rollout'],
      ['diagnose', '--pods', 'storefront-api-1'],
      ['endpoint'],
      ['healthcheck', '--host', 'lb.example'],
      ['helm-test'],
      ['teardown'],
    ];
    for (const args of invocations) {
      const run = await runCli([...args, '--env', 'dev', '--config', file, '--dry-run']);
      expect([args[0], run.status, run.stderr]).toEqual([args[0], 0, '']);
      expect([args[0], run.stdout]).not.toEqual([
        args[0],
        expect.stringMatching(/fittech|us-east-1|:80\//),
      ]);
    }
    const diagnose = await runCli(['diagnose', '--config', file, '--dry-run', '--pods', 'p']);
    expect(diagnose.stdout).toContain(
      `--namespace shop --selector app.kubernetes.io/name=acme,app.kubernetes.io/instance=storefront,app.kubernetes.io/component=api`,
    );
    expect(diagnose.stdout).toContain(`kubectl describe job ${n.migrationJob} --namespace shop`);
    const health = await runCli([
      'healthcheck',
      '--config',
      file,
      '--dry-run',
      '--host',
      'lb.example',
    ]);
    expect(health.stdout).toContain('GET http://lb.example:8443/livez');
  });

  it('kubeconfig, rollout and helm-test print one command each', async () => {
    const config = resolveConfig({ project, env: 'prod' });
    const n = resourceNames(config);
    const kube = await runCli(['kubeconfig', '--env', 'prod', '--dry-run']);
    expect(kube.lines).toEqual([
      `aws eks update-kubeconfig --name ${n.cluster} --region ${config.region} --alias ${n.cluster}`,
    ]);
    const rollout = await runCli(['rollout', '--env', 'prod', '--dry-run', '--timeout', '3m']);
    expect(rollout.lines).toEqual([
      `kubectl rollout status deployment/${n.deployment} --namespace ${n.namespace} --timeout 3m`,
    ]);
    const test = await runCli(['helm-test', '--env', 'prod', '--dry-run']);
    expect(test.lines).toEqual([
      `helm test ${n.release} --namespace ${n.namespace} --logs --timeout 5m`,
    ]);
  });

  it('teardown uninstalls, waits for the Service and its load balancer, then destroys', async () => {
    const config = resolveConfig({ project, env: 'dev' });
    const n = resourceNames(config);
    const run = await runCli(['teardown', '--env', 'dev', '--dry-run', '--timeout', '12m']);
    expect(run.status).toBe(0);
    expect(commandLines(run.lines)).toEqual([
      `aws eks list-clusters --region ${config.region} --output json`,
      `aws eks update-kubeconfig --name ${n.cluster} --region ${config.region} --alias ${n.cluster}`,
      `kubectl get service ${n.service} --namespace ${n.namespace} --output 'jsonpath={.status.loadBalancer.ingress[0].hostname}' --ignore-not-found`,
      `helm uninstall ${n.release} --namespace ${n.namespace} --wait --timeout 12m --ignore-not-found`,
      `kubectl wait --for=delete service/${n.service} --namespace ${n.namespace} --timeout=12m`,
      `aws elbv2 describe-load-balancers --region ${config.region} --output json`,
      'terraform -chdir=dist/terraform init -input=false',
      'terraform -chdir=dist/terraform destroy -auto-approve -input=false -lock-timeout=5m',
    ]);
  });
});

describe('diagnose', () => {
  const config = resolveConfig({ project, env: 'dev' });
  const n = resourceNames(config);
  const selector = Object.entries(selectorLabels(config))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const podCommands = (pod: string, containers: string[]) => [
    `kubectl describe pod ${pod} --namespace ${n.namespace}`,
    ...containers.flatMap((c) => [
      `kubectl logs ${pod} --namespace ${n.namespace} --container ${c} --timestamps --tail=500`,
      `kubectl logs ${pod} --namespace ${n.namespace} --container ${c} --previous --timestamps --tail=500`,
    ]),
  ];
  const tail = [
    `kubectl describe job ${n.migrationJob} --namespace ${n.namespace}`,
    `kubectl logs job/${n.migrationJob} --namespace ${n.namespace} --all-containers --timestamps --tail=500`,
    `kubectl get events --namespace ${n.namespace} --sort-by=.lastTimestamp`,
  ];

  it('lists the commands for every container of every pod with the release labels (from a pod list)', async () => {
    const run = await runCli(['diagnose', '--env', 'dev', '--dry-run', '--pods-json', FIXTURE]);
    expect(run.status).toBe(0);
    // The fixture also holds a pod of another release and one without the name label: both left out.
    expect(commandLines(run.lines)).toEqual([
      `kubectl get pods --namespace ${n.namespace} --selector ${selector} --output wide`,
      ...podCommands('fittech-6d8f7c9b5-7hzkd', ['redis', 'api']),
      ...podCommands('fittech-6d8f7c9b5-x2lqp', ['redis', 'api']),
      ...tail,
    ]);
    expect(run.stdout).not.toContain('canary-api');
    expect(run.stdout).not.toContain('debug-shell');
    expect(run.stdout).toContain(
      '# diagnosed 2 pod(s) of release fittech: fittech-6d8f7c9b5-7hzkd [redis, api], fittech-6d8f7c9b5-x2lqp [redis, api]',
    );
  });

  it('with pod names, logs the containers the config names (api and redis)', async () => {
    const run = await runCli(['diagnose', '--env', 'dev', '--dry-run', '--pods', 'p-1,p-2']);
    expect(commandLines(run.lines)).toEqual([
      `kubectl get pods --namespace ${n.namespace} --selector ${selector} --output wide`,
      ...podCommands('p-1', [n.containers.api, n.containers.redis]),
      ...podCommands('p-2', [n.containers.api, n.containers.redis]),
      ...tail,
    ]);
  });

  it('without a pod list, a dry run shows the selection and says the rest needs the pods', async () => {
    const run = await runCli(['diagnose', '--env', 'dev', '--dry-run']);
    expect(run.lines[0]).toBe(
      `kubectl get pods --namespace ${n.namespace} --selector ${selector} --output json`,
    );
    expect(run.stdout).toContain(
      '# the pods are known only at run time: pass --pods a,b or --pods-json',
    );
  });

  it('a failed rollout prints the diagnostics of the pods the cluster lists, then fails', async () => {
    const runner = new ScriptedRunner((_, line) => {
      if (line.startsWith('kubectl rollout status')) return { exitCode: 1 };
      if (line.endsWith('--output json')) return { stdout: readFileSync(FIXTURE, 'utf8') };
      if (line.includes('--previous')) return { exitCode: 1 }; // no previous container: not fatal
      return undefined;
    });
    const run = await runCli(['rollout', '--env', 'dev'], { runner });
    expect(run.status).toBe(1);
    expect(runner.lines).toEqual([
      `kubectl rollout status deployment/${n.deployment} --namespace ${n.namespace} --timeout ${config.pipeline.helmTimeout}`,
      `kubectl get pods --namespace ${n.namespace} --selector ${selector} --output json`,
      `kubectl get pods --namespace ${n.namespace} --selector ${selector} --output wide`,
      ...podCommands('fittech-6d8f7c9b5-7hzkd', ['redis', 'api']),
      ...podCommands('fittech-6d8f7c9b5-x2lqp', ['redis', 'api']),
      ...tail,
    ]);
    expect(run.stderr).toContain(
      `deployment/${n.deployment} in namespace ${n.namespace} did not finish rolling out within ${config.pipeline.helmTimeout}`,
    );
  });
});

/** The values file a helm command was given (`--values <path>`). */
const valuesPath = (cmd: { args: readonly string[] }) =>
  cmd.args[cmd.args.indexOf('--values') + 1]!;
/** What that file holds, read while the command runs (it is removed afterwards). */
const readValues = (cmd: { args: readonly string[] }): unknown =>
  JSON.parse(readFileSync(valuesPath(cmd), 'utf8'));

describe('helm-upgrade: secrets only through a private values file', () => {
  const config = resolveConfig({ project, env: 'dev' });
  const n = resourceNames(config);

  it('writes the values to a 0600 file in a 0700 directory, passes only its path, and removes it', async () => {
    let seen: { path: string; fileMode: number; dirMode: number; values: unknown } | undefined;
    const runner = new ScriptedRunner((cmd, line) => {
      if (line.endsWith('output -raw database_url')) return { stdout: `${APP_ROLE_URL}\n` };
      if (line.endsWith('output -raw db_master_user_secret_arn'))
        return { stdout: `${SECRET_ARN}\n` };
      if (line.startsWith('aws secretsmanager get-secret-value')) {
        return { stdout: JSON.stringify({ username: 'fittech', password: 's3cr3t-Pa55word' }) };
      }
      if (cmd.args[0] === 'upgrade') {
        const path = valuesPath(cmd);
        seen = {
          path,
          fileMode: statSync(path).mode & 0o777,
          dirMode: statSync(dirname(path)).mode & 0o777,
          values: JSON.parse(readFileSync(path, 'utf8')),
        };
      }
      return undefined;
    });
    const run = await runCli(
      [
        'helm-upgrade',
        '--env',
        'dev',
        '--registry',
        REGISTRY,
        '--image-tag',
        'abc1234',
        '--image-digest',
        DIGEST,
      ],
      { runner, env: { SECRET_KEY, GITHUB_ACTIONS: 'true' } },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(seen).toBeDefined();
    expect(seen!.fileMode).toBe(0o600);
    expect(seen!.dirMode).toBe(0o700);
    expect(seen!.values).toEqual({
      image: { repository: `${REGISTRY}/${n.ecrRepository}`, tag: 'abc1234', digest: DIGEST },
      secrets: { databaseUrl: DATABASE_URL, secretKey: SECRET_KEY },
    });
    expect(existsSync(seen!.path)).toBe(false);
    expect(existsSync(dirname(seen!.path))).toBe(false);
    // dev (database.auth password): the master secret was captured, not printed; in Actions the password is masked.
    expect(
      runner.observed.find((o) => o.line.startsWith('aws secretsmanager'))?.options.capture,
    ).toBe(true);
    expect(run.stdout).toBe('::add-mask::s3cr3t-Pa55word\n');
    for (const line of runner.lines) {
      expect(line).not.toContain(SECRET_KEY);
      expect(line).not.toContain('s3cr3t');
    }
    expect(runner.lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'terraform -chdir=dist/terraform',
      'terraform -chdir=dist/terraform',
      'aws secretsmanager',
      'helm lint',
      'helm upgrade',
    ]);
  });

  it('prod (database.auth iam): the application role URL as Terraform gives it, no password read, nothing to mask', async () => {
    let values: { secrets?: Record<string, string> } | undefined;
    const runner = new ScriptedRunner((cmd, line) => {
      if (line.endsWith('output -raw database_url')) return { stdout: `${APP_ROLE_URL}\n` };
      if (cmd.args[0] === 'upgrade') {
        values = readValues(cmd) as typeof values;
      }
      return undefined;
    });
    const run = await runCli(['helm-upgrade', '--env', 'prod', '--registry', REGISTRY], {
      runner,
      env: { SECRET_KEY, GITHUB_ACTIONS: 'true' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(values?.secrets?.databaseUrl).toBe(APP_ROLE_URL);
    expect(run.stdout).toBe('');
    expect(runner.lines.some((l) => l.includes('secretsmanager'))).toBe(false);
  });

  it('removes the values file also when helm fails, and prints the diagnostics', async () => {
    let path = '';
    const runner = new ScriptedRunner((cmd) => {
      if (cmd.args[0] === 'upgrade') {
        path = valuesPath(cmd);
        return { exitCode: 1 };
      }
      return undefined;
    });
    const run = await runCli(['helm-upgrade', '--env', 'dev', '--registry', REGISTRY], {
      runner,
      env: { SECRET_KEY, DATABASE_URL },
    });
    expect(run.status).toBe(1);
    expect(path).not.toBe('');
    expect(existsSync(path)).toBe(false);
    expect(runner.lines).toContain(
      `kubectl get events --namespace ${n.namespace} --sort-by=.lastTimestamp`,
    );
    expect(run.stderr).toContain(
      `helm upgrade --install ${n.release} failed in namespace ${n.namespace}`,
    );
    expect(run.stderr).toContain('--atomic rolled the release back');
  });

  it('refuses to run without SECRET_KEY, before running anything', async () => {
    const runner = new ScriptedRunner();
    const run = await runCli(['helm-upgrade', '--env', 'dev', '--registry', REGISTRY], {
      runner,
      env: {},
    });
    expect(run.status).toBe(1);
    expect(runner.lines).toEqual([]);
    expect(run.stderr).toContain('SECRET_KEY is not set');
  });

  it('checks the secrets against the API contract without printing them', async () => {
    const runner = new ScriptedRunner();
    const weak = await runCli(['helm-upgrade', '--env', 'dev', '--registry', REGISTRY], {
      runner,
      env: { SECRET_KEY: 'short-secret', DATABASE_URL },
    });
    expect(weak.status).toBe(1);
    expect(weak.stderr).toContain('SECRET_KEY (from $SECRET_KEY) must be at least 32 characters');
    expect(weak.stderr).not.toContain('short-secret');
    const badUrl = await runCli(['helm-upgrade', '--env', 'dev', '--registry', REGISTRY], {
      runner,
      env: { SECRET_KEY, DATABASE_URL: 'mysql://root:hunter2@db/fittech' },
    });
    expect(badUrl.status).toBe(1);
    expect(badUrl.stderr).toContain(
      'DATABASE_URL (from $DATABASE_URL) must be a postgresql:// URL',
    );
    expect(badUrl.stderr).not.toContain('hunter2');
    expect(runner.lines).toEqual([]);
  });

  it('needs a registry unless the config knows the account', async () => {
    const withoutAccount = { environments: { dev: {} } };
    const noRegistry = await runCli(['helm-upgrade', '--env', 'dev', '--dry-run'], {
      project: withoutAccount,
    });
    expect(noRegistry.status).toBe(1);
    expect(noRegistry.stderr).toContain('the image registry is unknown: pass --registry');
    const file = overridesFile('account.json', { accountId: '210987654321' });
    const withAccount = await runCli(
      ['helm-upgrade', '--env', 'dev', '--dry-run', '--config', file],
      { project: withoutAccount },
    );
    expect(withAccount.status).toBe(0);
    expect(withAccount.stdout).toContain(
      `image.repository=210987654321.dkr.ecr.${config.region}.amazonaws.com/${n.ecrRepository} image.tag=${config.api.imageTag}`,
    );
  });
});

describe('helm-upgrade and deploy: chart values given at deploy time (--values, --set)', () => {
  const config = resolveConfig({ project, env: 'dev' });
  const n = resourceNames(config);
  const env = { SECRET_KEY, DATABASE_URL };
  /** The values file helm upgrade received (read while it exists). */
  const capturing = () => {
    const seen: { values?: Record<string, unknown> } = {};
    const runner = new ScriptedRunner((cmd) => {
      if (cmd.args[0] === 'upgrade') {
        seen.values = readValues(cmd) as Record<string, unknown>;
      }
      return undefined;
    });
    return { runner, seen };
  };

  it('passes values that fit to helm lint and helm upgrade inside the private values file, --set after --values', async () => {
    const file = join(dir, 'scale.yaml');
    writeFileSync(file, 'replicaCount: 1\npodAnnotations:\n  team: "orders: checkout"\n');
    const { runner, seen } = capturing();
    const run = await runCli(
      [
        'helm-upgrade',
        '--env',
        'dev',
        '--registry',
        REGISTRY,
        '--values',
        file,
        '--set',
        'replicaCount=3',
        '--set',
        'autoscaling.enabled=true,autoscaling.maxReplicas=4',
      ],
      { runner, env },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(seen.values).toEqual({
      replicaCount: 3,
      podAnnotations: { team: 'orders: checkout' },
      autoscaling: { enabled: true, maxReplicas: 4 },
      image: { repository: `${REGISTRY}/${n.ecrRepository}`, tag: config.api.imageTag },
      secrets: { databaseUrl: DATABASE_URL, secretKey: SECRET_KEY },
    });
    expect(runner.lines.filter((l) => l.startsWith('helm ')).map((l) => l.split(' ')[1])).toEqual([
      'lint',
      'upgrade',
    ]);
  });

  it('the dry run shows each value given and where it came from', async () => {
    const run = await runCli(
      [
        'helm-upgrade',
        '--env',
        'dev',
        '--registry',
        REGISTRY,
        '--dry-run',
        '--set',
        'replicaCount=3',
      ],
      { env },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('\n#   replicaCount=3 (--set)\n');
  });

  it('refuses --set replicaCount beyond what nodeGroup.maxSize nodes hold, before running anything, with the rule synth applies', async () => {
    const replicas = 50;
    for (const command of ['helm-upgrade', 'deploy']) {
      const runner = new ScriptedRunner();
      const run = await runCli(
        [command, '--env', 'dev', '--registry', REGISTRY, '--set', `replicaCount=${replicas}`],
        { runner, env },
      );
      expect(run.status).toBe(1);
      expect(runner.lines).toEqual([]);
      const [problem] = checkReplicas(config, {
        path: '--set replicaCount',
        replicas,
        nodes: 'maxSize',
      });
      expect(problem).toBeDefined();
      expect(run.stderr).toContain(
        `Invalid release values for env "dev" (given at deploy time) (1 problem):\n  - --set replicaCount: ${problem!.message}`,
      );
      expect(run.stderr).toContain(
        `${config.nodeGroup.maxSize} × ${config.nodeGroup.instanceTypes[0]} (nodeGroup.maxSize`,
      );
      expect(run.stderr).toContain('Nothing was installed');
    }
  });

  it('holds autoscaling.maxReplicas from a values file, and requests given with --set, to the same rule', async () => {
    const file = join(dir, 'hpa.yaml');
    writeFileSync(file, 'autoscaling:\n  enabled: true\n  maxReplicas: 60\n');
    const tooMany = await runCli(
      ['helm-upgrade', '--env', 'dev', '--registry', REGISTRY, '--dry-run', '-f', file],
      { env },
    );
    expect(tooMany.status).toBe(1);
    expect(tooMany.stderr).toContain(
      `  - autoscaling.maxReplicas (--values ${file}): does not fit the node group even at nodeGroup.maxSize`,
    );
    // The default replica count, but pods four times the size the config gives them.
    const bigger = await runCli(
      [
        'helm-upgrade',
        '--env',
        'dev',
        '--registry',
        REGISTRY,
        '--dry-run',
        '--set',
        'resources.api.requests.memory=3Gi',
      ],
      { env },
    );
    expect(bigger.status).toBe(1);
    expect(bigger.stderr).toContain(
      "  - replicaCount (the chart's default, api.replicas): does not fit the node group even at nodeGroup.maxSize",
    );
    expect(bigger.stderr).toContain('MiB each, api + redis');
  });

  it('refuses image and secrets values, malformed --set and values the rule cannot read, naming each', async () => {
    const cases: [string[], string][] = [
      [
        ['--set', 'secrets.secretKey=x'],
        '--set secrets.secretKey: cannot be given here: secrets come only from the environment',
      ],
      [
        ['--set', 'image.tag=v2'],
        '--set image.tag: cannot be given here: the image comes from --registry, --image-tag and --image-digest',
      ],
      [['--set', 'replicaCount'], '--set replicaCount: must be key=value'],
      [['--set', 'tolerations[0].key=a'], 'uses list indexes, braces or escapes'],
      [
        ['--set', 'replicaCount=two'],
        '--set replicaCount: must be a whole number of at least 1 (got "two")',
      ],
      [
        ['--set', 'resources.redis.requests.cpu=lots'],
        '--set resources.redis.requests.cpu: must be a quantity such as "250m" (got "lots")',
      ],
      [['--values', join(dir, 'missing.yaml')], 'cannot be read'],
    ];
    for (const [args, message] of cases) {
      const runner = new ScriptedRunner();
      const run = await runCli(['helm-upgrade', '--env', 'dev', '--registry', REGISTRY, ...args], {
        runner,
        env,
      });
      expect({ args, status: run.status }).toEqual({ args, status: 1 });
      expect(run.stderr).toContain(message);
      expect(runner.lines).toEqual([]);
    }
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- replicaCount: 3\n');
    const notMapping = await runCli(['helm-upgrade', '--env', 'dev', '--values', list], { env });
    expect(notMapping.stderr).toContain(`--values ${list}: must be a YAML mapping of chart values`);
  });
});

describe('errors are for people', () => {
  it('shows a ConfigError exactly as resolveConfig words it', async () => {
    const overrides = { cluster: { name: 'Not_A_Name' }, api: { port: 70000 } };
    const file = overridesFile('bad.json', overrides);
    let expected = '';
    try {
      const read = readOverridesFile(file);
      resolveConfig({
        project,
        env: 'dev',
        overrides: read.data,
        source: file,
        locate: read.locate,
      });
    } catch (error) {
      expected = (error as ConfigError).message;
    }
    expect(expected).toContain('cluster.name');
    const run = await runCli(['kubeconfig', '--env', 'dev', '--config', file, '--dry-run']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`fittech-deploy: ${expected}\n`);
  });

  it('names an unreadable or malformed overrides file', async () => {
    const missing = await runCli(['kubeconfig', '--config', join(dir, 'nope.json'), '--dry-run']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`overrides file ${join(dir, 'nope.json')}`);
    expect(missing.stderr).toContain('cannot be read');
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{"cluster": ');
    const broken = await runCli(['kubeconfig', '--config', file, '--dry-run']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('is not valid JSON');
    expect(broken.stderr).toContain(`${file}:1:13`);
  });

  it('rejects unknown commands, unknown flags, bad environments and bad durations with usage', async () => {
    const unknown = await runCli(['deploi']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'deploi'");
    expect(unknown.stderr).toContain('(Did you mean deploy?)');
    const flag = await runCli(['rollout', '--pods', 'x']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("unknown option '--pods'");
    const typo = await runCli(['rollout', '--dry-runn']);
    expect(typo.stderr).toContain('(Did you mean --dry-run?)');
    const env = await runCli(['rollout', '--env', 'staging', '--dry-run']);
    expect(env.status).toBe(1);
    expect(env.stderr).toContain(
      'environment: is not declared in fittech.config.ts; declared: dev, prod',
    );
    const timeout = await runCli(['rollout', '--timeout', 'ten minutes', '--dry-run']);
    expect(timeout.status).toBe(2);
    expect(timeout.stderr).toContain(
      '--timeout must be a duration such as "500ms", "5s", "10m" or "1m30s"',
    );
    const attempts = await runCli(['healthcheck', '--host', 'h', '--attempts', '0', '--dry-run']);
    expect(attempts.status).toBe(2);
    expect(attempts.stderr).toContain('--attempts must be a whole number of at least 1');
  });

  it('--help prints the usage and exits 0; no command prints it to stderr and exits 2', async () => {
    const help = await runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: fittech-deploy <command>');
    const commandHelp = await runCli(['teardown', '--help']);
    expect(commandHelp.status).toBe(0);
    expect(commandHelp.stdout).toContain('--confirm <cluster>');
    expect(commandHelp.stdout).toContain('--dry-run');
    const none = await runCli([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Usage: fittech-deploy <command>');
  });

  it('annotates failures for GitHub Actions', async () => {
    const runner = new ScriptedRunner(() => ({ exitCode: 254 }));
    const run = await runCli(['kubeconfig', '--env', 'dev'], {
      runner,
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /^::error title=fittech-deploy kubeconfig::aws eks update-kubeconfig failed for cluster "fittech-dev"/m,
    );
  });
});

describe('endpoint', () => {
  it('polls until the Service has a hostname and writes it to $GITHUB_OUTPUT', async () => {
    const config = resolveConfig({ project, env: 'dev' });
    const answers = ['', '', 'abc-123.elb.us-east-1.amazonaws.com\n'];
    const runner = new ScriptedRunner(() => ({ stdout: answers.shift() ?? '' }));
    const waits: number[] = [];
    const output = join(dir, 'github-output');
    writeFileSync(output, '');
    const run = await runCli(['endpoint', '--env', 'dev', '--interval', '2s', '--github-output'], {
      runner,
      env: { GITHUB_OUTPUT: output },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(run.status).toBe(0);
    expect(runner.lines).toHaveLength(3);
    // Only the first poll is echoed; the rest are quiet.
    expect(runner.observed.map((o) => o.options.quiet)).toEqual([false, true, true]);
    expect(waits).toEqual([2000, 2000]);
    expect(readFileSync(output, 'utf8')).toBe(
      `hostname=abc-123.elb.us-east-1.amazonaws.com\nurl=http://abc-123.elb.us-east-1.amazonaws.com:${config.service.port}${config.api.healthPath}\n`,
    );
  });

  it('gives up after the timeout with what to check', async () => {
    const runner = new ScriptedRunner(() => ({ stdout: '' }));
    const run = await runCli(
      ['endpoint', '--env', 'dev', '--interval', '10ms', '--timeout', '50ms'],
      {
        runner,
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('got no load-balancer hostname within 50ms');
    expect(run.stderr).toContain('kubernetes.io/role/elb');
  });
});

describe('HTTPS and DNS (prod of fittech.config.ts has a certificate and a Route 53 zone)', () => {
  const prod = resolveConfig({ project, env: 'prod' });
  const LB = 'k8s-fittech-0a1b2c3d4e-0123456789abcdef.elb.us-east-1.amazonaws.com';
  /** The NLBs' canonical hosted zone of us-east-1 as describe-load-balancers reports it. */
  const NLB_ZONE = 'Z26RNL4JYFTOTI';

  it('dns upserts the alias A record to the load balancer found by its DNS name, then waits for INSYNC', async () => {
    let change: readonly string[] = [];
    const runner = new ScriptedRunner((cmd) => {
      if (cmd.args[0] === 'elbv2') {
        return {
          stdout: JSON.stringify({
            LoadBalancers: [
              { DNSName: 'other.elb.us-east-1.amazonaws.com', CanonicalHostedZoneId: 'ZOTHER' },
              { DNSName: LB, CanonicalHostedZoneId: NLB_ZONE },
            ],
          }),
        };
      }
      if (cmd.args[1] === 'change-resource-record-sets') {
        change = cmd.args;
        return { stdout: '{"ChangeInfo":{"Id":"/change/C2682N5HXP0BZ4","Status":"PENDING"}}' };
      }
      return undefined;
    });
    const run = await runCli(['dns', '--env', 'prod', '--host', LB], { runner });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const argv = [...change];
    expect(argv[argv.indexOf('--hosted-zone-id') + 1]).toBe(prod.service.dns.hostedZoneId);
    const batch = JSON.parse(argv[argv.indexOf('--change-batch') + 1]!);
    expect(batch.Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'api.example.com',
          Type: 'A',
          AliasTarget: { HostedZoneId: NLB_ZONE, DNSName: LB, EvaluateTargetHealth: false },
        },
      },
    ]);
    expect(runner.lines[2]).toBe(
      'aws route53 wait resource-record-sets-changed --id /change/C2682N5HXP0BZ4',
    );
    expect(runner.notes.at(-1)).toBe(
      `api.example.com → ${LB} (alias A record in hosted zone ${prod.service.dns.hostedZoneId})`,
    );
  });

  it('dns changes nothing when no load balancer has that DNS name', async () => {
    const runner = new ScriptedRunner(() => ({ stdout: '{"LoadBalancers":[]}' }));
    const run = await runCli(['dns', '--env', 'prod', '--host', LB], { runner });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no load balancer in us-east-1 has the DNS name ${LB}`);
    expect(runner.lines.filter((l) => l.includes('route53'))).toEqual([]);
  });

  it('dns without a hosted zone (dev) runs nothing', async () => {
    const runner = new ScriptedRunner();
    const run = await runCli(['dns', '--env', 'dev', '--host', LB], { runner });
    expect(run.status).toBe(0);
    expect(runner.lines).toEqual([]);
    expect(runner.notes).toEqual(['no service.dns.hostname in the config: no DNS record to make']);
  });

  it('healthcheck and the environment URL use https:// on the configured hostname', async () => {
    const health = await runCli(['healthcheck', '--env', 'prod', '--dry-run']);
    expect(health.status).toBe(0);
    expect(health.stdout).toContain('# GET https://api.example.com/health until it answers 2xx');
    const output = join(dir, 'github-output-prod');
    writeFileSync(output, '');
    const runner = new ScriptedRunner(() => ({ stdout: LB }));
    const run = await runCli(['endpoint', '--env', 'prod', '--github-output'], {
      runner,
      env: { GITHUB_OUTPUT: output },
    });
    expect(run.status).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(
      `hostname=${LB}\nurl=https://api.example.com/health\n`,
    );
  });

  it('the health check really speaks TLS: a plain-HTTP server on the https URL is not healthy', async () => {
    const server = createServer((_, res) => res.end('ok'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    try {
      const run = await runCli([
        'healthcheck',
        '--env',
        'prod',
        '--url',
        `https://127.0.0.1:${port}/health`,
        '--attempts',
        '1',
      ]);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(/attempt 1\/1: request failed: .*(SSL|TLS|ssl|wrong version)/);
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});

describe('shell quoting (printing only; commands are spawned with argv arrays)', () => {
  it('round-trips through a POSIX shell to the same argv', () => {
    const args = ['plain', 'a b', "it's", '$HOME', '`id`', '', 'x;y|z&', 'jsonpath={.a[0].b}', 'ü'];
    const line = formatCommand({ program: 'printf', args: ['%s\\n', ...args] });
    const result = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(args.map((a) => `${a}\n`).join(''));
  });

  it('leaves safe words unquoted', () => {
    expect(shellQuote('deployment/fittech-api')).toBe('deployment/fittech-api');
    expect(shellQuote('--sort-by=.lastTimestamp')).toBe('--sort-by=.lastTimestamp');
    expect(shellQuote('a b')).toBe("'a b'");
  });
});

describe('the deploy CLI checks what it deploys', () => {
  const dev = resolveConfig({ project, env: 'dev' });
  const prod = resolveConfig({ project, env: 'prod' });

  it('refuses a dist/ synthesized for another environment, and says how to fix it', async () => {
    const run = await runCli(['deploy', '--env', 'dev', '--dry-run'], { stamp: prod });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('was synthesized for env prod, not env dev');
    expect(run.stderr).toContain('Run `pnpm synth --env dev` first');
  });

  it('refuses a dist/ of the same environment with another configuration', async () => {
    const file = overridesFile('bigger.json', { api: { replicas: 3 } });
    const run = await runCli(['helm-upgrade', '--env', 'dev', '--config', file, '--dry-run'], {
      stamp: dev,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('was synthesized for env dev with another configuration');
    expect(run.stderr).toContain(`Run \`pnpm synth --env dev --config ${file}\` first`);
  });

  it('refuses a dist/ without a stamp', async () => {
    const run = await runCli(['teardown', '--env', 'dev', '--dry-run'], { stamp: false });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('has no fittech-stamp.json');
  });

  it('tears down a deletion-protected environment only with --confirm <cluster name>', async () => {
    const without = await runCli(['teardown', '--env', 'prod', '--dry-run']);
    expect(without.status).toBe(1);
    expect(without.stdout).toBe('');
    expect(without.stderr).toContain(
      `refusing to tear down env prod: it destroys cluster ${prod.cluster.name} and its database`,
    );
    expect(without.stderr).toContain(`--confirm ${prod.cluster.name}`);
    const wrong = await runCli([
      'teardown',
      '--env',
      'prod',
      '--dry-run',
      '--confirm',
      'fittech-dev',
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('--confirm fittech-dev does not name the cluster');
    const confirmed = await runCli([
      'teardown',
      '--env',
      'prod',
      '--dry-run',
      '--confirm',
      prod.cluster.name,
    ]);
    expect(confirmed.stderr).toBe('');
    expect(confirmed.status).toBe(0);
    expect(confirmed.stdout).toContain('terraform -chdir=dist/terraform destroy -auto-approve');
    // dev has no deletion protection: no confirmation asked.
    expect((await runCli(['teardown', '--env', 'dev', '--dry-run'])).status).toBe(0);
  });

  it('a dry run checks the secrets as the real run does', async () => {
    const missing = await runCli(['deploy', '--env', 'dev', '--dry-run'], { env: {} });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('SECRET_KEY is not set');
    const short = await runCli(['deploy', '--env', 'dev', '--dry-run'], {
      env: { SECRET_KEY: 'too-short' },
    });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('SECRET_KEY (from $SECRET_KEY) must be at least 32 characters');
    expect(short.stderr).not.toContain('too-short');
    const badUrl = await runCli(['deploy', '--env', 'dev', '--dry-run'], {
      env: { SECRET_KEY: DEFAULT_SECRET, DATABASE_URL: 'mysql://x' },
    });
    expect(badUrl.status).toBe(1);
    expect(badUrl.stderr).toContain(
      'DATABASE_URL (from $DATABASE_URL) must be a postgresql:// URL',
    );
  });

  it('a dry run fails where a tool is missing, as the real run would', async () => {
    const noHelm = standInTools(['aws', 'kubectl', 'terraform']);
    const run = await runCli(['deploy', '--env', 'dev', '--dry-run'], {
      env: { SECRET_KEY: DEFAULT_SECRET, PATH: noHelm },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('helm was not found on PATH (needed for: helm lint');
  });
});
