import { chartVersion, isReleaseVersion, isSemver, ociTag, releaseTag } from '../src';

const commit = '0123456789abcdef0123456789abcdef01234567';
const other = 'fedcba9876543210fedcba9876543210fedcba98';

describe('chartVersion', () => {
  it('is the release version on the commit Changesets tagged for it', () => {
    expect(
      chartVersion({ releaseVersion: '0.3.0', commit, tags: ['@fittech/manifests@0.3.0'] }),
    ).toBe('0.3.0');
  });

  it('names the commit on any other build, and two commits never share a version', () => {
    const a = chartVersion({ releaseVersion: '0.3.0', commit, tags: ['@fittech/manifests@0.2.0'] });
    const b = chartVersion({ releaseVersion: '0.3.0', commit: other });
    expect(a).toBe('0.3.0-dev.g0123456789ab');
    expect(b).toBe('0.3.0-dev.gfedcba987654');
    expect(isSemver(a) && isSemver(b)).toBe(true);
    expect(isReleaseVersion(a)).toBe(false);
  });

  it('is the same for the same commit (synth stays byte-identical)', () => {
    expect(chartVersion({ releaseVersion: '1.0.0', commit })).toBe(
      chartVersion({ releaseVersion: '1.0.0', commit }),
    );
  });

  it('carries an environment as build metadata, which the OCI tag writes with "_"', () => {
    const v = chartVersion({ releaseVersion: '0.3.0', commit, environment: 'prod' });
    expect(v).toBe('0.3.0-dev.g0123456789ab+prod');
    expect(ociTag(v)).toBe('0.3.0-dev.g0123456789ab_prod');
    expect(
      chartVersion({
        releaseVersion: '0.3.0',
        commit,
        tags: [releaseTag('0.3.0')],
        environment: 'dev',
      }),
    ).toBe('0.3.0+dev');
  });

  it('says outside git that the chart names no commit', () => {
    expect(chartVersion({ releaseVersion: '0.3.0' })).toBe('0.3.0-dev.uncommitted');
  });

  it('refuses a release version that is not MAJOR.MINOR.PATCH, saying where it comes from', () => {
    expect(() => chartVersion({ releaseVersion: '0.3', commit })).toThrow(
      /plain SemVer release.*got "0.3" \(string\).*packages\/manifests\/package.json/,
    );
    expect(() => chartVersion({ releaseVersion: '0.3.0', commit: 'HEAD' })).toThrow(/got "HEAD"/);
    expect(() => chartVersion({ releaseVersion: '0.3.0', commit, environment: 'a/b' })).toThrow(
      /"a\/b".*letters, digits/,
    );
  });
});
