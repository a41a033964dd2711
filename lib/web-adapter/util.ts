import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { InvokeMode, ReadinessCheckProtocol, WebAdapterOptions } from './types';

/** The port this library gives web apps unless told otherwise (the adapter's own 8080 clashes with emulators). */
export const DEFAULT_PORT = 8000;

/** The wrapper Lambda runs instead of a managed runtime (`AWS_LAMBDA_EXEC_WRAPPER`): it starts the handler script. */
export const EXEC_WRAPPER = '/opt/bootstrap';

/**
 * The `/opt/bootstrap` of a layer built from source: Lambda calls it (as `AWS_LAMBDA_EXEC_WRAPPER`) with the
 * managed runtime's command line, and it starts the function's handler script instead.
 */
export const WRAPPER_SCRIPT = [
  '#!/bin/bash',
  '# Lambda Web Adapter wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap), written by rustacean-lambda-cdk:',
  '# run the function\'s handler script (the web app\'s start script) instead of the managed runtime.',
  'exec -- "${LAMBDA_TASK_ROOT}/${_HANDLER}"',
  '',
].join('\n');

/** Adapter settings turned into environment variables, after validation. */
export interface AdapterSettings {
  readonly port: number;
  readonly invokeMode: InvokeMode;
  /** `AWS_LWA_*` and `PORT`. */
  readonly environment: Record<string, string>;
  /** Soft problems, as [id, message]. */
  readonly warnings: Array<[string, string]>;
}

/**
 * Validates the typed adapter options and maps them to the adapter's environment variables. Only options that
 * were set are written (plus the port), so the adapter's defaults stay in charge of the rest.
 */
export function adapterSettings(options: WebAdapterOptions): AdapterSettings {
  const warnings: Array<[string, string]> = [];
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

  const invokeMode = options.invokeMode ?? InvokeMode.BUFFERED;
  checkEnum('invokeMode', invokeMode, InvokeMode);
  if (options.invokeMode !== undefined) env.AWS_LWA_INVOKE_MODE = options.invokeMode;
  if (options.enableCompression && invokeMode === InvokeMode.RESPONSE_STREAM) {
    throw new Error('enableCompression cannot be combined with invokeMode RESPONSE_STREAM (the adapter compresses ' +
      'buffered responses only and would silently turn it off); remove enableCompression or use InvokeMode.BUFFERED');
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
  const hooks: Array<[keyof WebAdapterOptions, string, string]> = [
    ['snapStartBeforeCheckpointPath', 'AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH', '/snapstart/before'],
    ['snapStartAfterRestorePath', 'AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH', '/snapstart/after'],
  ];
  for (const [name, variable, example] of hooks) {
    const value = options[name] as string | undefined;
    if (value === undefined) continue;
    checkHookPath(name, value, example, options.passThroughPath ?? DEFAULT_PASS_THROUGH_PATH);
    env[variable] = value;
  }
  return { port, invokeMode, environment: env, warnings };
}

/** The adapter's default pass-through path for non-HTTP events. */
const DEFAULT_PASS_THROUGH_PATH = '/events';

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

/** Adapter releases, compared by their numbers (a pre-release sorts before its release). */
export function compareReleases(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('-', 2);
    return { parts: core.split('.').map(Number), pre };
  };
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The first adapter release with the SnapStart hooks. */
export const SNAPSTART_HOOKS_RELEASE = '1.1.0';

/**
 * Whether Lambda SnapStart is available for a runtime: Java 11 and later, Python 3.12 and later, .NET 8 and later
 * (by name, so `new Runtime('python3.13', ...)` counts too).
 */
export function supportsSnapStart(runtime: lambda.Runtime): boolean {
  const name = runtime.name;
  const java = /^java(\d+)/.exec(name);
  if (java) return Number(java[1]) >= 11;
  const python = /^python3\.(\d+)$/.exec(name);
  if (python) return Number(python[1]) >= 12;
  const dotnet = /^dotnet(\d+)$/.exec(name);
  if (dotnet) return Number(dotnet[1]) >= 8;
  return false;
}

/** Throws, naming the runtimes Lambda supports SnapStart for, when `runtime` is not one of them. */
export function checkSnapStartRuntime(runtime: lambda.Runtime, what: string): void {
  if (!supportsSnapStart(runtime)) {
    throw new Error(`${what}: SnapStart is not available for ${runtime.name}; Lambda supports it for Java 11 and later, ` +
      'Python 3.12 and later and .NET 8 and later (not Node.js, Ruby or OS-only runtimes); choose one of those runtimes ' +
      'or remove snapStart');
  }
}

function checkPort(name: string, port: number, warnings: Array<[string, string]>): void {
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
    warnings.push([`rustacean-lambda:webAdapter${name}3000`, `${name} 3000 is also used by the CloudWatch Lambda Insights ` +
      `extension; choose another port if you enable Lambda Insights (default ${DEFAULT_PORT})`]);
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

/** True for the OS-only runtimes (the `provided` family, e.g. `provided.al2023`), where `bootstrap` is the app. */
export function isOsOnlyRuntime(runtime: lambda.Runtime): boolean {
  return runtime.name.startsWith('provided');
}

/** Throws for runtimes the adapter cannot be added to as a layer. */
export function checkRuntime(runtime: lambda.Runtime, what: string): void {
  if (runtime.name === lambda.Runtime.FROM_IMAGE.name) {
    throw new Error(`${what} is a container image function, and layers cannot be added to those; copy the adapter ` +
      'into your image instead (COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:<version> /lambda-adapter /opt/extensions/lambda-adapter)');
  }
}

/** Writes a script with LF line endings and mode 0755. */
export function writeExecutable(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, 0o755);
}

/** The checked props of a `WebAdapterFunction` that decide its code. */
export interface CheckedFunctionProps {
  readonly architecture: lambda.Architecture;
  /** An OS-only runtime (`provided.*`), where `bootstrap` is the app. */
  readonly osOnly: boolean;
  /** The script Lambda starts: the handler (`run.sh`) on managed runtimes, `bootstrap` on OS-only ones. */
  readonly startScript: string;
}

/**
 * Checks a `WebAdapterFunction`'s props before anything is built (runtime, start script, environment, SnapStart),
 * throwing with the fix; `what` names the function in messages.
 */
export function checkFunctionProps(props: {
  readonly runtime: lambda.Runtime;
  readonly architecture?: lambda.Architecture;
  readonly startScript?: string;
  readonly environment?: { [key: string]: string };
  readonly snapStart?: unknown;
}, what: string): CheckedFunctionProps {
  checkRuntime(props.runtime, what);
  const osOnly = isOsOnlyRuntime(props.runtime);
  if (osOnly && props.startScript !== undefined && props.startScript !== 'bootstrap') {
    throw new Error(`startScript '${props.startScript}' does not apply to ${props.runtime.name}: Lambda runs the app's ` +
      'bootstrap there; remove startScript (use startCommand to generate a bootstrap script)');
  }
  checkEnvironment(props.environment);
  // Before aws-cdk-lib's own check, whose message names neither the runtimes that have SnapStart nor the fix.
  if (props.snapStart !== undefined) checkSnapStartRuntime(props.runtime, what);
  return {
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    osOnly,
    startScript: osOnly ? 'bootstrap' : (props.startScript ?? 'run.sh'),
  };
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
