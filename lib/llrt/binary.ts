import * as fs from 'fs';
import * as path from 'path';
import {
  bootstrapFromZip, BytecodeSource, FileBinarySpec, LlrtBootstrap, LlrtSourceBuild, ObtainedBinary, ReleaseBinarySpec,
  releaseAssetName, SourceBinarySpec,
} from './bootstrap';
import { CompilerBinary, compilerVersion } from './compiler';
import { obtainFromSource, obtainSourceCompiler } from './source';
import { BinaryStore, checkBaseUrl, DEFAULT_LOCK_FILE } from './store';
import { LlrtBinaryType, LlrtVersion } from './types';
import { Architecture } from '../core/arch';
import { cacheRoot } from '../core/cache';
import { checkPreset } from '../core/cargo/plan';
import { sha256 } from '../core/hash';
import { isZip } from '../core/zip';
import { BuildCache, OptimizationPreset } from '../rust';

/**
 * Options of `LlrtBinary.fromRelease()`: which release, and how its download is checked.
 */
export interface LlrtReleaseOptions {
  /**
   * The LLRT release to run on. Pinned by default; `LlrtVersion.LATEST` must be chosen explicitly.
   *
   * @default LlrtVersion.DEFAULT (v0.8.1-beta)
   * @see https://github.com/awslabs/llrt/releases
   */
  readonly version?: LlrtVersion;

  /**
   * The SHA-256 (hex) of the release zip. A download or cached copy that does not match fails the synth. Upstream
   * publishes no checksums, so without it the checksum recorded in the lock file on first use is what later
   * downloads are checked against.
   *
   * @default - the lock file's entry (recorded on first download)
   */
  readonly sha256?: string;

  /**
   * Where release assets are downloaded from, as `<baseUrl>/<tag>/<asset>`: a mirror or an internal artifact store
   * for air-gapped networks. The environment variable `RUSTACEAN_LAMBDA_LLRT_BASE_URL` sets it for every function
   * without a code change. Use https: a first download over plain http (to any host but this machine's loopback) is
   * refused unless `sha256` or the lock file already pins the asset, since the checksum recorded on first use would
   * be unauthenticated.
   *
   * @default - `$RUSTACEAN_LAMBDA_LLRT_BASE_URL`, else https://github.com/awslabs/llrt/releases/download
   */
  readonly baseUrl?: string;

  /**
   * The lock file that records the SHA-256 of every LLRT release asset this app uses (trust on first use). Commit
   * it: every later download and cache hit, on any machine, is checked against it.
   *
   * @default 'llrt.lock.json' in the current working directory (next to cdk.json)
   */
  readonly lockFile?: string;
}

/**
 * Options of `LlrtBinary.fromFile()`.
 */
export interface LlrtFileOptions {
  /**
   * The LLRT release the file is, which picks the JavaScript target of the bundle (releases before v0.2.0-beta
   * only understand ES2020) and names the layer. For bytecode, the version in the binary's own `--version` banner
   * wins; this one is used when the binary has none.
   *
   * @default LlrtVersion.DEFAULT (v0.8.1-beta) for the bundle and the layer; for bytecode, the binary's banner
   */
  readonly version?: LlrtVersion;

  /**
   * The SHA-256 (hex) of the file; a file that does not match fails the synth.
   *
   * @default - the file is not checked
   */
  readonly sha256?: string;

  /**
   * A non-lambda `llrt` binary for this machine (LLRT's own CLI build, `llrt compile` works with it) that compiles
   * the bundle to bytecode. Naming it makes bytecode the default for this binary. It must be the same release as
   * the runtime (checked at synth with `llrt --version`); its output must be loadable by the runtime (checked:
   * compressed bytecode needs the runtime's zstd dictionary, which another build of LLRT does not have, so prefer
   * `bundling.bytecode` without a compiler when the runtime's version is known: the compiler is then built from
   * crates.io and its bytecode rewritten uncompressed). Relative paths start at the current working directory.
   *
   * @default - none: bytecode only when `bundling.bytecode` is true, with a compiler built from crates.io
   * for the binary's version
   */
  readonly compiler?: string;
}

