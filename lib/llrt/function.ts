import * as fs from 'fs';
import * as path from 'path';
import { Token, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LlrtBinary } from './binary';
import { BundleRequest, functionCode } from './bundling';
import { LlrtRuntimeLayer } from './layer';
import { LlrtBinaryType, LlrtBundlingOptions, LlrtLogLevel, LlrtTlsVersion, LlrtVersion } from './types';
import { addLlrtWarnings, LlrtWarnings } from './warnings';
import { architectureOf } from '../core/arch';
import { validating } from '../core/errors';

/**
 * Properties of an `LlrtFunction`: the usual Lambda function options, the handler to bundle, which LLRT binary to
 * run it on, and LLRT's runtime settings. The defaults that differ from `lambda.Function` are listed on
 * `LlrtFunction`.
 */
export interface LlrtFunctionProps extends lambda.FunctionOptions {
  /**
   * The handler's source file: TypeScript (`.ts`, `.mts`, `.cts`) or JavaScript (`.js`, `.mjs`, `.cjs`). It is
   * bundled with everything it imports into one ES module, `index.mjs`. Relative paths are resolved from the
   * current working directory (the folder of `cdk.json` during `cdk synth`).
   */
  readonly entry: string;

  /**
   * The name of the exported function Lambda calls; the Lambda handler becomes `index.<handler>`.
   *
   * @default 'handler'
   */
  readonly handler?: string;

  /**
   * Where LLRT's `bootstrap` comes from: a pinned, checksum-locked release download, a local file, or a build from
   * LLRT's source on crates.io.
   *
   * @default LlrtBinary.fromRelease() (v0.8.1-beta, checked against llrt.lock.json)
   */
  readonly llrtBinary?: LlrtBinary;

  /**
   * Which LLRT binary: with the standard AWS SDK clients, without any SDK, or with the full SDK. The SDK packages
   * the binary contains are left out of your bundle; everything else you import is bundled. A binary built with
   * `LlrtBinary.fromSource()` has no SDK: only `NO_SDK` goes with it.
   *
   * @default - `LlrtBinaryType.STANDARD` for releases and files, `LlrtBinaryType.NO_SDK` for `LlrtBinary.fromSource()`
   */
  readonly llrtBinaryType?: LlrtBinaryType;

  /**
   * Deploy LLRT as a layer shared by every `LlrtFunction` of the stack with the same version, architecture, binary
   * type and binary source, instead of inside each function's package. The layer is built locally, without Docker,
   * from any source (release, file or a build from crates.io). Deploys upload the runtime once; cold starts are
   * about the same.
   *
   * @default false
   */
  readonly useLlrtLayer?: boolean;

  /**
   * LLRT's own log output (`LLRT_LOG`). For module filters such as `warn,llrt_core::vm=trace`, set `LLRT_LOG` in
   * `environment` instead.
   *
   * @default - LLRT's default (no runtime log output)
   */
  readonly llrtLogLevel?: LlrtLogLevel;

  /**
   * Memory threshold in MB that triggers LLRT's garbage collector (`LLRT_GC_THRESHOLD_MB`).
   *
   * @default - LLRT's default, 20 MB
   */
  readonly llrtGcThresholdMb?: number;

  /**
   * The TLS versions LLRT may use for outgoing connections (`LLRT_TLS_VERSION`).
   *
   * @default - LLRT's default, TLS 1.2 only
   */
  readonly llrtTlsVersion?: LlrtTlsVersion;

  /**
   * Open TLS connections to the SDK endpoints in parallel during init (`LLRT_SDK_CONNECTION_WARMUP`), which
   * shortens the first SDK call. Set false for functions that rarely call AWS.
   *
   * @default - LLRT's default (enabled)
   */
  readonly llrtSdkConnectionWarmup?: boolean;

  /**
   * Hosts the function may connect to; connections to any other host are refused (`LLRT_NET_ALLOW`). An empty list
   * refuses every connection.
   *
   * @default - every host
   */
  readonly llrtNetAllow?: string[];

  /**
   * Hosts the function may not connect to (`LLRT_NET_DENY`).
   *
   * @default - none
   */
  readonly llrtNetDeny?: string[];

