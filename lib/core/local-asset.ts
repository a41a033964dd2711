import { AssetHashType, DockerImage, ILocalBundling, IgnoreMode } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Required by `Code.fromAsset`'s bundling type; never pulled: local bundling either succeeds or throws. */
const NO_DOCKER = DockerImage.fromRegistry('rustacean-lambda/local-build-only');

export interface LocalAssetOptions {
  /**
   * The asset hash: everything that decides the content, so an unchanged input is not bundled again.
   * @default - the hash of the bundled output (then give `cacheKey`)
   */
  readonly assetHash?: string;
  /**
   * With an output hash: what tells two bundlings of the same folder apart within one synth (CDK hashes the
   * bundling's own properties into its in-process cache key).
   */
  readonly cacheKey?: string;
  /** Globs left out of the source folder's copy. */
  readonly exclude?: string[];
}

/** Local bundling with an optional `cacheKey` own property. */
class LocalBundler implements ILocalBundling {
  constructor(private readonly stage: (outputDir: string) => void, cacheKey?: string) {
    if (cacheKey !== undefined) (this as { cacheKey?: string }).cacheKey = cacheKey;
  }

  public tryBundle(outputDir: string): boolean {
    this.stage(outputDir);
    return true;
  }
}

/**
 * `lambda.Code` bundled on this machine only (no Docker): CDK calls `stage(outputDir)` when the stack is bundled
 * in this synth, and never otherwise.
 */
export function localAsset(sourceDir: string, options: LocalAssetOptions, stage: (outputDir: string) => void): lambda.AssetCode {
  return lambda.Code.fromAsset(sourceDir, {
    ...(options.assetHash !== undefined
      ? { assetHashType: AssetHashType.CUSTOM, assetHash: options.assetHash }
      : { assetHashType: AssetHashType.OUTPUT }),
    ...(options.exclude ? { exclude: options.exclude, ignoreMode: IgnoreMode.GLOB } : {}),
    bundling: { image: NO_DOCKER, local: new LocalBundler(stage, options.cacheKey) },
  });
}