/**
 * Options of `LlrtBinary.fromSource()`.
 */
export interface LlrtSourceOptions {
  /**
   * The LLRT release to build: the crate `llrt` of this version from crates.io, built with the lock file it
   * ships. Must be pinned (`LlrtVersion.LATEST` is resolved through GitHub, which a source build does not use).
   *
   * @default LlrtVersion.DEFAULT (v0.8.1-beta, the release `fromRelease()` pins)
   * @see https://crates.io/crates/llrt/versions
   */
  readonly version?: LlrtVersion;

  /**
   * Optimisation preset of the build (see `RustFunction`). `NONE` is the crate's release profile as cargo defines
   * it (LLRT's crate sets none: `opt-level = 3`, no LTO, 16 codegen units, unwinding):
   * about twice as large (x86_64, v0.8.1-beta: 17.6 MiB against 9.3 MiB; zipped 7.3 MiB against 4.3 MiB).
   *
   * @default OptimizationPreset.BALANCED (fat LTO, one codegen unit, `panic = "abort"`, stripped)
   */
  readonly optimization?: OptimizationPreset;

  /**
   * rustup toolchain to build with.
   *
   * @default - the default toolchain when it has the target for the architecture; otherwise the first installed
   * rustup toolchain that has it
   */
  readonly toolchain?: string;

  /**
   * Where the crate's source and its builds are kept between synths (`<cacheDirectory>/llrt-source/<version>`).
   * The first build takes minutes; with the cache, later synths (in any project on the machine) take none.
   *
   * @default - `$RUSTACEAN_LAMBDA_CACHE`, else the OS's per-user cache folder + `rustacean-lambda`
   */
  readonly cacheDirectory?: string;

  /**
   * A shared compile cache for the build (see `RustBundlingOptions.buildCache`). It changes how fast LLRT is built,
   * never the binary. An `LlrtBinary` is not a construct, so the CDK context key `rustacean-lambda:buildCache`
   * does not reach it: pass the cache here, or set the environment variable.
   *
   * @default - the environment variable `RUSTACEAN_LAMBDA_BUILD_CACHE`, else no cache
   */
  readonly buildCache?: BuildCache;
}

/** Where a binary comes from. */
export enum LlrtBinarySource {
  /** A release asset, downloaded (or taken from the cache) and checked against the lock file. */
  RELEASE = 'release',
  /** A local file. */
  FILE = 'file',
  /** Built from the `llrt` crate on crates.io with cargo-lambda. */
  SOURCE = 'source',
}

/**
 * Where an `LlrtFunction` gets LLRT's `bootstrap`: a pinned release (the default), a local file, or a build from
 * LLRT's source on crates.io.
 *
 * @example
 * // Nothing downloaded from GitHub: LLRT built from its crate on crates.io with cargo-lambda, cached per machine.
 * new LlrtFunction(this, 'Hello', {
 *   entry: 'llrt-handlers/hello.ts',
 *   llrtBinary: LlrtBinary.fromSource(),
 * });
 *
 * // A release zip you downloaded and checked yourself.
 * new LlrtFunction(this, 'Report', {
 *   entry: 'src/report.ts',
 *   llrtBinary: LlrtBinary.fromFile('vendor/llrt-lambda-arm64.zip'),
 * });
 */
export abstract class LlrtBinary {
  /**
   * A release asset of LLRT (`llrt-lambda-<arch>[-no-sdk|-full-sdk].zip`), downloaded in Node at synth (no curl,
   * no Docker), checked against the SHA-256 in the lock file (recorded on first use) and cached per user.
   */
  public static fromRelease(options: LlrtReleaseOptions = {}): LlrtBinary {
    return new ReleaseBinary(options);
  }

