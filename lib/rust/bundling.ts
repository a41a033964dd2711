import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OptimizationPreset, RustBuildOptions } from './types';
import {
  CargoBinary, CargoWorkspace, cargoErrors, describeMachine, elfMachine, ElfMachine, fingerprintSources,
  readWorkspace, resolveBinary, resolveManifest, run, sha256,
} from './util';

/** The two Lambda architectures, as cargo-lambda and Rust name them. */
export type RustArchitecture = 'arm64' | 'x86_64';

const RUST_TARGETS: Record<RustArchitecture, string> = {
  arm64: 'aarch64-unknown-linux-gnu',
  x86_64: 'x86_64-unknown-linux-gnu',
};

/** Flags the construct owns; each maps to the typed option to use instead. */
const OWNED_FLAGS: Record<string, string> = {
  '--arm64': 'architecture',
  '--x86-64': 'architecture',
  '--target': 'architecture',
  '--release': 'profile',
  '--profile': 'profile',
  '--features': 'features',
  '-F': 'features',
  '--no-default-features': 'noDefaultFeatures',
  '--lambda-dir': '(the construct picks the output folder)',
  '--flatten': '(the construct picks the output layout)',
  '--extension': 'RustExtension',
  '--bin': 'binaryName',
  '--manifest-path': 'manifestPath',
};

/** Everything that decides what one `cargo lambda build` produces. */
export interface CargoBuildRequest {
  readonly workspace: CargoWorkspace;
  readonly architecture: RustArchitecture;
  readonly profile: string;
  readonly optimization: OptimizationPreset;
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
}

/** Validated build options of one function or extension: the output of the props, the input of the build. */
export interface RustBuildPlan {
  readonly request: CargoBuildRequest;
  readonly binary: CargoBinary;
  /** Stable hash of sources + options + binary; the asset hash. */
  readonly assetHash: string;
}

/** Maps a Lambda architecture to the Rust one, refusing anything else. */
export function rustArchitecture(architecture: lambda.Architecture): RustArchitecture {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x86_64';
  throw new Error(`architecture '${architecture.name}' is not supported; expected arm64 or x86_64 ` +
    '(lambda.Architecture.ARM_64 or lambda.Architecture.X86_64)');
}

/**
 * Turns props into a validated plan; throws at synth with a message naming the value and the fix.
 *
 * With `bundling` false (a stack excluded from bundling, as in `cdk deploy OtherStack`), the props are checked but
 * nothing is run: no `cargo metadata`, no source fingerprint, no `rustc -V`. The plan then knows the binary only by
 * the given `binaryName` ('' when none was given) and its asset hash stands for the props alone.
 */
