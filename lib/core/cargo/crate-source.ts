/**
 * A crate's published source, fetched once from a crates.io-style registry into the cache as a standalone Cargo
 * package (LLRT, the Web Adapter): the sparse index says which versions exist and the SHA-256 of each, the `.crate`
 * is downloaded, checked against it, unpacked and renamed into place.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CACHE_ENV, offline, stageDirectory } from '../cache';
import { sha256File } from '../hash';
import { FetchResult, httpGet } from '../http';
import { run } from '../process';

/** Marks a complete crate source in the cache; holds where it came from. */
export const SOURCE_MARKER = '.rustacean-lambda-source';

/** Where crates are looked up and downloaded: crates.io's sparse index and its download host. */
export const CRATES_INDEX_URL = 'https://index.crates.io';
export const CRATES_DOWNLOAD_URL = 'https://static.crates.io/crates';

/** Environment variables that point the fetch at a mirror of crates.io (same layout: sparse index, `.crate` files). */
export const REGISTRY_ENV = {
  index: 'RUSTACEAN_LAMBDA_CRATES_INDEX_URL',
  download: 'RUSTACEAN_LAMBDA_CRATES_DOWNLOAD_URL',
};

/** The folder of a complete crate source in the cache, or undefined. */
export function cachedCrateSource(crateDir: string): string | undefined {
  return fs.existsSync(path.join(crateDir, SOURCE_MARKER)) ? crateDir : undefined;
}

/**
 * A crate's source as a standalone Cargo package in a cache folder: `fill` puts the package into a temporary
 * folder, which gets a `[workspace]` table of its own (so it builds alone even when the cache lies inside someone's
 * Cargo workspace) and a marker saying `origin`, and is then renamed into place, so the cache holds a complete copy
 * or none. Another process that finished first wins.
 */
export function stageCrateSource(crateDir: string, origin: string, fill: (staging: string) => void): string {
  const cached = cachedCrateSource(crateDir);
  if (cached) return cached;
  return stageDirectory(crateDir, staging => {
    fill(staging);
    const manifest = path.join(staging, 'Cargo.toml');
    const text = fs.readFileSync(manifest, 'utf-8');
    if (!/^\[workspace\]/m.test(text)) fs.writeFileSync(manifest, `${text.trimEnd()}\n\n[workspace]\n`);
    fs.writeFileSync(path.join(staging, SOURCE_MARKER), `${origin}\n`);
  }, { tmpPrefix: '.source-', complete: d => cachedCrateSource(d) !== undefined });
}

/** What to fetch, where to keep it, and what to tell the user when it fails. */
export interface CrateFetch {
  readonly crate: string;
  readonly version: string;
  /** The cache folder that holds the package when done (its parent folders are created, and removed again if empty on failure). */
  readonly crateDir: string;
  /** Refuse a package without `Cargo.lock` (for crates that only build with the versions they were released with). */
  readonly requireLock?: boolean;
  /** The way around a failed fetch, ending the message: "use LlrtBinary.fromFile()". */
  readonly otherwise: string;
  /** A version to suggest when the asked one is not published: "LlrtBinary.fromSource({ ... }) (the default)". */
  readonly example: string;
  /** Registry URLs; default: crates.io, or the mirror named by {@link REGISTRY_ENV}. */
  readonly indexUrl?: string;
  readonly downloadUrl?: string;
}

/**
 * The source of `<crate> <version>` in `crateDir`, fetched on first use: the version's SHA-256 from the sparse
 * index (a version that is not published, or yanked, is refused with the published ones), the `.crate` downloaded
 * (in a child Node process: synth is synchronous) and checked against it, unpacked with `tar`, its `.cargo` folder
 * left out (upstream's own build settings; we build with cargo-lambda's), staged atomically. Works for binary-only
 * crates, which cargo cannot fetch as a dependency. Later calls touch no network.
 */
