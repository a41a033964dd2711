/**
 * The Web Adapter built from source: its crate from crates.io, built by the core's cargo-lambda machinery into a
 * layer (`extensions/lambda-adapter` plus the `/opt/bootstrap` wrapper).
 */
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Architecture } from '../core/arch';
import { CargoLambdaBuild } from '../core/cargo/build';
import { BuildCacheConfig } from '../core/cargo/build-cache';
import { fetchCrateSource } from '../core/cargo/crate-source';
import { planBuild, RustBuildPlan, Preset } from '../core/cargo/plan';
import { writeExecutable } from '../core/files';
import { sha256Fields } from '../core/hash';
import { localAsset } from '../core/local-asset';

/** The crate on crates.io and the binary it ships. */
export const ADAPTER_CRATE = 'lambda_web_adapter';
export const ADAPTER_BINARY = 'lambda-adapter';
/**
 * The oldest glibc the adapter must load with: Amazon Linux 2 (2.26), which still hosts managed runtimes
 * (Python 3.9-3.11, Java 8-17, ...). Without the pin the linker may pick newer symbol versions (pow@GLIBC_2.29).
 */
export const ADAPTER_GLIBC = '2.26';

/**
 * The `/opt/bootstrap` of a layer built from source: Lambda calls it (as `AWS_LAMBDA_EXEC_WRAPPER`) with the
 * managed runtime's command line, and it starts the function's handler script instead.
 */
export const WRAPPER_SCRIPT = [
  '#!/bin/bash',
  '# Lambda Web Adapter wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap), written by rustacean-lambda-cdk:',
  '# run the function\'s handler script (the web app\'s start script) instead of the managed runtime.',
  'exec -- "${LAMBDA_TASK_ROOT}/${_HANDLER}"',
  '',
].join('\n');

/** What decides a build of the adapter. */
export interface AdapterBuildOptions {
  readonly version: string;
  readonly architecture: Architecture;
  readonly optimization: Preset;
  readonly toolchain?: string;
  /** Where the crate's source is kept (`<cacheRoot>/web-adapter/<version>/lambda_web_adapter`). */
  readonly cacheRoot: string;
  /** The compile cache asked for on the layer (how the adapter is compiled, never what: in no hash). */
  readonly buildCache?: BuildCacheConfig;
  /** The context key `rustacean-lambda:buildCache` where the layer is (the app-wide default). */
  readonly buildCacheContext?: unknown;
}

/**
 * The source of `lambda_web_adapter <version>` as a standalone Cargo package in the cache, fetched from crates.io
 * and checked against its index by the core. The package ships its own `Cargo.lock`, which the build uses
 * (`--locked`).
 */
export function adapterSource(version: string, cacheRoot: string): string {
  return fetchCrateSource({
    crate: ADAPTER_CRATE,
    version,
    crateDir: path.join(cacheRoot, 'web-adapter', version, ADAPTER_CRATE),
    requireLock: true,
    otherwise: 'use WebAdapterLayer.fromAwsPublished()',
    example: 'WebAdapterLayer.fromSource({ version: WebAdapterVersion.V1_0_0_RC1 }) (the default)',
  });
}

/**
 * The foundation's build plan for the adapter: `cargo lambda build --release --extension --locked --target
 * <triple>.2.26`.
 */
export function adapterPlan(options: AdapterBuildOptions): RustBuildPlan {
  const crateDir = adapterSource(options.version, options.cacheRoot);
  return planBuild({
    manifestPath: crateDir,
    binaryName: ADAPTER_BINARY,
    bundling: {
      optimization: options.optimization,
      toolchain: options.toolchain,
      cargoLambdaFlags: ['--locked'],
      // What upstream's own layer build sets, so the Runtime API sees the adapter's user agent.
      environment: { LAMBDA_RUNTIME_USER_AGENT: `aws-lambda-rust/aws-lambda-adapter/${options.version}` },
      buildCache: options.buildCache,
    },
    buildCacheContext: options.buildCacheContext,
    architecture: options.architecture,
    extension: true,
    glibc: ADAPTER_GLIBC,
  });
}

/**
 * Writes the layer's content into `outputDir`: `extensions/lambda-adapter` (started by Lambda as an external
 * extension) and the `bootstrap` wrapper (`/opt/bootstrap`, for `AWS_LAMBDA_EXEC_WRAPPER`).
 */
export function stageAdapterLayer(options: AdapterBuildOptions, outputDir: string): void {
  CargoLambdaBuild.stage(adapterPlan(options), outputDir);
  writeExecutable(path.join(outputDir, 'bootstrap'), WRAPPER_SCRIPT);
}

/**
 * The layer's asset. Its hash comes from the crate version (crates.io releases never change), the build options,
 * the compiler and the wrapper, so a synth that does not bundle this stack never fetches or builds anything.
 */
export function adapterLayerCode(options: AdapterBuildOptions, compilerIdentity: string): lambda.AssetCode {
  const assetHash = sha256Fields('web-adapter-layer', '1', options.version, options.architecture, options.optimization,
    options.toolchain ?? '', ADAPTER_GLIBC, compilerIdentity, WRAPPER_SCRIPT);
  return localAsset(__dirname, { assetHash }, outputDir => stageAdapterLayer(options, outputDir));
}

