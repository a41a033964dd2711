import * as fs from 'fs';
import * as path from 'path';
import { ObtainedBinary } from './bootstrap';
import { httpGet } from './http';
import { modulesFromSources } from './modules';
import { Architecture, ARCHITECTURES } from '../core/arch';
import { CACHE_ENV, offline } from '../core/cache';
import { CargoLambdaBuild } from '../core/cargo/build';
import { cachedCrateSource, stageCrateSource } from '../core/cargo/crate-source';
import { planBuild, RustBuildPlan, Preset } from '../core/cargo/plan';
import { sha256File } from '../core/hash';
import { run } from '../core/process';

/** The crate on crates.io and the binary it ships (the Lambda `bootstrap` as is). */
export const LLRT_CRATE = 'llrt';
export const LLRT_BINARY = 'llrt';
/**
 * Features of the build: `lambda` (the Lambda runtime loop), and `snmalloc-rs/build_cc`, which builds LLRT's
 * allocator with the `cc` crate; its default CMake build leaves no library behind when zig cross-compiles, and
 * the link then fails.
 */
export const LLRT_FEATURES = ['lambda', 'snmalloc-rs/build_cc'];
/** glibc of `provided.al2023`; without the pin the binary takes the build machine's newer symbol versions. */
export const LLRT_GLIBC = '2.34';

/** What decides a build of LLRT from source. */
export interface LlrtSourceBuild {
  /** The crate version (`0.8.1-beta`: the release tag without its `v`). */
  readonly crateVersion: string;
  readonly optimization: Preset;
  readonly toolchain?: string;
  /** Root of the cache: the crate and its target directory live in `<cacheRoot>/llrt-source/<version>/llrt`. */
  readonly cacheRoot: string;
}

/** Where crates are looked up and downloaded (crates.io's sparse index and its download host). */
export const CRATES_INDEX_URL = 'https://index.crates.io';
export const CRATES_DOWNLOAD_URL = 'https://static.crates.io/crates';

/**
 * The source of `llrt <version>` as a standalone Cargo package in the cache, with the lock file the crate ships.
 * `llrt` is a binary-only crate, so cargo cannot fetch it as a dependency: the `.crate` is downloaded from
 * crates.io (in a child Node process, like LLRT releases), checked against the SHA-256 the crates.io index
 * records for that version, unpacked with `tar` into a temporary folder and renamed into place, so the cache holds
 * a complete copy or none. Later calls touch no network.
 */
export function llrtSource(crateVersion: string, cacheRoot: string): string {
  const versionsDir = path.join(cacheRoot, 'llrt-source');
  const root = path.join(versionsDir, crateVersion);
  const crateDir = path.join(root, LLRT_CRATE);
  const cached = cachedCrateSource(crateDir);
  if (cached) return cached;
  if (offline()) {
    throw new Error(`the source of ${LLRT_CRATE} ${crateVersion} is not in the cache (${crateDir}) and ${CACHE_ENV.offline} ` +
      'forbids downloads; synthesize once with network access to crates.io, or copy that folder from a machine that has it');
  }

  fs.mkdirSync(versionsDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(versionsDir, '.fetch-'));
  let complete = false;
  try {
    process.stderr.write(`rustacean-lambda: fetching ${LLRT_CRATE} ${crateVersion} from crates.io\n`);
    const checksum = indexChecksum(crateVersion, work);
    const crateFile = path.join(work, `${LLRT_CRATE}-${crateVersion}.crate`);
    const url = `${CRATES_DOWNLOAD_URL}/${LLRT_CRATE}/${LLRT_CRATE}-${crateVersion}.crate`;
    const result = httpGet({ mode: 'download', url, dest: crateFile });
    if (!result.ok) {
      throw new Error(`cannot download ${LLRT_CRATE} ${crateVersion} from ${url}: ${describeFailure(result)}; check the ` +
        'network (crates.io must be reachable at synth), or use LlrtBinary.fromFile()');
    }
    const actual = sha256File(crateFile);
    if (actual !== checksum) {
      throw new Error(`checksum mismatch for ${url}: the crates.io index records sha256 ${checksum}, the download has ` +
        `${actual}; nothing was cached; synthesize again, and if it persists check for a proxy rewriting downloads`);
    }
    stageCrateSource(crateDir, `${LLRT_CRATE} ${crateVersion} from ${url}, sha256 ${actual}`, staging => {
      // A .crate is a gzipped tar of one folder, `<name>-<version>/`.
      const tar = run('tar', ['-xzf', crateFile, '-C', staging, '--strip-components=1']);
      if (tar.error || tar.status !== 0) {
        throw new Error(`cannot unpack ${crateFile} with tar (${tar.error?.message ?? tar.stderr.trim()}); install tar ` +
          '(it ships with Linux, macOS and Windows 10 and later)');
      }
      if (!fs.existsSync(path.join(staging, 'Cargo.lock'))) {
        throw new Error(`the ${LLRT_CRATE} ${crateVersion} package from crates.io has no Cargo.lock; LLRT only builds with ` +
          'the dependency versions it was released with: choose a release that ships its lock file');
      }
    });
    complete = true;
    return crateDir;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (!complete) {
      removeIfEmpty(root);
      removeIfEmpty(versionsDir);
    }
  }
}