  /**
   * How the handler is bundled (minify, extra externals, define, banner, tsconfig).
   *
   * @default - minified, externals from the binary type
   */
  readonly bundling?: LlrtBundlingOptions;
}

/**
 * A JavaScript or TypeScript Lambda function on LLRT, AWS's Low Latency Runtime (Rust and QuickJS, no JIT).
 *
 * The handler is bundled with esbuild into one ES module, `index.mjs`, and deployed with LLRT's `bootstrap` on the
 * `provided.al2023` runtime, arm64 by default. With `LlrtBinary.fromSource()` the module ships as LLRT bytecode
 * (`index.lrt`, compiled at synth on Linux; `bundling: { bytecode: false }` keeps `index.mjs`). The LLRT release is pinned; its binary (`llrtBinary`) is a release
 * download (from the per-user cache, or downloaded in Node, no curl, no shell, no Docker, and checked against the
 * SHA-256 recorded in `llrt.lock.json`), a local file, or built from LLRT's source on crates.io.
 *
 * Defaults that differ from `lambda.Function` (the inherited props' docs show aws-cdk-lib's; each can be
 * overridden with the usual prop):
 * - `architecture`: `Architecture.ARM_64`, not X86_64 (Graviton costs 20% less per GB-second; LLRT publishes both
 *   builds)
 * - `memorySize`: 128 MB, as aws-cdk-lib's (LLRT typically uses about 30 MB; CPU scales with memory, so raise it
 *   for CPU-bound work)
 * - `timeout`: 3 seconds, as aws-cdk-lib's
 * - `runtime` and `handler`: always `provided.al2023` and `index.<handler>`; the construct owns both (`code` too:
 *   the bundle, and LLRT's `bootstrap` unless `useLlrtLayer` puts it in a layer)
 *
 * Bad props fail the synth with aws-cdk-lib's `ValidationError` naming this construct's path; a failure while
 * bundling names the path of its asset (`<path>/Code/Stage`). Warnings carry one id each
 * (`rustacean-lambda:llrt-*`, listed in the README), so each can be acknowledged alone.
 *
 * @example
 * new LlrtFunction(this, 'Hello', {
 *   entry: 'llrt-handlers/hello.ts',
 * });
 */
export class LlrtFunction extends lambda.Function {
  /** The absolute path of the bundled entry file. */
  public readonly entry: string;

  /** The LLRT release the function runs on (as configured; `LATEST` is resolved at synth). */
  public readonly llrtVersion: LlrtVersion;

  /** The LLRT binary type the function runs on. */
  public readonly llrtBinaryType: LlrtBinaryType;

  /** Where the function's LLRT binary comes from. */
  public readonly llrtBinary: LlrtBinary;

  /** The shared layer that provides LLRT, when `useLlrtLayer` is set. */
  public readonly llrtLayer?: lambda.ILayerVersion;

  constructor(scope: Construct, id: string, props: LlrtFunctionProps) {
    // Bad props are aws-cdk-lib ValidationErrors naming this construct's path; a failure of the bundling, which
    // CDK runs inside super(), is one naming the asset's (`<path>/Code/Stage`), with our message after CDK's.
    const warnings: LlrtWarnings = [];

    // 1. props -> validated options, 2. the binary, from its source (asked for it at bundling time)
    const checked = validating(scope, id, () => {
      const architecture = props.architecture ?? lambda.Architecture.ARM_64;
      const environment = llrtEnvironment(props);
      const exportName = props.handler ?? 'handler';
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) {
        throw new Error(`handler '${exportName}' is not the name of an exported function; expected a JavaScript ` +
          "identifier such as 'handler' (the Lambda handler becomes index.<handler>)");
      }
      const entry = resolveEntry(props.entry);
      const source = props.llrtBinary ?? LlrtBinary.fromRelease();
      const binaryType = props.llrtBinaryType ?? source.defaultBinaryType;
      if (!Object.values(LlrtBinaryType).includes(binaryType)) {
        throw new Error(`llrtBinaryType '${binaryType}' is unknown; expected one of ${Object.values(LlrtBinaryType).join(', ')}`);
      }
      const request: BundleRequest = { entry, exportName, binaryType, options: props.bundling ?? {} };
      const useLayer = props.useLlrtLayer ?? false;
      const bootstrap = source._bootstrap(architectureOf(architecture, 'LLRT'), binaryType);
      // 3. the asset built with it (at bundling time, inside super())
      const code = functionCode(request, bootstrap, !useLayer, warnings);
      return { architecture, environment, exportName, entry, source, binaryType, useLayer, bootstrap, code };
    });

