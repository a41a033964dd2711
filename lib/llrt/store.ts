import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { bootstrapFromZip, checkMachine, ObtainedBinary, ReleaseBinarySpec, releaseAssetName } from './bootstrap';
import { LlrtBinaryType } from './types';
import { LlrtWarnings } from './warnings';
import { Architecture, ARCHITECTURES } from '../core/arch';
import { CACHE_ENV, cacheRoot, offline, removeStale, stageDirectory, updateFileAtomic, writeFileAtomic } from '../core/cache';
import { elfMachineOf } from '../core/elf';
import { sha256, sha256File } from '../core/hash';
import { FetchResult, httpGet, HttpRequest } from '../core/http';

export { releaseAssetName } from './bootstrap';

/** Contents of `artifact.json` next to a cached bootstrap. */
interface CachedArtifact extends LockEntry {
  readonly asset: string;
  readonly version: string;
}

const LATEST_TTL_MS = 24 * 60 * 60 * 1000;
const TAG_PATTERN = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/**
 * Obtains the `bootstrap` of an LLRT release at synth: from the per-user cache, else a download of the release zip,
 * which is checked against the lock file (or `sha256`) and unpacked into the cache atomically.
 * Results are kept for the process; `BinaryStore.reset()` forgets them (for tests).
 */
export class BinaryStore {
  /** Abort a download when no data arrives for this long. */
  public static idleTimeoutMs = 30_000;
  /** Abort a download that takes longer than this in total. */
  public static deadlineMs = 5 * 60_000;
  /** Number of HTTP fetches (downloads and `latest` look-ups) in this process; tests and the benchmark read it. */
  public static fetches = 0;

  public static reset(): void {
    BinaryStore.fetches = 0;
    BinaryStore.memo.clear();
    BinaryStore.latestMemo.clear();
    BinaryStore.idleTimeoutMs = 30_000;
    BinaryStore.deadlineMs = 5 * 60_000;
  }

  /** The base URL in force: `baseUrl`, else `$RUSTACEAN_LAMBDA_LLRT_BASE_URL`, else GitHub releases. */
  public static baseUrl(spec: Pick<ReleaseBinarySpec, 'baseUrl'>): string {
    const fromEnv = process.env[ENV.baseUrl];
    const chosen = spec.baseUrl ?? (fromEnv ? fromEnv : undefined);
    if (chosen === undefined) return DEFAULT_BASE_URL;
    return validateBaseUrl(chosen, spec.baseUrl !== undefined ? 'baseUrl' : ENV.baseUrl);
  }

  /** The cache folder of one release asset: `<cache>/llrt/<tag>/<arch>-<type>`. */
  public static cacheDir(tag: string, arch: Architecture, type: LlrtBinaryType): string {
    return path.join(cacheRoot(), 'llrt', tag, `${ARCHITECTURES[arch].llrt}-${type}`);
  }

  /** Finds, verifies (and if needed downloads) the bootstrap of the release a spec names. */
  public static obtain(spec: ReleaseBinarySpec, warnings: LlrtWarnings): ObtainedBinary {
    const tag = spec.version.isLatest ? BinaryStore.resolveLatest(spec, warnings) : spec.version.version;
    const key = JSON.stringify([tag, spec.arch, spec.type, BinaryStore.baseUrl(spec), spec.lockFile, spec.sha256 ?? '']);
    const known = BinaryStore.memo.get(key);
    if (known) return known;
    const obtained = BinaryStore.fromCacheOrDownload(spec, tag, warnings);
    BinaryStore.memo.set(key, obtained);
    return obtained;
  }

  /** Runs one HTTP GET (following redirects) in a child Node process, counted in `fetches`. */
  public static get(request: HttpRequest): FetchResult {
    BinaryStore.fetches++;
    return httpGet(request, { idleTimeoutMs: BinaryStore.idleTimeoutMs, deadlineMs: BinaryStore.deadlineMs });
  }

  private static readonly memo = new Map<string, ObtainedBinary>();
  private static readonly latestMemo = new Map<string, string>();

