/**
 * The build: the exact `cargo lambda build` command line of a plan, run at most once per workspace and option set
 * (the build-once cache keeps the result between synths), and one binary of it staged into an asset.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { prepareBuildCache, sccacheStats, wrapInheritedSccache } from './build-cache';
import { buildKey, CargoBuildRequest, COMPLETE_MARKER, forgetFingerprints, Preset, RustBuildPlan } from './plan';
import { Toolchain } from './toolchain';
import { cargoErrors, forgetWorkspaces } from './workspace';
import { Architecture, ARCHITECTURES } from '../arch';
import { removeStale, stageDirectory } from '../cache';
import { elfMachine, machineName } from '../elf';
import { localAsset } from '../local-asset';
import { run } from '../process';

/**
 * Build environment for a preset: `CARGO_PROFILE_<NAME>_*` settings, plus the target CPU cargo-lambda would have
 * chosen (only when nothing else sets rustflags, so user flags are never dropped). The `dev` profile is left
 * alone: it is for fast builds.
 */
export function presetEnvironment(
  profile: string, preset: Preset, architecture: Architecture, userEnv: Record<string, string | undefined> = {},
): Record<string, string> {
  if (preset === 'none' || profile === 'dev') return {};
  const prefix = `CARGO_PROFILE_${profile.toUpperCase().replace(/-/g, '_')}_`;
  const optLevel = { size: 'z', balanced: 's', speed: '3' }[preset];
  const env: Record<string, string> = {
    [`${prefix}OPT_LEVEL`]: optLevel,
    [`${prefix}LTO`]: 'fat',
    [`${prefix}CODEGEN_UNITS`]: '1',
    [`${prefix}PANIC`]: 'abort',
    [`${prefix}STRIP`]: 'symbols',
    [`${prefix}DEBUG`]: 'false',
  };
  const targetFlagsVar = `CARGO_TARGET_${ARCHITECTURES[architecture].rustTarget.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`;
  const userFlags = ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', targetFlagsVar].some(v => userEnv[v] !== undefined);
  if (!userFlags) env[targetFlagsVar] = `-C target-cpu=${ARCHITECTURES[architecture].targetCpu}`;
  return env;
}