export function planBuild(
  options: RustBuildOptions, architecture: RustArchitecture, extension: boolean, glibc?: string, bundling = true,
): RustBuildPlan {
  const manifest = resolveManifest(options.manifestPath);
  const extraFlags = options.cargoLambdaFlags ?? [];
  for (const flag of extraFlags) {
    const name = flag.split('=')[0];
    const owner = OWNED_FLAGS[name];
    if (owner === 'architecture') {
      throw new Error(`cargoLambdaFlags '${flag}' conflicts with architecture ${architecture}; remove the flag and set ` +
        '`architecture` (lambda.Architecture.ARM_64 or lambda.Architecture.X86_64) instead');
    }
    if (owner) {
      throw new Error(`cargoLambdaFlags '${flag}' is set by the construct; remove it and use ${owner.startsWith('(') ? owner : `the \`${owner}\` option`}`);
    }
  }
  const profile = options.profile ?? 'release';
  if (!/^[A-Za-z0-9_-]+$/.test(profile)) {
    throw new Error(`profile '${profile}' is not a valid Cargo profile name; expected letters, digits, '-' or '_' (e.g. 'release')`);
  }
  const optimization = options.optimization ?? OptimizationPreset.BALANCED;
  if (!Object.values(OptimizationPreset).includes(optimization)) {
    throw new Error(`optimization '${optimization}' is unknown; expected one of ${Object.values(OptimizationPreset).join(', ')}`);
  }
  const features = [...(options.features ?? [])].sort();
  if (!bundling) return unbundledPlan(options, manifest, architecture, profile, optimization, features, extension, extraFlags, glibc);
  const workspace = readWorkspace(manifest);
  const binary = resolveBinary(workspace, options.binaryName);
  const request: CargoBuildRequest = {
    workspace,
    architecture,
    profile,
    optimization,
    features,
    noDefaultFeatures: options.noDefaultFeatures ?? false,
    packageName: features.length > 0 || options.noDefaultFeatures ? binary.packageName : undefined,
    extension,
    extraFlags,
    environment: { ...(options.buildEnvironment ?? {}) },
    toolchain: options.toolchain,
    glibc,
  };
  const key = CargoLambdaBuild.cacheKey(request);
  // The key covers sources, options and the compiler that will build them, so the asset hash changes exactly when
  // the bootstrap would.
  return { request, binary, assetHash: sha256(key, binary.name) };
}

/** The plan of a function whose stack is not bundled: the checked props, and nothing read from the workspace. */
function unbundledPlan(
  options: RustBuildOptions, manifest: string, architecture: RustArchitecture, profile: string,
  optimization: OptimizationPreset, features: string[], extension: boolean, extraFlags: string[], glibc: string | undefined,
): RustBuildPlan {
  const root = path.dirname(manifest);
  const binary = { name: options.binaryName ?? '', packageName: '' };
  const request: CargoBuildRequest = {
    workspace: { root, manifest, targetDirectory: path.join(root, 'target'), binaries: [] },
    architecture,
    profile,
    optimization,
    features,
    noDefaultFeatures: options.noDefaultFeatures ?? false,
    packageName: undefined,
    extension,
    extraFlags,
    environment: { ...(options.buildEnvironment ?? {}) },
    toolchain: options.toolchain,
    glibc,
  };
  const props = JSON.stringify({ ...request, workspace: manifest });
  return { request, binary, assetHash: sha256('not bundled', props, binary.name) };
}

/** The CPU cargo-lambda tunes release builds for; we keep its choice when a preset replaces its defaults. */
const TARGET_CPUS: Record<RustArchitecture, string> = { arm64: 'neoverse-n1', x86_64: 'haswell' };

/**
 * Build environment for a preset: `CARGO_PROFILE_<NAME>_*` settings, plus the target CPU cargo-lambda would have
 * chosen (only when nothing else sets rustflags, so user flags are never dropped). The `dev` profile is left
 * alone: it is for fast builds.
 */
export function presetEnvironment(
  profile: string, preset: OptimizationPreset, architecture: RustArchitecture, userEnv: Record<string, string | undefined> = {},
): Record<string, string> {
  if (preset === OptimizationPreset.NONE || profile === 'dev') return {};
  const prefix = `CARGO_PROFILE_${profile.toUpperCase().replace(/-/g, '_')}_`;
  const optLevel = { [OptimizationPreset.SIZE]: 'z', [OptimizationPreset.BALANCED]: 's', [OptimizationPreset.SPEED]: '3' }[preset];
  const env: Record<string, string> = {
    [`${prefix}OPT_LEVEL`]: optLevel,
    [`${prefix}LTO`]: 'fat',
    [`${prefix}CODEGEN_UNITS`]: '1',
    [`${prefix}PANIC`]: 'abort',
    [`${prefix}STRIP`]: 'symbols',
    [`${prefix}DEBUG`]: 'false',
  };
  const targetFlagsVar = `CARGO_TARGET_${RUST_TARGETS[architecture].toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`;
  const userFlags = ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', targetFlagsVar].some(v => userEnv[v] !== undefined);
  if (!userFlags) env[targetFlagsVar] = `-C target-cpu=${TARGET_CPUS[architecture]}`;
  return env;
}

/** The exact `cargo lambda build` invocation for a request, writing into `lambdaDir`. */
export function buildCommand(request: CargoBuildRequest, lambdaDir: string, toolchain: string | undefined) {
  const args = ['lambda', 'build'];
  if (request.profile === 'release') args.push('--release');
  else if (request.profile !== 'dev') args.push('--profile', request.profile);
  if (request.glibc) args.push('--target', `${RUST_TARGETS[request.architecture]}.${request.glibc}`);
  else args.push(request.architecture === 'arm64' ? '--arm64' : '--x86-64');
  if (request.extension) args.push('--extension');
  // A preset replaces cargo-lambda's own release settings, which it passes as `--config` and which would
  // otherwise win over CARGO_PROFILE_* variables.
  if (request.optimization !== OptimizationPreset.NONE && request.profile !== 'dev') args.push('--disable-optimizations');
  if (request.packageName) args.push('--package', request.packageName);
  if (request.features.length > 0) args.push('--features', request.features.join(','));
  if (request.noDefaultFeatures) args.push('--no-default-features');
  // We checked the target ourselves (including non-rustup toolchains cargo-lambda cannot inspect).
  args.push('--skip-target-check');
  args.push('--manifest-path', request.workspace.manifest, '--lambda-dir', lambdaDir);
  args.push(...request.extraFlags);

  const env: Record<string, string> = {
    ...presetEnvironment(request.profile, request.optimization, request.architecture,
      rustflagsConfigured(request.workspace.root) ? { RUSTFLAGS: 'configured' } : { ...process.env, ...request.environment }),
    ...request.environment,
  };
  if (toolchain) env.RUSTUP_TOOLCHAIN = toolchain;
  return { command: 'cargo-lambda', args, env };
}

/** True when the workspace's `.cargo/config(.toml)` sets rustflags (then we add none of ours). */
function rustflagsConfigured(root: string): boolean {
  return ['config.toml', 'config'].some(name => {
    const file = path.join(root, '.cargo', name);
    return fs.existsSync(file) && /rustflags/.test(fs.readFileSync(file, 'utf-8'));
  });
}

/** Runs a command; replaced by tests that stub the build. */
export type BuildExecutor = (command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string) => {
  status: number | null; stderr: string; error?: Error;
};

const realExecutor: BuildExecutor = (command, args, env, cwd) => run(command, args, { env, cwd });

/**
 * Finds and checks the tools a build needs. Each check runs once per process (they spawn processes);
 * `Toolchain.reset()` forgets them (for tests).
 */
export class Toolchain {
  /** Forget every cached detection result. */
  public static reset(): void {
    Toolchain.cargoLambdaChecked = false;
    Toolchain.zigChecked = false;
    Toolchain.targetCache.clear();
    Toolchain.identityCache.clear();
  }

  /** A short description of the compiler in use, part of the asset hash so a toolchain upgrade redeploys. */
  public static identity(toolchain: string | undefined): string {
    const key = toolchain ?? process.env.RUSTUP_TOOLCHAIN ?? '';
    let id = Toolchain.identityCache.get(key);
    if (id === undefined) {
      const env = toolchain ? { ...process.env, RUSTUP_TOOLCHAIN: toolchain } : process.env;
      const result = run('rustc', ['-V'], { env });
      id = result.status === 0 ? result.stdout.trim() : 'rustc-unknown';
      Toolchain.identityCache.set(key, id);
    }
    return id;
  }

  /**
   * The identity of the compiler that will build `architecture`: the one `forTarget` picks. When no toolchain has
   * the target, a marker (the build itself then fails with instructions).
   */
  public static resolvedIdentity(architecture: RustArchitecture, requested: string | undefined): string {
    let toolchain: string | undefined;
    try {
      toolchain = Toolchain.forTarget(architecture, requested);
    } catch {
      return `no toolchain with ${RUST_TARGETS[architecture]}`;
    }
    return Toolchain.identity(toolchain);
  }

  /** Throws with install instructions unless cargo-lambda (and zig, when it will be used) can run. */
  public static checkCargoLambda(extraFlags: string[]): void {
    if (!Toolchain.cargoLambdaChecked) {
      const result = run('cargo-lambda', ['lambda', '--version']);
      if (result.error || result.status !== 0) {
        throw new Error('cargo-lambda was not found on PATH (`cargo-lambda lambda --version` failed' +
          `${result.error ? `: ${result.error.message}` : ''}); install it with \`pip install cargo-lambda\` ` +
          '(brings zig), `brew install cargo-lambda/tap/cargo-lambda` or `cargo install --locked cargo-lambda`; ' +
          'see https://www.cargo-lambda.info/guide/installation.html');
      }
      const version = parseCargoLambdaVersion(result.stdout);
      if (version && compareVersions(version, MIN_CARGO_LAMBDA_VERSION) < 0) {
        throw new Error(`cargo-lambda ${version.join('.')} is too old: this library needs cargo-lambda ` +
          `${MIN_CARGO_LAMBDA_VERSION.join('.')} or newer (it passes --disable-optimizations, --skip-target-check, ` +
          '--lambda-dir and glibc-suffixed targets); upgrade it with `pip install -U cargo-lambda`, ' +
          '`brew upgrade cargo-lambda` or `cargo install --locked cargo-lambda`');
      }
      Toolchain.cargoLambdaChecked = true;
    }
    const compiler = flagValue(extraFlags, '--compiler');
    if (compiler !== undefined && compiler !== 'cargo-zigbuild') return;
    if (!Toolchain.zigChecked) {
      const zig = run('zig', ['version']);
      const fromPip = zig.status === 0 ? zig : run('python3', ['-m', 'ziglang', 'version']);
      if (fromPip.status !== 0) {
        throw new Error('zig was not found (neither `zig` on PATH nor the `ziglang` Python module); cargo-lambda ' +
          'uses it to cross-compile and to link against the glibc of Lambda\'s provided.al2023; install it with ' +
          '`pip install ziglang`, or pass cargoLambdaFlags [\'--compiler\', \'cargo\'] to build without zig');
      }
      Toolchain.zigChecked = true;
    }
  }

  /**
   * The rustup toolchain to build `architecture` with: the requested one (it must have the target), else the
   * default when it has the target, else the first installed toolchain that has it.
   * Returns undefined for "the default toolchain".
   */
  public static forTarget(architecture: RustArchitecture, requested: string | undefined): string | undefined {
    const target = RUST_TARGETS[architecture];
    const wanted = requested ?? process.env.RUSTUP_TOOLCHAIN;
    if (wanted) {
      if (Toolchain.hasTarget(wanted, target)) return wanted;
      throw new Error(`toolchain '${wanted}' has no Rust standard library for ${target} (architecture ${architecture}); ` +
        `run \`rustup target add ${target} --toolchain ${wanted}\`, choose another toolchain, or change the architecture`);
    }
    if (Toolchain.hasTarget(undefined, target)) return undefined;
    const list = run('rustup', ['toolchain', 'list']);
    const names = list.status === 0
      ? list.stdout.split('\n').map(l => l.trim().split(/\s+/)[0]).filter(n => n)
      : [];
    for (const name of names) {
      if (Toolchain.hasTarget(name, target)) return name;
    }
    throw new Error(`no Rust standard library for ${target} (architecture ${architecture}) in the default toolchain` +
      `${names.length ? ` nor in the rustup toolchains ${names.join(', ')}` : ''}; run \`rustup target add ${target}\`, ` +
      'set `toolchain` to one that has it, or choose the other architecture (on Debian without rustup downloads: ' +
      'scripts/setup.sh installs libstd-rust-web-dev:arm64)');
  }

  private static cargoLambdaChecked = false;
  private static zigChecked = false;
  private static readonly targetCache = new Map<string, boolean>();
  private static readonly identityCache = new Map<string, string>();

  private static hasTarget(toolchain: string | undefined, target: string): boolean {
    const key = `${toolchain ?? ''}|${target}`;
    let found = Toolchain.targetCache.get(key);
    if (found === undefined) {
      const env = { ...process.env };
      if (toolchain) env.RUSTUP_TOOLCHAIN = toolchain;
      else delete env.RUSTUP_TOOLCHAIN;
      const sysroot = run('rustc', ['--print', 'sysroot'], { env });
      found = sysroot.status === 0 && fs.existsSync(path.join(sysroot.stdout.trim(), 'lib', 'rustlib', target, 'lib'));
      Toolchain.targetCache.set(key, found);
    }
    return found;
  }
}

