/**
 * The Web Adapter's props, checked: every prop of `WebAdapterFunction` and `WebAdapter.addTo` is checked here, once,
 * with a message that names the value, what was expected and the fix, and becomes the settings the constructs apply
 * (the adapter's environment, the handler, SnapStart, the app's bundling options). Nothing here creates a construct:
 * warnings found while checking are handed back, to be added to the function once it exists.
 */
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { AppBundlingOptions } from './app-bundling';
import { WebAdapterLayer } from './layer';
import {
  DEFAULT_START_SCRIPT, EXEC_WRAPPER, isImageRuntime, isOsOnlyRuntime, looksLikeScript, OS_ONLY_BOOTSTRAP,
  SNAPSTART_HOOKS_RELEASE,
} from './runtime';
import { PythonBundling, ReadinessCheckProtocol, WebAdapterAttachOptions, WebAdapterFunctionProps, WebAdapterOptions } from './types';
import { architectureOf } from '../core/arch';
import { warn } from '../core/errors';
import { supportsSnapStart } from '../core/snapstart';
import { compareVersions } from '../core/version';

/** The port this library gives web apps unless told otherwise (the adapter's own 8080 clashes with emulators). */
export const DEFAULT_PORT = 8000;

/** `AWS_LWA_INVOKE_MODE` for each of aws-cdk-lib's invoke modes. */
const INVOKE_MODES: Record<string, string> = {
  [lambda.InvokeMode.BUFFERED]: 'buffered',
  [lambda.InvokeMode.RESPONSE_STREAM]: 'response_stream',
};

/** The adapter's default pass-through path for non-HTTP events. */
const DEFAULT_PASS_THROUGH_PATH = '/events';

/** A warning found while checking, added to the function once it exists. */
export type Warning = (fn: IConstruct) => void;

/** What the adapter does to a function: its layer, environment, handler and SnapStart, after validation. */
export interface AdapterSettings {
  readonly layer: WebAdapterLayer;
  readonly port: number;
  readonly invokeMode: lambda.InvokeMode;
  /** `AWS_LWA_*`, `PORT` and, on managed runtimes, `AWS_LAMBDA_EXEC_WRAPPER`. */
  readonly environment: Record<string, string>;
  /** The handler to set: the start script, when the adapter is told one. */
  readonly handler?: string;
  /** Whether the function uses SnapStart. */
  readonly snapStart: boolean;
  /** SnapStart to turn on (when the function has none yet) and publish the version it snapshots of. */
  readonly applySnapStart?: lambda.SnapStartConf;
  readonly warnings: Warning[];
}

/** A `WebAdapterFunction`'s props, checked: what the function, its code and its adapter are made of. */
export interface FunctionSettings {
  readonly architecture: lambda.Architecture;
  /** The script Lambda starts, the function's handler: `run.sh` on managed runtimes, `bootstrap` on OS-only ones. */
  readonly startScript: string;
  /** How the app folder becomes the function's code. */
  readonly app: AppBundlingOptions;
  readonly adapter: AdapterSettings;
}

/**
 * Checks a `WebAdapterFunction`'s props before anything is built (runtime, start script, environment, SnapStart,
 * the adapter's settings), throwing with the fix; `what` names the function in messages. `skip`: the stack is not
 * bundled in this synth.
 */
