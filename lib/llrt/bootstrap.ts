import * as fs from 'fs';
import * as path from 'path';
import { CompilerBinary, versionInBinary, versionInBuffer } from './compiler';
import { RELEASE_MODULES } from './release-modules';
import { LlrtBinaryType, LlrtVersion } from './types';
import { LlrtWarnings } from './warnings';
import { Architecture, ARCHITECTURES } from '../core/arch';
import { BuildCacheConfig } from '../core/cargo/build-cache';
import { Preset } from '../core/cargo/plan';
import { describeElf, elfMachine } from '../core/elf';
import { readZipEntries, readZipEntry } from '../core/zip';

/** What every LLRT binary is, whatever its source. */
interface BinarySpecBase {
  readonly version: LlrtVersion;
  readonly type: LlrtBinaryType;
  readonly arch: Architecture;
}

/** A release asset (`LlrtBinary.fromRelease()`), downloaded or cached and checked against the lock file. */
export interface ReleaseBinarySpec extends BinarySpecBase {
  readonly kind: 'release';
  /** Expected SHA-256 (lower-case hex) of the release zip. */
  readonly sha256?: string;
  /** The base URL as given (the environment variable and the default are applied later). */
  readonly baseUrl?: string;
  /** Absolute path of the lock file. */
  readonly lockFile: string;
}

/** A local `bootstrap` or release zip (`LlrtBinary.fromFile()`). */
export interface FileBinarySpec extends BinarySpecBase {
  readonly kind: 'file';
  /** Absolute path of the file. */
  readonly binaryPath: string;
  /** Expected SHA-256 (lower-case hex) of the file. */
  readonly sha256?: string;
  /** Whether `version` was given (else it is the default, and the file's own banner tells). */
  readonly versionDeclared: boolean;
  /** Absolute path of a non-lambda `llrt` to compile bytecode with, when named. */
  readonly compiler?: string;
}

/** What decides a build of LLRT from source (`source.ts` builds it). */
export interface LlrtSourceBuild {
  /** The crate version (`0.8.1-beta`: the release tag without its `v`). */
  readonly crateVersion: string;
  readonly optimization: Preset;
  readonly toolchain?: string;
  /** Root of the cache: the crate and its target directory live in `<cacheRoot>/llrt-source/<version>/llrt`. */
  readonly cacheRoot: string;
  /** The compile cache (how fast, never what: in no key). @default - the app-wide default of the environment */
  readonly buildCache?: BuildCacheConfig;
}

/** LLRT built from its crates.io source (`LlrtBinary.fromSource()`). */
export interface SourceBinarySpec extends BinarySpecBase {
  readonly kind: 'source';
  readonly build: LlrtSourceBuild;
}

/** Everything that decides which LLRT `bootstrap` a function gets: one shape per source, told apart by `kind`. */
export type BinarySpec = ReleaseBinarySpec | FileBinarySpec | SourceBinarySpec;

/** How a binary's source reads in a layer's description. */
export function describeSource(spec: BinarySpec): string {
  switch (spec.kind) {
    case 'release': return '';
    case 'file': return ' from a local binary';
    case 'source': return ' built from crates.io';
  }
}

/** The modules an LLRT release provides, which a bundle may leave to the runtime. */
export interface RuntimeImports {
  /** The release, for messages (`v0.8.1-beta`). */
  readonly release: string;
  /** LLRT's modules: `fs`, `fs/promises`, `llrt:xml`, ... */
  readonly modules: string[];
}

/** A binary ready for a function's bundle: its release tag (when known) and the modules it provides. */
export interface PreparedBinary {
  readonly tag?: string;
  readonly runtime?: RuntimeImports;
}

/** A verified bootstrap, ready to copy into an asset. */
export interface ObtainedBinary {
  /** Path of the bootstrap file, or its content when it came out of a local zip. */
  readonly file?: string;
  readonly data?: Buffer;
  /** The release tag, when known (always for downloads and cache hits). */
  readonly version?: string;
  readonly source: 'path' | 'cache' | 'download' | 'build';
  /** The modules it provides, when read from its sources (a build from crates.io). */
  readonly modules?: string[];
  /** Human-readable origin for messages. */
  readonly origin: string;
}

/** How one source of LLRT binaries (a release, a file, a build from crates.io) hands over its bootstrap. */
export interface BootstrapSource {
  /**
   * Whether a bundle that does not carry the bootstrap still needs it obtained: to resolve `LATEST`, or to read
   * the modules of a build from source.
   */
  readonly neededForBundle: boolean;
  /** Finds, verifies (downloads, builds) the bootstrap; each source keeps its own per-process memo. */
  obtain(warnings: LlrtWarnings): ObtainedBinary;
}

