/**
 * The chart's version, from the project's release version (Changesets).
 *
 * The release version is the version of `@fittech/manifests`, the package the
 * chart is built by; Changesets moves it together with `@fittech/shared` (a
 * "fixed" group in .changeset/config.json). A build is a *release* when its
 * commit carries the tag `changeset tag`/`changeset publish` makes for that
 * version (`@fittech/manifests@<version>`): its chart has that version. Any
 * other build gets a SemVer pre-release naming its commit,
 * `<version>-dev.g<12 hex digits of the commit>` (`g` as in `git describe`: an
 * identifier of digits only may not start with 0), so two different commits never share a chart
 * version, and the same commit always gives the same one (synth stays
 * byte-identical). A pre-release sorts before its release, so `helm` ranges
 * such as `^0.2.0` never pick a development chart by accident.
 */

/** The package whose version is the release version. */
export const RELEASE_PACKAGE = '@fittech/manifests';

/** The git tag of a release of `version`, as Changesets names it. */
export function releaseTag(version: string): string {
  return `${RELEASE_PACKAGE}@${version}`;
}

/** How many hex digits of the commit a development version carries (git's short ids collide sooner). */
export const COMMIT_DIGITS = 12;

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Whether `v` is a SemVer 2 version (what Helm requires of a chart's `version`). */
export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

export interface ChartVersionInputs {
  /** The release version (`@fittech/manifests`'s package.json `version`). */
  readonly releaseVersion: string;
  /** The commit built (full hex id); undefined outside a git checkout. */
  readonly commit?: string;
  /** The tags on that commit (`git tag --points-at <commit>`). */
  readonly tags?: readonly string[];
  /**
   * The environment the chart was built for, while a chart still differs between environments
   * (its Service listener, database auth mode, NOTES): it becomes SemVer build metadata
   * (`+prod`), so the dev and prod charts of one commit never share a version in one chart
   * repository. @default - none (a chart the same for every environment)
   */
  readonly environment?: string;
}

/**
 * The chart version of a build: the release version on its release commit,
 * `<release>-dev.<commit>` on any other commit, `<release>-dev.uncommitted`
 * outside git (such a chart names no commit: do not push it).
 */
export function chartVersion(inputs: ChartVersionInputs): string {
  const { releaseVersion, commit, tags = [], environment } = inputs;
  const build = environment === undefined ? '' : `+${buildIdentifier(environment)}`;
  if (!isSemver(releaseVersion) || releaseVersion.includes('-') || releaseVersion.includes('+')) {
    throw new Error(
      `${RELEASE_PACKAGE}'s version must be a plain SemVer release (MAJOR.MINOR.PATCH) to derive the chart version from; ` +
        `got ${JSON.stringify(releaseVersion)} (${typeof releaseVersion}). Fix packages/manifests/package.json (changeset version writes it).`,
    );
  }
  if (commit && tags.includes(releaseTag(releaseVersion))) return `${releaseVersion}${build}`;
  if (!commit) return `${releaseVersion}-dev.uncommitted${build}`;
  if (!/^[0-9a-f]{7,64}$/.test(commit)) {
    throw new Error(
      `the commit of a build must be a git object id (hex); got ${JSON.stringify(commit)} (${typeof commit})`,
    );
  }
  // "dev.<hex>": a hex id that is all digits with a leading zero would be an invalid numeric identifier.
  return `${releaseVersion}-dev.g${commit.slice(0, COMMIT_DIGITS)}${build}`;
}

function buildIdentifier(environment: string): string {
  if (!/^[0-9A-Za-z-]+$/.test(environment)) {
    throw new Error(
      `environment ${JSON.stringify(environment)} (${typeof environment}) cannot be SemVer build metadata: use letters, digits and "-"`,
    );
  }
  return environment;
}

/** Whether a chart version is a release (no pre-release, no build metadata). */
export function isReleaseVersion(version: string): boolean {
  return isSemver(version) && !/[-+]/.test(version);
}

/**
 * The OCI tag Helm pushes a chart version under: OCI tags cannot hold `+`,
 * so Helm writes SemVer build metadata with `_` instead.
 */
export function ociTag(version: string): string {
  return version.replace(/\+/g, '_');
}
