/**
 * From options to a build plan: the checked props of one binary (function, extension, LLRT, the Web Adapter) as a
 * `cargo lambda build` request, with its binary, its asset hash and the key of its build in the cache.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BuildCacheConfig, resolveBuildCache } from './build-cache';
import { Toolchain } from './toolchain';
import { CargoBinary, CargoWorkspace, fingerprintSources, readWorkspace, resolveBinary } from './workspace';
import { Architecture } from '../arch';
import { sha256Fields } from '../hash';

/**
 * The optimisation presets, by value: `OptimizationPreset` (lib/rust) is the public enum of these strings, and
 * every family passes its value here.
 */
export type Preset = 'size' | 'balanced' | 'speed' | 'none';

/** Every preset, in the order messages list them. */
export const PRESETS: readonly Preset[] = ['size', 'balanced', 'speed', 'none'];

/** Throws, naming the presets, unless `value` is one of them. */
export function checkPreset(value: string): Preset {
  if (!(PRESETS as readonly string[]).includes(value)) {
    throw new Error(`optimization '${value}' is unknown; expected one of ${PRESETS.join(', ')}`);
  }
  return value as Preset;
}

/** How one binary is built (`RustBundlingOptions` is the public form). */
export interface CargoBundlingProps {
  readonly features?: string[];
  readonly noDefaultFeatures?: boolean;
  readonly profile?: string;
  readonly optimization?: Preset;
  readonly cargoLambdaFlags?: string[];
  readonly environment?: { [key: string]: string };
  readonly toolchain?: string;
  /** The compile cache (`BuildCache` is the public form); not part of the build key. */
  readonly buildCache?: BuildCacheConfig;
}

/** Which binary to build and how (`RustBuildOptions` is the public form). */
export interface CargoBuildProps {
  readonly manifestPath?: string;
  readonly binaryName?: string;
  readonly bundling?: CargoBundlingProps;
}

/** What `planBuild` needs: the binary and its build options, and what the construct decides. */
export interface PlanBuildOptions extends CargoBuildProps {
  readonly architecture: Architecture;
  /** Build a Lambda extension (`--extension`) instead of a function. Default false. */
  readonly extension?: boolean;
  /**
   * Oldest glibc the binary must load with (see `CargoBuildRequest.glibc`). Default: cargo-lambda's choice.
   */
  readonly glibc?: string;
  /**
   * False for a stack that is not bundled (`cdk deploy OtherStack`): the props are checked but nothing is read or
   * run. Default true.
   */
  readonly bundlingRequired?: boolean;
  /**
   * The value of the CDK context key `rustacean-lambda:buildCache` where the construct is (the app-wide default
   * after `bundling.buildCache`, before `RUSTACEAN_LAMBDA_BUILD_CACHE`). Default: not set.
   */
  readonly buildCacheContext?: unknown;
}

/**
 * Turns `manifestPath` (a directory or a `Cargo.toml`) into the absolute path of an existing `Cargo.toml`.
 */
export function resolveManifest(manifestPath: string | undefined): string {
  const given = manifestPath ?? 'Cargo.toml';
  const absolute = path.resolve(given);
  const isFile = fs.existsSync(absolute) && fs.statSync(absolute).isFile();
  const isDir = !isFile && path.basename(absolute) !== 'Cargo.toml';
  const manifest = isDir ? path.join(absolute, 'Cargo.toml') : absolute;
  if (isFile && path.basename(manifest) !== 'Cargo.toml') {
    throw new Error(`manifestPath '${given}' is neither a directory nor a Cargo.toml; ` +
      'point it at the folder of your Cargo workspace or package, or at its Cargo.toml');
  }
  if (!fs.existsSync(manifest)) {
    throw new Error(`no Cargo.toml at '${manifest}' (manifestPath '${given}'); ` +
      'set manifestPath to the folder of your Cargo workspace or package, or create one with `cargo new`');
  }
  return manifest;
}

/** Flags the construct owns; each maps to the typed option to use instead. */
const OWNED_FLAGS: Record<string, string> = {
  '--arm64': 'architecture',
  '--x86-64': 'architecture',
  '--target': 'architecture',
  '--release': 'bundling.profile',
  '--profile': 'bundling.profile',
  '--features': 'bundling.features',
  '-F': 'bundling.features',
  '--no-default-features': 'bundling.noDefaultFeatures',
  '--lambda-dir': '(the construct picks the output folder)',
  '--flatten': '(the construct picks the output layout)',
  '--extension': 'RustExtension',
  '--bin': 'binaryName',
  '--manifest-path': 'manifestPath',
};

/** Everything that decides what one `cargo lambda build` produces. */
export interface CargoBuildRequest {
  readonly workspace: CargoWorkspace;
  readonly architecture: Architecture;
  readonly profile: string;
  readonly optimization: Preset;
  readonly features: string[];
  readonly noDefaultFeatures: boolean;
  /** Build only this package (set when features are given: features belong to a package). */
  readonly packageName?: string;
  readonly extension: boolean;
  readonly extraFlags: string[];
  readonly environment: Record<string, string>;
  readonly toolchain?: string;
  /**
   * Oldest glibc the binary must load with, e.g. `2.26` for a layer that also serves Amazon Linux 2 runtimes:
   * built with `--target <triple>.<glibc>` (zig links against that glibc) instead of `--arm64`/`--x86-64`.
   */
  readonly glibc?: string;
  /**
   * The compile cache the build runs with (resolved from the props, the context and the environment). Never part of
   * the build key or the asset hash: a cache changes how fast the output is made, not the output.
   */
  readonly buildCache?: BuildCacheConfig;
}