  /**
   * A local LLRT binary: the `bootstrap` itself or a release zip such as `llrt-lambda-arm64.zip`. Nothing is
   * downloaded. Relative paths are resolved from the current working directory.
   *
   * @param file the bootstrap or the release zip
   */
  public static fromFile(file: string, options: LlrtFileOptions = {}): LlrtBinary {
    return new FileBinary(file, options);
  }

  /**
   * LLRT built by this library from its source on crates.io (crate `llrt`, with the `Cargo.lock` it ships) with
   * cargo-lambda, like `RustFunction`: for the function's architecture, linked against the glibc of
   * `provided.al2023` (2.34), with an optimisation preset. One build per version, architecture and options, kept
   * in a cache and shared by every function and layer of the app; needs Rust, cargo-lambda and zig at synth.
   *
   * The crates.io package carries LLRT's own modules but no AWS SDK: the binary is the `NO_SDK` type, so the SDK
   * clients you import are bundled into `index.mjs`.
   */
  public static fromSource(options: LlrtSourceOptions = {}): LlrtBinary {
    return new SourceBinary(options);
  }

  /** The LLRT release the binary is (for a release: as configured; `LATEST` is resolved at synth). */
  public abstract readonly version: LlrtVersion;

  /** Where the binary comes from. */
  public abstract readonly source: LlrtBinarySource;

  /** The binary type used when the function does not set `llrtBinaryType`. */
  public abstract readonly defaultBinaryType: LlrtBinaryType;

  /**
   * The bootstrap for one architecture and binary type: its settings, and how this source obtains it at bundling
   * time; throws when the type cannot come from this source.
   * @internal
   */
  public abstract _bootstrap(arch: Architecture, type: LlrtBinaryType): LlrtBootstrap;

  /**
   * A short, stable name of the settings that tell two binaries apart (for layer ids); '' for the defaults.
   * @internal
   */
  public abstract _layerSuffix(): string;
}

class ReleaseBinary extends LlrtBinary {
  public readonly version: LlrtVersion;
  public readonly source = LlrtBinarySource.RELEASE;
  public readonly defaultBinaryType = LlrtBinaryType.STANDARD;
  private readonly sha256?: string;
  private readonly baseUrl?: string;
  private readonly lockFile: string;

  constructor(options: LlrtReleaseOptions) {
    super();
    this.version = options.version ?? LlrtVersion.DEFAULT;
    this.sha256 = options.sha256 !== undefined ? checkSha256(options.sha256, 'sha256 of LlrtBinary.fromRelease()') : undefined;
    this.baseUrl = options.baseUrl !== undefined ? checkBaseUrl(options.baseUrl) : undefined;
    this.lockFile = path.resolve(options.lockFile ?? DEFAULT_LOCK_FILE);
  }

  public _bootstrap(arch: Architecture, type: LlrtBinaryType): LlrtBootstrap {
    const spec: ReleaseBinarySpec = {
      kind: 'release', version: this.version, type, arch, sha256: this.sha256, baseUrl: this.baseUrl, lockFile: this.lockFile,
    };
    // A bundle without the bootstrap still needs LATEST resolved to a tag.
    return new LlrtBootstrap(spec, { obtain: warnings => BinaryStore.obtain(spec, warnings), neededForBundle: this.version.isLatest },
      cratesIoCompiler(false));
  }

  public _layerSuffix(): string {
    return this.sha256 || this.baseUrl ? sha256(`${this.sha256 ?? ''}\0${this.baseUrl ?? ''}`).slice(0, 8) : '';
  }
}

class FileBinary extends LlrtBinary {
  public readonly version: LlrtVersion;
  public readonly source = LlrtBinarySource.FILE;
  public readonly defaultBinaryType = LlrtBinaryType.STANDARD;
  private readonly file: string;
  private readonly sha256?: string;
  private readonly versionDeclared: boolean;
  private readonly compiler?: string;

