import * as fs from 'fs';
import * as path from 'path';
import { LlrtSourceBuild, ObtainedBinary } from './bootstrap';
import { CompilerBinary, compilerVersion } from './compiler';
import { modulesFromSources } from './modules';
import { Architecture, ARCHITECTURES, hostArchitecture } from '../core/arch';
import { CargoLambdaBuild } from '../core/cargo/build';
import { fetchCrateSource } from '../core/cargo/crate-source';
import { planBuild, RustBuildPlan } from '../core/cargo/plan';
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
/**
 * Features of LLRT's bytecode compiler: the same build without `lambda`, whose `llrt compile` the Lambda build
 * refuses ("Not supported in \"lambda\" version."). `lambda` only switches code in `llrt` and `llrt_core`, so
 * with the same target, preset and target folder every other crate of the Lambda build is reused.
 */
export const LLRT_COMPILER_FEATURES = LLRT_FEATURES.filter(f => f !== 'lambda');
/** glibc of `provided.al2023`; without the pin the binary takes the build machine's newer symbol versions. */
export const LLRT_GLIBC = '2.34';

/**
 * The source of `llrt <version>` as a standalone Cargo package in the cache, with the lock file the crate ships
 * (fetched from crates.io and checked against its index by the core; `llrt` is a binary-only crate, which cargo
 * cannot fetch as a dependency). Later calls touch no network.
 */
export function llrtSource(crateVersion: string, cacheRoot: string): string {
  return fetchCrateSource({
    crate: LLRT_CRATE,
    version: crateVersion,
    crateDir: path.join(cacheRoot, 'llrt-source', crateVersion, LLRT_CRATE),
    requireLock: true,
    otherwise: 'use LlrtBinary.fromFile()',
    example: 'LlrtBinary.fromSource({ version: LlrtVersion.V0_8_1_BETA }) (the default)',
  });
}

/**
 * The foundation's build plan for LLRT: `cargo lambda build --release --locked --package llrt --features
 * lambda,snmalloc-rs/build_cc --target <triple>.2.34` with the optimisation preset.
 */
export function llrtPlan(build: LlrtSourceBuild, arch: Architecture, features: string[] = LLRT_FEATURES): RustBuildPlan {
  const crateDir = llrtSource(build.crateVersion, build.cacheRoot);
  return planBuild({
    manifestPath: crateDir,
    binaryName: LLRT_BINARY,
    bundling: {
      optimization: build.optimization,
      toolchain: build.toolchain,
      features,
      // NONE means the crate's own release profile as cargo defines it (LLRT's crate sets none), without the
      // release settings cargo-lambda would add.
      cargoLambdaFlags: build.optimization === 'none' ? ['--locked', '--disable-optimizations'] : ['--locked'],
      // Through sccache when asked (LlrtBinary.fromSource({ buildCache }) or RUSTACEAN_LAMBDA_BUILD_CACHE): the
      // core's compiler wrapper keeps snmalloc's allocator linking under sccache (see rustcWrapper).
      buildCache: build.buildCache,
    },
    architecture: arch,
    glibc: LLRT_GLIBC,
  });
}

/**
 * Builds (or finds in the cache) LLRT's bootstrap for an architecture and returns its path. Failures keep the
 * cargo output and say what to do; a missing C compiler (QuickJS, zlib-ng, zstd and ring are C) is named as such.
 */
export function buildLlrt(build: LlrtSourceBuild, arch: Architecture, features: string[] = LLRT_FEATURES): string {
  const plan = llrtPlan(build, arch, features);
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

const compilers = new Map<string, CompilerBinary>();

/**
 * LLRT's bytecode compiler for a source build: the same crate, version, preset and toolchain, features without
 * `lambda`, built by cargo-lambda for this machine (Linux x86_64 or arm64) into the same target folder as the
 * Lambda builds, so an x86_64 machine that built the x86_64 runtime reuses every crate but `llrt_core` and `llrt`.
 * Kept by the build-once cache like the runtime; never shipped. Its zstd dictionaries (trained by `llrt_core`'s
 * build script, one per build) are found in the target folder, to rewrite its output uncompressed.
 */
export function obtainSourceCompiler(build: LlrtSourceBuild): CompilerBinary {
  const host = hostArchitecture();
  if (process.platform !== 'linux' || !host) {
    throw new Error(`LLRT's bytecode compiler is built for Linux and runs at synth, but this machine is ${process.platform} ` +
      `${process.arch}; synthesize on Linux (x86_64 or arm64), or set bundling.bytecode to false`);
  }
  const key = JSON.stringify([{ ...build, buildCache: undefined }, host]);
  const known = compilers.get(key);
  if (known) return known;
  const plan = llrtPlan(build, host, LLRT_COMPILER_FEATURES);
  const file = buildLlrt(build, host, LLRT_COMPILER_FEATURES);
  const buildDir = path.join(plan.request.workspace.targetDirectory, ARCHITECTURES[host].rustTarget, plan.request.profile, 'build');
  const dictionaries = fs.existsSync(buildDir)
    ? fs.readdirSync(buildDir).filter(d => d.startsWith('llrt_core-')).map(d => path.join(buildDir, d, 'out', 'compression.dict')).filter(f => fs.existsSync(f))
    : [];
  const compiler: CompilerBinary = {
    file,
    version: compilerVersion(file),
    dictionaries,
    origin: `LLRT ${build.crateVersion}'s compiler built from crates.io (${file})`,
  };
  compilers.set(key, compiler);
  return compiler;
}
