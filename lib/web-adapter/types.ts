import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { WebAdapterLayer } from './layer';

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
 * Settings of the Lambda Web Adapter, passed to it as `AWS_LWA_*` environment variables. Only what you set is
 * written to the function's environment (plus the port), so the adapter's own defaults apply otherwise; they are
 * given below.
 *
 * @see https://github.com/awslabs/aws-lambda-web-adapter#configurations
 */
export interface WebAdapterOptions {
  /**
   * Where the adapter comes from: AWS's public layer (pinned version) or a layer built from source. (The function's
   * other layers go in `layers`, as usual.)
   *
   * @default WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0)
   */
  readonly adapterLayer?: WebAdapterLayer;

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
   * Buffered or streamed responses: aws-cdk-lib's `lambda.InvokeMode`, written as `AWS_LWA_INVOKE_MODE`
   * (`buffered` or `response_stream`). `BUFFERED`: the adapter reads the whole response, then returns it (up to
   * 6 MB); works with every trigger. `RESPONSE_STREAM`: the adapter streams the response as the app writes it (up
   * to 20 MB, first byte sooner); only a Function URL with invoke mode `RESPONSE_STREAM`, or an API Gateway REST API
   * integration with `responseTransferMode: STREAM`, can read it. Streaming sets the invoke mode of the Function URL
   * that `WebAdapterFunction.addFunctionUrl()` creates, cannot be combined with `enableCompression`, and is refused
   * at synth for triggers that cannot read a stream (HTTP APIs, ALB, REST API integrations without
   * `responseTransferMode: STREAM`).
   *
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html
   * @default lambda.InvokeMode.BUFFERED
   */
  readonly invokeMode?: lambda.InvokeMode;

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

/**
 * Options for adding the Lambda Web Adapter to a function you already have.
 */
export interface WebAdapterAttachOptions extends WebAdapterOptions {
  /**
   * For managed runtimes: the executable script in the function's code that starts the web app (LF line endings,
   * mode 0755). The function's handler is set to it, since the adapter's wrapper runs
   * `${LAMBDA_TASK_ROOT}/${_HANDLER}` instead of the runtime. Not used on OS-only runtimes (`provided.*`), where
   * Lambda runs the function's `bootstrap`, which must be the web server.
   *
   * @default - the function's handler, which must then already name a script (e.g. `run.sh`)
   */
  readonly startScript?: string;

  /**
   * Lambda SnapStart for the function, as on `lambda.Function` and `WebAdapterFunction` (the same
   * `lambda.SnapStartConf`): `SnapStartConf.ON_PUBLISHED_VERSIONS` sets `SnapStart: { ApplyOn: PublishedVersions }`
   * on the function and publishes a version (`fn.currentVersion`, also `adapter.snapStartVersion`). Lambda runs init
   * (adapter, app start, readiness check) once when it publishes the version, snapshots the environment, and cold
   * starts of that version restore the snapshot instead of running init (Lambda reports `Restore Duration` instead
   * of `Init Duration`). Only published versions (and aliases of them) use SnapStart: invoke those, not `$LATEST`.
   *
   * Lambda supports SnapStart for Java 11+, Python 3.12+ and .NET 8+ (synth fails for other runtimes).
   * `asyncInit` does not apply under SnapStart (the adapter ignores it and waits for readiness before the
   * snapshot). A function created with its own `snapStart` prop is recognised as using SnapStart without this
   * option (for the hooks and `asyncInit`); pass it here too to have the adapter publish the version.
   *
   * @default - SnapStart as the function has it
   */
  readonly snapStart?: lambda.SnapStartConf;
}

/**
 * Properties of a `WebAdapterFunction`: the usual Lambda function options, the web app, how it is bundled
 * (`bundling`), and the adapter's settings.
 *
 * Defaults that differ from `lambda.Function` (listed in `WebAdapterFunction`'s doc; every one can be overridden
 * with the usual prop): `architecture` ARM_64, `memorySize` 512 MB, `timeout` 30 s.
 */
export interface WebAdapterFunctionProps extends lambda.FunctionOptions, WebAdapterOptions {
  /**
   * The folder of the web app. It becomes the function's code, with the dependencies installed into it:
   * `requirements.txt` for Python runtimes (see `bundling.pythonBundling`), `package.json` (with `package-lock.json`:
   * `npm ci --omit=dev`) for Node.js runtimes. Other runtimes get the folder as it is: put your jar, binary or
   * built app there.
   */
  readonly appPath: string;

