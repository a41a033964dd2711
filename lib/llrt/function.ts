import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Token, Tokenization } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { BinarySpec, checkBaseUrl } from './binary';
import { BundleRequest, functionCode } from './bundling';
import { LlrtRuntimeLayer } from './layer';
import { LlrtBinaryType, LlrtBundlingOptions, LlrtLogLevel, LlrtTlsVersion, LlrtVersion } from './types';
import { DEFAULT_LOCK_FILE, llrtArch } from './util';

/**
 * Properties of an `LlrtFunction`: the usual Lambda function options, the handler to bundle, which LLRT binary to
 * run it on, and LLRT's runtime settings.
 *
 * Defaults that differ from `lambda.Function` (every one can be overridden with the usual prop):
 * - `architecture`: `Architecture.ARM_64` (Graviton costs 20% less per GB-second; LLRT publishes both builds)
 * - `memorySize`: 128 MB (LLRT typically uses about 30 MB; CPU scales with memory, so raise it for CPU-bound work)
 *
 * The runtime is always `provided.al2023` and the handler always `index.<handler>`: the construct owns both.
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
   * The LLRT release to run on. Pinned by default; `LlrtVersion.LATEST` must be chosen explicitly.
   *
   * @default LlrtVersion.DEFAULT (v0.8.1-beta)
   * @see https://github.com/awslabs/llrt/releases
   */
  readonly llrtVersion?: LlrtVersion;

  /**
   * Which LLRT binary: with the standard AWS SDK clients, without any SDK, or with the full SDK. The SDK packages
   * the binary contains are left out of your bundle; everything else you import is bundled.
   *
   * @default LlrtBinaryType.STANDARD
   */
  readonly llrtBinaryType?: LlrtBinaryType;

  /**
   * A local LLRT binary to deploy instead of a download: the `bootstrap` itself or a release zip such as
   * `llrt-lambda-arm64.zip`. Nothing is downloaded and the lock file is not used; set `llrtSha256` to have the
   * file checked. Relative paths are resolved from the current working directory.
   *
   * @default - the release asset for `llrtVersion`, `llrtBinaryType` and the architecture, from the cache or
   * downloaded from `llrtBaseUrl`
   */
  readonly llrtBinaryPath?: string;

  /**
   * The SHA-256 (hex) of the release zip, or of the file at `llrtBinaryPath`. A download or cached copy that does
   * not match fails the synth. Upstream publishes no checksums, so without this prop the checksum recorded in the
   * lock file on first use is what later downloads are checked against.
   *
   * @default - the lock file's entry (recorded on first download)
   */
  readonly llrtSha256?: string;

  /**
   * Where release assets are downloaded from, as `<llrtBaseUrl>/<tag>/<asset>`: set it to a mirror or an internal
   * artifact store for air-gapped networks. The environment variable `RUSTACEAN_LAMBDA_LLRT_BASE_URL` sets it for
   * every function without a code change.
   *
   * @default - `$RUSTACEAN_LAMBDA_LLRT_BASE_URL`, else https://github.com/awslabs/llrt/releases/download
   */
  readonly llrtBaseUrl?: string;

  /**
   * The lock file that records the SHA-256 of every LLRT release asset this app uses (trust on first use). Commit
   * it: every later download and cache hit, on any machine, is checked against it.
   *
   * @default 'llrt.lock.json' in the current working directory (next to cdk.json)
   */
  readonly llrtLockFile?: string;

  /**
   * Deploy LLRT as a layer shared by every `LlrtFunction` of the stack with the same version, architecture and
   * binary type, instead of inside each function's package. The layer is built locally, without Docker. Deploys
   * upload the runtime once; cold starts are about the same.
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
 * `provided.al2023` runtime, arm64 by default. The LLRT release is pinned; its binary is taken from
 * `llrtBinaryPath`, the per-user cache, or downloaded in Node (no curl, no shell, no Docker) and checked against
 * the SHA-256 recorded in `llrt.lock.json`.
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

  /** The shared layer that provides LLRT, when `useLlrtLayer` is set. */
  public readonly llrtLayer?: lambda.ILayerVersion;

  constructor(scope: Construct, id: string, props: LlrtFunctionProps) {
    const architecture = props.architecture ?? lambda.Architecture.ARM_64;
    const exportName = props.handler ?? 'handler';
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(exportName)) {
      throw new Error(`handler '${exportName}' is not the name of an exported function; expected a JavaScript ` +
        "identifier such as 'handler' (the Lambda handler becomes index.<handler>)");
    }
    const entry = resolveEntry(props.entry);
    const binaryType = props.llrtBinaryType ?? LlrtBinaryType.STANDARD;
    if (!Object.values(LlrtBinaryType).includes(binaryType)) {
      throw new Error(`llrtBinaryType '${binaryType}' is unknown; expected one of ${Object.values(LlrtBinaryType).join(', ')}`);
    }
    const version = props.llrtVersion ?? LlrtVersion.DEFAULT;
    const binary: BinarySpec = {
      version,
      type: binaryType,
      arch: llrtArch(architecture),
      binaryPath: props.llrtBinaryPath !== undefined ? path.resolve(props.llrtBinaryPath) : undefined,
      sha256: props.llrtSha256 !== undefined ? checkSha256(props.llrtSha256) : undefined,
      baseUrl: props.llrtBaseUrl !== undefined ? checkBaseUrl(props.llrtBaseUrl) : undefined,
      lockFile: path.resolve(props.llrtLockFile ?? DEFAULT_LOCK_FILE),
    };
    const request: BundleRequest = { entry, exportName, binaryType, options: props.bundling ?? {} };
    const useLayer = props.useLlrtLayer ?? false;
    const warnings: string[] = [];

    super(scope, id, {
      ...props,
      architecture,
      memorySize: props.memorySize ?? 128,
      environment: llrtEnvironment(props),
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: `index.${exportName}`,
      code: functionCode(request, binary, !useLayer, warnings),
    });

    this.entry = entry;
    this.llrtVersion = version;
    this.llrtBinaryType = binaryType;
    if (useLayer) {
      this.llrtLayer = LlrtRuntimeLayer.forStack(this, binary);
      this.addLayers(this.llrtLayer);
    }
    for (const w of new Set(warnings)) Annotations.of(this).addWarningV2('rustacean-lambda:llrt', w);
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

function checkSha256(value: string): string {
  const hex = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(`llrtSha256 '${value}' is not a SHA-256; expected 64 hexadecimal characters, as printed by ` +
      '`sha256sum llrt-lambda-arm64.zip`');
  }
  return hex;
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
