import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { rustCode, warnIfCacheNotUsed } from './bundling';
import { RustBuildOptions } from './types';

/**
 * Properties of a `RustFunction`: the usual Lambda function options, the binary to deploy, and how cargo-lambda
 * builds it (`bundling`). The defaults that differ from `lambda.Function` are listed on `RustFunction`.
 */
export interface RustFunctionProps extends lambda.FunctionOptions, RustBuildOptions {}

/**
 * A Lambda function written in Rust, built with cargo-lambda for arm64 (default) or x86_64 and deployed as a
 * native `bootstrap` on the `provided.al2023` runtime.
 *
 * Defaults that differ from `lambda.Function` (the inherited props' docs show aws-cdk-lib's; each can be
 * overridden with the usual prop):
 * - `architecture`: `Architecture.ARM_64`, not X86_64 (Graviton costs 20% less per GB-second and starts Rust a
 *   little faster)
 * - `memorySize`: 128 MB, as aws-cdk-lib's (a Rust handler typically uses 15-30 MB; CPU scales with memory, so
 *   raise it for CPU-bound work)
 * - `loggingFormat`: `LoggingFormat.JSON`, not TEXT (lambda_runtime's tracing output and the REPORT lines become
 *   fields)
 * - `runtime` and `handler`: always `provided.al2023` and `bootstrap`
 *
 * All functions of one Cargo workspace that share architecture and build options are served by a single
 * `cargo lambda build` per synth, and the asset hash is computed from the sources and options, so an unchanged
 * workspace gives an unchanged template without rebuilding.
 *
 * @example
 * new RustFunction(this, 'Hello', {
 *   manifestPath: 'rust-handlers',
 *   binaryName: 'hello',
 * });
 */
export class RustFunction extends lambda.Function {
  /**
   * The Cargo binary target deployed as this function's `bootstrap`. In a stack excluded from bundling, where the
   * workspace is not read, the `binaryName` prop as given ('' when it was left out).
   */
  public readonly binaryName: string;

  /** The Cargo package that owns the binary ('' in a stack excluded from bundling). */
  public readonly packageName: string;

  constructor(scope: Construct, id: string, props: RustFunctionProps = {}) {
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const { plan, code } = rustCode(scope, id, props, architecture, false);
    super(scope, id, {
      ...props,
      architecture,
      memorySize: props.memorySize ?? 128,
      loggingFormat: props.loggingFormat ?? lambda.LoggingFormat.JSON,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code,
    });
    this.binaryName = plan.binary.name;
    this.packageName = plan.binary.packageName;
    warnIfCacheNotUsed(this, plan);
  }
}