  /**
   * The runtime. A managed runtime (Python, Node.js, Java, .NET, Ruby) starts the app through the adapter's
   * wrapper (`AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`) and the start script; on an OS-only runtime
   * (`Runtime.PROVIDED_AL2023`) Lambda runs the app's `bootstrap` itself, e.g. a Rust axum server.
   */
  readonly runtime: lambda.Runtime;

  /**
   * The command that starts the web server on `$PORT` (127.0.0.1), written into the start script (`run.sh`, or
   * `bootstrap` on OS-only runtimes) with `#!/bin/sh` and run from the app folder, e.g.
   * `python3 -m gunicorn -b 127.0.0.1:$PORT app:app` or `node index.js`. A single command is run with `exec`,
   * so the server itself receives SIGTERM at shutdown.
   *
   * @default - the app's own start script (`startScript`), which must exist
   */
  readonly startCommand?: string;

  /**
   * The start script in the app folder (the function's handler) on managed runtimes. Whatever OS synthesizes the
   * app, the staged script gets LF line endings, no byte order mark and mode 0755.
   *
   * @default 'run.sh'
   */
  readonly startScript?: string;

  /**
   * How the app folder becomes the function's code: dependencies, Python bundling and bytecode, files left out.
   *
   * @default - dependencies installed, Python bundled with Docker when it runs (else the local pip), bytecode
   * compiled, nothing left out but the usual
   */
  readonly bundling?: WebAdapterBundlingOptions;
}

/**
 * How a `WebAdapterFunction`'s app folder is bundled into its code (`bundling`), like `LlrtBundlingOptions` and
 * `NodejsFunction`'s `bundling`. What identifies the app (`appPath`, `runtime`, `startCommand`, `startScript`) and
 * the adapter's settings are props of the function itself.
 */
export interface WebAdapterBundlingOptions {
  /**
   * Install the app's dependencies into the asset (`requirements.txt`, `package.json`).
   *
   * @default true
   */
  readonly installDependencies?: boolean;

  /**
   * How Python dependencies are installed: in Docker with `@aws-cdk/aws-lambda-python-alpha` when a Docker engine
   * runs, otherwise with the local pip for the Lambda platform (`--platform manylinux2014_<arch>
   * --only-binary=:all:`), so synth works on machines without Docker.
   *
   * @default PythonBundling.AUTO
   */
  readonly pythonBundling?: PythonBundling;

  /**
   * Ship Python bytecode for the runtime's Python in the asset: every `.py` file (the app and its dependencies) is
   * compiled with `compileall --invalidation-mode unchecked-hash`, so neither the zip's file times nor the
   * read-only `/var/task` make Python compile from source at every cold start (which Lambda bills as INIT).
   *
   * The compiler must be the runtime's exact `major.minor` version: the Docker build image when Docker bundles the
   * app, else a local interpreter (`python3.X` on PATH, pyenv, uv). When there is none, synth warns (once per
   * version) and the asset ships without bytecode.
   *
   * @default true
   */
  readonly pythonBytecode?: boolean;

  /**
   * Glob patterns of files in `appPath` to leave out of the asset. `.git`, `.venv`, `venv`, `__pycache__`,
   * `*.pyc`, `cdk.out` and (when dependencies are installed) `node_modules` are always left out.
   *
   * @default - nothing else
   */
  readonly exclude?: string[];
}
