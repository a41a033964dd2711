import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { WebAdapterLayer } from './layer';
import { InvokeMode, WebAdapterOptions } from './types';
import {
  adapterSettings, checkRuntime, checkSnapStartRuntime, compareReleases, EXEC_WRAPPER, isOsOnlyRuntime, SNAPSTART_HOOKS_RELEASE,
} from './util';

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
   * Turn on Lambda SnapStart for the function (`SnapStartConf: ApplyOn PublishedVersions`) and publish a version
   * (`fn.currentVersion`): Lambda runs init (adapter, app start, readiness check) once when it publishes the
   * version, snapshots the environment, and cold starts of that version restore the snapshot instead of running
   * init (Lambda reports `Restore Duration` instead of `Init Duration`). Only published versions (and aliases of
   * them) use SnapStart: invoke those, not `$LATEST`.
   *
   * Lambda supports SnapStart for Java 11+, Python 3.12+ and .NET 8+ (synth fails for other runtimes).
   * `asyncInit` does not apply under SnapStart (the adapter ignores it and waits for readiness before the
   * snapshot). A function that already has SnapStart (its own `snapStart` prop) is recognised without this option.
   *
   * @default false
   */
  readonly snapStart?: boolean;
}

/** Functions that already have an adapter: a second one would fight over the port and the Runtime API. */
const attached = new WeakSet<lambda.Function>();

/**
 * The Lambda Web Adapter on a function: its layer, its environment and the checks that keep its invoke mode and
 * triggers consistent. Create it with `WebAdapter.addTo(fn)`; `WebAdapterFunction` does it for you.
 *
 * @example
 * const api = new NodejsFunction(this, 'Api', { entry: 'app/index.ts', bundling: { commandHooks: copyRunSh } });
 * WebAdapter.addTo(api, { startScript: 'run.sh', port: 8080 });
 */
export class WebAdapter {
  /**
   * Adds the adapter to an existing function (`lambda.Function`, `NodejsFunction`, `PythonFunction`,
   * `RustFunction`, ...), with the same options and checks as `WebAdapterFunction`:
   * - attaches the adapter layer for the function's architecture;
   * - on managed runtimes sets `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap` and the handler to the start script; on
   *   OS-only runtimes (`provided.*`, e.g. a `RustFunction` whose `bootstrap` is an axum server) no wrapper;
   * - writes the `AWS_LWA_*` settings and `PORT`;
   * - at synth, refuses Function URLs, API Gateway and ALB integrations of the function whose response mode does
   *   not match `invokeMode`.
   */
  public static addTo(fn: lambda.Function, options: WebAdapterAttachOptions = {}): WebAdapter {
    return new WebAdapter(fn, options);
  }

  /** The layer attached to the function. */
  public readonly layer: lambda.ILayerVersion;

  /** The adapter release in the layer. */
  public readonly version: string;

  /** The port the web app must listen on (127.0.0.1). */
  public readonly port: number;

  /** The response mode of the adapter. */
  public readonly invokeMode: InvokeMode;

  /** The environment variables the adapter added to the function. */
  public readonly environment: { [key: string]: string };

  /** Whether the function uses SnapStart (set by `snapStart`, or by the function's own props). */
  public readonly snapStart: boolean;

  /**
   * The published version that SnapStart snapshots, when `snapStart` is set.
   *
   * @default - none published by the adapter
   */
  public readonly snapStartVersion?: lambda.Version;

