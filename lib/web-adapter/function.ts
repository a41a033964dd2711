import * as path from 'path';
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { WebAdapter } from './adapter';
import { appCode, inspectApp, planBytecode } from './app-bundling';
import { InvokeMode, PythonBundling, WebAdapterOptions } from './types';
import { checkFunctionProps } from './util';
import { architectureOf } from '../core/arch';

/**
 * Properties of a `WebAdapterFunction`: the usual Lambda function options, the web app, and the adapter's
 * settings.
 *
 * Defaults that differ from `lambda.Function` (every one can be overridden with the usual prop):
 * - `architecture`: `Architecture.ARM_64` (20% cheaper per GB-second; the adapter runs on both)
 * - `memorySize`: 512 MB (web frameworks on interpreted runtimes need room and CPU, which scales with memory)
 * - `timeout`: 30 s (a web request, not the 3 s default, which the readiness check of a slow app can exceed)
 */
export interface WebAdapterFunctionProps extends lambda.FunctionOptions, WebAdapterOptions {
  /**
   * The folder of the web app. It becomes the function's code, with the dependencies installed into it:
   * `requirements.txt` for Python runtimes (see `pythonBundling`), `package.json` (with `package-lock.json`:
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

/**
 * A web app (Flask, FastAPI, Express, Spring Boot, an axum binary, ...) as a Lambda function, served through the
 * Lambda Web Adapter: a Rust extension that turns Lambda events into HTTP requests to the app on 127.0.0.1 and
 * its responses back, so the app's code stays as it is.
 *
 * The adapter comes from AWS's public layer of a pinned release (default) or from a layer this library builds
 * from source (`layer: WebAdapterLayer.fromSource()`), for the function's architecture.
 *
 * @example
 * const api = new WebAdapterFunction(this, 'Flask', {
 *   appPath: 'app',
 *   runtime: lambda.Runtime.PYTHON_3_12,
 *   startCommand: 'python3 -m gunicorn -b 127.0.0.1:$PORT app:app',
 * });
 * api.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
 */
export class WebAdapterFunction extends lambda.Function {
  /** The adapter on this function: layer, settings and environment. */
  public readonly adapter: WebAdapter;

  /** The port the web app listens on. */
  public readonly port: number;

  /** The response mode of the adapter (and of Function URLs created with `addFunctionUrl`). */
  public readonly invokeMode: InvokeMode;

  constructor(scope: Construct, id: string, props: WebAdapterFunctionProps) {
    const { architecture, osOnly, startScript } = checkFunctionProps(props, `WebAdapterFunction ${id}`);

    const bundling = {
      appPath: path.resolve(props.appPath),
      runtime: props.runtime,
      architecture: architectureOf(architecture),
      startScript,
      startCommand: props.startCommand,
      exclude: props.exclude ?? [],
      installDependencies: props.installDependencies ?? true,
      pythonBundling: props.pythonBundling ?? PythonBundling.AUTO,
      pythonBytecode: props.pythonBytecode ?? true,
      skip: !Stack.of(scope).bundlingRequired,
    };
    const layout = inspectApp(bundling);
    const bytecode = planBytecode(bundling, layout);

    super(scope, id, {
      ...props,
      architecture,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      runtime: props.runtime,
      handler: startScript,
      code: appCode({ ...bundling, bytecodeCompiler: bytecode.compiler }, layout),
    });
    if (bytecode.missing) warnOncePerVersion(this, props.runtime, bytecode.missing);

    // SnapStart (props.snapStart) applies to published versions: the adapter publishes one.
    this.adapter = WebAdapter.addTo(this, {
      ...props,
      startScript: osOnly ? undefined : startScript,
      snapStart: props.snapStart !== undefined,
    });
    this.port = this.adapter.port;
    this.invokeMode = this.adapter.invokeMode;
  }

  /**
   * Adds a Function URL whose invoke mode matches the adapter's: `RESPONSE_STREAM` when the adapter streams.
   * Asking for the other mode fails. With `snapStart` the URL is that of the alias `live` of the published version
   * (`$LATEST` never uses SnapStart).
   */
  public addFunctionUrl(options: lambda.FunctionUrlOptions = {}): lambda.FunctionUrl {
    const streaming = this.invokeMode === InvokeMode.RESPONSE_STREAM;
    const expected = streaming ? lambda.InvokeMode.RESPONSE_STREAM : lambda.InvokeMode.BUFFERED;
    if (options.invokeMode !== undefined && options.invokeMode !== expected) {
      throw new Error(`addFunctionUrl invokeMode ${options.invokeMode} does not match the adapter's invokeMode ${this.invokeMode}; ` +
        `omit invokeMode (the construct sets ${expected}) or change the adapter's invokeMode`);
    }
    const urlOptions = { ...options, invokeMode: options.invokeMode ?? (streaming ? expected : undefined) };
    if (this.adapter?.snapStartVersion) return this.liveAlias().addFunctionUrl(urlOptions);
    return super.addFunctionUrl(urlOptions);
  }

  /**
   * The alias `live` of the version SnapStart snapshots (created on first use), for triggers that should get
   * SnapStart's restores. Only with `snapStart`.
   */
  public liveAlias(): lambda.Alias {
    const version = this.adapter.snapStartVersion;
    if (!version) {
      throw new Error(`WebAdapterFunction ${this.node.id} has no SnapStart version; set snapStart: ` +
        'lambda.SnapStartConf.ON_PUBLISHED_VERSIONS (or point triggers at the function itself)');
    }
    return (this.node.tryFindChild('LiveAlias') as lambda.Alias | undefined) ??
      new lambda.Alias(this, 'LiveAlias', { aliasName: 'live', version });
  }
}

/** Python versions already warned about, per app: one warning per version, not one per function. */
const bytecodeWarnings = new WeakMap<IConstruct, Set<string>>();

function warnOncePerVersion(fn: lambda.Function, runtime: lambda.Runtime, message: string): void {
  const root = fn.node.root;
  const warned = bytecodeWarnings.get(root) ?? new Set<string>();
  bytecodeWarnings.set(root, warned);
  if (warned.has(runtime.name)) return;
  warned.add(runtime.name);
  Annotations.of(fn).addWarningV2('rustacean-lambda:webAdapterNoBytecode', message);
}