export function fetchCrateSource(fetch: CrateFetch): string {
  const cached = cachedCrateSource(fetch.crateDir);
  if (cached) return cached;
  const { crate, version } = fetch;
  if (offline()) {
    throw new Error(`the source of ${crate} ${version} is not in the cache (${fetch.crateDir}) and ${CACHE_ENV.offline} ` +
      'forbids downloads; synthesize once with network access to crates.io, or copy that folder from a machine that has it');
  }
  const indexUrl = (fetch.indexUrl ?? process.env[REGISTRY_ENV.index] ?? CRATES_INDEX_URL).replace(/\/+$/, '');
  const downloadUrl = (fetch.downloadUrl ?? process.env[REGISTRY_ENV.download] ?? CRATES_DOWNLOAD_URL).replace(/\/+$/, '');

  // Created parents are removed again on failure, so a failed fetch leaves the cache as it was.
  const created: string[] = [];
  for (let dir = path.dirname(fetch.crateDir); !fs.existsSync(dir); dir = path.dirname(dir)) created.unshift(dir);
  fs.mkdirSync(path.dirname(fetch.crateDir), { recursive: true });
  const work = fs.mkdtempSync(path.join(path.dirname(fetch.crateDir), '.fetch-'));
  let complete = false;
  try {
    process.stderr.write(`rustacean-lambda: fetching ${crate} ${version} from ${downloadUrl}\n`);
    const checksum = indexChecksum(fetch, indexUrl, work);
    const crateFile = path.join(work, `${crate}-${version}.crate`);
    const url = `${downloadUrl}/${crate}/${crate}-${version}.crate`;
    const result = httpGet({ mode: 'download', url, dest: crateFile });
    if (!result.ok) {
      throw new Error(`cannot download ${crate} ${version} from ${url}: ${describeFailure(result)}; check the network ` +
        `(crates.io must be reachable at synth, or set ${REGISTRY_ENV.index} and ${REGISTRY_ENV.download} to a mirror), ` +
        `or ${fetch.otherwise}`);
    }
    const actual = sha256File(crateFile);
    if (actual !== checksum) {
      throw new Error(`checksum mismatch for ${url}: the index records sha256 ${checksum}, the download has ${actual}; ` +
        'nothing was cached; synthesize again, and if it persists check for a proxy rewriting downloads');
    }
    stageCrateSource(fetch.crateDir, `${crate} ${version} from ${url}, sha256 ${actual}`, staging => {
      // A .crate is a gzipped tar of one folder, `<name>-<version>/`.
      const tar = run('tar', ['-xzf', crateFile, '-C', staging, '--strip-components=1']);
      if (tar.error || tar.status !== 0) {
        throw new Error(`cannot unpack ${crateFile} with tar (${tar.error?.message ?? tar.stderr.trim()}); install tar ` +
          '(it ships with Linux, macOS and Windows 10 and later)');
      }
      fs.rmSync(path.join(staging, '.cargo'), { recursive: true, force: true });
      if (fetch.requireLock && !fs.existsSync(path.join(staging, 'Cargo.lock'))) {
        throw new Error(`the ${crate} ${version} package from crates.io has no Cargo.lock; ${crate} only builds with ` +
          'the dependency versions it was released with: choose a release that ships its lock file');
      }
    });
    complete = true;
    return fetch.crateDir;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (!complete) {
      for (const dir of created.reverse()) removeIfEmpty(dir);
    }
  }
}

/** A crate's file in a sparse index: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...` (lower case). */
export function sparseIndexPath(crate: string): string {
  const name = crate.toLowerCase();
  if (name.length <= 2) return `${name.length}/${name}`;
  if (name.length === 3) return `3/${name[0]}/${name}`;
  return `${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`;
}

/** The SHA-256 the index records for the version; throws when the registry has no such (unyanked) version. */
function indexChecksum(fetch: CrateFetch, indexUrl: string, work: string): string {
  const { crate, version } = fetch;
  const url = `${indexUrl}/${sparseIndexPath(crate)}`;
  const file = path.join(work, 'index.jsonl');
  const result = httpGet({ mode: 'download', url, dest: file });
  if (!result.ok) {
    throw new Error(`cannot read the crates.io index entry of ${crate} (${url}): ${describeFailure(result)}; check the ` +
      `network (crates.io must be reachable at synth, or set ${REGISTRY_ENV.index} and ${REGISTRY_ENV.download} to a ` +
      `mirror), or ${fetch.otherwise}`);
  }
  const versions = fs.readFileSync(file, 'utf-8').split('\n').filter(l => l.trim())
    .map(l => JSON.parse(l) as { vers: string; cksum: string; yanked?: boolean });
  const entry = versions.find(v => v.vers === version);
  if (!entry || entry.yanked) {
    const published = versions.filter(v => !v.yanked).map(v => v.vers).slice(-8).join(', ');
    throw new Error(`crates.io has no ${entry ? 'unyanked ' : ''}${crate} ${version}; published versions include ` +
      `${published}; choose one of them, e.g. ${fetch.example}`);
  }
  return entry.cksum;
}

function describeFailure(result: FetchResult): string {
  if (result.kind === 'http') return `HTTP ${result.status}`;
  return result.message ?? result.code ?? String(result.kind);
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Not empty (another version's build) or not there: leave it.
  }
}