/** Validated build options of one function or extension: the output of the props, the input of the build. */
export interface RustBuildPlan {
  readonly request: CargoBuildRequest;
  readonly binary: CargoBinary;
  /** Stable hash of sources + options + binary; the asset hash. */
  readonly assetHash: string;
}

/**
 * Turns props into a validated plan; throws at synth with a message naming the value and the fix.
 *
 * With `bundlingRequired` false (a stack excluded from bundling, as in `cdk deploy OtherStack`), the props are
 * checked but nothing is run: no `cargo metadata`, no source fingerprint, no `rustc -V`. The plan then knows the
 * binary only by the given `binaryName` ('' when none was given) and its asset hash stands for the props alone.
 */
export function planBuild(options: PlanBuildOptions): RustBuildPlan {
  const { architecture } = options;
  const bundling = options.bundling ?? {};
  const manifest = resolveManifest(options.manifestPath);
  const extraFlags = bundling.cargoLambdaFlags ?? [];
  for (const flag of extraFlags) {
    const name = flag.split('=')[0];
    const owner = OWNED_FLAGS[name];
    if (owner === 'architecture') {
      throw new Error(`bundling.cargoLambdaFlags '${flag}' conflicts with architecture ${architecture}; remove the flag and set ` +
        '`architecture` (lambda.Architecture.ARM_64 or lambda.Architecture.X86_64) instead');
    }
    if (owner) {
      throw new Error(`bundling.cargoLambdaFlags '${flag}' is set by the construct; remove it and use ${owner.startsWith('(') ? owner : `the \`${owner}\` option`}`);
    }
  }
  const profile = bundling.profile ?? 'release';
  if (!/^[A-Za-z0-9_-]+$/.test(profile)) {
    throw new Error(`bundling.profile '${profile}' is not a valid Cargo profile name; expected letters, digits, '-' or '_' (e.g. 'release')`);
  }
  const optimization = checkPreset(bundling.optimization ?? 'balanced');
  const features = [...(bundling.features ?? [])].sort();
  const noDefaultFeatures = bundling.noDefaultFeatures ?? false;
  const bundled = options.bundlingRequired !== false;
  const workspace = bundled ? readWorkspace(manifest) : undefined;
  // A stack that is not bundled: its plan knows the binary by the given name only, nothing read from the workspace.
  const binary = workspace ? resolveBinary(workspace, options.binaryName) : { name: options.binaryName ?? '', packageName: '' };
  const root = path.dirname(manifest);
  const request: CargoBuildRequest = {
    workspace: workspace ?? { root, manifest, targetDirectory: path.join(root, 'target'), binaries: [] },
    architecture,
    profile,
    optimization,
    features,
    noDefaultFeatures,
    packageName: workspace && (features.length > 0 || noDefaultFeatures) ? binary.packageName : undefined,
    extension: options.extension ?? false,
    extraFlags,
    environment: { ...(bundling.environment ?? {}) },
    toolchain: bundling.toolchain,
    glibc: options.glibc,
    buildCache: resolveBuildCache(bundling.buildCache, options.buildCacheContext),
  };
  if (!workspace) {
    return { request, binary, assetHash: sha256Fields('not bundled', JSON.stringify({ ...request, workspace: manifest, buildCache: undefined }), binary.name) };
  }
  const key = buildKey(request);
  // The key covers sources, options and the compiler that will build them, so the asset hash changes exactly when
  // the bootstrap would.
  return { request, binary, assetHash: sha256Fields(key, binary.name) };
}

/** Marks a complete build folder in the cache (it also records when the build finished and how long it took). */
export const COMPLETE_MARKER = '.rustacean-lambda-complete';

const fingerprints = new Map<string, string>();

/** Identifies a build: sources plus everything that changes the output (the name of its folder in the cache). */
export function buildKey(request: CargoBuildRequest): string {
  return `${request.architecture}-${optionsKey(request).slice(0, 12)}-${fingerprint(request.workspace).slice(0, 20)}`;
}

/** Forget the source fingerprints read in this process (tests). */
export function forgetFingerprints(): void {
  fingerprints.clear();
}

function fingerprint(workspace: CargoWorkspace): string {
  let found = fingerprints.get(workspace.root);
  if (!found) {
    found = fingerprintSources(workspace.root, workspace.targetDirectory);
    fingerprints.set(workspace.root, found);
  }
  return found;
}

function optionsKey(request: CargoBuildRequest): string {
  return sha256Fields(JSON.stringify({
    v: 3,
    compiler: Toolchain.resolvedIdentity(request.architecture, request.toolchain),
    profile: request.profile,
    optimization: request.optimization,
    features: request.features,
    noDefaultFeatures: request.noDefaultFeatures,
    packageName: request.packageName ?? null,
    extension: request.extension,
    extraFlags: request.extraFlags,
    environment: Object.entries(request.environment).sort(),
    toolchain: request.toolchain ?? null,
    // Only when set, so the keys (and asset hashes) of every other build stay as they were.
    ...(request.glibc ? { glibc: request.glibc } : {}),
  }));
}
