import { CfnResource, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { AdapterSettings, checkAttachOptions } from './settings';
import { WebAdapterAttachOptions } from './types';
import { validating, warn } from '../core/errors';

/** Functions that already have an adapter: a second one would fight over the port and the Runtime API. */
const attached = new WeakSet<lambda.Function>();

/**
 * The Lambda Web Adapter on a function: its layer, its environment and the checks that keep its invoke mode and
 * triggers consistent. Create it with `WebAdapter.addTo(fn)`; `WebAdapterFunction` does it for you.
 *
 * What it changes on the function: adds the adapter's layer; sets `PORT` and `AWS_LWA_PORT` (8000 unless `port`
 * says otherwise, not the adapter's 8080) and the `AWS_LWA_*` settings you set; on managed runtimes sets
 * `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap` and, with `startScript`, the handler; with `snapStart`, turns SnapStart
 * on and publishes a version. Architecture, memory and timeout stay the function's.
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
   *
   * Bad options fail with a `ValidationError` of the function (its `constructPath`).
   */
  public static addTo(fn: lambda.Function, options: WebAdapterAttachOptions = {}): WebAdapter {
    return validating(fn, undefined, () => {
      const what = `function ${fn.node.path}`;
      if (attached.has(fn)) {
        throw new Error(`${what} already has the Lambda Web Adapter; add it once, with all options in one call`);
      }
      return new WebAdapter(fn, checkAttachOptions(fn, options, what));
    });
  }

  /**
   * The adapter of a `WebAdapterFunction`, whose props are checked already.
   *
   * @internal
   */
  public static _attach(fn: lambda.Function, settings: AdapterSettings): WebAdapter {
    return new WebAdapter(fn, settings);
  }

  /** The layer attached to the function. */
  public readonly layer: lambda.ILayerVersion;

  /** The adapter release in the layer. */
  public readonly version: string;

  /** The port the web app must listen on (127.0.0.1). */
  public readonly port: number;

  /** The response mode of the adapter. */
  public readonly invokeMode: lambda.InvokeMode;

  /** The environment variables the adapter added to the function. */
  public readonly environment: { [key: string]: string };

  /** Whether the function uses SnapStart (the option `snapStart`, or the function's own `snapStart` prop). */
  public readonly snapStart: boolean;

  /**
   * The published version that SnapStart snapshots, when `snapStart` is set.
   *
   * @default - none published by the adapter
   */
  public readonly snapStartVersion?: lambda.Version;

  private constructor(fn: lambda.Function, settings: AdapterSettings) {
    for (const warning of settings.warnings) warning(fn);
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    if (settings.handler !== undefined) cfn.handler = settings.handler;
    if (settings.applySnapStart) {
      if (cfn.snapStart === undefined) cfn.snapStart = settings.applySnapStart._render();
      this.snapStartVersion = fn.currentVersion;
    }
    this.snapStart = settings.snapStart;

    this.layer = settings.layer.bind(fn, fn.architecture);
    fn.addLayers(this.layer);
    for (const [key, value] of Object.entries(settings.environment)) fn.addEnvironment(key, value);

    attached.add(fn);
    this.version = settings.layer.version.version;
    this.port = settings.port;
    this.invokeMode = settings.invokeMode;
    this.environment = { ...settings.environment };
    fn.node.addValidation({ validate: () => invokeModeProblems(fn, settings.invokeMode) });
  }
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
function invokeModeProblems(fn: lambda.Function, mode: lambda.InvokeMode): string[] {
  const stack = Stack.of(fn);
  const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  const streaming = mode === lambda.InvokeMode.RESPONSE_STREAM;
  const problems: string[] = [];
  const fix = streaming
    ? 'or use invokeMode lambda.InvokeMode.BUFFERED'
    : 'or set the adapter\'s invokeMode to lambda.InvokeMode.RESPONSE_STREAM';

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
          'Adapter streams responses (lambda.InvokeMode.RESPONSE_STREAM); use new apigateway.LambdaIntegration(fn, ' +
          `{ responseTransferMode: apigateway.ResponseTransferMode.STREAM }) ${fix}`);
      } else if (!streaming && integrationStreams) {
        warn(node, 'web-adapter-buffered-behind-stream',
          `this REST API integration streams, but the Lambda Web Adapter of ${fn.node.path} buffers responses; ` +
          'set the adapter\'s invokeMode to lambda.InvokeMode.RESPONSE_STREAM to stream');
      }
    } else if (streaming && node instanceof apigatewayv2.CfnIntegration && refersTo(stack, node.integrationUri, logicalId)) {
      problems.push(`HTTP API integration ${path(node)} cannot read the streamed responses of ${fn.node.path} ` +
        '(lambda.InvokeMode.RESPONSE_STREAM); put the function behind a Function URL or a REST API with response streaming, ' +
        `${fix}`);
    } else if (streaming && node instanceof elbv2.CfnTargetGroup && stack.resolve(node.targetType) === 'lambda' &&
      refersTo(stack, node.targets, logicalId)) {
      problems.push(`load balancer target group ${path(node)} cannot read the streamed responses of ${fn.node.path} ` +
        `(lambda.InvokeMode.RESPONSE_STREAM); put the function behind a Function URL, ${fix}`);
    }
  }
  return problems;
}

function path(node: IConstruct): string {
  return node.node.path;
}
