import { Aws, CfnMapping, Fn, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { AdapterBuildOptions, adapterLayerCode, adapterPlan } from './adapter-build';
import { WebAdapterVersion } from './version';
import { Architecture, architectureOf } from '../core/arch';
import { cacheRoot } from '../core/cache';
import { CargoLambdaBuild } from '../core/cargo/build';
import { buildCacheContext, resolveBuildCache } from '../core/cargo/build-cache';
import { Toolchain } from '../core/cargo/toolchain';
import { validating, warn } from '../core/errors';
import { sha256Fields } from '../core/hash';
import { BuildCache, OptimizationPreset } from '../rust';

/** The account that publishes the adapter's layers in the commercial partition. */
const COMMERCIAL_ACCOUNT = '753240598075';
/** China publishes from one account per region, x86_64 only. */
const CHINA_ACCOUNTS: Record<string, string> = { 'cn-north-1': '041581134020', 'cn-northwest-1': '069767869989' };
const LAYER_NAMES: Record<Architecture, string> = { x86_64: 'LambdaAdapterLayerX86', arm64: 'LambdaAdapterLayerArm64' };
/** Mapping attribute names must be alphanumeric. */
const MAPPING_KEYS: Record<Architecture, string> = { x86_64: 'x8664', arm64: 'arm64' };
const PARTITIONS_CONTEXT = '@aws-cdk/core:target-partitions';

/**
 * Properties of a Lambda Web Adapter layer built from source.
 */
export interface WebAdapterSourceProps extends lambda.LayerVersionOptions {
  /**
   * The release to build: the crate `lambda_web_adapter` of this version from crates.io.
   *
   * @default WebAdapterVersion.V1_0_0_RC1 (the newest release on crates.io at the time of writing)
   */
  readonly version?: WebAdapterVersion;

  /**
   * Optimisation preset of the build (see `RustFunction`). The adapter sits in every request's path, so the
   * default favours speed, like upstream's own release profile.
   *
   * @default OptimizationPreset.SPEED
   */
  readonly optimization?: OptimizationPreset;

  /**
   * rustup toolchain to build with.
   *
   * @default - the default toolchain when it has the target for the architecture; otherwise the first installed
   * rustup toolchain that has it
   */
  readonly toolchain?: string;

  /**
   * Where the crate's source and its builds are kept between synths (`<cacheDirectory>/web-adapter/<version>`).
   * A release build takes minutes; with the cache, later synths (in any project on the machine) take none.
   *
   * @default - `$RUSTACEAN_LAMBDA_CACHE`, else the OS's per-user cache folder + `rustacean-lambda` (as for LLRT binaries)
   */
  readonly cacheDirectory?: string;

  /**
   * A compile cache shared across machines for the build (sccache, as `RustFunction`'s `bundling.buildCache`).
   * It changes how fast the adapter builds, never the layer, so it is in no hash and no layer id.
   *
   * @default - the app-wide default: the context key `rustacean-lambda:buildCache` where the layer is, else
   * `RUSTACEAN_LAMBDA_BUILD_CACHE`, else none
   */
  readonly buildCache?: BuildCache;
}

/**
 * Where a function's Lambda Web Adapter comes from: AWS's public layer of a pinned release, or a layer this
 * library builds from the adapter's source.
 *
 * Defaults: `fromAwsPublished()` pins release 1.1.0 (AWS's layer 30); `fromSource()` builds 1.0.0-rc1 (the newest
 * release on crates.io) with `OptimizationPreset.SPEED`, and its `lambda.LayerVersion` gets `license` Apache-2.0, a
 * `description` naming the release and `compatibleArchitectures` of the function's architecture (set your own
 * `LayerVersionOptions` in `fromSource(props)`). Where AWS publishes no layer, synth fails with a `ValidationError`
 * of the function.
 *
 * @example
 * // The adapter built from its source on crates.io: no other account's layer in your stack.
 * new WebAdapterFunction(this, 'Flask', {
 *   appPath: 'apps/flask',
 *   runtime: lambda.Runtime.PYTHON_3_12,
 *   startCommand: 'python3 app.py',
 *   adapterLayer: WebAdapterLayer.fromSource(),
 * });
 */
export abstract class WebAdapterLayer {
  /**
   * AWS's public layer (account 753240598075; in China 041581134020 / 069767869989) of a pinned release. The ARN
   * is built for the stack's partition, region and the function's architecture; in a region-agnostic stack it is
   * looked up at deploy time from a mapping of the regions known to aws-cdk-lib.
   *
   * Where AWS publishes no layer (GovCloud and other partitions, arm64 in China) synth fails and points to
   * `fromSource()`.
   *
   * @param version the release @default WebAdapterVersion.V1_1_0
   */
  public static fromAwsPublished(version: WebAdapterVersion = WebAdapterVersion.V1_1_0): WebAdapterLayer {
    return new AwsPublishedLayer(version);
  }

  /**
   * A layer built by this library from the adapter's source (`lambda_web_adapter` from crates.io, `cargo lambda
   * build --release --extension`) for the function's architecture, with the `/opt/bootstrap` wrapper. Your
   * stacks then depend on no other account's layer, and work in every partition.
   *
   * Needs Rust and cargo-lambda at synth, like `RustFunction`. One layer per stack and architecture, one build
   * per architecture and options, kept in a cache across synths.
   *
   * Version: by default 1.0.0-rc1 (`WebAdapterVersion.V1_0_0_RC1`), the newest release on crates.io, while
   * `fromAwsPublished()` defaults to 1.1.0 (layer 30). 1.0.0-rc1 has no SnapStart hooks (synth refuses them with
   * this layer) and does not read `AWS_LWA_POOL_IDLE_TIMEOUT_SECONDS`.
   */
  public static fromSource(props: WebAdapterSourceProps = {}): WebAdapterLayer {
    return new SourceLayer(props);
  }

  /** The adapter release this layer provides. */
  public abstract readonly version: WebAdapterVersion;

  /**
   * The layer version to attach to a function of `architecture` in `scope`'s stack. Repeated calls for the same
   * stack and architecture return the same layer. Where there is none (a partition or region without AWS's layer),
   * synth fails with a `ValidationError` of `scope`.
   */
  public abstract bind(scope: Construct, architecture: lambda.Architecture): lambda.ILayerVersion;
}

class AwsPublishedLayer extends WebAdapterLayer {
  constructor(public readonly version: WebAdapterVersion) {
    super();
  }

  public bind(scope: Construct, architecture: lambda.Architecture): lambda.ILayerVersion {
    return validating(scope, undefined, () => this.layerFor(scope, architecture));
  }

  private layerFor(scope: Construct, architecture: lambda.Architecture): lambda.ILayerVersion {
    const stack = Stack.of(scope);
    const arch = architectureOf(architecture);
    const layerVersion = this.version.layerVersion;
    if (layerVersion === undefined) {
      throw new Error(`Lambda Web Adapter ${this.version.version} has no AWS-published layer; choose a release AWS ` +
        `published (${publishedReleases()}) or build this one: WebAdapterLayer.fromSource({ version })`);
    }
    const id = `WebAdapterLayer${arch === 'arm64' ? 'Arm64' : 'X86'}V${layerVersion}`;
    const existing = stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined;
    if (existing) return existing;
    return lambda.LayerVersion.fromLayerVersionArn(stack, id, publishedLayerArn(stack, arch, layerVersion));
  }
}

function publishedReleases(): string {
  return [WebAdapterVersion.V1_1_0, WebAdapterVersion.V1_0_1, WebAdapterVersion.V1_0_0]
    .map(v => `${v.version} = layer ${v.layerVersion}`).join(', ');
}

/**
 * The ARN of AWS's public adapter layer for a stack: literal when the region is known at synth, otherwise
 * `Fn::Sub` with the account from a region mapping (or the commercial account alone when the app targets only
 * the `aws` partition).
 */
function publishedLayerArn(stack: Stack, arch: Architecture, layerVersion: number): string {
  const name = LAYER_NAMES[arch];
  const region = stack.region;
  if (!Token.isUnresolved(region)) {
    checkRegion(stack, region);
    const partition = partitionOf(stack, region);
    return `arn:${partition}:lambda:${region}:${publisherAccount(partition, region, arch)}:layer:${name}:${layerVersion}`;
  }

  // An app that declares it targets only the commercial partition needs no lookup (and works in regions newer
  // than aws-cdk-lib); otherwise a mapping makes unsupported regions fail at deploy, before any function exists.
  const account = targetPartitions(stack).join() === 'aws'
    ? COMMERCIAL_ACCOUNT
    : webAdapterMapping(stack).findInMap(Aws.REGION, MAPPING_KEYS[arch]);
  return Fn.sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${Account}:layer:${name}:${layerVersion}`, { Account: account });
}

/**
 * A region string the layer could be in. aws-cdk-lib's region facts decide: a known region passes (its partition
 * is checked next), a string that is no region name is refused, and a well-formed region that this aws-cdk-lib
 * does not know yet gets a warning (it may be newer than the library, or a typo).
 */
function checkRegion(stack: Stack, region: string): void {
  if (RegionInfo.regions.some(info => info.name === region)) return;
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new Error(`stack ${stack.stackName} has region '${region}', which is not an AWS region name; expected one like ` +
      '\'us-east-1\': fix the stack\'s env.region');
  }
  warn(stack, 'web-adapter-unknown-region',
    `region '${region}' is not known to this aws-cdk-lib: the Web Adapter layer ARN assumes AWS publishes the layer ` +
    `there (account ${region.startsWith('cn-') ? 'of the China partition' : COMMERCIAL_ACCOUNT}); check the region name, ` +
    'upgrade aws-cdk-lib, or build the adapter yourself with `adapterLayer: WebAdapterLayer.fromSource()`');
}

function partitionOf(stack: Stack, region: string): string {
  const known = RegionInfo.get(region).partition;
  if (known) return known;
  if (!Token.isUnresolved(stack.partition)) return stack.partition;
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso')) return 'aws-iso';
  return 'aws';
}

function publisherAccount(partition: string, region: string, arch: Architecture): string {
  const fix = 'build the adapter yourself with `adapterLayer: WebAdapterLayer.fromSource()`';
  if (partition === 'aws') return COMMERCIAL_ACCOUNT;
  if (partition === 'aws-cn') {
    const account = CHINA_ACCOUNTS[region];
    if (!account) {
      throw new Error(`AWS publishes no Lambda Web Adapter layer in ${region} (China: cn-north-1 and cn-northwest-1 only); ${fix}`);
    }
    if (arch === 'arm64') {
      throw new Error(`AWS publishes no arm64 Lambda Web Adapter layer in ${region} (China regions have x86_64 only); ` +
        `${fix}, or use architecture X86_64`);
    }
    return account;
  }
  throw new Error(`AWS publishes no Lambda Web Adapter layer in the ${partition} partition (region ${region}); ${fix}`);
}

/** The partitions the app may deploy to (context `@aws-cdk/core:target-partitions`), by default both that have the layer. */
function targetPartitions(stack: Stack): string[] {
  const targets = stack.node.tryGetContext(PARTITIONS_CONTEXT) as string[] | undefined;
  return targets ?? ['aws', 'aws-cn'];
}

/** The publisher account of every known region (of the app's target partitions) that has a layer for `arch`. */
function regionAccounts(stack: Stack, arch: Architecture): Record<string, string> {
  const targets = targetPartitions(stack);
  const partitions: string[] = targets.filter(p => p === 'aws' || p === 'aws-cn');
  const accounts: Record<string, string> = {};
  for (const info of RegionInfo.regions) {
    if (!info.partition || !partitions.includes(info.partition)) continue;
    if (info.partition === 'aws') accounts[info.name] = COMMERCIAL_ACCOUNT;
    else if (CHINA_ACCOUNTS[info.name] && arch === 'x86_64') accounts[info.name] = CHINA_ACCOUNTS[info.name];
  }
  if (Object.keys(accounts).length === 0) {
    throw new Error(`AWS publishes no ${arch} Lambda Web Adapter layer in the target partitions ${targets.join(', ')} ` +
      `(context ${PARTITIONS_CONTEXT}); build the adapter yourself with \`adapterLayer: WebAdapterLayer.fromSource()\``);
  }
  return accounts;
}

