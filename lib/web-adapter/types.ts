import type { WebAdapterLayer } from './layer';

/**
 * How the adapter hands the web app's response back to Lambda (`AWS_LWA_INVOKE_MODE`).
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
 */
export enum InvokeMode {
  /**
   * The adapter reads the whole response, then returns it (up to 6 MB). Works with every trigger.
   */
  BUFFERED = 'buffered',

  /**
   * The adapter streams the response as the app writes it (up to 20 MB, first byte sooner). Only a Function URL
   * with invoke mode `RESPONSE_STREAM`, or an API Gateway REST API integration with
   * `responseTransferMode: STREAM`, can read such a response; the construct sets the Function URL's mode for you
   * and refuses integrations that cannot stream.
   */
  RESPONSE_STREAM = 'response_stream',
}

/**
 * How the adapter decides that the web app is ready (`AWS_LWA_READINESS_CHECK_PROTOCOL`).
 */
export enum ReadinessCheckProtocol {
  /**
   * `GET http://127.0.0.1:<port><path>` until the status code is one of the healthy ones.
   */
  HTTP = 'http',

  /**
   * A TCP connect to `127.0.0.1:<port>`: ready as soon as something listens. For apps without a cheap HTTP path.
   */
  TCP = 'tcp',
}

/**
 * How the Python dependencies of a `WebAdapterFunction` (its `requirements.txt`) are installed into the asset.
 */
export enum PythonBundling {
  /**
   * Docker when a Docker engine answers (`docker version`), otherwise local pip.
   */
  AUTO = 'auto',

  /**
   * In the Lambda build image, through `@aws-cdk/aws-lambda-python-alpha`'s bundling (also understands
   * Pipfile, Poetry and uv projects). Needs a running Docker engine.
   */
  DOCKER = 'docker',

  /**
   * With the local pip: `pip install -r requirements.txt --target <asset> --platform manylinux2014_<arch>
   * --only-binary=:all: --python-version <runtime version> --implementation cp`. Needs Python 3 with pip, no
   * Docker; every dependency must be available as a wheel for Linux on the function's architecture.
   */
  LOCAL = 'local',
}

/**
 * A set of HTTP status codes, written the way the adapter reads them (`200-399,404`).
 *
 * @example
 * StatusCodes.between(200, 399).plus(StatusCodes.of(404))
 */
export class StatusCodes {
  /**
   * Every code from `first` to `last`, both included.
   */
  public static between(first: number, last: number): StatusCodes {
    checkCode(first, `status code range ${first}-${last}`);
    checkCode(last, `status code range ${first}-${last}`);
    if (first > last) {
      throw new Error(`status code range ${first}-${last} is upside down; write it as StatusCodes.between(${last}, ${first})`);
    }
    return new StatusCodes(first === last ? `${first}` : `${first}-${last}`);
  }

  /**
   * Single codes.
   */
  public static of(...codes: number[]): StatusCodes {
    if (codes.length === 0) {
      throw new Error('StatusCodes.of() needs at least one status code, e.g. StatusCodes.of(404)');
    }
    for (const code of codes) checkCode(code, `status code ${code}`);
    return new StatusCodes(codes.join(','));
  }

  /**
   * A list in the adapter's own syntax: codes and ranges separated by commas, e.g. `200-399,404`.
   */
  public static parse(expression: string): StatusCodes {
    const parts = expression.split(',').map(p => p.trim());
    if (parts.some(p => p === '')) {
      throw new Error(`status codes '${expression}' have an empty entry; write codes and ranges separated by commas, e.g. '200-399,404'`);
    }
    return parts
      .map(part => {
        const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
        if (range) return StatusCodes.between(Number(range[1]), Number(range[2]));
        if (/^\d+$/.test(part)) return StatusCodes.of(Number(part));
        throw new Error(`status codes '${expression}': '${part}' is neither a code nor a range; ` +
          "write codes and ranges separated by commas, e.g. '200-399,404'");
      })
      .reduce((all, next) => all.plus(next));
  }

  /**
   * The codes in the adapter's syntax, e.g. `200-399,404`.
   */
  public readonly expression: string;

  private constructor(expression: string) {
    this.expression = expression;
  }

  /**
   * These codes and the other ones.
   */
  public plus(other: StatusCodes): StatusCodes {
    return new StatusCodes(`${this.expression},${other.expression}`);
  }

  public toString(): string {
    return this.expression;
  }
}

function checkCode(code: number, what: string): void {
  if (!Number.isInteger(code) || code < 100 || code > 599) {
    throw new Error(`${what}: ${code} is not an HTTP status code; expected a whole number from 100 to 599`);
  }
}

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
 *   layer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_0_1),
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

/**
 * Settings of the Lambda Web Adapter, passed to it as `AWS_LWA_*` environment variables. Only what you set is
 * written to the function's environment (plus the port), so the adapter's own defaults apply otherwise; they are
 * given below.
 *
 * @see https://github.com/awslabs/aws-lambda-web-adapter#configurations
 */
export interface WebAdapterOptions {
  /**
   * Where the adapter comes from: AWS's public layer (pinned version) or a layer built from source.
   *
   * @default WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0)
   */
  readonly layer?: WebAdapterLayer;

