import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { RustBuildOptions } from './types';
import { architectureOf } from '../core/arch';
import { CargoLambdaBuild } from '../core/cargo/build';
import { buildCacheContext } from '../core/cargo/build-cache';
import { planBuild, RustBuildPlan } from '../core/cargo/plan';
import { validating, warn } from '../core/errors';

/**
 * The bundling step of `RustFunction` and `RustExtension`: their props as a checked build plan and the asset that
 * builds it. A stack that is not bundled (`cdk deploy OtherStack`) reads and runs nothing: no cargo metadata, no
 * rustc. Bad props fail as aws-cdk-lib's `ValidationError` naming the construct being created (`id` of `scope`).
 */
export function rustCode(
  scope: Construct, id: string, props: RustBuildOptions, architecture: lambda.Architecture, extension: boolean,
): { plan: RustBuildPlan; code: lambda.AssetCode } {
  return validating(scope, id, () => {
    const plan = planBuild({
      manifestPath: props.manifestPath,
      binaryName: props.binaryName,
      bundling: { ...props.bundling, buildCache: props.bundling?.buildCache?._config },
      buildCacheContext: buildCacheContext(scope),
      architecture: architectureOf(architecture),
      extension,
      bundlingRequired: Stack.of(scope).bundlingRequired,
    });
    return { plan, code: CargoLambdaBuild.code(plan) };
  });
}

/** After the construct exists (its asset was built in its constructor): warns when the build cache asked for was not used. */
export function warnIfCacheNotUsed(construct: IConstruct, plan: RustBuildPlan): void {
  const notUsed = CargoLambdaBuild.cacheNotUsed(plan);
  if (notUsed) warn(construct, 'build-cache-not-used', notUsed);
}