  constructor(file: string, options: LlrtFileOptions) {
    super();
    if (!file || !file.trim()) {
      throw new Error("LlrtBinary.fromFile() needs a path; give the LLRT bootstrap or release zip, e.g. 'llrt-lambda-arm64.zip'");
    }
    this.file = path.resolve(file);
    this.version = options.version ?? LlrtVersion.DEFAULT;
    this.versionDeclared = options.version !== undefined;
    this.sha256 = options.sha256 !== undefined ? checkSha256(options.sha256, 'sha256 of LlrtBinary.fromFile()') : undefined;
    if (options.compiler !== undefined && !options.compiler.trim()) {
      throw new Error("compiler of LlrtBinary.fromFile() is empty; name a non-lambda llrt binary for this machine, e.g. 'tools/llrt'");
    }
    this.compiler = options.compiler !== undefined ? path.resolve(options.compiler) : undefined;
  }

  public _bootstrap(arch: Architecture, type: LlrtBinaryType): LlrtBootstrap {
    const spec: FileBinarySpec = {
      kind: 'file',
      version: this.version,
      type,
      arch,
      binaryPath: this.file,
      sha256: this.sha256,
      versionDeclared: this.versionDeclared,
      compiler: this.compiler,
    };
    return new LlrtBootstrap(spec, { obtain: () => obtainFile(spec), neededForBundle: false },
      this.compiler ? namedCompiler(this.compiler) : cratesIoCompiler(true));
  }

  public _layerSuffix(): string {
    return `file${sha256(`${this.file}\0${this.sha256 ?? ''}`).slice(0, 8)}`;
  }
}

class SourceBinary extends LlrtBinary {
  public readonly version: LlrtVersion;
  public readonly source = LlrtBinarySource.SOURCE;
  public readonly defaultBinaryType = LlrtBinaryType.NO_SDK;
  private readonly optimization: OptimizationPreset;
  private readonly toolchain?: string;
  private readonly cacheDirectory?: string;
  private readonly buildCache?: BuildCache;

  constructor(options: LlrtSourceOptions) {
    super();
    this.version = options.version ?? LlrtVersion.DEFAULT;
    if (this.version.isLatest) {
      throw new Error('LlrtBinary.fromSource() needs a pinned version, not LlrtVersion.LATEST (the latest release is ' +
        "looked up on GitHub, which a source build does not use); pin one, e.g. LlrtVersion.of('v0.8.1-beta')");
    }
    this.optimization = checkPreset(options.optimization ?? OptimizationPreset.BALANCED) as OptimizationPreset;
    this.toolchain = options.toolchain;
    this.cacheDirectory = options.cacheDirectory !== undefined ? path.resolve(options.cacheDirectory) : undefined;
    this.buildCache = options.buildCache;
  }

  public _bootstrap(arch: Architecture, type: LlrtBinaryType): LlrtBootstrap {
    if (type !== LlrtBinaryType.NO_SDK) {
      throw new Error(`llrtBinaryType '${type}' cannot come from LlrtBinary.fromSource(): the llrt crate on crates.io ` +
        'carries no AWS SDK, so a source build is the no-sdk binary; remove llrtBinaryType (the SDK clients you ' +
        'import are then bundled into index.mjs), or use LlrtBinary.fromRelease() or LlrtBinary.fromFile() for a ' +
        `binary with the ${type} SDK`);
    }
    const build: LlrtSourceBuild = {
      crateVersion: this.version.version.replace(/^v/, ''),
      optimization: this.optimization,
      toolchain: this.toolchain,
      cacheRoot: this.cacheDirectory ?? cacheRoot(),
      buildCache: this.buildCache?._config,
    };
    const spec: SourceBinarySpec = { kind: 'source', version: this.version, type, arch, build };
    // A bundle without the bootstrap still reads the modules of the build.
    return new LlrtBootstrap(spec, { obtain: () => obtainFromSource(build, arch, spec.version.version), neededForBundle: true }, {
      byDefault: true,
      key: JSON.stringify(['crates.io', { ...build, buildCache: undefined }]),
      obtain: () => obtainSourceCompiler(build),
    });
  }

