import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RustBuildOptions } from './types';
import { architectureOf } from '../core/arch';
import { CargoLambdaBuild } from '../core/cargo/build';
import { buildCacheContext } from '../core/cargo/build-cache';
import { planBuild } from '../core/cargo/plan';
import { validating, warn } from '../core/errors';

/**
 * Properties of a `RustExtension`.
 */
export interface RustExtensionProps extends lambda.LayerVersionOptions, RustBuildOptions {
  /**
   * The architecture the extension is built for; it can only be attached to functions of the same architecture.
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * Runtimes the layer declares itself compatible with. Extensions are executables, so they work with every runtime.
   *
   * @default - not declared (any runtime)
   */
  readonly compatibleRuntimes?: lambda.Runtime[];
}

/**
 * A Lambda extension written in Rust, built with `cargo lambda build --extension` and published as a layer
 * version whose `extensions/<binary>` Lambda starts next to the function.
 *
 * Defaults that differ from `lambda.LayerVersion`: `compatibleArchitectures` is the one `architecture` it was built
 * for (`Architecture.ARM_64` unless set), not every architecture.
 *
 * @example
 * const ext = new RustExtension(this, 'Telemetry', { manifestPath: 'extensions', binaryName: 'telemetry' });
 * new RustFunction(this, 'Api', { manifestPath: 'rust-handlers', binaryName: 'http-api', layers: [ext] });
 */
export class RustExtension extends lambda.LayerVersion {
  /** The Cargo binary target deployed as `extensions/<binaryName>`. */
  public readonly binaryName: string;

  /** The architecture the extension was built for. */
  public readonly architecture: lambda.Architecture;

  constructor(scope: Construct, id: string, props: RustExtensionProps = {}) {
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    // A stack that is not bundled (`cdk deploy OtherStack`) reads and runs nothing: no cargo metadata, no rustc.
    // Bad props fail as aws-cdk-lib's ValidationError naming this construct's path.
    const [plan, code] = validating(scope, id, () => {
      const planned = planBuild({
        manifestPath: props.manifestPath,
        binaryName: props.binaryName,
        bundling: { ...props.bundling, buildCache: props.bundling?.buildCache?._config },
        buildCacheContext: buildCacheContext(scope),
        architecture: architectureOf(architecture),
        extension: true,
        bundlingRequired: Stack.of(scope).bundlingRequired,
      });
      return [planned, CargoLambdaBuild.code(planned)] as const;
    });
    super(scope, id, {
      ...props,
      compatibleArchitectures: [architecture],
      code,
    });
    this.binaryName = plan.binary.name;
    this.architecture = architecture;
    const notUsed = CargoLambdaBuild.cacheNotUsed(plan);
    if (notUsed) warn(this, 'build-cache-not-used', notUsed);
  }
}
