import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinaryType } from './types';

/** The two architectures as LLRT's release assets name them. */
export type LlrtArch = 'arm64' | 'x64';

/** Maps a Lambda architecture to LLRT's asset naming, refusing anything else. */
export function llrtArch(architecture: lambda.Architecture): LlrtArch {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x64';
  throw new Error(`architecture '${architecture.name}' is not supported by LLRT; expected arm64 or x86_64 ` +
    '(lambda.Architecture.ARM_64 or lambda.Architecture.X86_64)');
}

/** The release asset holding the Lambda `bootstrap` for an architecture and binary type. */
export function releaseAssetName(arch: LlrtArch, type: LlrtBinaryType): string {
  const suffix = type === LlrtBinaryType.STANDARD ? '' : `-${type}`;
  return `llrt-lambda-${arch}${suffix}.zip`;
}

/** Environment variables the library reads (documented in the README). */
export const ENV = {
  /** Root of the per-user cache (replaces `<OS cache dir>/rustacean-lambda`). */
  cache: 'RUSTACEAN_LAMBDA_CACHE',
  /** Where release assets are downloaded from: `<base>/<tag>/<asset>`. */
  baseUrl: 'RUSTACEAN_LAMBDA_LLRT_BASE_URL',
  /** `1` or `true`: never download; use LlrtBinary.fromFile(), a source build already cached, or the cache. */
  offline: 'RUSTACEAN_LAMBDA_OFFLINE',
} as const;

/** GitHub's download URLs are `<this>/<tag>/<asset>`. */
export const DEFAULT_BASE_URL = 'https://github.com/awslabs/llrt/releases/download';
/** GitHub redirects this to `.../releases/tag/<newest tag>`. */
export const GITHUB_LATEST_URL = 'https://github.com/awslabs/llrt/releases/latest';

/**
 * The per-user cache root: `$RUSTACEAN_LAMBDA_CACHE`, else the OS's user cache folder + `rustacean-lambda`
 * (`%LOCALAPPDATA%` on Windows, `~/Library/Caches` on macOS, `$XDG_CACHE_HOME` or `~/.cache` elsewhere).
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[ENV.cache];
  if (explicit) return path.resolve(explicit);
  const home = os.homedir();
  let base: string;
  if (process.platform === 'win32') base = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  else if (process.platform === 'darwin') base = path.join(home, 'Library', 'Caches');
  else base = env.XDG_CACHE_HOME || path.join(home, '.cache');
  return path.join(base, 'rustacean-lambda');
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): string {
  return sha256Hex(fs.readFileSync(file));
}

/** Writes a file through a temporary sibling and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, data: Buffer | string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

// ---- zip ----------------------------------------------------------------------------------------------------------

/** One file of a zip archive, from its central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

/* eslint-disable no-bitwise */ // CRC-32 is bit arithmetic by definition
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as zip uses it (Node's own when it has one, 20.15 and later). */
export function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  return typeof native === 'function' ? native(data) >>> 0 : crc32Portable(data);
}

/** CRC-32 in plain JavaScript, for Node releases without `zlib.crc32`. */
export function crc32Portable(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
/* eslint-enable no-bitwise */

/** Lists the files of a zip archive from its central directory; throws on anything that is not a plain zip. */
export function readZipEntries(zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (offset === 0xffffffff || count === 0xffff) throw new Error('zip64 archives are not supported');
  if (offset + size > eocd) throw new Error('truncated zip archive (central directory out of range)');
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    entries.push({
      method: zip.readUInt16LE(p + 10),
      crc32: zip.readUInt32LE(p + 16),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      localHeaderOffset: zip.readUInt32LE(p + 42),
      name: zip.toString('utf-8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The content of one zip entry (stored or deflated), checked against its size and CRC-32. */
export function readZipEntry(zip: Buffer, entry: ZipEntry): Buffer {
  const p = entry.localHeaderOffset;
  if (p + 30 > zip.length || zip.readUInt32LE(p) !== 0x04034b50) throw new Error(`corrupt zip entry '${entry.name}' (bad local header)`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  if (raw.length !== entry.compressedSize) throw new Error(`truncated zip entry '${entry.name}'`);
  let data: Buffer;
  if (entry.method === 0) data = Buffer.from(raw);
  else if (entry.method === 8) data = zlib.inflateRawSync(raw);
  else throw new Error(`zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported`);
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new Error(`zip entry '${entry.name}' is corrupt (size or CRC-32 mismatch)`);
  return data;
}

export function isZip(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === 0x04034b50;
}

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

/** A lock older than this is taken over: its owner died between taking and releasing it. */
const STALE_FILE_LOCK_MS = 30_000;

/**
 * Runs `update` while holding `<file>.lock` (a folder: `mkdir` is atomic on every file system we meet). Waits up to
 * 20 s for another holder, and takes over a lock left stale by a process that died.
 */
export function withFileLock<T>(file: string, update: () => T): T {
  const lock = `${file}.lock`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > STALE_FILE_LOCK_MS) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) {
        throw new Error(`${file} is locked by another process (${lock} exists); if no synth is running, delete ${lock}`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  try {
    return update();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---- ELF ----------------------------------------------------------------------------------------------------------

/** `e_machine` of an ELF file's first bytes; undefined when they are not ELF. */
export function elfMachineOf(head: Buffer): number | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

export const ELF_MACHINE: Record<LlrtArch, number> = { arm64: 0xb7, x64: 0x3e };

export function describeElf(machine: number | undefined): string {
  if (machine === ELF_MACHINE.arm64) return 'an arm64 executable';
  if (machine === ELF_MACHINE.x64) return 'an x86_64 executable';
  return machine === undefined ? 'not an ELF executable' : `an ELF executable for machine 0x${machine.toString(16)}`;
}