  /**
   * The port the web app listens on (on 127.0.0.1). Written as `AWS_LWA_PORT` for the adapter and as `PORT` for
   * the app, so an app that reads `PORT` needs no extra setting. Lambda runs the app as a non-root user, so the
   * port must be 1024 or higher; 9001 is the Lambda Runtime API's and is refused; 3000 is used by the
   * CloudWatch Lambda Insights extension (a warning).
   *
   * The adapter's own default is 8080, which clashes with local emulators (sam local, the runtime interface
   * emulator); this library uses 8000 instead (the default of gunicorn, uvicorn and Django).
   *
   * @default 8000
   */
  readonly port?: number;

  /**
   * The path the readiness check requests (`AWS_LWA_READINESS_CHECK_PATH`). Must start with `/`.
   *
   * @default - the adapter's default, `/`
   */
  readonly readinessCheckPath?: string;

  /**
   * The port the readiness check uses (`AWS_LWA_READINESS_CHECK_PORT`), for apps that answer health checks on a
   * separate port.
   *
   * @default - the app's `port`
   */
  readonly readinessCheckPort?: number;

  /**
   * How readiness is checked (`AWS_LWA_READINESS_CHECK_PROTOCOL`).
   *
   * @default - the adapter's default, ReadinessCheckProtocol.HTTP
   */
  readonly readinessCheckProtocol?: ReadinessCheckProtocol;

  /**
   * The status codes of the readiness check's response that count as ready
   * (`AWS_LWA_READINESS_CHECK_HEALTHY_STATUS`). Only for the HTTP protocol.
   *
   * The adapter retries every 10 ms and has no timeout of its own: the wait is bounded by Lambda's 10 s init
   * limit (after which Lambda retries init inside the first invoke, within the function timeout), or, with
   * `asyncInit`, by the adapter's 9.8 s.
   *
   * @default - the adapter's default, 100-499
   */
  readonly readinessCheckHealthyStatus?: StatusCodes;

  /**
   * Let init end after 9.8 s even when the app is not ready yet, and keep checking readiness in the first
   * invoke (`AWS_LWA_ASYNC_INIT`). For apps that take longer than Lambda's 10 s init limit to start.
   *
   * @default false
   */
  readonly asyncInit?: boolean;

  /**
   * Buffered or streamed responses (`AWS_LWA_INVOKE_MODE`). Streaming sets the invoke mode of the Function URL
   * that `WebAdapterFunction.addFunctionUrl()` creates, cannot be combined with `enableCompression`, and is
   * refused at synth for triggers that cannot read a stream (HTTP APIs, ALB, REST API integrations without
   * `responseTransferMode: STREAM`).
   *
   * @default InvokeMode.BUFFERED
   */
  readonly invokeMode?: InvokeMode;

  /**
   * The path that non-HTTP events (SQS, SNS, S3, EventBridge, ...) are POSTed to, as they are
   * (`AWS_LWA_PASS_THROUGH_PATH`). The app's JSON response becomes the invocation's result. Must start with `/`.
   *
   * @default - the adapter's default, `/events`
   */
  readonly passThroughPath?: string;

  /**
   * A prefix to strip from request paths before they reach the app (`AWS_LWA_REMOVE_BASE_PATH`), e.g. `/orders`
   * when API Gateway routes `/orders/{proxy+}` to an app that serves `/`. Must start with `/` and not end with one.
   *
   * @default - paths reach the app unchanged
   */
  readonly removeBasePath?: string;

  /**
   * Compress responses with gzip or brotli when the client accepts it (`AWS_LWA_ENABLE_COMPRESSION`). Buffered
   * mode only.
   *
   * @default false
   */
  readonly enableCompression?: boolean;

  /**
   * Status codes of the app's response that make the invocation fail (`AWS_LWA_ERROR_STATUS_CODES`), so that
   * Lambda's retries, destinations and dead-letter queues apply, e.g. `StatusCodes.between(500, 599)` for queue
   * consumers.
   *
   * @default - the app's response is returned whatever its status
   */
  readonly errorStatusCodes?: StatusCodes;

  /**
   * A request header whose value the adapter moves into `Authorization` (`AWS_LWA_AUTHORIZATION_SOURCE`). Useful
   * behind a Function URL with IAM auth, which keeps `Authorization` for its SigV4 signature.
   *
   * @default - headers are passed unchanged
   */
  readonly authorizationSource?: string;

  /**
   * A path of the app that the adapter POSTs to (empty body, expects a 2xx) right before Lambda takes the
   * SnapStart snapshot, after the app has passed the readiness check (`AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH`):
   * close connections and other state that must not be frozen into the snapshot. The adapter answers outside
   * requests to this path with 403. Must start with `/`, must not be `/` or the pass-through path.
   *
   * Needs Lambda Web Adapter 1.1.0 or later (AWS's layer 30) and SnapStart on the function (`snapStart`).
   *
   * @default - no hook before the snapshot
   */
  readonly snapStartBeforeCheckpointPath?: string;

  /**
   * A path of the app that the adapter POSTs to (empty body, expects a 2xx) after Lambda restored the environment
   * from the SnapStart snapshot and before the first request (`AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH`): reconnect,
   * refresh credentials, reseed random number generators. The adapter then checks readiness again. Same rules as
   * `snapStartBeforeCheckpointPath`.
   *
   * @default - no hook after restore
   */
  readonly snapStartAfterRestorePath?: string;
}
