import { compareVersions } from '../../lib/core/version';

describe('compareVersions: one semver comparison for LLRT tags and Web Adapter releases', () => {
  test.each([
    ['0.10.0', '0.9.0', 1], // numbers, not strings: "0.10" < "0.9" as text
    ['v0.10.0-beta', 'v0.9.0-beta', 1], // LLRT's tags, with their leading v
    ['1.0.0', '1.0.0-rc1', 1], // a release is newer than its pre-releases
    ['1.0.0-rc1', '1.1.0', -1],
    ['1.0.1', '1.1.0', -1],
    ['1.1.0', '1.1.0', 0],
    ['1.2.0', '1.1.0', 1],
    ['1.0.0-rc.10', '1.0.0-rc.2', 1],
    ['1.0.0-1', '1.0.0-alpha', -1], // numeric identifiers sort first
    ['1.0.0-beta', '1.0.0-beta.1', -1],
    ['v0.8.1-beta+build.5', 'v0.8.1-beta', 0],
  ])('%s against %s is %d', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });

  test('what is not a release number is an internal error', () => {
    expect(() => compareVersions('latest', '1.0.0')).toThrow("'latest' is not a release number");
  });
});