    // 4. the function
    super(scope, id, {
      ...props,
      architecture: checked.architecture,
      memorySize: props.memorySize ?? 128,
      environment: checked.environment,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: `index.${checked.exportName}`,
      code: checked.code,
    });

    this.entry = checked.entry;
    this.llrtVersion = checked.source.version;
    this.llrtBinaryType = checked.binaryType;
    this.llrtBinary = checked.source;
    if (checked.useLayer) {
      this.llrtLayer = validating(this, undefined, () => LlrtRuntimeLayer.forStack(this, checked.bootstrap, checked.source._layerSuffix()));
      this.addLayers(this.llrtLayer);
    }
    addLlrtWarnings(this, warnings);
  }
}

const ENTRY_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

function resolveEntry(entry: string): string {
  if (!entry) {
    throw new Error("entry is required; set it to the handler's source file, e.g. 'llrt-handlers/hello.ts'");
  }
  const absolute = path.resolve(entry);
  if (!ENTRY_EXTENSIONS.includes(path.extname(absolute))) {
    throw new Error(`entry '${entry}' is not a JavaScript or TypeScript file; expected one of ${ENTRY_EXTENSIONS.join(', ')}`);
  }
  if (!fs.existsSync(absolute) || !fs.statSync(absolute).isFile()) {
    throw new Error(`entry '${entry}' does not exist (resolved to ${absolute}); relative paths start at the current ` +
      'working directory, the folder of cdk.json');
  }
  return absolute;
}

/** The function's environment: the user's variables plus the typed LLRT settings (never both for one variable). */
function llrtEnvironment(props: LlrtFunctionProps): { [key: string]: string } | undefined {
  const settings: Array<[string, string, string | undefined]> = [
    ['llrtLogLevel', 'LLRT_LOG', props.llrtLogLevel],
    ['llrtGcThresholdMb', 'LLRT_GC_THRESHOLD_MB', gcThreshold(props.llrtGcThresholdMb)],
    ['llrtTlsVersion', 'LLRT_TLS_VERSION', props.llrtTlsVersion],
    ['llrtSdkConnectionWarmup', 'LLRT_SDK_CONNECTION_WARMUP',
      props.llrtSdkConnectionWarmup === undefined ? undefined : props.llrtSdkConnectionWarmup ? '1' : '0'],
    ['llrtNetAllow', 'LLRT_NET_ALLOW', hostList(props.llrtNetAllow, 'llrtNetAllow')],
    ['llrtNetDeny', 'LLRT_NET_DENY', hostList(props.llrtNetDeny, 'llrtNetDeny')],
  ];
  const environment: { [key: string]: string } = { ...(props.environment ?? {}) };
  let added = false;
  for (const [prop, variable, value] of settings) {
    if (value === undefined) continue;
    if (props.environment?.[variable] !== undefined) {
      throw new Error(`${prop} and environment.${variable} are both set; keep one of them (${prop} is the typed form)`);
    }
    environment[variable] = value;
    added = true;
  }
  return added || props.environment ? environment : undefined;
}

function gcThreshold(value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Token.isUnresolved(value)) return Tokenization.stringifyNumber(value);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`llrtGcThresholdMb ${value} is not a positive whole number of megabytes; LLRT's default is 20`);
  }
  return String(value);
}

function hostList(hosts: string[] | undefined, prop: string): string | undefined {
  if (hosts === undefined) return undefined;
  for (const host of hosts) {
    if (!host || /\s/.test(host)) {
      throw new Error(`${prop} entry '${host}' is not a host name; expected names or addresses without spaces, e.g. 'dynamodb.us-east-1.amazonaws.com'`);
    }
  }
  return hosts.join(' ');
}