export function checkFunctionProps(props: WebAdapterFunctionProps, what: string, skip: boolean): FunctionSettings {
  const snapStart = props.snapStart !== undefined;
  checkRuntime(props.runtime, snapStart, what);
  const startScript = checkStartScript(props.runtime, props.startScript, what) ?? DEFAULT_START_SCRIPT;
  if (props.startCommand !== undefined && props.startCommand.trim() === '') {
    throw new Error("startCommand is empty; give the command that starts your web server, e.g. 'exec node index.js'");
  }
  checkEnvironment(props.environment);
  const adapter = adapterSettings(props, props.runtime, snapStart, what);
  const architecture = props.architecture ?? lambda.Architecture.ARM_64;
  return {
    architecture,
    startScript,
    app: {
      appPath: path.resolve(props.appPath),
      runtime: props.runtime,
      architecture: architectureOf(architecture),
      startScript,
      startCommand: props.startCommand,
      exclude: props.bundling?.exclude ?? [],
      installDependencies: props.bundling?.installDependencies ?? true,
      pythonBundling: props.bundling?.pythonBundling ?? PythonBundling.AUTO,
      pythonBytecode: props.bundling?.pythonBytecode ?? true,
      skip,
    },
    // The function passes its handler and SnapStart to lambda.Function; the adapter publishes the version.
    adapter: { ...adapter, snapStart, applySnapStart: props.snapStart },
  };
}

/**
 * Checks the options of `WebAdapter.addTo` against the function they are for (its runtime, handler and SnapStart);
 * `what` names the function in messages.
 */
export function checkAttachOptions(fn: lambda.Function, options: WebAdapterAttachOptions, what: string): AdapterSettings {
  checkRuntime(fn.runtime, options.snapStart !== undefined, what);
  const startScript = checkStartScript(fn.runtime, options.startScript, what);
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  if (!isOsOnlyRuntime(fn.runtime) && startScript === undefined) {
    const handler = cfn.handler;
    if (handler !== undefined && !Token.isUnresolved(handler) && !looksLikeScript(handler)) {
      throw new Error(`${what} has handler '${handler}', but with the adapter on ${fn.runtime.name} the handler is the ` +
        'script that starts the web app (the wrapper /opt/bootstrap runs ${LAMBDA_TASK_ROOT}/${_HANDLER}); put an ' +
        "executable start script (e.g. run.sh, LF line endings) into the function's code and pass startScript: 'run.sh'");
    }
  }
  const configured = (Stack.of(fn).resolve(cfn.snapStart) as { applyOn?: string } | undefined)?.applyOn === 'PublishedVersions';
  const snapStart = options.snapStart !== undefined || configured;
  return {
    ...adapterSettings(options, fn.runtime, snapStart, what),
    handler: isOsOnlyRuntime(fn.runtime) ? undefined : startScript,
    snapStart,
    applySnapStart: options.snapStart,
  };
}

/**
 * Validates the typed adapter options and maps them to the adapter's environment variables. Only options that
 * were set are written (plus the port), so the adapter's defaults stay in charge of the rest.
 */
