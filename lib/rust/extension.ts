import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { rustCode, warnIfCacheNotUsed } from './bundling';
import { RustBuildOptions } from './types';

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
    const { plan, code } = rustCode(scope, id, props, architecture, true);
    super(scope, id, {
      ...props,
      compatibleArchitectures: [architecture],
      code,
    });
    this.binaryName = plan.binary.name;
    this.architecture = architecture;
    warnIfCacheNotUsed(this, plan);
  }
}