  private constructor(fn: lambda.Function, options: WebAdapterAttachOptions) {
    const what = `function ${fn.node.path}`;
    if (attached.has(fn)) {
      throw new Error(`${what} already has the Lambda Web Adapter; add it once, with all options in one call`);
    }
    checkRuntime(fn.runtime, what);
    const settings = adapterSettings(options);
    for (const [id, message] of settings.warnings) Annotations.of(fn).addWarningV2(id, message);

    const environment = { ...settings.environment };
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    if (isOsOnlyRuntime(fn.runtime)) {
      if (options.startScript !== undefined) {
        throw new Error(`startScript '${options.startScript}' does not apply to ${what}: on ${fn.runtime.name} Lambda runs ` +
          'the function\'s bootstrap, which must be the web server itself; remove startScript');
      }
    } else {
      environment.AWS_LAMBDA_EXEC_WRAPPER = EXEC_WRAPPER;
      if (options.startScript !== undefined) {
        if (/\s/.test(options.startScript) || options.startScript.startsWith('/') || options.startScript === '') {
          throw new Error(`startScript '${options.startScript}' must be a relative path without spaces inside the ` +
            "function's code, e.g. 'run.sh'");
        }
        cfn.handler = options.startScript;
      } else {
        const handler = cfn.handler;
        if (handler !== undefined && !Token.isUnresolved(handler) && !looksLikeScript(handler)) {
          throw new Error(`${what} has handler '${handler}', but with the adapter on ${fn.runtime.name} the handler is the ` +
            'script that starts the web app (the wrapper /opt/bootstrap runs ${LAMBDA_TASK_ROOT}/${_HANDLER}); put an ' +
            "executable start script (e.g. run.sh, LF line endings) into the function's code and pass startScript: 'run.sh'");
        }
      }
    }

    const layerSource = options.layer ?? WebAdapterLayer.fromAwsPublished();
    const release = layerSource.version.version;
    const hooks = (['snapStartBeforeCheckpointPath', 'snapStartAfterRestorePath'] as const).filter(h => options[h] !== undefined);
    if (hooks.length > 0 && compareReleases(release, SNAPSTART_HOOKS_RELEASE) < 0) {
      throw new Error(`${hooks.join(' and ')} need Lambda Web Adapter ${SNAPSTART_HOOKS_RELEASE} or later (the release with the ` +
        `SnapStart hooks), but ${what} gets ${release}` + (release === '1.0.0-rc1'
        ? ' (WebAdapterLayer.fromSource() builds 1.0.0-rc1, the newest release on crates.io)' : '') +
        `; use AWS's layer of ${SNAPSTART_HOOKS_RELEASE}: layer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0) ` +
        '(layer 30), or remove the hooks');
    }

    const configured = (Stack.of(fn).resolve(cfn.snapStart) as { applyOn?: string } | undefined)?.applyOn === 'PublishedVersions';
    if (options.snapStart) {
      checkSnapStartRuntime(fn.runtime, what);
      if (!configured) cfn.snapStart = { applyOn: 'PublishedVersions' };
      this.snapStartVersion = fn.currentVersion;
    }
    this.snapStart = options.snapStart === true || configured;
    if (this.snapStart && options.asyncInit) {
      Annotations.of(fn).addWarningV2('rustacean-lambda:webAdapterAsyncInitSnapStart', 'asyncInit does not apply under ' +
        'SnapStart: the adapter ignores it and waits for the app to be ready before the snapshot (init has no 10 s ' +
        'limit there); remove asyncInit');
    }
    if (!this.snapStart && hooks.length > 0) {
      Annotations.of(fn).addWarningV2('rustacean-lambda:webAdapterHooksWithoutSnapStart', `${hooks.join(' and ')} only ` +
        'run under SnapStart, which this function does not use; set snapStart (on WebAdapterFunction: ' +
        'snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS) or remove the hooks');
    }

    this.layer = layerSource.bind(fn, fn.architecture);
    fn.addLayers(this.layer);
    for (const [key, value] of Object.entries(environment)) fn.addEnvironment(key, value);

    attached.add(fn);
    this.version = layerSource.version.version;
    this.port = settings.port;
    this.invokeMode = settings.invokeMode;
    this.environment = environment;
    fn.node.addValidation({ validate: () => invokeModeProblems(fn, settings.invokeMode) });
  }
}