export function adapterSettings(options: WebAdapterOptions, runtime: lambda.Runtime, snapStart: boolean, what: string):
Omit<AdapterSettings, 'handler' | 'snapStart' | 'applySnapStart'> {
  const warnings: Warning[] = [];
  const port = options.port ?? DEFAULT_PORT;
  checkPort('port', port, warnings);
  const env: Record<string, string> = { AWS_LWA_PORT: String(port), PORT: String(port) };

  if (options.readinessCheckPort !== undefined) {
    checkPort('readinessCheckPort', options.readinessCheckPort, warnings);
    env.AWS_LWA_READINESS_CHECK_PORT = String(options.readinessCheckPort);
  }
  if (options.readinessCheckPath !== undefined) {
    checkPath('readinessCheckPath', options.readinessCheckPath, '/health');
    env.AWS_LWA_READINESS_CHECK_PATH = options.readinessCheckPath;
  }
  if (options.readinessCheckProtocol !== undefined) {
    checkEnum('readinessCheckProtocol', options.readinessCheckProtocol, ReadinessCheckProtocol);
    env.AWS_LWA_READINESS_CHECK_PROTOCOL = options.readinessCheckProtocol;
  }
  if (options.readinessCheckHealthyStatus !== undefined) {
    if (options.readinessCheckProtocol === ReadinessCheckProtocol.TCP) {
      throw new Error(`readinessCheckHealthyStatus '${options.readinessCheckHealthyStatus.expression}' has no effect with ` +
        'readinessCheckProtocol TCP (a TCP check only connects); remove it or use ReadinessCheckProtocol.HTTP');
    }
    env.AWS_LWA_READINESS_CHECK_HEALTHY_STATUS = options.readinessCheckHealthyStatus.expression;
  }
  if (options.asyncInit !== undefined) env.AWS_LWA_ASYNC_INIT = String(options.asyncInit);

  const invokeMode = options.invokeMode ?? lambda.InvokeMode.BUFFERED;
  checkEnum('invokeMode', invokeMode, lambda.InvokeMode);
  if (options.invokeMode !== undefined) env.AWS_LWA_INVOKE_MODE = INVOKE_MODES[options.invokeMode];
  if (options.enableCompression && invokeMode === lambda.InvokeMode.RESPONSE_STREAM) {
    throw new Error('enableCompression cannot be combined with invokeMode RESPONSE_STREAM (the adapter compresses ' +
      'buffered responses only and would silently turn it off); remove enableCompression or use lambda.InvokeMode.BUFFERED');
  }
  if (options.enableCompression !== undefined) env.AWS_LWA_ENABLE_COMPRESSION = String(options.enableCompression);

  if (options.passThroughPath !== undefined) {
    checkPath('passThroughPath', options.passThroughPath, '/events');
    env.AWS_LWA_PASS_THROUGH_PATH = options.passThroughPath;
  }
  if (options.removeBasePath !== undefined) {
    const base = options.removeBasePath;
    checkPath('removeBasePath', base, '/orders');
    if (base === '/' || base.endsWith('/')) {
      throw new Error(`removeBasePath '${base}' ends with '/'; the adapter strips the prefix as written, so the app ` +
        `would get paths without their leading '/'; write it as '${base.replace(/\/+$/, '') || '/prefix'}'`);
    }
    env.AWS_LWA_REMOVE_BASE_PATH = base;
  }
  if (options.errorStatusCodes !== undefined) env.AWS_LWA_ERROR_STATUS_CODES = options.errorStatusCodes.expression;
  if (options.authorizationSource !== undefined) {
    const header = options.authorizationSource;
    if (!Token.isUnresolved(header) && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
      throw new Error(`authorizationSource '${header}' is not an HTTP header name; expected a name such as 'X-Authorization'`);
    }
    if (!Token.isUnresolved(header) && header.toLowerCase() === 'authorization') {
      throw new Error("authorizationSource 'Authorization' would move the header onto itself; name the header your " +
        "clients send the token in, e.g. 'X-Authorization'");
    }
    env.AWS_LWA_AUTHORIZATION_SOURCE = Token.isUnresolved(header) ? header : header.toLowerCase();
  }

  const layer = options.adapterLayer ?? WebAdapterLayer.fromAwsPublished();
  const hooks: Array<[keyof WebAdapterOptions, string, string]> = [
    ['snapStartBeforeCheckpointPath', 'AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH', '/snapstart/before'],
    ['snapStartAfterRestorePath', 'AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH', '/snapstart/after'],
  ];
  const hooksSet = hooks.filter(([name]) => options[name] !== undefined).map(([name]) => name);
  for (const [name, variable, example] of hooks) {
    const value = options[name] as string | undefined;
    if (value === undefined) continue;
    checkHookPath(name, value, example, options.passThroughPath ?? DEFAULT_PASS_THROUGH_PATH);
    env[variable] = value;
  }
  const release = layer.version.version;
  if (hooksSet.length > 0 && compareVersions(release, SNAPSTART_HOOKS_RELEASE) < 0) {
    throw new Error(`${hooksSet.join(' and ')} need Lambda Web Adapter ${SNAPSTART_HOOKS_RELEASE} or later (the release with the ` +
      `SnapStart hooks), but ${what} gets ${release}` + (release === '1.0.0-rc1'
      ? ' (WebAdapterLayer.fromSource() builds 1.0.0-rc1, the newest release on crates.io)' : '') +
      `; use AWS's layer of ${SNAPSTART_HOOKS_RELEASE}: adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0) ` +
      '(layer 30), or remove the hooks');
  }
  if (snapStart && options.asyncInit) {
    warnings.push(fn => warn(fn, 'web-adapter-async-init-snapstart', 'asyncInit does not apply under ' +
      'SnapStart: the adapter ignores it and waits for the app to be ready before the snapshot (init has no 10 s ' +
      'limit there); remove asyncInit'));
  }
  if (!snapStart && hooksSet.length > 0) {
    warnings.push(fn => warn(fn, 'web-adapter-hooks-without-snapstart', `${hooksSet.join(' and ')} only ` +
      'run under SnapStart, which this function does not use; set snapStart: ' +
      'lambda.SnapStartConf.ON_PUBLISHED_VERSIONS or remove the hooks'));
  }

  if (!isOsOnlyRuntime(runtime)) env.AWS_LAMBDA_EXEC_WRAPPER = EXEC_WRAPPER;
  return { layer, port, invokeMode, environment: env, warnings };
}