/**
 * The oldest cargo-lambda this library drives. Our tests build with the version pinned in
 * scripts/tool-versions.env (1.9.2); 1.0.0's `build --help` already lists every flag we pass
 * (`--disable-optimizations`, `--skip-target-check`, `--lambda-dir`, `--compiler`).
 */
export const MIN_CARGO_LAMBDA_VERSION: readonly number[] = [1, 0, 0];

/** `cargo-lambda 1.9.2 (abc 2025-01-01Z)` -> [1, 9, 2]; undefined when the output has no version. */
export function parseCargoLambdaVersion(output: string): number[] | undefined {
  const match = /cargo-lambda\s+v?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function flagValue(flags: string[], name: string): string | undefined {
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === name) return flags[i + 1];
    if (flags[i].startsWith(`${name}=`)) return flags[i].slice(name.length + 1);
  }
  return undefined;
}

/** A finished build: one folder holding the output of every binary. */
export interface BuiltWorkspace {
  readonly dir: string;
  /** The built executable of a binary (`<bin>/bootstrap`, or `extensions/<bin>` for extensions). */
  executable(binary: string): string;
}

/**
 * Runs `cargo lambda build` at most once per workspace and option set: every function of a workspace that shares
 * architecture, profile, preset, features and flags is served from the same build. Results are kept in
 * `<target dir>/rustacean-lambda/<key>` (written to a temporary folder, then renamed into place), so a later synth
 * with unchanged sources runs no cargo at all.
 */