/** The exact `cargo lambda build` invocation for a request, writing into `lambdaDir`. */
export function buildCommand(request: CargoBuildRequest, lambdaDir: string, toolchain: string | undefined) {
  const args = ['lambda', 'build'];
  if (request.profile === 'release') args.push('--release');
  else if (request.profile !== 'dev') args.push('--profile', request.profile);
  if (request.glibc) args.push('--target', `${ARCHITECTURES[request.architecture].rustTarget}.${request.glibc}`);
  else args.push(request.architecture === 'arm64' ? '--arm64' : '--x86-64');
  if (request.extension) args.push('--extension');
  // A preset replaces cargo-lambda's own release settings, which it passes as `--config` and which would
  // otherwise win over CARGO_PROFILE_* variables.
  if (request.optimization !== 'none' && request.profile !== 'dev') args.push('--disable-optimizations');
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

/** What the compile cache did in one build. */
export interface BuildCacheReport {
  /** sccache's cache hits during the build (its server's count after, minus before). */
  readonly hits?: number;
  readonly misses?: number;
  /** Where sccache stored (its `cache_location`). */
  readonly location?: string;
  /** Why a cache that was asked for was not used. */
  readonly notUsed?: string;
}

/** A finished build: one folder holding the output of every binary. */
export interface BuiltWorkspace {
  readonly dir: string;
  /** The built executable of a binary (`<bin>/bootstrap`, or `extensions/<bin>` for extensions). */
  executable(binary: string): string;
}

/** What a build with `BuildCache.none()` leaves out of the environment it inherits. */
const NO_CACHE_DROPS = ['RUSTC_WRAPPER', 'CARGO_BUILD_RUSTC_WRAPPER', 'RUSTC_WORKSPACE_WRAPPER', 'CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER'];

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

  /**
   * What the build cache did in this process's builds, by build key: sccache's hits and misses during the build,
   * or why a cache that was asked for was not used (tests, benchmarks, and the constructs' warning).
   */
  public static readonly cacheReports = new Map<string, BuildCacheReport>();

  /** Restore the real runner, forget builds and toolchain checks (for tests). */
  public static reset(): void {
    CargoLambdaBuild.executor = realExecutor;
    CargoLambdaBuild.invocations = 0;
    CargoLambdaBuild.builds.clear();
    CargoLambdaBuild.cacheReports.clear();
    forgetFingerprints();
    forgetWorkspaces();
    Toolchain.reset();
  }

  /** Build (or reuse) the workspace for a request. */
  public static build(request: CargoBuildRequest): BuiltWorkspace {
    const key = buildKey(request);
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
    const what = `${path.relative(process.cwd(), request.workspace.root) || '.'} for ${request.architecture} ` +
      `(${request.profile}, ${request.optimization} preset${toolchain ? `, toolchain ${toolchain}` : ''})`;
    // The compile cache: sccache as RUSTC_WRAPPER with its storage's settings, or nothing (and why) when the
    // storage does not answer. It changes how fast the build is, never its output, so it is not in the key.
    const cache = prepareBuildCache(request.buildCache);
    if (cache.notUsed) process.stderr.write(`rustacean-lambda: ${cache.notUsed}\n`);
    const before = cache.sccache && sccacheStats(cache.sccache.binary, cache.sccache.env);
    const started = Date.now();
    let cacheLine = '';
    stageDirectory(dir, staging => {
      const { command, args, env } = buildCommand(request, staging, toolchain);
      process.stderr.write(`rustacean-lambda: cargo lambda build ${what}${cache.sccache ? ' with sccache' : ''}\n`);
      CargoLambdaBuild.invocations++;
      // `BuildCache.none()` also drops a compiler wrapper inherited from the shell (RUSTC_WRAPPER=sccache).
      const inherited = { ...process.env };
      if (request.buildCache?.kind === 'none') for (const name of NO_CACHE_DROPS) delete inherited[name];
      else if (!cache.sccache) Object.assign(inherited, wrapInheritedSccache(inherited));
      const result = CargoLambdaBuild.executor(command, args, { ...inherited, ...env, ...cache.env }, request.workspace.root);
      if (result.error || result.status !== 0) {
        const reason = result.error ? result.error.message : `exit code ${result.status}`;
        throw new Error(`cargo lambda build failed for ${what} (${reason}):\n${cargoErrors(result.stderr)}\n` +
          `command: ${command} ${args.join(' ')}`);
      }
      const after = cache.sccache && sccacheStats(cache.sccache.binary, cache.sccache.env);
      const report: BuildCacheReport = before && after
        ? { hits: after.hits - before.hits, misses: after.misses - before.misses, location: after.location }
        : { notUsed: cache.notUsed };
      CargoLambdaBuild.cacheReports.set(key, report);
      if (report.location !== undefined) cacheLine = `sccache: ${report.hits} hits, ${report.misses} misses (${report.location})`;
      // When it finished and how long it took (benchmarks report the time of the build that filled the cache).
      fs.writeFileSync(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\nbuild seconds: ${((Date.now() - started) / 1000).toFixed(1)}\n` +
        (cacheLine ? `${cacheLine}\n` : ''));
    }, { tmpPrefix: `.tmp-${key}-`, complete: d => fs.existsSync(path.join(d, COMPLETE_MARKER)) });
    process.stderr.write(`rustacean-lambda: built in ${((Date.now() - started) / 1000).toFixed(1)} s${cacheLine ? `; ${cacheLine}` : ''}\n`);
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
        'check that the binary builds with `cargo lambda build` and is not excluded by bundling.cargoLambdaFlags');
    }
    const machine = elfMachine(source);
    if (machine !== ARCHITECTURES[plan.request.architecture].elfMachine) {
      throw new Error(`the build of '${plan.binary.name}' is ${machineName(machine)} but the architecture is ` +
        `${plan.request.architecture}; a target set in .cargo/config.toml, CARGO_BUILD_TARGET or bundling.environment ` +
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

  /** Why the build cache asked for was not used in this process's build of a plan (undefined when it was, or none was asked). */
  public static cacheNotUsed(plan: RustBuildPlan): string | undefined {
    if (!plan.request.buildCache || plan.request.workspace.binaries.length === 0) return undefined;
    return CargoLambdaBuild.cacheReports.get(buildKey(plan.request))?.notUsed;
  }

  /** `lambda.Code` for a plan: built locally when the stack needs bundling, hashed from sources and options. */
  public static code(plan: RustBuildPlan): lambda.AssetCode {
    return localAsset(plan.request.workspace.root, { assetHash: plan.assetHash }, outputDir => CargoLambdaBuild.stage(plan, outputDir));
  }

  private static readonly builds = new Set<string>();
  /**
   * Keeps the two newest builds of the same architecture and options; older ones are removed, and so are
   * temporary folders a killed build left behind more than an hour ago.
   */
  private static prune(cacheRoot: string, keep: string): void {
    const prefix = keep.split('-').slice(0, 2).join('-') + '-';
    removeStale(cacheRoot, ['.tmp-']);
    const siblings = fs.readdirSync(cacheRoot)
      .filter(name => name.startsWith(prefix) && name !== keep)
      .map(name => ({ name, mtime: fs.statSync(path.join(cacheRoot, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of siblings.slice(1)) {
      fs.rmSync(path.join(cacheRoot, old.name), { recursive: true, force: true });
    }
  }
}
