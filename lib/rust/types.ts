import { BuildCache } from './build-cache';

/**
 * How the release profile is tuned for Lambda. The preset is applied through `CARGO_PROFILE_<PROFILE>_*`
 * environment variables for the build only: your `Cargo.toml` is never edited, and settings you pass in
 * `bundling.environment` win over the preset.
 *
 * @see https://doc.rust-lang.org/cargo/reference/profiles.html
 */
export enum OptimizationPreset {
  /**
   * Smallest bootstrap: `opt-level = "z"`, fat LTO, one codegen unit, `panic = "abort"`, symbols stripped.
   * A smaller package downloads and maps faster at cold start; CPU-heavy handlers run slower than with SPEED.
   */
  SIZE = 'size',

  /**
   * Small and fast, the default: `opt-level = "s"`, fat LTO, one codegen unit, `panic = "abort"`, symbols stripped.
   */
  BALANCED = 'balanced',

  /**
   * Fastest code: `opt-level = 3`, fat LTO, one codegen unit, `panic = "abort"`, symbols stripped. For CPU-bound
   * handlers where run time, not package size, dominates the bill.
   */
  SPEED = 'speed',

  /**
   * No overrides: the profile from your `Cargo.toml` plus cargo-lambda's own release defaults.
   */
  NONE = 'none',
}

/**
 * How cargo-lambda builds the binary: everything that changes the build but not which binary it is. The same
 * shape as `LlrtFunction`'s and `WebAdapterFunction`'s `bundling`.
 *
 * @example
 * new RustFunction(this, 'Api', {
 *   manifestPath: 'rust-handlers',
 *   binaryName: 'api',
 *   bundling: {
 *     features: ['tracing'],
 *     optimization: OptimizationPreset.SPEED,
 *   },
 * });
 */
export interface RustBundlingOptions {
  /**
   * Cargo features to enable (`--features`). When set, only the binary's own package is built (`--package`),
   * since features belong to a package.
   *
   * @default - the package's default features
   */
  readonly features?: string[];

  /**
   * Build without the package's default features (`--no-default-features`).
   *
   * @default false
   */
  readonly noDefaultFeatures?: boolean;

  /**
   * Cargo profile to build with. `release` uses `--release`, `dev` builds without optimisation (fast builds for
   * experiments), any other name is passed as `--profile <name>`.
   *
   * @default 'release'
   */
  readonly profile?: string;

  /**
   * Optimisation preset applied to the chosen profile through `CARGO_PROFILE_*` environment variables.
   * Ignored for the `dev` profile.
   *
   * @default OptimizationPreset.BALANCED
   */
  readonly optimization?: OptimizationPreset;

  /**
   * Extra arguments appended to `cargo lambda build`, for flags without a typed option (for example
   * `['--compiler', 'cargo']` or `['--locked']`). Architecture and output flags are set by the construct and
   * rejected here.
   *
   * @default - none
   * @see https://www.cargo-lambda.info/commands/build.html
   */
  readonly cargoLambdaFlags?: string[];

  /**
   * Environment variables for the build (not for the function). They override the optimisation preset.
   *
   * @default - none
   */
  readonly environment?: { [key: string]: string };

  /**
   * rustup toolchain to build with (sets `RUSTUP_TOOLCHAIN`).
   *
   * @default - the default toolchain when it has the target for the architecture; otherwise the first installed
   * rustup toolchain that has it
   */
  readonly toolchain?: string;

  /**
   * A compile cache for the build: `BuildCache.sccache()` keeps compiled crates in a local folder, Redis, S3 or
   * the GitHub Actions cache, so later builds (a fresh clone, a CI run, a teammate) reuse them. It changes how fast
   * the bootstrap is built, never the bootstrap, so it is not part of the asset hash.
   *
   * @default - the app-wide default: the CDK context key `rustacean-lambda:buildCache`, else the environment
   * variable `RUSTACEAN_LAMBDA_BUILD_CACHE`, else no cache
   */
  readonly buildCache?: BuildCache;
}

/**
 * Which Rust binary to build and how, shared by `RustFunction` and `RustExtension`: the binary is named at the top
 * level, how it is built under `bundling`.
 */
export interface RustBuildOptions {
  /**
   * Path to the Cargo workspace or package: a directory that holds `Cargo.toml`, or the `Cargo.toml` itself.
   * Pointing at a workspace member builds the whole workspace once and picks this member's binary by default.
   *
   * @default - `Cargo.toml` in the current working directory
   */
  readonly manifestPath?: string;

  /**
   * The binary to deploy: the name of a `[[bin]]` target, or of a package that has exactly one binary.
   *
   * @default - the only binary of the package (or workspace) that `manifestPath` points at; required when there
   * are several
   */
  readonly binaryName?: string;

  /**
   * How cargo-lambda builds the binary (features, profile, optimisation preset, extra flags, environment,
   * toolchain).
   *
   * @default - the release profile with `OptimizationPreset.BALANCED` and the package's default features
   */
  readonly bundling?: RustBundlingOptions;
}
