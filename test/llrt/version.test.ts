import { LlrtVersion } from '../../lib';
import { esTarget } from '../../lib/llrt/bundling';

describe('LlrtVersion', () => {
  test('the default is pinned, never latest', () => {
    expect(LlrtVersion.DEFAULT).toBe(LlrtVersion.V0_8_1_BETA);
    expect(LlrtVersion.DEFAULT.version).toBe('v0.8.1-beta');
    expect(LlrtVersion.DEFAULT.isLatest).toBe(false);
    expect(LlrtVersion.LATEST.isLatest).toBe(true);
  });

  test('of() accepts tags with or without the leading v; latest only when spelled out', () => {
    expect(LlrtVersion.of('v0.9.0-beta').version).toBe('v0.9.0-beta');
    expect(LlrtVersion.of('0.9.0-beta').version).toBe('v0.9.0-beta');
    expect(LlrtVersion.of(' v1.2.3 ').toString()).toBe('v1.2.3');
    expect(LlrtVersion.of('latest')).toBe(LlrtVersion.LATEST);
  });

  test.each(['', 'v0.8', 'v0.8.1.2', 'beta', 'v01.2.3', 'v0.8.1-', 'v0.8.1 beta'])('of(%j) is refused with the expected form', bad => {
    expect(() => LlrtVersion.of(bad)).toThrow(`LLRT version '${bad}' is not a release tag; expected v<major>.<minor>.<patch> with an optional pre-release suffix`);
  });

  test.each([
    ['v0.10.0-beta', 'v0.9.0-beta', 1], // numbers, not strings: "v0.10" < "v0.9" as text
    ['v0.9.0-beta', 'v0.10.0-beta', -1],
    ['v0.8.1', 'v0.8.1-beta', 1], // a release is newer than its pre-releases
    ['v0.8.1-beta', 'v0.8.0', 1],
    ['v0.8.1-beta.10', 'v0.8.1-beta.2', 1],
    ['v1.0.0-alpha', 'v1.0.0-beta', -1],
    ['v1.0.0-beta', 'v1.0.0-beta.1', -1],
    ['v1.0.0-1', 'v1.0.0-alpha', -1], // numeric identifiers sort first
    ['v0.8.1-beta+build.5', 'v0.8.1-beta', 0],
    ['v2.0.0', 'v10.0.0', -1],
  ])('%s compared with %s is %d', (a, b, expected) => {
    expect(LlrtVersion.of(a).compareTo(LlrtVersion.of(b))).toBe(expected);
    expect(LlrtVersion.of(a).isAtLeast(LlrtVersion.of(b))).toBe(expected >= 0);
  });

  test('LATEST cannot be compared before it is resolved', () => {
    expect(() => LlrtVersion.LATEST.compareTo(LlrtVersion.DEFAULT)).toThrow('LlrtVersion.LATEST has no version until it is resolved at synth time');
  });
});

describe('esbuild target per LLRT release', () => {
  test.each([
    ['v0.1.15-beta', 'es2020'],
    ['v0.2.0-beta', 'es2023'],
    ['v0.8.1-beta', 'es2023'],
    ['v0.10.0-beta', 'es2023'], // a string comparison would pick es2020 here
    [undefined, 'es2023'], // LATEST or a local binary of unknown version
  ])('LLRT %s gets %s', (tag, target) => {
    expect(esTarget(tag, '0.28.2')).toBe(target);
  });

  test('esbuild older than 0.21.2 does not know es2023; es2022 gives the same output', () => {
    expect(esTarget('v0.8.1-beta', '0.21.1')).toBe('es2022');
    expect(esTarget('v0.8.1-beta', '0.21.2')).toBe('es2023');
    expect(esTarget('v0.1.0-beta', '0.19.0')).toBe('es2020');
  });
});
