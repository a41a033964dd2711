import * as fs from 'fs';
import { LlrtBinaryType } from './types';
import { Architecture, ARCHITECTURES } from '../core/arch';
import { CACHE_ENV, withFileLock, writeFileAtomic } from '../core/cache';

/** The release asset holding the Lambda `bootstrap` for an architecture and binary type. */
export function releaseAssetName(arch: Architecture, type: LlrtBinaryType): string {
  const suffix = type === LlrtBinaryType.STANDARD ? '' : `-${type}`;
  return `llrt-lambda-${ARCHITECTURES[arch].llrt}${suffix}.zip`;
}

/** Environment variables the library reads (documented in the README). */
export const ENV = {
  ...CACHE_ENV,
  /** Where release assets are downloaded from: `<base>/<tag>/<asset>`. */
  baseUrl: 'RUSTACEAN_LAMBDA_LLRT_BASE_URL',
} as const;

/** GitHub's download URLs are `<this>/<tag>/<asset>`. */
export const DEFAULT_BASE_URL = 'https://github.com/awslabs/llrt/releases/download';
/** GitHub redirects this to `.../releases/tag/<newest tag>`. */
export const GITHUB_LATEST_URL = 'https://github.com/awslabs/llrt/releases/latest';

// ---- lock file ----------------------------------------------------------------------------------------------------

/** One artifact recorded in the lock file. */
export interface LockEntry {
  /** SHA-256 of the release zip. */
  readonly sha256: string;
  /** SHA-256 of the `bootstrap` inside it (lets a cache hit be checked without the zip). */
  readonly bootstrapSha256: string;
  /** Where it was first downloaded from (informational: verification is by checksum, so mirrors work). */
  readonly url: string;
}

/** The lock file name written next to `cdk.json` unless `lockFile` (LlrtBinary.fromRelease) says otherwise. */
export const DEFAULT_LOCK_FILE = 'llrt.lock.json';

/** Reads `{ "<tag>/<asset>": LockEntry }`; a missing file is an empty lock. */
export function readLock(file: string): Record<string, LockEntry> {
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf-8'));
  } catch (e) {
    throw new Error(`lock file ${file} is not valid JSON (${(e as Error).message}); fix it, or delete it to record ` +
      'the checksums again on the next synth');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`lock file ${file} should hold an object of "<version>/<asset>": { sha256, bootstrapSha256, url }; ` +
      'fix it, or delete it to record the checksums again on the next synth');
  }
  return parsed as Record<string, LockEntry>;
}

/** Adds one entry (keys kept sorted, so the file diffs well) and writes the lock atomically. */
export function recordLock(file: string, key: string, entry: LockEntry): void {
  // Read-modify-write under an exclusive lock, so two synths recording different assets at once keep both.
  withFileLock(file, () => {
    const lock = readLock(file);
    lock[key] = { sha256: entry.sha256, bootstrapSha256: entry.bootstrapSha256, url: entry.url };
    const sorted: Record<string, LockEntry> = {};
    for (const k of Object.keys(lock).sort()) sorted[k] = lock[k];
    writeFileAtomic(file, `${JSON.stringify(sorted, null, 2)}\n`);
  });
}
