import { compareVersions } from '../core/version';

/**
 * Which LLRT binary to deploy. The three release assets differ in which AWS SDK v3 packages are compiled into the
 * runtime: packages the binary contains are left out of your bundle (smaller package, LLRT's tuned clients), every
 * other import is bundled.
 *
 * @see https://github.com/awslabs/llrt#using-aws-sdk-v3-with-llrt
 */
export enum LlrtBinaryType {
  /**
   * `llrt-lambda-<arch>.zip`: the commonly used SDK clients (DynamoDB, S3, SQS, SNS, SES, Step Functions,
   * EventBridge, Lambda, KMS, Secrets Manager, SSM, STS, X-Ray, CloudWatch Logs and Events, Cognito), the DynamoDB
   * and S3 helpers, `@aws-sdk/credential-providers`, `@smithy/*` and `@aws-crypto/*`.
   */
  STANDARD = 'standard',

  /**
   * `llrt-lambda-<arch>-no-sdk.zip`: no AWS SDK at all; the smallest runtime. Any SDK package you import is bundled.
   */
  NO_SDK = 'no-sdk',

  /**
   * `llrt-lambda-<arch>-full-sdk.zip`: the standard clients plus about fifty more (Bedrock, Athena, Kinesis, ECS,
   * IAM, ...); the largest runtime.
   */
  FULL_SDK = 'full-sdk',
}

/**
 * A release of LLRT, compared as a version (`v0.10.0-beta` is newer than `v0.9.0-beta`, a release is newer than its
 * pre-releases), never as a string.
 *
 * Pick a pinned version: the binary is then the same on every machine and every synth, and its checksum is
 * recorded in your lock file. `LATEST` is available but must be chosen explicitly.
 *
 * @example
 * new LlrtFunction(this, 'Hello', {
 *   entry: 'llrt-handlers/hello.ts',
 *   llrtBinary: LlrtBinary.fromRelease({ version: LlrtVersion.of('v0.8.1-beta') }),
 * });
 */
export class LlrtVersion {
  /**
   * LLRT v0.8.1-beta.
   */
  public static readonly V0_8_1_BETA = new LlrtVersion('v0.8.1-beta', false);

  /**
   * The version `LlrtFunction` uses when none is given: the newest release this library was tested with.
   * It only changes with a new version of this library.
   */
  public static readonly DEFAULT = LlrtVersion.V0_8_1_BETA;

  /**
   * The newest release at synth time. Resolved to a concrete version through the release server (the answer is
   * kept for a day), then cached, verified and locked like a pinned version. A new upstream release changes your
   * deployment without a code change: prefer a pinned version.
   */
  public static readonly LATEST = new LlrtVersion('latest', true);

  /**
   * A specific release by its tag, for example `LlrtVersion.of('v0.8.1-beta')` (a missing leading `v` is added).
   *
   * @param version the release tag: `v<major>.<minor>.<patch>` with an optional pre-release suffix such as `-beta`
   */
  public static of(version: string): LlrtVersion {
    const trimmed = (version ?? '').trim();
    if (trimmed.toLowerCase() === 'latest') return LlrtVersion.LATEST;
    const tag = trimmed.startsWith('v') ? trimmed : `v${trimmed}`;
    if (!VERSION_PATTERN.test(tag)) {
      throw new Error(`LLRT version '${version}' is not a release tag; expected v<major>.<minor>.<patch> with an ` +
        "optional pre-release suffix, e.g. LlrtVersion.of('v0.8.1-beta'), or LlrtVersion.LATEST");
    }
    return new LlrtVersion(tag, false);
  }

  /** The release tag (`v0.8.1-beta`), or `latest`. */
  public readonly version: string;

  /** True for `LlrtVersion.LATEST`, which is resolved to a release at synth time. */
  public readonly isLatest: boolean;

  private constructor(version: string, isLatest: boolean) {
    this.version = version;
    this.isLatest = isLatest;
  }

  /**
   * Compares two pinned versions the semver way: negative when this one is older than `other`, 0 when equal,
   * positive when newer. `LATEST` cannot be compared before it is resolved.
   */
  public compareTo(other: LlrtVersion): number {
    if (this.isLatest || other.isLatest) {
      throw new Error("LlrtVersion.LATEST has no version until it is resolved at synth time; compare pinned versions, e.g. LlrtVersion.of('v0.8.1-beta')");
    }
    return compareVersions(this.version, other.version);
  }

  /** True when this version is the same as or newer than `other`. */
  public isAtLeast(other: LlrtVersion): boolean {
    return this.compareTo(other) >= 0;
  }