  private static fromCacheOrDownload(spec: ReleaseBinarySpec, tag: string, warnings: LlrtWarnings): ObtainedBinary {
    const asset = releaseAssetName(spec.arch, spec.type);
    const lockKey = `${tag}/${asset}`;
    const lockEntry = readLock(spec.lockFile)[lockKey] as LockEntry | undefined;
    const lockName = displayPath(spec.lockFile);
    if (spec.sha256 && lockEntry && lockEntry.sha256 !== spec.sha256) {
      throw new Error(`sha256 ${spec.sha256} disagrees with ${lockName}, which records ${lockEntry.sha256} for ` +
        `${lockKey}; one of them is wrong: check the release asset and fix sha256 (LlrtBinary.fromRelease) or the lock entry`);
    }
    const expected = spec.sha256 ?? lockEntry?.sha256;
    const expectedFrom = spec.sha256 ? 'sha256' : lockName;
    const dir = BinaryStore.cacheDir(tag, spec.arch, spec.type);
    const url = `${BinaryStore.baseUrl(spec)}/${tag}/${asset}`;

    // 1. The cache, when its entry is intact and matches what the lock (or sha256) expects.
    const cached = readCacheEntry(dir);
    if (cached) {
      const intact = sha256File(path.join(dir, 'bootstrap')) === cached.bootstrapSha256;
      const agrees = (!expected || cached.sha256 === expected) &&
        (!lockEntry || lockEntry.bootstrapSha256 === undefined || lockEntry.bootstrapSha256 === cached.bootstrapSha256);
      if (intact && agrees) {
        if (!lockEntry) BinaryStore.record(spec.lockFile, lockKey, cached, warnings);
        return { file: path.join(dir, 'bootstrap'), version: tag, source: 'cache', origin: `the cache (${dir})` };
      }
      warnings.push({
        id: 'llrt-cache-replaced',
        message: intact
          ? `cached LLRT ${tag} ${asset} (sha256 ${cached.sha256}) does not match ${expectedFrom} (${expected}); it was removed and the asset is downloaded again`
          : `cached LLRT ${tag} ${asset} in ${dir} was corrupt; it was removed and the asset is downloaded again`,
      });
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // 2. A download, verified before anything is cached.
    if (!expected && !authenticated(url)) {
      // Trust on first use records whatever arrives: over plain http, anyone on the path chooses the checksum.
      throw new Error(`LLRT ${tag} ${asset} would be downloaded from ${url} over plain http with no checksum to check it ` +
        `against (neither sha256 nor ${lockName} pins it), so the checksum recorded on first use would be unauthenticated; ` +
        'serve the mirror over https, pin the checksum with LlrtBinary.fromRelease({ sha256 }), or supply the file with ' +
        'LlrtBinary.fromFile()');
    }
    if (offline()) {
      throw new Error(`LLRT ${tag} ${asset} is not in the cache (${dir}) and ${ENV.offline} forbids downloads; ` +
        offlineHint(asset, dir));
    }
    const parent = path.dirname(dir);
    fs.mkdirSync(parent, { recursive: true });
    removeStale(parent, ['.download-', '.staging-']);
    const tmpZip = path.join(parent, `.download-${spec.arch}-${spec.type}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.zip`);
    try {
      const result = BinaryStore.get({ mode: 'download', url, dest: tmpZip });
      if (!result.ok) throw new Error(downloadError(`download LLRT ${tag} (${asset})`, url, result, asset, dir));
      const zip = fs.readFileSync(tmpZip);
      const actual = sha256(zip);
      if (expected && actual !== expected) {
        throw new Error(`checksum mismatch for LLRT ${tag} ${asset} from ${url}: expected sha256 ` +
          `${expected} (${expectedFrom}), got ${actual}; the download was discarded and nothing was cached; if the ` +
          `asset was republished on purpose, remove "${lockKey}" from ${lockName} and synthesize again, otherwise ` +
          'supply a trusted copy with LlrtBinary.fromFile(), or build LLRT with LlrtBinary.fromSource()');
      }
      let bootstrap: Buffer;
      try {
        bootstrap = bootstrapFromZip(zip);
      } catch (e) {
        throw new Error(`the release asset ${url} is not usable: ${(e as Error).message}; nothing was cached; check that ` +
          `the base URL (${BinaryStore.baseUrl(spec)}) serves LLRT release zips as <base>/<tag>/<asset>, or use LlrtBinary.fromFile()`);
      }
      checkMachine(elfMachineOf(bootstrap), spec, url, []);
      const artifact: CachedArtifact = {
        version: tag, asset, sha256: actual, bootstrapSha256: sha256(bootstrap), url, // the canonical URL, not a signed redirect
      };
      stageDirectory(dir, staging => {
        fs.writeFileSync(path.join(staging, 'bootstrap'), bootstrap, { mode: 0o755 });
        fs.writeFileSync(path.join(staging, 'artifact.json'), `${JSON.stringify(artifact, null, 2)}\n`);
      }, {
        tmpPrefix: `.staging-${spec.arch}-${spec.type}-`,
        // Another process cached the same asset first: keep theirs if it is the same artifact.
        complete: d => readCacheEntry(d)?.sha256 === actual,
      });
      if (!lockEntry) BinaryStore.record(spec.lockFile, lockKey, artifact, warnings);
      return { file: path.join(dir, 'bootstrap'), version: tag, source: 'download', origin: url };
    } finally {
      fs.rmSync(tmpZip, { force: true });
    }
  }

  /** Trust on first use: record the checksums; a lock that cannot be written is a warning, not a failure. */
  private static record(lockFile: string, key: string, entry: LockEntry, warnings: LlrtWarnings): void {
    try {
      recordLock(lockFile, key, entry);
    } catch (e) {
      warnings.push({
        id: 'llrt-lock-not-written',
        message: `could not record ${key} in ${lockFile} (${(e as Error).message}); later downloads cannot be ` +
          `verified against it: make the file writable, or pass sha256: '${entry.sha256}' to LlrtBinary.fromRelease()`,
      });
    }
  }

  /**
   * Resolves `LATEST` to a tag: from this process's memo, a look-up younger than a day, or the release server
   * (GitHub redirects `/releases/latest` to `/releases/tag/<tag>`; a mirror serves `<base>/latest` as a redirect
   * to a URL ending in the tag, or as a text body holding the tag). A stale look-up is used when the server cannot
   * be reached.
   */
  private static resolveLatest(spec: ReleaseBinarySpec, warnings: LlrtWarnings): string {
    const base = BinaryStore.baseUrl(spec);
    const latestUrl = base === DEFAULT_BASE_URL ? GITHUB_LATEST_URL : `${base}/latest`;
    const memo = BinaryStore.latestMemo.get(latestUrl);
    if (memo) return memo;
    const file = path.join(cacheRoot(), 'llrt', 'latest.json');
    let known: Record<string, { tag: string; resolvedAt: string }> = {};
    try {
      known = JSON.parse(fs.readFileSync(file, 'utf-8'));
    } catch {
      known = {};
    }
    const previous = known[latestUrl];
    const fresh = previous && Date.now() - Date.parse(previous.resolvedAt) < LATEST_TTL_MS;
    let tag: string | undefined = fresh ? previous.tag : undefined;
    if (!tag) {
      const result = offline()
        ? { ok: false, kind: 'network', message: `${ENV.offline} is set` } as FetchResult
        : BinaryStore.get({ mode: 'resolve', url: latestUrl });
      if (result.ok) {
        const last = decodeURIComponent(new URL(result.finalUrl!).pathname.split('/').filter(s => s).pop() ?? '');
        const body = (result.body ?? '').trim();
        tag = TAG_PATTERN.test(last) ? last : TAG_PATTERN.test(body) ? body : undefined;
        if (!tag) {
          throw new Error(`cannot tell the latest LLRT release from ${latestUrl} (it answered ${result.finalUrl}, not a ` +
            "release tag); pin a version instead, e.g. LlrtVersion.of('v0.8.1-beta')");
        }
        known[latestUrl] = { tag, resolvedAt: new Date().toISOString() };
        try {
          writeFileAtomic(file, `${JSON.stringify(known, null, 2)}\n`);
        } catch {
          // Only an optimisation.
        }
      } else if (previous) {
        tag = previous.tag;
        warnings.push({
          id: 'llrt-latest-stale',
          message: `could not look up the latest LLRT release (${result.message ?? result.kind}); using ${tag}, found on ${previous.resolvedAt}`,
        });
      } else {
        throw new Error(downloadError('look up the latest LLRT release', latestUrl, result, undefined, undefined) +
          "; or pin a version, e.g. LlrtVersion.of('v0.8.1-beta'), and supply it offline");
      }
    }
    warnings.push({
      id: 'llrt-latest-resolved',
      message: `LlrtVersion.LATEST resolved to ${tag}; pin it with LlrtVersion.of('${tag}') so every synth deploys the same runtime`,
    });
    BinaryStore.latestMemo.set(latestUrl, tag);
    return tag;
  }
}

/** A path relative to the working directory when it is inside it, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function validateBaseUrl(value: string, from: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${from} '${value}' is not a URL; expected http(s)://host/path under which <tag>/<asset> are served ` +
      `(default ${DEFAULT_BASE_URL})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`${from} '${value}' uses ${parsed.protocol}; expected an http or https URL under which <tag>/<asset> ` +
      `are served (default ${DEFAULT_BASE_URL})`);
  }
  return value.replace(/\/+$/, '');
}

/** True for https, and for http to this machine (a loopback mirror: nothing on the network can change it). */
function authenticated(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return true;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Validates `baseUrl` at construction time (the environment variable is checked when it is used). */
export function checkBaseUrl(value: string): string {
  return validateBaseUrl(value, 'baseUrl');
}

/** The cache entry in `dir` when it is complete; an incomplete or unreadable one is removed. */
function readCacheEntry(dir: string): CachedArtifact | undefined {
  if (!fs.existsSync(dir)) return undefined;
  try {
    const artifact = JSON.parse(fs.readFileSync(path.join(dir, 'artifact.json'), 'utf-8')) as CachedArtifact;
    if (fs.statSync(path.join(dir, 'bootstrap')).isFile() && typeof artifact.sha256 === 'string' &&
      typeof artifact.bootstrapSha256 === 'string') {
      return artifact;
    }
  } catch {
    // fall through: not a usable entry
  }
  // Entries are renamed into place complete, so this is a damaged copy: drop it and download again.
  fs.rmSync(dir, { recursive: true, force: true });
  return undefined;
}

function offlineHint(asset: string, dir: string): string {
  return `to synthesize offline, use LlrtBinary.fromFile() with a copy of ${asset} (or the bootstrap inside it), build LLRT ` +
    'from crates.io with LlrtBinary.fromSource(), copy the ' +
    `cache folder ${dir} from a machine that has it (the cache root is set with ${ENV.cache}), or serve the release ` +
    `assets from a mirror as <base>/<tag>/<asset> and set baseUrl (LlrtBinary.fromRelease) or ${ENV.baseUrl}`;
}

function downloadError(what: string, url: string, result: FetchResult, asset: string | undefined, dir: string | undefined): string {
  let reason: string;
  if (result.kind === 'http') {
    reason = `HTTP ${result.status}${result.statusText ? ` ${result.statusText}` : ''}` +
      (result.status === 404 ? ' (no such release or asset: check the version at https://github.com/awslabs/llrt/releases)' : '');
  } else if (result.kind === 'timeout' || result.code === 'ETIMEDOUT') {
    reason = `timed out (${result.message})`;
  } else if (result.kind === 'network') {
    reason = `network error: ${result.message ?? result.code} (no network, a proxy, or a firewall?)`;
  } else {
    reason = result.message ?? String(result.kind);
  }
  const where = result.url && result.url !== url ? `${url} (redirected to ${result.url})` : url;
  const hint = asset && dir ? `; ${offlineHint(asset, dir)}` : '';
  return `cannot ${what} from ${where}: ${reason}${hint}`;
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
  return parseLock(file, fs.existsSync(file) ? fs.readFileSync(file, 'utf-8') : undefined);
}

/** Adds one entry (keys kept sorted, so the file diffs well) and writes the lock atomically. */
export function recordLock(file: string, key: string, entry: LockEntry): void {
  const withEntry = (text: string | undefined) => {
    const lock = parseLock(file, text);
    lock[key] = { sha256: entry.sha256, bootstrapSha256: entry.bootstrapSha256, url: entry.url };
    const sorted: Record<string, LockEntry> = {};
    for (const k of Object.keys(lock).sort()) sorted[k] = lock[k];
    return `${JSON.stringify(sorted, null, 2)}\n`;
  };
  // Read-modify-write under an exclusive lock, so two synths recording different assets at once keep both.
  updateFileAtomic(file, withEntry);
}

function parseLock(file: string, text: string | undefined): Record<string, LockEntry> {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
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