/**
 * Throws for runtimes the adapter cannot be added to as a layer (container images), and for SnapStart (`snapStart`)
 * on a runtime without it, before aws-cdk-lib's own check, whose message names neither the runtimes that have
 * SnapStart nor the fix.
 */
function checkRuntime(runtime: lambda.Runtime, snapStart: boolean, what: string): void {
  if (isImageRuntime(runtime)) {
    throw new Error(`${what} is a container image function, and layers cannot be added to those; copy the adapter ` +
      'into your image instead (COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:<version> /lambda-adapter /opt/extensions/lambda-adapter)');
  }
  if (snapStart && !supportsSnapStart(runtime)) {
    throw new Error(`${what}: SnapStart is not available for ${runtime.name}; Lambda supports it for Java 11 and later, ` +
      'Python 3.12 and later and .NET 8 and later (not Node.js, Ruby or OS-only runtimes); choose one of those runtimes ' +
      'or remove snapStart');
  }
}

/**
 * The start script on the function's runtime: `bootstrap` on OS-only runtimes (where Lambda runs the app itself and
 * no other script applies), else the script given (a relative path without spaces: it becomes the handler), if any.
 */
function checkStartScript(runtime: lambda.Runtime, startScript: string | undefined, what: string): string | undefined {
  if (isOsOnlyRuntime(runtime)) {
    if (startScript !== undefined && startScript !== OS_ONLY_BOOTSTRAP) {
      throw new Error(`startScript '${startScript}' does not apply to ${what}: on ${runtime.name} Lambda runs the ` +
        "function's bootstrap, which must be the web server itself; remove startScript (a WebAdapterFunction writes " +
        'the bootstrap from startCommand)');
    }
    return OS_ONLY_BOOTSTRAP;
  }
  if (startScript !== undefined && (startScript === '' || /\s/.test(startScript) || startScript.startsWith('/') ||
    path.isAbsolute(startScript) || path.normalize(startScript).startsWith('..'))) {
    throw new Error(`startScript '${startScript}' must be a relative path without spaces inside the function's code (it ` +
      "becomes the handler, which the adapter's wrapper runs as ${LAMBDA_TASK_ROOT}/${_HANDLER}), e.g. 'run.sh'");
  }
  return startScript;
}

/**
 * The adapter refuses at start (so the function fails to initialise) hook paths it cannot guard against outside
 * requests: ones with '%', ones that collapse to '/', and the pass-through path. Caught here at synth instead.
 */
