/**
 * Release numbers compared the semver way (https://semver.org/#spec-item-11): numbers as numbers (`0.10.0` is newer
 * than `0.9.0`), a release newer than its pre-releases, pre-release identifiers one by one (numeric ones as numbers,
 * before alphanumeric ones), build metadata ignored. Written once for every family that pins releases (LLRT's tags,
 * the Web Adapter's crate versions).
 */

/** `1.2.3` or `v1.2.3`, an optional `-pre.release` part and an ignored `+build` part. */
const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Negative when `a` is older than `b`, 0 when they are the same release, positive when `a` is newer (-1, 0 or 1).
 * Throws for a string that is not a release number (callers check user input first, with their own message).
 */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    const d = pa.numbers[i] - pb.numbers[i];
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre === undefined || pb.pre === undefined) {
    // A release is newer than any of its pre-releases.
    return pa.pre === pb.pre ? 0 : pa.pre === undefined ? 1 : -1;
  }
  const [idsA, idsB] = [pa.pre.split('.'), pb.pre.split('.')];
  for (let i = 0; i < Math.max(idsA.length, idsB.length); i++) {
    if (idsA[i] === undefined) return -1;
    if (idsB[i] === undefined) return 1;
    const numA = /^\d+$/.test(idsA[i]);
    const numB = /^\d+$/.test(idsB[i]);
    if (numA && numB) {
      const d = Number(idsA[i]) - Number(idsB[i]);
      if (d !== 0) return Math.sign(d);
    } else if (numA !== numB) {
      return numA ? -1 : 1; // numeric identifiers sort before alphanumeric ones
    } else if (idsA[i] !== idsB[i]) {
      return idsA[i] < idsB[i] ? -1 : 1;
    }
  }
  return 0;
}

function parse(version: string): { numbers: number[]; pre?: string } {
  const match = VERSION.exec(version);
  if (!match) throw new Error(`'${version}' is not a release number such as 1.2.3 or 1.0.0-rc1 (internal error)`);
  return { numbers: [Number(match[1]), Number(match[2]), Number(match[3])], pre: match[4] };
}
