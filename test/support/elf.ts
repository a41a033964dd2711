import { execFileSync } from 'child_process';

/** The newest GLIBC_x.y symbol version an ELF file needs (readelf reads any architecture). */
export function newestGlibc(file: string): string | undefined {
  const out = execFileSync('readelf', ['--version-info', '--wide', file], { encoding: 'utf-8' });
  const versions = [...out.matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)]
    .map(m => [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]);
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const newest = versions[versions.length - 1];
  return newest ? `${newest[0]}.${newest[1]}${newest[2] ? `.${newest[2]}` : ''}` : undefined;
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