/**
 * One mapping per stack: region -> publisher account per architecture. A region without an entry (GovCloud, a
 * region newer than this aws-cdk-lib, arm64 in China) makes the deployment fail at `Fn::FindInMap`, before any
 * function is created.
 */
function webAdapterMapping(stack: Stack): CfnMapping {
  const id = 'WebAdapterLayerAccounts';
  const existing = stack.node.tryFindChild(id) as CfnMapping | undefined;
  if (existing) return existing;
  const mapping: Record<string, Record<string, string>> = {};
  for (const arch of ['x86_64', 'arm64'] as Architecture[]) {
    for (const [region, account] of Object.entries(regionAccounts(stack, arch))) {
      mapping[region] = { ...(mapping[region] ?? {}), [MAPPING_KEYS[arch]]: account };
    }
  }
  return new CfnMapping(stack, id, { mapping, lazy: true });
}

class SourceLayer extends WebAdapterLayer {
  public readonly version: WebAdapterVersion;

  constructor(private readonly props: WebAdapterSourceProps) {
    super();
    this.version = props.version ?? WebAdapterVersion.V1_0_0_RC1;
    const optimization = props.optimization ?? OptimizationPreset.SPEED;
    if (!Object.values(OptimizationPreset).includes(optimization)) {
      throw new Error(`optimization '${optimization}' is unknown; expected one of ${Object.values(OptimizationPreset).join(', ')}`);
    }
  }