/** Where a binary's bytecode compiler comes from, and whether bytecode is the default for it. */
export interface BytecodeSource {
  /** Whether the bundle is bytecode when `bundling.bytecode` is not set. */
  readonly byDefault: boolean;
  /** What decides the compiler (for the asset's cache key): its kind and version. */
  readonly key: string;
  /**
   * The compiler for a runtime of `runtimeVersion` (undefined: unknown); undefined, with a warning, when bytecode
   * cannot be made and the bundle falls back to JavaScript.
   */
  obtain(runtimeVersion: string | undefined, warnings: LlrtWarnings): CompilerBinary | undefined;
}

/**
 * The LLRT `bootstrap` of one function or layer: what decides it (`spec`), and its source (release, file or build
 * from crates.io), asked for it at bundling time only (never for a stack that is not bundled). The one place that
 * writes a bootstrap into an asset.
 */
export class LlrtBootstrap {
  constructor(public readonly spec: BinarySpec, private readonly source: BootstrapSource, public readonly bytecode?: BytecodeSource) {}

  /**
   * The release the runtime is, for the bytecode check: the resolved tag; for a file, the version in its banner
   * (else the declared one; undefined when neither is known).
   */
  public runtimeVersion(prepared: PreparedBinary, warnings: LlrtWarnings): string | undefined {
    const spec = this.spec;
    if (spec.kind !== 'file') return prepared.tag;
    const obtained = this.source.obtain(warnings);
    const found = obtained.data ? versionInBuffer(obtained.data) : obtained.file ? versionInBinary(obtained.file) : undefined;
    return found ?? (spec.versionDeclared ? spec.version.version : undefined);
  }

  /**
   * Writes the bootstrap into an asset folder as an executable `bootstrap` and checks it is built for the
   * architecture.
   */
  public stage(outputDir: string, warnings: LlrtWarnings): ObtainedBinary {
    const obtained = this.source.obtain(warnings);
    const destination = path.join(outputDir, 'bootstrap');
    if (obtained.data) fs.writeFileSync(destination, obtained.data);
    else fs.copyFileSync(obtained.file!, destination);
    fs.chmodSync(destination, 0o755);
    checkMachine(elfMachine(destination), this.spec, obtained.origin, warnings);
    return obtained;
  }

  /**
   * What a function's asset needs from its LLRT at bundling time: the bootstrap written into `outputDir` (when
   * the function carries it; else obtained only when the source says the bundle needs it), the release it is, and
   * the modules it provides (read from the sources of a from-source build, or the list generated for a pinned
   * release; undefined, with a warning, for a release no list was generated for).
   */
  public prepare(outputDir: string | undefined, warnings: LlrtWarnings): PreparedBinary {
    const spec = this.spec;
    let obtained: ObtainedBinary | undefined;
    if (outputDir) obtained = this.stage(outputDir, warnings);
    else if (this.source.neededForBundle) obtained = this.source.obtain(warnings);
    const tag = obtained?.version ?? (spec.version.isLatest ? undefined : spec.version.version);
    if (obtained?.modules) return { tag, runtime: { release: spec.version.version, modules: obtained.modules } };
    const known = tag ? RELEASE_MODULES[tag] : undefined;
    if (!known) {
      warnings.push({
        id: 'llrt-imports-unchecked',
        message: `no module list for LLRT ${tag ?? spec.version.version}: the bundle's imports are not checked against the ` +
          `runtime; pin a release this library knows (${Object.keys(RELEASE_MODULES).join(', ')}) or build it with LlrtBinary.fromSource()`,
      });
      return { tag };
    }
    return { tag, runtime: { release: tag!, modules: Object.keys(known) } };
  }
}

/** The release asset holding the Lambda `bootstrap` for an architecture and binary type. */
export function releaseAssetName(arch: Architecture, type: LlrtBinaryType): string {
  const suffix = type === LlrtBinaryType.STANDARD ? '' : `-${type}`;
  return `llrt-lambda-${ARCHITECTURES[arch].llrt}${suffix}.zip`;
}

/** The `bootstrap` at the root of a release zip. */
export function bootstrapFromZip(zip: Buffer): Buffer {
  const entries = readZipEntries(zip);
  const entry = entries.find(e => e.name === 'bootstrap' || e.name === './bootstrap');
  if (!entry) {
    const names = entries.map(e => e.name).slice(0, 10).join(', ') || 'none';
    throw new Error(`it holds no 'bootstrap' at its root (entries: ${names})`);
  }
  return readZipEntry(zip, entry);
}

/** Fails when the bootstrap is built for another architecture; warns when it is not ELF at all. */
export function checkMachine(machine: number | undefined, spec: BinarySpec, origin: string, warnings: LlrtWarnings): void {
  if (machine === ARCHITECTURES[spec.arch].elfMachine) return;
  if (machine === undefined) {
    warnings.push({
      id: 'llrt-bootstrap-not-elf',
      message: `the LLRT bootstrap from ${origin} is not an ELF executable; Lambda runs it as is, so only a script ` +
        'with a shebang line can work',
    });
    return;
  }
  throw new Error(`the LLRT bootstrap from ${origin} is ${describeElf(machine)} but the function's architecture is ` +
    `${spec.arch}; use ${releaseAssetName(spec.arch, spec.type)}, or set architecture to match the binary`);
}
