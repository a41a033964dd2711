/**
 * A release of the Lambda Web Adapter: the crate version on crates.io and, when AWS published it as a public
 * layer, that layer's version number.
 *
 * Versions are pinned on purpose: a new adapter release changes your functions only when you choose it.
 *
 * @example
 * new WebAdapterFunction(this, 'Express', {
 *   appPath: 'apps/express',
 *   runtime: lambda.Runtime.NODEJS_22_X,
 *   startCommand: 'node index.js',
 *   adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_0_1),
 * });
 */
export class WebAdapterVersion {
  /** Release 1.1.0, AWS layer version 30. */
  public static readonly V1_1_0 = new WebAdapterVersion('1.1.0', 30);

  /** Release 1.0.1, AWS layer version 28. */
  public static readonly V1_0_1 = new WebAdapterVersion('1.0.1', 28);

  /** Release 1.0.0, AWS layer version 27. */
  public static readonly V1_0_0 = new WebAdapterVersion('1.0.0', 27);

  /**
   * Release candidate 1.0.0-rc1: the newest release published on crates.io (so the one
   * `WebAdapterLayer.fromSource()` builds by default). AWS published no layer for it.
   */
  public static readonly V1_0_0_RC1 = new WebAdapterVersion('1.0.0-rc1');

  /**
   * Any other release. For a release listed above the known layer version is filled in.
   *
   * @param version the release, e.g. `0.9.1`
   * @param layerVersion the version number of AWS's public layer for this release, if there is one
   */
  public static of(version: string, layerVersion?: number): WebAdapterVersion {
    if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
      throw new Error(`web adapter version '${version}' is not a release number; expected e.g. '1.1.0' or '1.0.0-rc1'`);
    }
    if (layerVersion !== undefined && (!Number.isInteger(layerVersion) || layerVersion < 1)) {
      throw new Error(`layerVersion ${layerVersion} for web adapter ${version} is not a layer version number; expected a whole number from 1`);
    }
    const known = [WebAdapterVersion.V1_1_0, WebAdapterVersion.V1_0_1, WebAdapterVersion.V1_0_0, WebAdapterVersion.V1_0_0_RC1]
      .find(v => v.version === version);
    return new WebAdapterVersion(version, layerVersion ?? known?.layerVersion);
  }

  /** The release number, e.g. `1.1.0`. */
  public readonly version: string;

  /**
   * The version number of AWS's public layer (`LambdaAdapterLayerX86:<n>`, `LambdaAdapterLayerArm64:<n>`).
   *
   * @default - AWS published no layer for this release
   */
  public readonly layerVersion?: number;

  private constructor(version: string, layerVersion?: number) {
    this.version = version;
    this.layerVersion = layerVersion;
  }

  public toString(): string {
    return this.version;
  }
}