  public bind(scope: Construct, architecture: lambda.Architecture): lambda.ILayerVersion {
    return validating(scope, undefined, () => this.layerFor(scope, architecture));
  }

  private layerFor(scope: Construct, architecture: lambda.Architecture): lambda.ILayerVersion {
    const stack = Stack.of(scope);
    const arch = architectureOf(architecture);
    const optimization = this.props.optimization ?? OptimizationPreset.SPEED;
    const { version: _version, optimization: _optimization, toolchain, cacheDirectory, buildCache, ...layerOptions } = this.props;
    // Same settings, same layer: every function of the stack shares it.
    const settings = JSON.stringify({ optimization, toolchain: toolchain ?? null, cacheDirectory: cacheDirectory ?? null, layerOptions });
    const defaults = JSON.stringify({ optimization: OptimizationPreset.SPEED, toolchain: null, cacheDirectory: null, layerOptions: {} });
    const suffix = settings === defaults ? '' : sha256Fields(settings).slice(0, 8);
    const id = `WebAdapterLayer${arch === 'arm64' ? 'Arm64' : 'X86'}V${this.version.version.replace(/[^0-9A-Za-z]/g, '')}FromSource${suffix}`;
    const existing = stack.node.tryFindChild(id) as lambda.ILayerVersion | undefined;
    if (existing) return existing;

    const options: AdapterBuildOptions = {
      version: this.version.version,
      architecture: arch,
      optimization,
      toolchain,
      cacheRoot: cacheDirectory ?? cacheRoot(),
      buildCache: buildCache?._config,
      buildCacheContext: buildCacheContext(scope),
    };
    const layer = new lambda.LayerVersion(stack, id, {
      description: `Lambda Web Adapter ${this.version.version} (${arch}), built from crates.io by rustacean-lambda-cdk`,
      license: 'Apache-2.0',
      ...layerOptions,
      compatibleArchitectures: [architecture],
      code: adapterLayerCode(options, Toolchain.identity(toolchain)),
    });
    // The build ran while the layer's asset was staged (when this stack is bundled).
    const cacheAsked = stack.bundlingRequired && resolveBuildCache(options.buildCache, options.buildCacheContext) !== undefined;
    const notUsed = cacheAsked ? CargoLambdaBuild.cacheNotUsed(adapterPlan(options)) : undefined;
    if (notUsed) warn(layer, 'build-cache-not-used', notUsed);
    return layer;
  }
}