/** The SHA-256 the crates.io index records for a version of `llrt`; throws when crates.io has no such version. */
function indexChecksum(crateVersion: string, work: string): string {
  // Sparse index layout for names of four or more characters: /<first two>/<next two>/<name>.
  const url = `${CRATES_INDEX_URL}/${LLRT_CRATE.slice(0, 2)}/${LLRT_CRATE.slice(2, 4)}/${LLRT_CRATE}`;
  const file = path.join(work, 'index.jsonl');
  const result = httpGet({ mode: 'download', url, dest: file });
  if (!result.ok) {
    throw new Error(`cannot read the crates.io index entry of ${LLRT_CRATE} (${url}): ${describeFailure(result)}; check ` +
      'the network (crates.io must be reachable at synth), or use LlrtBinary.fromFile()');
  }
  const versions = fs.readFileSync(file, 'utf-8').split('\n').filter(l => l.trim())
    .map(l => JSON.parse(l) as { vers: string; cksum: string; yanked?: boolean });
  const entry = versions.find(v => v.vers === crateVersion);
  if (!entry || entry.yanked) {
    const published = versions.filter(v => !v.yanked).map(v => v.vers).slice(-8).join(', ');
    throw new Error(`crates.io has no ${entry ? 'unyanked ' : ''}${LLRT_CRATE} ${crateVersion}; published versions include ` +
      `${published}; choose one of them, e.g. LlrtBinary.fromSource({ version: LlrtVersion.V0_8_1_BETA }) (the default)`);
  }
  return entry.cksum;
}

function describeFailure(result: { kind?: string; status?: number; message?: string; code?: string }): string {
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

/**
 * The foundation's build plan for LLRT: `cargo lambda build --release --locked --package llrt --features
 * lambda,snmalloc-rs/build_cc --target <triple>.2.34` with the optimisation preset.
 */
export function llrtPlan(build: LlrtSourceBuild, arch: Architecture): RustBuildPlan {
  const crateDir = llrtSource(build.crateVersion, build.cacheRoot);
  return planBuild({
    manifestPath: crateDir,
    binaryName: LLRT_BINARY,
    optimization: build.optimization,
    toolchain: build.toolchain,
    features: LLRT_FEATURES,
    // NONE means the crate's own release profile as cargo defines it (LLRT's crate sets none), without the
    // release settings cargo-lambda would add.
    cargoLambdaFlags: build.optimization === 'none' ? ['--locked', '--disable-optimizations'] : ['--locked'],
  }, arch, false, LLRT_GLIBC);
}

/**
 * Builds (or finds in the cache) LLRT's bootstrap for an architecture and returns its path. Failures keep the
 * cargo output and say what to do; a missing C compiler (QuickJS, zlib-ng, zstd and ring are C) is named as such.
 */
export function buildLlrt(build: LlrtSourceBuild, arch: Architecture): string {
  const plan = llrtPlan(build, arch);
  let built;
  try {
    built = CargoLambdaBuild.build(plan.request);
  } catch (e) {
    throw new Error(explainBuildFailure((e as Error).message, build, arch));
  }
  const file = built.executable(plan.binary.name);
  if (!fs.existsSync(file)) {
    throw new Error(`the build of ${LLRT_CRATE} ${build.crateVersion} for ${arch} produced no ${plan.binary.name} ` +
      `(expected ${file}); delete ${built.dir} and synthesize again`);
  }
  return file;
}

/** Adds LLRT-specific advice to a failed build's message. */
export function explainBuildFailure(message: string, build: LlrtSourceBuild, arch: Architecture): string {
  const what = `cannot build LLRT ${build.crateVersion} from source for ${arch}`;
  const cCompiler = /zig was not found|failed to find tool|is `cc` installed|linker `[^`]+` not found|ToolNotFound|error occurred in cc-rs/i;
  if (cCompiler.test(message)) {
    return `${what}: no C compiler for the target (LLRT's JavaScript engine QuickJS, and zlib-ng, zstd and ring, are C ` +
      'code compiled for the Lambda architecture); install zig for cargo-lambda (`pip install ziglang`, or ' +
      '`pip install cargo-lambda`, which brings it), or use LlrtBinary.fromRelease() or LlrtBinary.fromFile():\n' + message;
  }
  return `${what}: ${message}\nLLRT builds with the lock file of its crate (--locked); check the Rust toolchain ` +
    `(it needs the ${ARCHITECTURES[arch].rustTarget} target) and cargo-lambda, ` +
    'or use LlrtBinary.fromRelease() or LlrtBinary.fromFile()';
}

const sourceModules = new Map<string, string[]>();

/**
 * The modules an LLRT built from source provides, read from its sources (after its build, which unpacks the
 * dependencies they are read from).
 */
export function readSourceModules(crateVersion: string, cacheRoot: string): string[] {
  const crateDir = llrtSource(crateVersion, cacheRoot);
  let modules = sourceModules.get(crateDir);
  if (!modules) {
    let read: ReturnType<typeof modulesFromSources>;
    try {
      read = modulesFromSources(crateDir, crateVersion);
    } catch {
      // A build found in a copied cache, with cargo's registry cleaned since: unpack the sources again.
      run('cargo', ['fetch', '--locked', '--manifest-path', path.join(crateDir, 'Cargo.toml')]);
      read = modulesFromSources(crateDir, crateVersion);
    }
    modules = Object.keys(read.modules);
    sourceModules.set(crateDir, modules);
  }
  return modules;
}

/**
 * `LlrtBinary.fromSource()`'s bootstrap: {@link buildLlrt} (one build per version, architecture and options, kept
 * by CargoLambdaBuild in the process and on disk), with the modules the built LLRT provides (read from the sources
 * the build unpacked).
 */
export function obtainFromSource(build: LlrtSourceBuild, arch: Architecture, version: string): ObtainedBinary {
  const file = buildLlrt(build, arch);
  return {
    file,
    modules: readSourceModules(build.crateVersion, build.cacheRoot),
    version,
    source: 'build',
    origin: `LLRT ${build.crateVersion} built from crates.io (${file})`,
  };
}