/** A handler that names a script (`run.sh`, `bin/start`) rather than a `module.function` of a runtime. */
function looksLikeScript(handler: string): boolean {
  return handler.endsWith('.sh') || !handler.includes('.') || handler.includes('/');
}

/** True when `value` (resolved in `stack`) refers to the function, e.g. `{ Fn::GetAtt: [<fn>, Arn] }` inside a string. */
function refersTo(stack: Stack, value: unknown, logicalId: string): boolean {
  if (value === undefined) return false;
  return JSON.stringify(stack.resolve(value)).includes(`"${logicalId}"`);
}

/**
 * Everything in the function's stack that invokes it and must agree with the adapter's response mode. Streamed
 * responses can only be read by Function URLs with invoke mode RESPONSE_STREAM and by REST API integrations with
 * response transfer mode STREAM.
 */
function invokeModeProblems(fn: lambda.Function, mode: InvokeMode): string[] {
  const stack = Stack.of(fn);
  const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  const streaming = mode === InvokeMode.RESPONSE_STREAM;
  const problems: string[] = [];
  const fix = streaming
    ? 'or use invokeMode InvokeMode.BUFFERED'
    : 'or set the adapter\'s invokeMode to InvokeMode.RESPONSE_STREAM';

  for (const node of stack.node.findAll()) {
    if (!(node instanceof CfnResource)) continue;
    if (node instanceof lambda.CfnUrl && refersTo(stack, node.targetFunctionArn, logicalId)) {
      const urlStreams = node.invokeMode === lambda.InvokeMode.RESPONSE_STREAM;
      if (urlStreams !== streaming) {
        problems.push(`Function URL ${path(node)} has invoke mode ${node.invokeMode ?? 'BUFFERED'} but the Lambda Web Adapter ` +
          `of ${fn.node.path} uses ${mode}; create it with addFunctionUrl({ invokeMode: lambda.InvokeMode.` +
          `${streaming ? 'RESPONSE_STREAM' : 'BUFFERED'} }) ${fix}`);
      }
    } else if (node instanceof apigateway.CfnMethod) {
      const integration = stack.resolve(node.integration) as { uri?: unknown; responseTransferMode?: string } | undefined;
      if (!integration || !refersTo(stack, integration.uri, logicalId)) continue;
      const integrationStreams = integration.responseTransferMode === apigateway.ResponseTransferMode.STREAM;
      if (streaming && !integrationStreams) {
        problems.push(`REST API method ${path(node)} integrates ${fn.node.path} without response streaming, but its Lambda Web ` +
          'Adapter streams responses (InvokeMode.RESPONSE_STREAM); use new apigateway.LambdaIntegration(fn, ' +
          `{ responseTransferMode: apigateway.ResponseTransferMode.STREAM }) ${fix}`);
      } else if (!streaming && integrationStreams) {
        Annotations.of(node).addWarningV2('rustacean-lambda:webAdapterBufferedBehindStream',
          `this REST API integration streams, but the Lambda Web Adapter of ${fn.node.path} buffers responses; ` +
          'set the adapter\'s invokeMode to InvokeMode.RESPONSE_STREAM to stream');
      }
    } else if (streaming && node instanceof apigatewayv2.CfnIntegration && refersTo(stack, node.integrationUri, logicalId)) {
      problems.push(`HTTP API integration ${path(node)} cannot read the streamed responses of ${fn.node.path} ` +
        '(InvokeMode.RESPONSE_STREAM); put the function behind a Function URL or a REST API with response streaming, ' +
        `${fix}`);
    } else if (streaming && node instanceof elbv2.CfnTargetGroup && stack.resolve(node.targetType) === 'lambda' &&
      refersTo(stack, node.targets, logicalId)) {
      problems.push(`load balancer target group ${path(node)} cannot read the streamed responses of ${fn.node.path} ` +
        `(InvokeMode.RESPONSE_STREAM); put the function behind a Function URL, ${fix}`);
    }
  }
  return problems;
}

function path(node: IConstruct): string {
  return node.node.path;
}