export class CargoLambdaBuild {
  /** How many times cargo-lambda ran in this process (tests and benchmarks read it). */
  public static invocations = 0;

  /** The command runner; tests replace it to stub the build. */
  public static executor: BuildExecutor = realExecutor;

  /** Restore the real runner, forget builds and toolchain checks (for tests). */
  public static reset(): void {
    CargoLambdaBuild.executor = realExecutor;
    CargoLambdaBuild.invocations = 0;
    CargoLambdaBuild.builds.clear();
    CargoLambdaBuild.fingerprints.clear();
    Toolchain.reset();
  }

  /** Identifies a build: sources plus everything that changes the output. */
  public static cacheKey(request: CargoBuildRequest): string {
    const fingerprint = CargoLambdaBuild.fingerprint(request.workspace);
    return `${request.architecture}-${CargoLambdaBuild.optionsKey(request).slice(0, 12)}-${fingerprint.slice(0, 20)}`;
  }

  /** Build (or reuse) the workspace for a request. */
  public static build(request: CargoBuildRequest): BuiltWorkspace {
    const key = CargoLambdaBuild.cacheKey(request);
    const cacheRoot = path.join(request.workspace.targetDirectory, 'rustacean-lambda');
    const dir = path.join(cacheRoot, key);
    const layout = (d: string): BuiltWorkspace => ({
      dir: d,
      executable: (bin: string) => request.extension ? path.join(d, 'extensions', bin) : path.join(d, bin, 'bootstrap'),
    });

    if (CargoLambdaBuild.builds.has(key) || fs.existsSync(path.join(dir, COMPLETE_MARKER))) {
      CargoLambdaBuild.builds.add(key);
      return layout(dir);
    }

    Toolchain.checkCargoLambda(request.extraFlags);
    const toolchain = Toolchain.forTarget(request.architecture, request.toolchain);
    fs.mkdirSync(cacheRoot, { recursive: true });
    const staging = fs.mkdtempSync(path.join(cacheRoot, `.tmp-${key}-`));
    const { command, args, env } = buildCommand(request, staging, toolchain);
    const what = `${path.relative(process.cwd(), request.workspace.root) || '.'} for ${request.architecture} ` +
      `(${request.profile}, ${request.optimization} preset${toolchain ? `, toolchain ${toolchain}` : ''})`;
    process.stderr.write(`rustacean-lambda: cargo lambda build ${what}\n`);
    const started = Date.now();
    CargoLambdaBuild.invocations++;
    const result = CargoLambdaBuild.executor(command, args, { ...process.env, ...env }, request.workspace.root);
    if (result.error || result.status !== 0) {
      fs.rmSync(staging, { recursive: true, force: true });
      const reason = result.error ? result.error.message : `exit code ${result.status}`;
      throw new Error(`cargo lambda build failed for ${what} (${reason}):\n${cargoErrors(result.stderr)}\n` +
        `command: ${command} ${args.join(' ')}`);
    }
    // When it finished and how long it took (benchmarks report the time of the build that filled the cache).
    fs.writeFileSync(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\nbuild seconds: ${((Date.now() - started) / 1000).toFixed(1)}\n`);
    try {
      fs.renameSync(staging, dir);
    } catch (e) {
      // Another process finished the same build first: keep theirs.
      fs.rmSync(staging, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, COMPLETE_MARKER))) throw e;
    }
    process.stderr.write(`rustacean-lambda: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    CargoLambdaBuild.builds.add(key);
    CargoLambdaBuild.prune(cacheRoot, key);
    return layout(dir);
  }

  /**
   * Copies one binary of the build into an asset folder, checking it is an executable for the architecture.
   * Functions get `bootstrap`; extensions get `extensions/<bin>`.
   */
  public static stage(plan: RustBuildPlan, outputDir: string): void {
    const built = CargoLambdaBuild.build(plan.request);
    const source = built.executable(plan.binary.name);
    if (!fs.existsSync(source)) {
      throw new Error(`cargo lambda build did not produce '${plan.binary.name}' (expected ${source}); ` +
        'check that the binary builds with `cargo lambda build` and is not excluded by cargoLambdaFlags');
    }
    const machine = elfMachine(source);
    const expected = plan.request.architecture === 'arm64' ? ElfMachine.AARCH64 : ElfMachine.X86_64;
    if (machine !== expected) {
      throw new Error(`the build of '${plan.binary.name}' is ${describeMachine(machine)} but the architecture is ` +
        `${plan.request.architecture}; a target set in .cargo/config.toml, CARGO_BUILD_TARGET or buildEnvironment ` +
        'overrides the architecture: remove it, or set `architecture` to match');
    }
    const destination = plan.request.extension
      ? path.join(outputDir, 'extensions', plan.binary.name)
      : path.join(outputDir, 'bootstrap');
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.chmodSync(source, 0o755);
    try {
      // The cache entry is never modified after it is complete, so a hard link is as good as a copy, and cheaper.
      fs.linkSync(source, destination);
    } catch {
      fs.copyFileSync(source, destination); // another file system, or links not supported
      fs.chmodSync(destination, 0o755);
    }
  }

  /** `lambda.Code` for a plan: built locally when the stack needs bundling, hashed from sources and options. */
  public static code(plan: RustBuildPlan): lambda.AssetCode {
    return lambda.Code.fromAsset(plan.request.workspace.root, {
      assetHashType: AssetHashType.CUSTOM,
      assetHash: plan.assetHash,
      bundling: {
        // Required by the type; never pulled: local bundling either succeeds or throws.
        image: DockerImage.fromRegistry('rustacean-lambda/local-build-only'),
        local: {
          tryBundle(outputDir: string) {
            CargoLambdaBuild.stage(plan, outputDir);
            return true;
          },
        },
      },
    });
  }

  private static readonly builds = new Set<string>();
  private static readonly fingerprints = new Map<string, string>();

  private static fingerprint(workspace: CargoWorkspace): string {
    let fingerprint = CargoLambdaBuild.fingerprints.get(workspace.root);
    if (!fingerprint) {
      fingerprint = fingerprintSources(workspace.root, workspace.targetDirectory);
      CargoLambdaBuild.fingerprints.set(workspace.root, fingerprint);
    }
    return fingerprint;
  }

  private static optionsKey(request: CargoBuildRequest): string {
    return sha256(JSON.stringify({
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

  /**
   * Keeps the two newest builds of the same architecture and options; older ones are removed, and so are
   * temporary folders a killed build left behind more than an hour ago.
   */
  private static prune(cacheRoot: string, keep: string): void {
    const prefix = keep.split('-').slice(0, 2).join('-') + '-';
    const hourAgo = Date.now() - 3600_000;
    for (const name of fs.readdirSync(cacheRoot)) {
      const full = path.join(cacheRoot, name);
      if (name.startsWith('.tmp-') && fs.statSync(full).mtimeMs < hourAgo) fs.rmSync(full, { recursive: true, force: true });
    }
    const siblings = fs.readdirSync(cacheRoot)
      .filter(name => name.startsWith(prefix) && name !== keep)
      .map(name => ({ name, mtime: fs.statSync(path.join(cacheRoot, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of siblings.slice(1)) {
      fs.rmSync(path.join(cacheRoot, old.name), { recursive: true, force: true });
    }
  }
}

export const COMPLETE_MARKER = '.rustacean-lambda-complete';