  public _layerSuffix(): string {
    const defaults = this.optimization === OptimizationPreset.BALANCED && !this.toolchain && !this.cacheDirectory;
    return defaults ? 'src' : `src${sha256(JSON.stringify([this.optimization, this.toolchain ?? '', this.cacheDirectory ?? ''])).slice(0, 8)}`;
  }
}

/**
 * Bytecode for a release or a file of known version: compiled by LLRT's compiler built from crates.io for the
 * runtime's version (default preset, the default cache), only when `bundling.bytecode` asks for it (the build needs
 * Rust, cargo-lambda and zig, and minutes the first time). A file of unknown version falls back to JavaScript.
 */
function cratesIoCompiler(fromFile: boolean): BytecodeSource {
  return {
    byDefault: false,
    key: 'crates.io',
    obtain: (runtimeVersion, warnings) => {
      if (!runtimeVersion) {
        if (fromFile) {
          warnings.push({
            id: 'llrt-bytecode-unknown-version',
            message: 'bundling.bytecode is set but the LLRT release of LlrtBinary.fromFile() is unknown (no version given, ' +
              'none in the binary\'s banner), so no compiler of the same release can be chosen: the function is deployed ' +
              "as JavaScript; give the file's version, or name its compiler (LlrtBinary.fromFile(file, { version, compiler }))",
          });
        }
        return undefined;
      }
      return obtainSourceCompiler({
        crateVersion: runtimeVersion.replace(/^v/, ''), optimization: OptimizationPreset.BALANCED, cacheRoot: cacheRoot(),
      });
    },
  };
}

const namedCompilers = new Map<string, CompilerBinary>();

/** A compiler the user named (`LlrtBinary.fromFile(file, { compiler })`): its version read with `--version`. */
function namedCompiler(file: string): BytecodeSource {
  return {
    byDefault: true,
    key: JSON.stringify(['file', file]),
    obtain: () => {
      let compiler = namedCompilers.get(file);
      if (!compiler) {
        if (!fs.existsSync(file)) {
          throw new Error(`the LLRT bytecode compiler ${file} (compiler of LlrtBinary.fromFile()) does not exist; name a ` +
            'non-lambda llrt binary for this machine, or set bundling.bytecode to false');
        }
        compiler = { file, version: compilerVersion(file), dictionaries: [], origin: `the compiler ${file}` };
        namedCompilers.set(file, compiler);
      }
      return compiler;
    },
  };
}

/** `LlrtBinary.fromFile()`: a `bootstrap` or a release zip holding one; checked against `sha256` when given. */
function obtainFile(spec: FileBinarySpec): ObtainedBinary {
  const file = spec.binaryPath;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new Error(`LlrtBinary.fromFile('${file}'): the file does not exist or is not a file; point it at an LLRT bootstrap or at a ` +
      `release zip such as ${releaseAssetName(spec.arch, spec.type)}`);
  }
  const content = fs.readFileSync(file);
  if (spec.sha256) {
    const actual = sha256(content);
    if (actual !== spec.sha256) {
      throw new Error(`checksum mismatch for LlrtBinary.fromFile('${file}'): expected sha256 ${spec.sha256} (sha256), ` +
        `got ${actual}; use the file you meant to trust, or update sha256`);
    }
  }
  if (!isZip(content)) return { file, source: 'path', origin: `LlrtBinary.fromFile('${file}')` };
  let data: Buffer;
  try {
    data = bootstrapFromZip(content);
  } catch (e) {
    throw new Error(`LlrtBinary.fromFile('${file}') is a zip but ${(e as Error).message}; use an LLRT release zip ` +
      `(${releaseAssetName(spec.arch, spec.type)}) or the bootstrap inside it`);
  }
  return { data, source: 'path', origin: `LlrtBinary.fromFile('${file}')` };
}

function checkSha256(value: string, what: string): string {
  const hex = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(`${what} '${value}' is not a SHA-256; expected 64 hexadecimal characters, as printed by ` +
      '`sha256sum llrt-lambda-arm64.zip`');
  }
  return hex;
}