function checkHookPath(name: string, value: string, example: string, passThrough: string): void {
  if (Token.isUnresolved(value)) return;
  checkPath(name, value, example);
  if (value.includes('%')) {
    throw new Error(`${name} '${value}' contains '%'; the adapter refuses percent-encoded hook paths at start (the function ` +
      `would fail to initialise); write a plain path such as '${example}'`);
  }
  const canonical = (p: string) => {
    const segments: string[] = [];
    for (const segment of p.toLowerCase().split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') segments.pop();
      else segments.push(segment);
    }
    return `/${segments.join('/')}`;
  };
  if (canonical(value) === '/') {
    throw new Error(`${name} '${value}' is the app's root; the adapter refuses it at start (it would block every request ` +
      `to '/'); use a path of its own such as '${example}'`);
  }
  if (!Token.isUnresolved(passThrough) && canonical(value) === canonical(passThrough)) {
    throw new Error(`${name} '${value}' is the pass-through path for non-HTTP events ('${passThrough}'); the adapter refuses ` +
      `it at start; use a path of its own such as '${example}'`);
  }
}

function checkPort(name: string, port: number, warnings: Warning[]): void {
  if (Token.isUnresolved(port)) return;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} ${port} is out of range; expected a whole number from 1024 to 65535 (default ${DEFAULT_PORT})`);
  }
  if (port < 1024) {
    throw new Error(`${name} ${port} is a privileged port, and Lambda runs the web app as a non-root user that cannot ` +
      `listen on it; choose a port from 1024 to 65535 (default ${DEFAULT_PORT})`);
  }
  if (port === 9001) {
    throw new Error(`${name} 9001 is the port of the Lambda Runtime API inside the execution environment; ` +
      `choose another one (default ${DEFAULT_PORT})`);
  }
  if (port === 3000) {
    warnings.push(fn => warn(fn, 'web-adapter-port-3000', `${name} 3000 is also used by the CloudWatch Lambda Insights ` +
      `extension; choose another port if you enable Lambda Insights (default ${DEFAULT_PORT})`));
  }
}

function checkPath(name: string, value: string, example: string): void {
  if (Token.isUnresolved(value)) return;
  if (!value.startsWith('/')) {
    throw new Error(`${name} '${value}' does not start with '/'; write it as '/${value}' (e.g. '${example}')`);
  }
  if (/[\s?#]/.test(value)) {
    throw new Error(`${name} '${value}' contains whitespace, '?' or '#'; expected a plain URL path such as '${example}'`);
  }
}

function checkEnum(name: string, value: string, values: Record<string, string>): void {
  if (!Object.values(values).includes(value)) {
    throw new Error(`${name} '${value}' is unknown; expected one of ${Object.values(values).join(', ')}`);
  }
}

/** Variables the construct owns, and the typed option to use instead. */
const OWNED_VARIABLES: Record<string, string> = {
  AWS_LAMBDA_EXEC_WRAPPER: '(set by the construct for managed runtimes)',
  PORT: 'port',
  AWS_LWA_PORT: 'port',
  AWS_LWA_READINESS_CHECK_PORT: 'readinessCheckPort',
  AWS_LWA_READINESS_CHECK_PATH: 'readinessCheckPath',
  AWS_LWA_READINESS_CHECK_PROTOCOL: 'readinessCheckProtocol',
  AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: 'readinessCheckHealthyStatus',
  AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS: 'readinessCheckHealthyStatus',
  AWS_LWA_ASYNC_INIT: 'asyncInit',
  AWS_LWA_INVOKE_MODE: 'invokeMode',
  AWS_LWA_PASS_THROUGH_PATH: 'passThroughPath',
  AWS_LWA_REMOVE_BASE_PATH: 'removeBasePath',
  AWS_LWA_ENABLE_COMPRESSION: 'enableCompression',
  AWS_LWA_ERROR_STATUS_CODES: 'errorStatusCodes',
  AWS_LWA_AUTHORIZATION_SOURCE: 'authorizationSource',
  AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH: 'snapStartBeforeCheckpointPath',
  AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH: 'snapStartAfterRestorePath',
};

function checkEnvironment(environment: { [key: string]: string } | undefined): void {
  for (const key of Object.keys(environment ?? {})) {
    const option = OWNED_VARIABLES[key];
    if (option) {
      throw new Error(`environment ${key} is set by the construct; remove it` +
        (option.startsWith('(') ? ` ${option}` : ` and use the \`${option}\` option`));
    }
  }
}
