/**
 * The Web Adapter built from source: its crate from crates.io, built by the core's cargo-lambda machinery into a
 * layer (`extensions/lambda-adapter` plus the `/opt/bootstrap` wrapper).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { WRAPPER_SCRIPT, writeExecutable } from './util';
import { Architecture } from '../core/arch';
import { CargoLambdaBuild } from '../core/cargo/build';
import { cachedCrateSource, stageCrateSource } from '../core/cargo/crate-source';
import { planBuild, RustBuildPlan, Preset } from '../core/cargo/plan';
import { cargoErrors } from '../core/cargo/workspace';
import { sha256Fields } from '../core/hash';
import { localAsset } from '../core/local-asset';
import { run } from '../core/process';

/** The crate on crates.io and the binary it ships. */
export const ADAPTER_CRATE = 'lambda_web_adapter';
export const ADAPTER_BINARY = 'lambda-adapter';
/**
 * The oldest glibc the adapter must load with: Amazon Linux 2 (2.26), which still hosts managed runtimes
 * (Python 3.9-3.11, Java 8-17, ...). Without the pin the linker may pick newer symbol versions (pow@GLIBC_2.29).
 */
export const ADAPTER_GLIBC = '2.26';

/** What decides a build of the adapter. */
export interface AdapterBuildOptions {
  readonly version: string;
  readonly architecture: Architecture;
  readonly optimization: Preset;
  readonly toolchain?: string;
  /** Where the crate's source is kept (`<cacheRoot>/web-adapter/<version>/lambda_web_adapter`). */
  readonly cacheRoot: string;
}

/**
 * The source of `lambda_web_adapter <version>` as a standalone Cargo package in the cache, fetched once through
 * cargo (a throwaway manifest that depends on `=<version>`; `cargo metadata` downloads and unpacks it and tells
 * where). The package ships its own `Cargo.lock`, which the build uses (`--locked`).
 */
export function adapterSource(version: string, cacheRoot: string): string {
  const root = path.join(cacheRoot, 'web-adapter', version);
  const crateDir = path.join(root, ADAPTER_CRATE);
  const cached = cachedCrateSource(crateDir);
  if (cached) return cached;

  fs.mkdirSync(root, { recursive: true });
  const probe = fs.mkdtempSync(path.join(root, '.probe-'));
  try {
    fs.mkdirSync(path.join(probe, 'src'));
    fs.writeFileSync(path.join(probe, 'src', 'main.rs'), 'fn main() {}\n');
    fs.writeFileSync(path.join(probe, 'Cargo.toml'), [
      '[package]',
      'name = "rustacean-lambda-fetch-web-adapter"',
      'version = "0.0.0"',
      'edition = "2021"',
      'publish = false',
      '',
      '[dependencies]',
      `${ADAPTER_CRATE} = "=${version}"`,
      '',
      '[workspace]',
      '',
    ].join('\n'));
    process.stderr.write(`rustacean-lambda: fetching ${ADAPTER_CRATE} ${version} from crates.io\n`);
    const result = run('cargo', ['metadata', '--format-version', '1', '--manifest-path', path.join(probe, 'Cargo.toml')], { cwd: probe });
    if (result.error) {
      throw new Error(`cannot run 'cargo metadata' to fetch ${ADAPTER_CRATE} ${version}: ${result.error.message}; ` +
        'install Rust from https://rustup.rs, or use WebAdapterLayer.fromAwsPublished()');
    }
    if (result.status !== 0) {
      throw new Error(`cannot fetch ${ADAPTER_CRATE} ${version} from crates.io:\n${cargoErrors(result.stderr)}\n` +
        'choose a release published on crates.io (WebAdapterVersion.V1_0_0_RC1 is the newest at the time of writing), ' +
        'or use WebAdapterLayer.fromAwsPublished()');
    }
    const meta = JSON.parse(result.stdout) as { packages: Array<{ name: string; version: string; manifest_path: string }> };
    const pkg = meta.packages.find(p => p.name === ADAPTER_CRATE && p.version === version);
    if (!pkg) throw new Error(`cargo resolved no ${ADAPTER_CRATE} ${version}; packages: ${meta.packages.map(p => `${p.name} ${p.version}`).slice(0, 5).join(', ')}`);

    const source = path.dirname(pkg.manifest_path);
    return stageCrateSource(crateDir, `${ADAPTER_CRATE} ${version} from crates.io`, staging => {
      // The registry copy is cargo's (it may garbage-collect it): build from our own copy. Upstream's .cargo/config
      // (musl linkers for their CI) is left out: we build with cargo-lambda's own setup.
      fs.cpSync(source, staging, {
        recursive: true,
        filter: src => {
          const rel = path.relative(source, src).split(path.sep);
          return !['.cargo', 'target'].includes(rel[0]) && rel[0] !== '.cargo-ok';
        },
      });
    });
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
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
    optimization: options.optimization,
    toolchain: options.toolchain,
    cargoLambdaFlags: ['--locked'],
    // What upstream's own layer build sets, so the Runtime API sees the adapter's user agent.
    buildEnvironment: { LAMBDA_RUNTIME_USER_AGENT: `aws-lambda-rust/aws-lambda-adapter/${options.version}` },
  }, options.architecture, true, ADAPTER_GLIBC);
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

