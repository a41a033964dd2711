import * as fs from 'fs';
import * as path from 'path';
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { InvokeMode, ReadinessCheckProtocol, WebAdapterOptions } from './types';
import { cacheRoot } from '../llrt/util';

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
  return { port, invokeMode, environment: env, warnings };
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

/** True for the OS-only runtimes (`provided`, `provided.al2`, `provided.al2023`), where `bootstrap` is the app. */
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

/**
 * The folder for downloaded sources and builds that outlive a synth: the library's one per-user cache root
 * (`$RUSTACEAN_LAMBDA_CACHE`, else the OS's user cache folder + `rustacean-lambda`), shared with LlrtFunction.
 */
export function defaultCacheRoot(): string {
  return cacheRoot();
}

/** Writes a script with LF line endings and mode 0755. */
export function writeExecutable(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, 0o755);
}
