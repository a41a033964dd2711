import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { WebAdapter } from './adapter';
import { appCode, inspectApp, planBytecode } from './app-bundling';
import { checkFunctionProps } from './settings';
import { WebAdapterFunctionProps } from './types';
import { validating, validationError, warn } from '../core/errors';

/**
 * A web app (Flask, FastAPI, Express, Spring Boot, an axum binary, ...) as a Lambda function, served through the
 * Lambda Web Adapter: a Rust extension that turns Lambda events into HTTP requests to the app on 127.0.0.1 and
 * its responses back, so the app's code stays as it is.
 *
 * The adapter comes from AWS's public layer of a pinned release (default) or from a layer this library builds
 * from source (`adapterLayer: WebAdapterLayer.fromSource()`), for the function's architecture.
 *
 * Defaults that differ from `lambda.Function` (the inherited props' docs show aws-cdk-lib's; each one can be set
 * with the usual prop):
 * - `architecture`: `Architecture.ARM_64`, not `X86_64` (20% cheaper per GB-second; the adapter runs on both)
 * - `memorySize`: 512 MB, not 128 (web frameworks on interpreted runtimes need room, and CPU scales with memory)
 * - `timeout`: 30 s, not 3 s (a web request; the readiness check of a slow app can take longer than 3 s)
 * - `handler`: owned by the construct: the start script (`run.sh`, or `bootstrap` on OS-only runtimes)
 * - `environment`: gets `PORT` and `AWS_LWA_PORT` (8000, not the adapter's 8080), the `AWS_LWA_*` settings you
 *   set, and on managed runtimes `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`; setting those yourself fails
 * - `layers`: gets the adapter's layer (`adapterLayer`) as well
 *
 * Bad props fail at synth with aws-cdk-lib's `ValidationError`, whose `constructPath` is this function's path.
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
  public readonly invokeMode: lambda.InvokeMode;

  constructor(scope: Construct, id: string, props: WebAdapterFunctionProps) {
    const { settings, code, bytecode } = validating(scope, id, () => {
      const checked = checkFunctionProps(props, `WebAdapterFunction ${id}`, !Stack.of(scope).bundlingRequired);
      const layout = inspectApp(checked.app);
      const plan = planBytecode(checked.app, layout);
      return { settings: checked, code: appCode({ ...checked.app, bytecodeCompiler: plan.compiler }, layout), bytecode: plan };
    });

    super(scope, id, {
      ...props,
      architecture: settings.architecture,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      runtime: props.runtime,
      handler: settings.startScript,
      code,
    });
    if (bytecode.missing) warnOncePerVersion(this, props.runtime, bytecode.missing);

    // SnapStart (props.snapStart) applies to published versions: the adapter publishes one.
    this.adapter = validating(this, undefined, () => WebAdapter._attach(this, settings.adapter));
    this.port = this.adapter.port;
    this.invokeMode = this.adapter.invokeMode;
  }

  /**
   * Adds a Function URL whose invoke mode matches the adapter's: `RESPONSE_STREAM` when the adapter streams.
   * Asking for the other mode fails. With `snapStart` the URL is that of the alias `live` of the published version
   * (`$LATEST` never uses SnapStart).
   */
  public addFunctionUrl(options: lambda.FunctionUrlOptions = {}): lambda.FunctionUrl {
    const streaming = this.invokeMode === lambda.InvokeMode.RESPONSE_STREAM;
    const expected = streaming ? lambda.InvokeMode.RESPONSE_STREAM : lambda.InvokeMode.BUFFERED;
    if (options.invokeMode !== undefined && options.invokeMode !== expected) {
      throw validationError(`addFunctionUrl invokeMode ${options.invokeMode} does not match the adapter's invokeMode ` +
        `${this.invokeMode}; omit invokeMode (the construct sets ${expected}) or change the adapter's invokeMode`, this);
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
      throw validationError(`WebAdapterFunction ${this.node.id} has no SnapStart version; set snapStart: ` +
        'lambda.SnapStartConf.ON_PUBLISHED_VERSIONS (or point triggers at the function itself)', this);
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
  warn(fn, 'web-adapter-no-bytecode', message);
}
