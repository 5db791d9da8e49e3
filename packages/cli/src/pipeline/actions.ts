/**
 * Every third-party action the workflows use, pinned to a full commit SHA
 * (a tag can be moved to other code; a commit cannot), with the release it
 * corresponds to written next to it as a comment for people and for Dependabot.
 * Tool versions the actions install are pinned here too.
 */
export interface PinnedAction {
  readonly repository: string;
  readonly sha: string;
  readonly version: string;
}

export const ACTIONS = {
  checkout: {
    repository: 'actions/checkout',
    sha: '08c6903cd8c0fde910a37f88322edcfb5dd907a8',
    version: 'v5.0.0',
  },
  setupNode: {
    repository: 'actions/setup-node',
    sha: 'a0853c24544627f65ddf259abe73b1d18a591444',
    version: 'v5.0.0',
  },
  setupPnpm: {
    repository: 'pnpm/action-setup',
    sha: 'a7487c7e89a18df4991f7f222e4898a00d66ddda',
    version: 'v4.1.0',
  },
  configureAwsCredentials: {
    repository: 'aws-actions/configure-aws-credentials',
    sha: 'b47578312673ae6fa5b5096b330d9fbac3d116df',
    version: 'v4.2.1',
  },
  ecrLogin: {
    repository: 'aws-actions/amazon-ecr-login',
    sha: '062b18b96a7aff071d4dc91bc00c4c1a7945b076',
    version: 'v2.0.1',
  },
  setupTerraform: {
    repository: 'hashicorp/setup-terraform',
    sha: 'b9cd54a3c349d3f38e8881555d616ced269862dd',
    version: 'v3.1.2',
  },
  setupHelm: {
    repository: 'azure/setup-helm',
    sha: 'b9e51907a09c216f16ebe8536097933489208112',
    version: 'v4.3.0',
  },
  setupBuildx: {
    repository: 'docker/setup-buildx-action',
    sha: 'e468171a9de216ec08956ac3ada2f0791b6bd435',
    version: 'v3.11.1',
  },
  buildPush: {
    repository: 'docker/build-push-action',
    sha: '263435318d21b8e681c14492fe198d362a7d2c83',
    version: 'v6.18.0',
  },
  // 0.35.0 is the release the maintainers confirmed untouched by the March 2026 tag hijack.
  trivy: {
    repository: 'aquasecurity/trivy-action',
    sha: '57a97c7e7821a5776cebc9bb87c984fa69cba8f1',
    version: 'v0.35.0',
  },
} as const satisfies Record<string, PinnedAction>;

export type ActionName = keyof typeof ACTIONS;

/** The `uses:` value of an action; the version comment is added when the YAML is written. */
export function uses(name: ActionName): string {
  const action = ACTIONS[name];
  return `${action.repository}@${action.sha}`;
}

/** Versions of the tools the actions install. */
export const TOOL_VERSIONS = {
  /** Helm 3 (Helm 4 renamed --atomic); setup-helm installs exactly this. */
  helm: 'v3.18.4',
  /** The Trivy scanner the trivy-action runs. */
  trivy: 'v0.68.1',
} as const;

/** GitHub-hosted runner image, pinned (ubuntu-latest moves under you). */
export const RUNNER = 'ubuntu-24.04';