  /** The release tag. */
  public toString(): string {
    return this.version;
  }
}

/** `v1.2.3` with an optional `-pre.release` part and an ignored `+build` part. */
const VERSION_PATTERN = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * LLRT's log filter (`LLRT_LOG`): messages of this level and more severe ones are printed.
 *
 * @see https://github.com/awslabs/llrt#environment-variables
 */
export enum LlrtLogLevel {
  /** Errors only. */
  ERROR = 'error',
  /** Warnings and errors. */
  WARN = 'warn',
  /** Informational messages, warnings and errors. */
  INFO = 'info',
  /** Debug output and everything above. */
  DEBUG = 'debug',
  /** Everything, including trace output of the runtime's internals. */
  TRACE = 'trace',
}

/**
 * The TLS versions LLRT may negotiate for outgoing connections (`LLRT_TLS_VERSION`).
 */
export enum LlrtTlsVersion {
  /** TLS 1.2 only (LLRT's default). */
  TLS_1_2 = '1.2',
  /** TLS 1.2 and TLS 1.3. */
  TLS_1_3 = '1.3',
}

/**
 * How the handler is bundled with esbuild. The essentials are fixed by the construct because LLRT needs them: one
 * ES module `index.mjs`, `platform: 'browser'`, target `es2023` (`es2020` for LLRT releases before v0.2.0-beta),
 * Node.js built-ins (`node:*`, `fs`, ...) and `llrt:*` modules left to the runtime, and the AWS SDK packages of
 * the chosen binary left out. Every import left out is checked at synth against the modules the LLRT release
 * provides (read from its sources) and the binary's SDK: `http`, say, fails the synth with the chain of imports
 * that pulled it in and the LLRT alternative (`fetch`).
 *
 * @see https://github.com/awslabs/llrt#using-node_modules-dependencies-with-llrt
 */
export interface LlrtBundlingOptions {
  /**
   * Minify the bundle (whitespace, identifiers and syntax). A smaller bundle parses faster at cold start.
   *
   * @default true
   */
  readonly minify?: boolean;

  /**
   * More modules to leave out of the bundle, in addition to LLRT's modules and the SDK packages the binary
   * contains. esbuild patterns such as `@my-scope/*` work. Nothing installs a module left out next to `index.mjs`,
   * so synth refuses one that is neither an LLRT module nor in the binary's SDK (it could never resolve at run
   * time); use this to leave out an SDK package the binary provides that esbuild would otherwise see as a file.
   *
   * @default - none
   */
  readonly externalModules?: string[];

  /**
   * Identifiers replaced by constant expressions at bundle time (esbuild `define`); values are JavaScript
   * expressions, so strings need quotes: `{ 'process.env.STAGE': '"prod"' }`.
   *
   * @default - none
   */
  readonly define?: { [key: string]: string };

  /**
   * Text put at the top of `index.mjs`, for example a `createRequire` shim for CommonJS dependencies that call
   * `require()`.
   *
   * @default - none
   */
  readonly banner?: string;

  /**
   * The tsconfig.json esbuild reads (paths, decorators, JSX settings).
   *
   * @default - the nearest tsconfig.json above the entry file
   */
  readonly tsconfig?: string;

  /**
   * Deploy the bundle as LLRT bytecode (`index.lrt`, compiled at synth by `llrt compile` of the runtime's own
   * release) instead of JavaScript (`index.mjs`): LLRT then skips parsing the bundle at every cold start, which
   * pays off for large bundles (an AWS SDK client, a big library; see the README for measurements). The compiler
   * is a non-lambda build of LLRT for this machine (Linux), never shipped: with `LlrtBinary.fromSource()` it is
   * built from the same crate next to the runtime; with `fromRelease()` or a `fromFile()` of known version, setting
   * this to true builds it from crates.io for that version (Rust, cargo-lambda and zig needed, minutes the first
   * time, then cached); `fromFile(file, { compiler })` names one. Imports are checked before compiling, and a
   * compile error names the source file and line. A `fromFile()` binary of unknown version with no compiler
   * named is deployed as JavaScript, with the warning `rustacean-lambda:llrt-bytecode-unknown-version`. Where it
   * is only the default, a synth on macOS or Windows (where the compiler cannot run) deploys JavaScript with the
   * warning `rustacean-lambda:llrt-bytecode-skipped`.
   *
   * @default - true for `LlrtBinary.fromSource()` and for `fromFile()` with a `compiler` when synthesized on Linux;
   * false otherwise
   */
  readonly bytecode?: boolean;
}
